"""Size limits of the wire contract, shared by every process that speaks it."""

from typing import Final

MAX_PAYLOAD_BYTES: Final = 64 * 1024
"""Largest MQTT payload on any telecare topic; larger ones are rejected before parsing."""

MAX_BATCH_EVENTS: Final = 200
"""Most events in one ``up/events`` batch. A typical event encodes to about 250 bytes, so a
full batch fits the payload limit; with long ids and locations it may not, so a sender cuts a
batch at whichever comes first, this count or the payload limit."""

MAX_ACK_EVENTS: Final = 1000
"""Most event ids one `down/acks` message may name."""

MAX_DEVICES_IN_HEARTBEAT: Final = 100
"""Most per-device entries in one heartbeat."""

MAX_ID_LENGTH: Final = 64
"""Longest home id or device id."""

MAX_TEXT_LENGTH: Final = 500
"""Longest free-text field (reasons, details)."""

MAX_SDP_LENGTH: Final = 32 * 1024
"""Longest SDP body in a call offer or answer."""

ACK_TIMEOUT_S: Final = 10
"""A home unit resends an unacknowledged event after this long by default, then after twice
as long each time."""

MAX_RESEND_INTERVAL_S: Final = 300
"""The longest a home unit waits between two copies of an unacknowledged event."""
