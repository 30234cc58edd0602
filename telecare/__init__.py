"""Runtime shared by the telecare processes: the command line, settings, logging, MQTT."""

__version__ = "0.1.0"
