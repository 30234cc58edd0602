"""The ``telecare`` command and the demo: the top layer, wiring the hub, home unit and simulator."""
