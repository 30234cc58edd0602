"""The AsyncAPI 3.0 document of the wire contract, generated from the message models.

The document describes the hub as the application: it receives what homes send up and sends
what goes down. Payload schemas are the models' own JSON Schema, so the document cannot drift
from what the codec accepts.
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
from protocol.events import ALARM_CLASS_KINDS, EventBatch
from protocol.limits import MAX_BATCH_EVENTS, MAX_PAYLOAD_BYTES
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


def asyncapi_document() -> dict[str, Any]:
    """Build the AsyncAPI 3.0 document (a JSON-ready dict) of the v1 protocol."""
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Telecare home unit protocol",
            "version": PROTOCOL_VERSION,
            "description": (
                "MQTT protocol between telecare home units (gateways) and the alarm receiving "
                "centre's hub. The home id is the gateway's MQTT username; a gateway may write "
                f"only {ROOT}/<home_id>/up/# and read only {ROOT}/<home_id>/down/#. Every "
                f"payload is UTF-8 JSON of at most {MAX_PAYLOAD_BYTES} bytes; unknown fields, "
                "times without a UTC offset and unknown kinds are refused."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "broker": {
                "host": "localhost:1883",
                "protocol": "mqtt",
                "protocolVersion": "5",
                "description": "The centre's broker; 3.1.1 is supported with the degradations "
                "listed in docs/protocol.md.",
            }
        },
        "channels": _channels(),
        "operations": _operations(),
        "components": {"messages": _messages(), "schemas": _schemas()},
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
