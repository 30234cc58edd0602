"""The AsyncAPI 3.0 document: generated from the models, valid, complete, and honest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from hub.alarms.rules import PRIORITY
from protocol import MAX_PAYLOAD_BYTES, Channel, decode
from protocol.asyncapi import RAISING, asyncapi_document
from protocol.limits import ACK_TIMEOUT_S, MAX_RESEND_INTERVAL_S

CHECKER = Path(__file__).parents[1] / "asyncapi"
ON_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document as the command line prints it."""
    telecare = Path(sys.executable).with_name("telecare")
    out = subprocess.run(
        [str(telecare), "protocol", "asyncapi"], check=True, capture_output=True, timeout=60
    )
    printed: dict[str, Any] = json.loads(out.stdout)
    return printed


def test_command_prints_the_generated_document(document: dict[str, Any]) -> None:
    """`telecare protocol asyncapi` prints exactly what the generator builds."""
    assert document == json.loads(json.dumps(asyncapi_document()))
    assert document["asyncapi"] == "3.0.0"


def test_document_has_all_eight_channels(document: dict[str, Any]) -> None:
    """Each channel of the topic tree is in the document with its address and operation."""
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {f"telecare/v1/homes/{{home_id}}/{c.value}" for c in Channel}
    assert len(document["operations"]) == 8
    actions = {op["action"] for op in document["operations"].values()}
    assert actions == {"send", "receive"}


def test_every_example_matches_its_schema_and_the_codec(document: dict[str, Any]) -> None:
    """Each message's example validates against its payload schema and decodes."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=DRAFT7)
    )
    by_key = {
        ref["$ref"].rsplit("/", 1)[1]: channel["address"]
        for channel in document["channels"].values()
        for ref in channel["messages"].values()
    }
    for key, message in document["components"]["messages"].items():
        schema = {"$ref": f"urn:doc#/components/messages/{key}/payload"}
        validator = Draft7Validator(schema, registry=registry)
        (example,) = message["examples"]
        assert list(validator.iter_errors(example["payload"])) == [], key
        channel = Channel(by_key[key].split("{home_id}/", 1)[1])
        decode(channel, json.dumps(example["payload"]))


def test_schemas_refuse_what_the_codec_refuses(document: dict[str, Any]) -> None:
    """The published schema is as strict as the codec: unknown fields and kinds fail it."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=DRAFT7)
    )
    validator = Draft7Validator(
        {"$ref": "urn:doc#/components/schemas/EventBatch"}, registry=registry
    )
    example = document["components"]["messages"]["eventBatch"]["examples"][0]["payload"]
    unknown_field = json.loads(json.dumps(example))
    unknown_field["events"][0]["surprise"] = 1
    unknown_kind = json.loads(json.dumps(example))
    unknown_kind["events"][0]["kind"] = "earthquake"
    assert not validator.is_valid(unknown_field)
    assert not validator.is_valid(unknown_kind)


def test_the_alarm_channel_schema_refuses_telemetry(document: dict[str, Any]) -> None:
    """A device maker's validator refuses motion on ``up/alarms``, as the hub does."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=DRAFT7)
    )
    validator = Draft7Validator(
        {"$ref": "urn:doc#/components/messages/alarmBatch/payload"}, registry=registry
    )
    telemetry = document["components"]["messages"]["eventBatch"]["examples"][0]["payload"]
    alarms = document["components"]["messages"]["alarmBatch"]["examples"][0]["payload"]
    assert validator.is_valid(alarms)
    assert not validator.is_valid(telemetry)


def run_parser(document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Validate ``document`` with @asyncapi/parser; skip without Node, except under CI."""
    node = shutil.which("node")
    installed = (CHECKER / "node_modules" / "@asyncapi" / "parser").is_dir()
    if not (node and installed):
        reason = "Node.js is missing" if not node else "run `make test` to install the parser"
        if ON_CI:
            pytest.fail(f"CI=true: the AsyncAPI parser must run ({reason})")
        pytest.skip(reason)
    out = subprocess.run(
        [node, str(CHECKER / "validate.mjs")],
        input=json.dumps(document).encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    return out.returncode, json.loads(out.stdout)


@pytest.mark.node
def test_the_asyncapi_parser_accepts_the_document(document: dict[str, Any]) -> None:
    """The AsyncAPI project's own parser finds no error in the document."""
    status, report = run_parser(document)
    assert [d for d in report["diagnostics"] if d["severity"] == "error"] == []
    assert (status, report["valid"], report["version"]) == (0, True, "3.0.0")
    assert len(report["channels"]) == 8


@pytest.mark.node
def test_the_parser_does_reject_a_broken_document(document: dict[str, Any]) -> None:
    """The validator is not a rubber stamp: a document without info is refused."""
    status, report = run_parser({k: v for k, v in document.items() if k != "info"})
    assert (status, report["valid"]) == (1, False)


def test_the_document_says_enough_to_build_a_unit(document: dict[str, Any]) -> None:
    """Security, the point of view, the retry schedule, seq and the size limit are stated."""
    schemes = document["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"userPassword", "X509"}
    assert {server["protocol"] for server in document["servers"].values()} == {
        "mqtt",
        "secure-mqtt",
    }
    text = " ".join(document["info"]["description"].split())
    for said in (
        "written from the hub's side",
        (
            f"after {ACK_TIMEOUT_S} s, then after twice as long each time, "
            f"up to {MAX_RESEND_INTERVAL_S} s"
        ),
        "**seq**",
        f"at most {MAX_PAYLOAD_BYTES} bytes",
        "Unknown fields are refused",
        "publish `online` on `up/status`",
    ):
        assert said in text, said


def test_the_alarms_the_document_lists_are_the_hubs() -> None:
    """Each kind the document says raises an alarm does, at the priority it says."""
    listed = {kind: priority for kinds, priority, _ in RAISING for kind in kinds}
    assert listed == PRIORITY
