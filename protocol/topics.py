"""The v1 MQTT topic tree: building topics, parsing them, and the filters clients subscribe to.

Every topic is ``telecare/v1/homes/{home_id}/{up|down}/{name}``. The home id is also the
gateway's MQTT username, so a broker ACL can confine a gateway to its own subtree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from protocol.errors import RejectReason, TopicError
from protocol.limits import MAX_ID_LENGTH

ROOT = "telecare/v1/homes"
"""Prefix of every topic in the tree."""

SAFE_ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_ID_LENGTH - 1}}}$"
"""Home and device ids: letters, digits, ``_`` and ``-``, starting with a letter or digit.

They never hold ``/``, ``+``, ``#`` or ``$``, so an id can never widen a topic filter or an ACL.
"""

_SAFE_ID = re.compile(SAFE_ID_PATTERN)


class Direction(StrEnum):
    """Who publishes on a channel: ``up`` is home unit to hub, ``down`` hub to home unit."""

    UP = "up"
    DOWN = "down"


class Channel(StrEnum):
    """The eight channels of a home, named by their path below the home's topic."""

    ALARMS = "up/alarms"
    EVENTS = "up/events"
    HEARTBEAT = "up/heartbeat"
    STATUS = "up/status"
    CALL_UP = "up/call"
    ACKS = "down/acks"
    CALL_DOWN = "down/call"
    COMMANDS = "down/commands"

    @property
    def direction(self) -> Direction:
        """Whether the home unit or the hub publishes on this channel."""
        return Direction(self.value.split("/", 1)[0])

    @property
    def qos(self) -> int:
        """The MQTT QoS every publisher on this channel uses."""
        return 0 if self is Channel.HEARTBEAT else 1

    @property
    def retained(self) -> bool:
        """Whether messages on this channel are published with the retain flag."""
        return self is Channel.STATUS


_BY_PATH = {channel.value: channel for channel in Channel}


@dataclass(frozen=True, slots=True)
class HomeTopic:
    """A parsed topic: which home, which channel."""

    home_id: str
    channel: Channel

    def __str__(self) -> str:
        """The topic string this value was parsed from."""
        return topic(self.home_id, self.channel)


def is_safe_id(value: str) -> bool:
    """Tell whether ``value`` may be used as a home or device id."""
    return _SAFE_ID.fullmatch(value) is not None


def topic(home_id: str, channel: Channel) -> str:
    """Build the topic of ``channel`` for ``home_id``.

    Raises:
        TopicError: the home id is not a safe identifier.
    """
    _check_home_id(home_id)
    return f"{ROOT}/{home_id}/{channel.value}"


def parse_topic(value: str) -> HomeTopic:
    """Parse a topic of the v1 tree.

    Raises:
        TopicError: the topic is outside the tree, names an unknown channel, or its home id
            is not a safe identifier.
    """
    prefix = ROOT + "/"
    if not value.startswith(prefix):
        raise TopicError(
            RejectReason.TOPIC_OUTSIDE_TREE, f"topic {value!r} does not start with {prefix!r}"
        )
    parts = value[len(prefix) :].split("/")
    if len(parts) != 3:
        raise TopicError(
            RejectReason.TOPIC_OUTSIDE_TREE,
            f"topic {value!r} is not {ROOT}/<home_id>/<up|down>/<name>",
        )
    home_id, direction, name = parts
    _check_home_id(home_id)
    channel = _BY_PATH.get(f"{direction}/{name}")
    if channel is None:
        raise TopicError(
            RejectReason.TOPIC_OUTSIDE_TREE,
            f"topic {value!r} names no channel of the v1 tree "
            f"(known: {', '.join(sorted(_BY_PATH))})",
        )
    return HomeTopic(home_id=home_id, channel=channel)


def hub_filters() -> list[str]:
    """The filters of the hub's telemetry connection: every home's up channels but alarms."""
    return [
        f"{ROOT}/+/{channel.value}"
        for channel in Channel
        if channel.direction is Direction.UP and channel is not Channel.ALARMS
    ]


def alarm_filter() -> str:
    """The filter of the hub's alarm connection: every home's ``up/alarms``.

    On its own connection and subscription, so no backlog of telemetry at the broker or in
    the hub's receive window is ever ahead of an alarm.
    """
    return f"{ROOT}/+/{Channel.ALARMS.value}"


def home_filter(home_id: str) -> str:
    """The filter a home unit subscribes to: everything the hub sends down to it."""
    _check_home_id(home_id)
    return f"{ROOT}/{home_id}/{Direction.DOWN.value}/#"


def _check_home_id(home_id: str) -> None:
    if not is_safe_id(home_id):
        raise TopicError(
            RejectReason.INVALID_HOME_ID,
            f"home id {home_id!r} is not 1-{MAX_ID_LENGTH} letters, digits, '_' or '-' "
            "starting with a letter or digit",
            fields=("home_id",),
        )
