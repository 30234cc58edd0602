"""The AsyncAPI 3.0 document of the wire contract, generated from the message models.

The document describes the hub as the application: it receives what homes send up and sends
what goes down (it says so, for a device maker reading it from the unit's side). Payload
schemas are the models' own JSON Schema, so the document cannot drift from what the codec
accepts; what a schema cannot say (the size limit, the ack rule, the retry schedule, which
kinds raise alarms, ``seq``) is in the document's description, so the document is enough on
its own to build a home unit from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

from protocol import examples
from protocol.acks import Ack
from protocol.call import CallAnswer, CallOffer, Hangup, IceCandidate
from protocol.codec import encode
from protocol.commands import ConfigCommand, LocateCommand, SelfTestCommand
from protocol.events import ALARM_CLASS_KINDS, EventBatch, EventKind
from protocol.limits import (
    ACK_TIMEOUT_S,
    MAX_BATCH_EVENTS,
    MAX_PAYLOAD_BYTES,
    MAX_RESEND_INTERVAL_S,
)
from protocol.presence import Heartbeat, Status
from protocol.topics import ROOT, Channel, Direction

if TYPE_CHECKING:
    from pydantic import BaseModel

ASYNCAPI_VERSION = "3.0.0"
PROTOCOL_VERSION = "1.0.0"
MQTT_BINDING_VERSION = "0.2.0"
_REF = "#/components/schemas/{model}"


@dataclass(frozen=True, slots=True)
class _Message:
    key: str
    model: type[BaseModel]
    title: str
    summary: str
    example: BaseModel
    payload: dict[str, Any] | None = None
    """The payload's schema when it is narrower than the model's own."""


_ALARM_KINDS = sorted(kind.value for kind in ALARM_CLASS_KINDS)

_MESSAGES = (
    _Message(
        "alarmBatch",
        EventBatch,
        "Alarm batch",
        f"1 to {MAX_BATCH_EVENTS} alarm-class events of one home ({', '.join(_ALARM_KINDS)}); "
        "any other kind in it refuses the whole batch (reason not_alarm_class).",
        examples.ALARM_BATCH,
        {
            "allOf": [
                {"$ref": _REF.format(model=EventBatch.__name__)},
                {
                    "type": "object",
                    "properties": {
                        "events": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"kind": {"enum": _ALARM_KINDS}},
                            },
                        }
                    },
                },
            ]
        },
    ),
    _Message(
        "eventBatch",
        EventBatch,
        "Event batch",
        f"1 to {MAX_BATCH_EVENTS} events of one home, acknowledged by the hub once stored.",
        examples.EVENT_BATCH,
    ),
    _Message(
        "heartbeat",
        Heartbeat,
        "Heartbeat",
        "The home unit's periodic sign of life, with power, signal and outbox state.",
        examples.HEARTBEAT,
    ),
    _Message(
        "status",
        Status,
        "Status",
        "Online on connect; offline on shutdown, and as the MQTT will when the link dies.",
        examples.STATUS,
    ),
    _Message(
        "ack",
        Ack,
        "Ack",
        "Event ids the hub has committed, with the alarm raised by any of them, and those it "
        "refused for good, with a reason code.",
        examples.ACK,
    ),
    _Message(
        "callOffer",
        CallOffer,
        "Call offer",
        "The operator calls the home; the unit answers automatically.",
        examples.CALL_OFFER,
    ),
    _Message(
        "callAnswer", CallAnswer, "Call answer", "The home unit's SDP answer.", examples.CALL_ANSWER
    ),
    _Message(
        "iceCandidate",
        IceCandidate,
        "ICE candidate",
        "A trickled ICE candidate; an empty candidate ends the trickle.",
        examples.ICE_CANDIDATE,
    ),
    _Message("hangup", Hangup, "Hang up", "Either side ends the call.", examples.HANGUP),
    _Message(
        "configCommand",
        ConfigCommand,
        "Config push",
        "New settings for the home unit; the result comes back as a command_result event.",
        examples.CONFIG_COMMAND,
    ),
    _Message(
        "selfTestCommand",
        SelfTestCommand,
        "Self test",
        "The home unit tests itself and its devices; the result is a command_result event.",
        examples.SELF_TEST_COMMAND,
    ),
    _Message(
        "locateCommand",
        LocateCommand,
        "Locate",
        "The home unit sounds and flashes so a visitor can find it.",
        examples.LOCATE_COMMAND,
    ),
)

_CHANNELS: dict[Channel, tuple[str, str, tuple[str, ...]]] = {
    Channel.ALARMS: (
        "homeAlarms",
        (
            "Alarm-class events only (alarms and their cancels), read by the hub on a "
            "connection of its own so that no telemetry can delay them. A home unit sends "
            "every batch made only of alarm-class events here, before anything else it has "
            "waiting. QoS 1; resent until acknowledged; stored once per event_id."
        ),
        ("alarmBatch",),
    ),
    Channel.EVENTS: (
        "homeEvents",
        (
            "What happened at the home. QoS 1; resent until acknowledged; stored once per "
            "event_id. Alarm-class events are accepted here too (units older than the alarm "
            "channel send them here), but wait behind the telemetry that came before them."
        ),
        ("eventBatch",),
    ),
    Channel.HEARTBEAT: (
        "homeHeartbeat",
        "Sent every interval_s seconds (QoS 0); missing heartbeats mark the home unit offline.",
        ("heartbeat",),
    ),
    Channel.STATUS: (
        "homeStatus",
        "Retained online/offline state; the offline message is also the connection's will.",
        ("status",),
    ),
    Channel.CALL_UP: (
        "homeCallUp",
        "Call signalling from the home unit's speakerphone.",
        ("callAnswer", "iceCandidate", "hangup"),
    ),
    Channel.ACKS: (
        "homeAcks",
        (
            "End-to-end receipts: the home unit deletes committed events from its outbox, and "
            "refused ones too, without resending them (counted by reason)."
        ),
        ("ack",),
    ),
    Channel.CALL_DOWN: (
        "homeCallDown",
        "Call signalling to the home unit's speakerphone.",
        ("callOffer", "iceCandidate", "hangup"),
    ),
    Channel.COMMANDS: (
        "homeCommands",
        "Commands to the home unit; each result comes back as a command_result event.",
        ("configCommand", "selfTestCommand", "locateCommand"),
    ),
}


RAISING: tuple[tuple[tuple[EventKind, ...], int, str], ...] = (
    (
        (
            EventKind.PANIC_BUTTON,
            EventKind.PULL_CORD,
            EventKind.FALL,
            EventKind.SMOKE,
            EventKind.CO,
        ),
        1,
        "value.active is true",
    ),
    ((EventKind.FLOOD,), 2, "value.active is true"),
    ((EventKind.TAMPER,), 3, "value.active is true"),
    ((EventKind.MAINS_POWER,), 3, "value.on is false"),
    ((EventKind.BATTERY_LOW,), 4, "value.low is true"),
)
"""Which event kinds raise an alarm at the centre, at which priority (1 most urgent) and
when; a test holds it equal to the hub's rules."""
_RAISED = "; ".join(
    f"{', '.join(kind.value for kind in kinds)}: priority {priority} when {when}"
    for kinds, priority, when in RAISING
)

