"""How a benchmark talks: progress on standard error, then one JSON object on standard output."""

from __future__ import annotations

import json
import signal
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any, TypeAlias

import psycopg

from runtime.logs import configure_logging
from telecare.services import ServiceError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

Report: TypeAlias = dict[str, Any]
"""A benchmark's result, or a part of it: printed as JSON."""
Say: TypeAlias = "Callable[[str], None]"
"""Writes one progress line."""


class BenchError(RuntimeError):
    """The benchmark could not complete a phase."""


def progress(benchmark: str) -> Say:
    """The progress lines of ``benchmark`` (``bench.ingest``, say): on standard error, stamped."""

    def say(text: str) -> None:
        """Progress, on standard error (standard output ends with the result)."""
        stamp = time.strftime("%H:%M:%S")
        print(f"[{benchmark} {stamp}] {text}", file=sys.stderr, flush=True)

    return say


def run_and_print(
    say: Say, measure: Callable[[], Report], errors: tuple[type[Exception], ...] = ()
) -> None:
    """Run ``measure`` and print its result as one line of JSON.

    When it fails, for a reason of its own, of its services or the database, or one of
    ``errors``, that is said and the process exits with status 1, printing no result.
    """
    configure_logging("warning")  # the services' and the hub's log lines go to stderr
    # SIGTERM unwinds like Ctrl-C does, so the hubs, broker and database server are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    failures: tuple[type[Exception], ...] = (BenchError, ServiceError, psycopg.Error, *errors)
    try:
        result = measure()
    except failures as err:
        # A timeout says nothing of itself: then its name says what happened.
        say(f"failed: {str(err) or repr(err)}")
        sys.exit(1)
    print(json.dumps(result))


def limit_ratio(measured: float | None, limit: float | None, digits: int) -> float | None:
    """``measured`` over the machine's ``limit`` for it, rounded; None unless both are known."""
    if measured is None or not limit:
        return None
    return round(measured / limit, digits)


def percentile_cuts(values: Sequence[float]) -> list[float]:
    """The cut points between the percentiles of ``values``: ``[49]`` p50, ``[98]`` p99.

    Empty for fewer than two values.
    """
    if len(values) < 2:  # what statistics.quantiles needs
        return []
    return statistics.quantiles(values, n=100, method="inclusive")
