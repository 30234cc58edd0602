"""Errors of the home unit."""

from __future__ import annotations


class GatewayError(Exception):
    """Base of the home unit's own errors (audio sources, speakerphone settings, devices)."""
