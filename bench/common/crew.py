"""Child processes of a benchmark's phase: started together, reporting back, stopped in any case.

Each child runs its own event loop in a process of its own (``spawn``), so that the load it
makes is not limited by the parent's Python; it reports back on a queue (:data:`Message`).
"""

from __future__ import annotations

import contextlib
import queue
import time
import traceback
from typing import TYPE_CHECKING, Any, TypeAlias

from bench.common.output import BenchError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.context import SpawnContext, SpawnProcess
    from multiprocessing.queues import Queue

Message: TypeAlias = tuple[str, int, Any]
"""What a child process sends back: ("ready" | "done" | "error", its index, details)."""


class Crew:
    """The child processes of one phase: started together, stopped in any case."""

    def __init__(self, context: SpawnContext) -> None:
        """No processes yet."""
        self.results: Queue[Message] = context.Queue()
        self.start = context.Event()
        self.release = context.Event()
        self.processes: list[SpawnProcess] = []
        self._context = context

    def add(self, target: Any, *args: object) -> None:  # noqa: ANN401 - any process function
        """Start a process running ``target(*args, results, ...)``."""
        process = self._context.Process(target=target, args=args, daemon=True)
        process.start()
        self.processes.append(process)

    def wait_for(self, kind: str, count: int, timeout_s: float) -> dict[int, Any]:
        """Wait for ``count`` messages of ``kind``; a child's error or death fails the phase."""
        got: dict[int, Any] = {}
        deadline = time.monotonic() + timeout_s
        while len(got) < count:
            if time.monotonic() > deadline:
                raise BenchError(f"only {len(got)} of {count} children {kind} in {timeout_s} s")
            try:
                what, index, details = self.results.get(timeout=0.2)
            except queue.Empty:
                dead = [p.exitcode for p in self.processes if p.exitcode is not None]
                if dead:
                    raise BenchError(f"a child process exited early ({dead})") from None
                continue
            if what == "error":
                raise BenchError(f"child {index} failed:\n{details}")
            if what == kind:
                got[index] = details
        return got

    def go(self) -> float:
        """Let the publishers start; the time they were let go."""
        started = time.monotonic()
        self.start.set()
        return started

    def pids(self) -> list[int]:
        """The children's process ids."""
        return [p.pid for p in self.processes if p.pid is not None]

    def stop(self) -> None:
        """Release every child, then make sure each has ended."""
        self.release.set()
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
        self.results.close()


@contextlib.contextmanager
def crew(context: SpawnContext) -> Iterator[Crew]:
    """A :class:`Crew` stopped on the way out."""
    team = Crew(context)
    try:
        yield team
    finally:
        team.stop()


@contextlib.contextmanager
def reporting_failure(results: Queue[Message], index: int) -> Iterator[None]:
    """Around a child's work: whatever goes wrong goes to the parent, which fails the phase."""
    try:
        yield
    except Exception:  # noqa: BLE001 - whatever went wrong, the parent must hear of it
        results.put(("error", index, traceback.format_exc()))
