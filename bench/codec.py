"""How fast the codec turns payloads into validated messages, against raw JSON parsing.

Run: ``python -m bench.codec [--seconds S]``. The last line is one JSON object:

- ``decode_per_s``: single-event batches (what a home sends in normal running) decoded by
  ``protocol.decode`` (pydantic-core parses and validates in one pass, strictly);
- ``orjson_then_validate_per_s``: the alternative, ``orjson.loads`` then pydantic validation
  of the Python objects (lax, because strict Python-mode validation refuses UUIDs and times
  given as strings, so it is weaker as well as being measured here for speed);
- ``parse_limit_per_s``: ``orjson.loads`` alone, the machine's limit for turning the same bytes
  into Python objects without any validation; ``ratio`` = decode_per_s / parse_limit_per_s;
- ``encode_per_s`` (``protocol.encode``) and ``orjson_dumps_per_s`` (``orjson.dumps`` of the
  model's JSON-mode dump), and the same three decode figures for a full 200-event batch.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import TypeAdapter

from protocol import MAX_BATCH_EVENTS, Channel, EventBatch, decode, encode, examples

if TYPE_CHECKING:
    from collections.abc import Callable


def rate(work: Callable[[], Any], seconds: float) -> float:
    """Calls per second of ``work``: the best of five rounds of ``seconds / 5`` each."""
    best = 0.0
    for _ in range(5):
        calls, start = 0, time.perf_counter()
        deadline = start + seconds / 5
        while (now := time.perf_counter()) < deadline:
            for _ in range(100):
                work()
            calls += 100
        best = max(best, calls / (now - start))
    return best


def batch_of(count: int) -> EventBatch:
    """A batch of ``count`` panic-press events with distinct ids."""
    event = examples.EVENT_BATCH.events[2]
    return EventBatch(
        home_id=examples.HOME,
        events=[
            event.model_copy(update={"event_id": uuid.uuid4(), "seq": seq}) for seq in range(count)
        ],
    )


def measure(batch: EventBatch, seconds: float) -> dict[str, float]:
    """Decode, alternative decode and raw parse rates for one batch's bytes."""
    raw = encode(batch)
    lax = TypeAdapter(EventBatch)
    assert decode(Channel.EVENTS, raw) == batch  # noqa: S101 - guard the benchmark's premise
    decode_rate = rate(lambda: decode(Channel.EVENTS, raw), seconds)
    return {
        "payload_bytes": len(raw),
        "decode_per_s": round(decode_rate),
        "orjson_then_validate_per_s": round(
            rate(lambda: lax.validate_python(orjson.loads(raw), strict=False), seconds)
        ),
        "parse_limit_per_s": round(rate(lambda: orjson.loads(raw), seconds)),
    }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measured figure")
    args = parser.parse_args()
    single, full = batch_of(1), batch_of(MAX_BATCH_EVENTS)
    one = measure(single, args.seconds)
    many = measure(full, args.seconds)
    result = {
        "benchmark": "codec",
        **one,
        "ratio": round(one["decode_per_s"] / one["parse_limit_per_s"], 3),
        "encode_per_s": round(rate(lambda: encode(single), args.seconds)),
        "orjson_dumps_per_s": round(
            rate(lambda: orjson.dumps(single.model_dump(mode="json")), args.seconds)
        ),
        "full_batch": {"events": MAX_BATCH_EVENTS, **many},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