_DESCRIPTION = f"""\
MQTT protocol between telecare home units (gateways) and the alarm receiving centre's hub.

**Point of view.** This document is written from the hub's side: a `receive` operation is
what a home unit publishes, a `send` operation what a home unit subscribes to.

**Connecting.** MQTT 5 (3.1.1 works with the degradations in docs/protocol.md). User name:
the home id. Password: issued by the centre (see securitySchemes; over TLS in production).
Client id: `unit-<home_id>`, stable across reconnects; a client id is bound to its account.
Clean start off and a session expiry of at least one hour, so receipts and commands sent
while the link was down arrive when it returns. Keepalive 30 s. Will: `offline` status
(reason `connection_lost`) on `up/status`, QoS 1, retained, its `ts` the connect time.
A gateway may write only the five up channels of {ROOT}/<home_id>/ and read only
{ROOT}/<home_id>/down/#; anything else is refused by the broker.

**On connect**, in this order: publish `online` on `up/status` (retained, with the will's
`ts`), subscribe to `down/#` at QoS 1, then send the outbox: alarm-class events first on
`up/alarms`, then the rest on `up/events`. The hub does not require `online` before events
(it stores events from a unit it believes offline) but uses it to show the unit online.

**Payloads.** UTF-8 JSON objects of at most {MAX_PAYLOAD_BYTES} bytes (larger ones are
refused before parsing). Unknown fields are refused, not ignored; no coercion (`"42"` is not
a number); NaN and infinity are refused; times are RFC 3339 with a UTC offset. Every message
carries the topic's `home_id`. Batches hold 1 to {MAX_BATCH_EVENTS} events of one home, each
`event_id` once.

**Events and receipts (at least once, stored once).** A unit writes each event to
persistent storage before publishing it (QoS 1) and keeps it until a receipt on `down/acks`
names it in `committed` (stored) or `refused` (never to be stored: the unit deletes it, does
not resend it, and counts it by reason; reason codes are listed in docs/protocol.md and a
unit must accept codes it does not know). A broker PUBACK is not a receipt. Without a
receipt an event is published again, unchanged (same `event_id`, same `ts`), after
{ACK_TIMEOUT_S} s, then after twice as long each time, up to {MAX_RESEND_INTERVAL_S} s between
copies, and at once after a reconnect. Receipts may repeat and may name events already
deleted. At most 1,000 events in flight is recommended.

**Alarm class**: {", ".join(sorted(k.value for k in ALARM_CLASS_KINDS))}. Sent first, never
dropped by a unit, on `up/alarms` (a batch of them only; `up/events` also accepts them from
older units). **Alarms raised at the centre** (priority 1 most urgent; 3 and 4 are
technical alarms): {_RAISED}. A `cancel` closes the open alarm whose latest event it names
in `value.cancels` (naming nothing, or an older event, it changes nothing); a restore raises
nothing.

**seq** is the unit's own counter, one more for every event it creates. The hub stores it as
given and neither orders nor deduplicates by it (`event_id` does that): a gap means events
were lost or coalesced before the outbox, and a counter that starts again (a unit reset)
is allowed.
"""


