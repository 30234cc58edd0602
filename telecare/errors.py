"""Errors of the top layer: the ``telecare`` command, its services and the demo."""

from __future__ import annotations


class TelecareError(Exception):
    """Base of the top layer's own errors (services that will not start, the demo's refusals)."""
