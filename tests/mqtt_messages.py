"""Helpers for tests that talk to the broker: take messages, make an event batch for a home."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from protocol import EventBatch, encode, examples

if TYPE_CHECKING:
    import aiomqtt

RECEIVE_TIMEOUT_S = 20


async def receive(client: aiomqtt.Client, count: int) -> list[aiomqtt.Message]:
    """Take ``count`` messages from ``client``, failing if they do not come."""
    got: list[aiomqtt.Message] = []
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        async for message in client.messages:
            got.append(message)
            if len(got) == count:
                break
    return got


async def drain(client: aiomqtt.Client, quiet_s: float = 0.5) -> list[aiomqtt.Message]:
    """Take messages until none has come for ``quiet_s`` seconds."""
    got: list[aiomqtt.Message] = []
    while True:
        try:
            async with asyncio.timeout(quiet_s):
                got.append(await anext(aiter(client.messages)))
        except TimeoutError:
            return got


def batch_for(home_id: str, seq: int = 0) -> bytes:
    """The example event batch re-addressed to ``home_id``, validated again."""
    data = examples.EVENT_BATCH.model_dump()
    data["home_id"] = home_id
    for index, event in enumerate(data["events"]):
        event.update(home_id=home_id, seq=seq + index)
    return encode(EventBatch.model_validate(data))
