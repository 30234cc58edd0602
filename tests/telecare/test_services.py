"""The test services themselves: they start where they say, and stop without leftovers."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import psutil
import pytest

from telecare.services import Broker, ServiceError, broker_kind

if TYPE_CHECKING:
    from pathlib import Path


def test_a_taken_port_moves_the_broker_elsewhere(tmp_path: Path) -> None:
    """If another program holds the port, the broker starts on a new one and says so."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        broker = Broker(kind=broker_kind(), workdir=tmp_path / "broker", port=taken)
        broker.start()
        try:
            assert broker.port != taken
            assert broker.running
        finally:
            broker.stop()


def test_a_restart_that_cannot_have_its_port_fails_and_leaves_nothing(tmp_path: Path) -> None:
    """A restart keeps its port or fails loudly, without leaving a broker process behind."""
    broker = Broker(kind=broker_kind(), workdir=tmp_path / "broker")
    broker.start()
    broker.stop()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", broker.port))
        squatter.listen()
        with pytest.raises(ServiceError):
            broker.start(keep_port=True)
    assert not broker.running
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(tmp_path) in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []
