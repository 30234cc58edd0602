"""Errors of the shared runtime."""

from __future__ import annotations


class SharedRuntimeError(Exception):
    """Base of the shared runtime's own errors (broker URLs, MQTT links)."""
