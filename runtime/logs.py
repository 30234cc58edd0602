"""structlog set up once per process: JSON lines for machines, readable lines for people."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

from runtime.settings import LogFormat


def configure_logging(
    level: str = "info", fmt: LogFormat = LogFormat.AUTO, stream: TextIO | None = None
) -> None:
    """Route structlog and the standard library's logging to ``stream`` (stderr by default).

    With ``LogFormat.AUTO`` the output is readable when ``stream`` is a terminal and JSON lines
    otherwise (under systemd, in containers, in CI).
    """
    out = stream or sys.stderr
    as_json = fmt is LogFormat.JSON or (fmt is LogFormat.AUTO and not out.isatty())
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # The console renderer prints tracebacks itself; JSON needs them turned into a field.
    rendering: list[structlog.typing.Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if as_json
        else [structlog.dev.ConsoleRenderer(colors=out.isatty())]
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
