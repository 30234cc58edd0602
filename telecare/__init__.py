"""The ``telecare`` command and the demo: the top layer, wiring the hub, home unit and simulator."""

from runtime import __version__

__all__ = ["__version__"]
