"""Logging: JSON lines for machines, readable lines on a terminal, context on every line."""

from __future__ import annotations

import io
import json
import logging

import structlog

from runtime.logs import configure_logging
from runtime.settings import LogFormat


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a terminal."""
        return True


def test_json_lines_when_not_on_a_terminal() -> None:
    """Off a terminal every event is one JSON object with its bound context."""
    out = io.StringIO()
    configure_logging("info", LogFormat.AUTO, stream=out)
    structlog.get_logger("hub.ingest").bind(home_id="home-7").info("event_stored", event_id="e-1")
    line = json.loads(out.getvalue().strip())
    assert line["event"] == "event_stored"
    assert line["home_id"] == "home-7"
    assert line["event_id"] == "e-1"
    assert line["level"] == "info"
    assert line["logger"] == "hub.ingest"
    assert line["timestamp"].endswith("Z")


def test_readable_lines_on_a_terminal() -> None:
    """On a terminal the same event is a readable line, not JSON."""
    out = Terminal()
    configure_logging("info", LogFormat.AUTO, stream=out)
    structlog.get_logger().warning("broker_unreachable", attempt=3)
    text = out.getvalue()
    assert "broker_unreachable" in text
    assert "attempt" in text
    assert not text.lstrip().startswith("{")


def test_standard_library_logs_share_the_format() -> None:
    """Libraries logging through `logging` (aiomqtt, psycopg) come out as JSON too."""
    out = io.StringIO()
    configure_logging("debug", LogFormat.JSON, stream=out)
    logging.getLogger("psycopg.pool").warning("pool is %s", "exhausted")
    line = json.loads(out.getvalue().strip())
    assert line["event"] == "pool is exhausted"
    assert line["level"] == "warning"


def test_level_filters_events() -> None:
    """Below the configured level nothing is written."""
    out = io.StringIO()
    configure_logging("warning", LogFormat.JSON, stream=out)
    structlog.get_logger().info("chatty")
    assert out.getvalue() == ""


def test_exceptions_are_kept_in_json() -> None:
    """A logged exception keeps its traceback in the JSON line."""
    out = io.StringIO()
    configure_logging("info", LogFormat.JSON, stream=out)
    try:
        1 / 0  # noqa: B018 - raise something real
    except ZeroDivisionError:
        structlog.get_logger().exception("crashed")
    line = json.loads(out.getvalue().strip())
    assert "ZeroDivisionError" in line["exception"]