def asyncapi_document() -> dict[str, Any]:
    """Build the AsyncAPI 3.0 document (a JSON-ready dict) of the v1 protocol."""
    security = [{"$ref": "#/components/securitySchemes/homeUnitPassword"}]
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Telecare home unit protocol",
            "version": PROTOCOL_VERSION,
            "description": _DESCRIPTION,
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "broker": {
                "host": "localhost:1883",
                "protocol": "mqtt",
                "protocolVersion": "5",
                "description": "The centre's broker without TLS, for a closed network or a "
                "test bench; 3.1.1 is supported with the degradations listed in "
                "docs/protocol.md.",
                "security": security,
                "bindings": {"mqtt": _server_binding()},
            },
            "brokerTls": {
                "host": "localhost:8883",
                "protocol": "secure-mqtt",
                "protocolVersion": "5",
                "description": "The centre's broker over TLS (mqtts), checked against the "
                "centre's CA; the unit's password, or a client certificate from the centre.",
                "security": [
                    *security,
                    {"$ref": "#/components/securitySchemes/homeUnitCertificate"},
                ],
                "bindings": {"mqtt": _server_binding()},
            },
        },
        "channels": _channels(),
        "operations": _operations(),
        "components": {
            "messages": _messages(),
            "schemas": _schemas(),
            "securitySchemes": {
                "homeUnitPassword": {
                    "type": "userPassword",
                    "description": "User name: the home id. Password: issued by the centre for "
                    "this home unit alone (revoking it stops the unit at once).",
                },
                "homeUnitCertificate": {
                    "type": "X509",
                    "description": "A client certificate issued by the centre's CA to this home "
                    "unit, on the TLS server only.",
                },
            },
        },
    }


def _server_binding() -> dict[str, Any]:
    return {
        "cleanSession": False,
        "keepAlive": 30,
        "sessionExpiryInterval": 3600,
        "lastWill": {
            "topic": f"{ROOT}/{{home_id}}/{Channel.STATUS.value}",
            "qos": 1,
            "retain": True,
        },
        "bindingVersion": MQTT_BINDING_VERSION,
    }


def _channels() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for channel, (key, description, message_keys) in _CHANNELS.items():
        channels[key] = {
            "address": f"{ROOT}/{{home_id}}/{channel.value}",
            "description": description,
            "parameters": {
                "home_id": {
                    "description": "The home's id (letters, digits, '_' and '-'; at most 64).",
                    "examples": [examples.HOME],
                }
            },
            "messages": {
                message_key: {"$ref": f"#/components/messages/{message_key}"}
                for message_key in message_keys
            },
        }
    return channels


def _operations() -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for channel, (key, description, message_keys) in _CHANNELS.items():
        receive = channel.direction is Direction.UP
        name = ("receive" if receive else "send") + key[0].upper() + key[1:]
        operations[name] = {
            "action": "receive" if receive else "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": description,
            "messages": [{"$ref": f"#/channels/{key}/messages/{m}"} for m in message_keys],
            "bindings": {
                "mqtt": {
                    "qos": channel.qos,
                    "retain": channel.retained,
                    "bindingVersion": MQTT_BINDING_VERSION,
                }
            },
        }
    return operations


def _messages() -> dict[str, Any]:
    return {
        message.key: {
            "name": message.key,
            "title": message.title,
            "summary": message.summary,
            "contentType": "application/json",
            "payload": message.payload or {"$ref": _REF.format(model=message.model.__name__)},
            "examples": [
                {
                    "name": f"{message.key}Example",
                    "payload": _json(message.example),
                }
            ],
        }
        for message in _MESSAGES
    }


def _schemas() -> dict[str, Any]:
    models = list(dict.fromkeys(message.model for message in _MESSAGES))
    _, top = models_json_schema([(model, "validation") for model in models], ref_template=_REF)
    return {name: _asyncapi_schema(schema) for name, schema in top["$defs"].items()}


def _asyncapi_schema(node: Any) -> Any:  # noqa: ANN401 - walks arbitrary JSON
    """Rewrite pydantic's JSON Schema into the AsyncAPI Schema dialect.

    pydantic marks tagged unions with OpenAPI's ``discriminator`` object; AsyncAPI's
    ``discriminator`` means something else (a property naming a schema), so it is dropped.
    The branches stay apart by their ``kind``/``type``/``name`` constants.
    """
    if isinstance(node, dict):
        return {
            key: _asyncapi_schema(value) for key, value in node.items() if key != "discriminator"
        }
    if isinstance(node, list):
        return [_asyncapi_schema(item) for item in node]
    return node


def _json(message: BaseModel) -> Any:  # noqa: ANN401 - a JSON value
    return json.loads(encode(message))
