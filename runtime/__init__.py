"""What every telecare process shares at run time: settings, logging, MQTT clients, the version.

It sits below the hub, the home unit and the simulator and imports none of them.
"""

__version__ = "0.1.0"
