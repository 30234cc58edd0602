"""The v1 topic tree: every channel builds and parses; anything else is refused by name."""

from __future__ import annotations

import pytest

from protocol import (
    Channel,
    Direction,
    RejectReason,
    TopicError,
    alarm_filter,
    home_filter,
    hub_filters,
    parse_topic,
    topic,
)


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_round_trips(channel: Channel) -> None:
    """A topic built for a home and channel parses back to the same home and channel."""
    built = topic("home-7", channel)
    assert built == f"telecare/v1/homes/home-7/{channel.value}"
    parsed = parse_topic(built)
    assert (parsed.home_id, parsed.channel) == ("home-7", channel)
    assert str(parsed) == built


def test_the_tree_has_exactly_the_eight_channels_of_the_architecture() -> None:
    """Five channels go up from the home, three come down to it."""
    assert sorted(c.value for c in Channel) == sorted(
        [
            "up/alarms",
            "up/events",
            "up/heartbeat",
            "up/status",
            "up/call",
            "down/acks",
            "down/call",
            "down/commands",
        ]
    )
    assert [c.direction for c in Channel].count(Direction.UP) == 5


def test_qos_and_retain_follow_the_contract() -> None:
    """Heartbeats are QoS 0, everything else QoS 1; only the status is retained."""
    assert {c for c in Channel if c.qos == 0} == {Channel.HEARTBEAT}
    assert {c for c in Channel if c.retained} == {Channel.STATUS}


@pytest.mark.parametrize(
    "bad",
    [
        "telecare/v2/homes/h1/up/events",
        "other/v1/homes/h1/up/events",
        "telecare/v1/homes/h1/up",
        "telecare/v1/homes/h1/up/events/extra",
        "telecare/v1/homes/h1/up/acks",
        "telecare/v1/homes/h1/sideways/events",
        "telecare/v1/homes/h1/down/events",
        "telecare/v1/homes",
        "",
    ],
)
def test_topics_outside_the_tree_are_refused(bad: str) -> None:
    """Wrong root, version, depth, direction or channel name: refused as outside the tree."""
    with pytest.raises(TopicError) as caught:
        parse_topic(bad)
    assert caught.value.reason is RejectReason.TOPIC_OUTSIDE_TREE


@pytest.mark.parametrize(
    "home_id",
    [
        "+",
        "#",
        "$SYS",
        "h+1",
        "h#",
        "-leading-dash",
        "_x",
        "has space",
        "città",
        "x" * 65,
        "",
        "h1\n",
    ],
)
def test_unsafe_home_ids_are_refused_naming_the_field(home_id: str) -> None:
    """Wildcards, '$', spaces, non-ASCII and over-long ids never make or parse a topic."""
    with pytest.raises(TopicError) as caught:
        topic(home_id, Channel.EVENTS)
    assert caught.value.reason is RejectReason.INVALID_HOME_ID
    assert caught.value.field == "home_id"
    if home_id:
        with pytest.raises(TopicError) as parsed:
            parse_topic(f"telecare/v1/homes/{home_id}/up/events")
        assert parsed.value.field == "home_id"


def test_subscription_filters() -> None:
    """The hub reads every home's alarms on one subscription and the rest on another.

    A home unit reads only its own down channels.
    """
    assert alarm_filter() == "telecare/v1/homes/+/up/alarms"
    assert sorted(hub_filters()) == [
        "telecare/v1/homes/+/up/call",
        "telecare/v1/homes/+/up/events",
        "telecare/v1/homes/+/up/heartbeat",
        "telecare/v1/homes/+/up/status",
    ]
    assert home_filter("home-7") == "telecare/v1/homes/home-7/down/#"
    with pytest.raises(TopicError):
        home_filter("#")
