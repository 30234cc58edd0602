"""The hub's call relay: places a console's call on a home unit and carries the signalling.

A console sends its offer on its stream socket; the hub checks who may call which home,
publishes the offer on the home's ``down/call`` and remembers which socket owns the call. The
home unit's answer, candidates and hang-up come back on ``up/call`` through the ingest, to
whichever replica the broker's share group picks: when that is not the replica holding the
console's socket, the message goes through a ``call_signals`` row whose NOTIFY every replica
hears, and the owner delivers it. Start and end of every call go on the alarm's timeline (for a
call from an alarm) and in the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
import structlog
from pydantic import TypeAdapter, ValidationError

from hub.calls.messages import (
    CallAnswered,
    CallEnded,
    CallIce,
    CallPlaced,
    CallRefused,
    ConsoleCallMessage,
    HangUp,
    SendIce,
    StartCall,
)
from hub.errors import HubError
from hub.storage import alarm_changes, alarm_reads, audit, call_signals, registry
from protocol import (
    CallAnswer,
    CallOffer,
    Channel,
    Hangup,
    HangupReason,
    IceCandidate,
    decode,
    encode,
    topic,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from psycopg_pool import AsyncConnectionPool
    from pydantic import BaseModel

    from hub.auth.users import User

log = structlog.get_logger(__name__)

ANSWER_TIMEOUT_S = 30.0
"""A home unit that has not answered by then is not going to: the operator is told."""
SIGNAL_KEEP_S = 600
"""Relayed signals older than this are deleted (their calls are long over)."""
CHECK_EVERY_S = 5.0
MAX_PENDING = 1000
"""Call signals being passed on at once; beyond, they are dropped (a call's signalling is worth
nothing late, and the ingest must not queue behind it)."""

Console = asyncio.Queue[dict[str, Any]]
FromHome = CallAnswer | IceCandidate | Hangup
_MESSAGES: TypeAdapter[StartCall | SendIce | HangUp] = TypeAdapter(ConsoleCallMessage)


class CallRefusedError(HubError):
    """The hub will not place this call; the message says why, and ``code`` for consoles."""

    def __init__(self, reason: str, code: str, params: dict[str, str] | None = None) -> None:
        """Keep the reason, and its ``code`` and ``params`` for a console's own words."""
        super().__init__(reason)
        self.code = code
        self.params = params or {}


@dataclass
class CallSession:
    """One call this replica placed for a console."""

    call_id: uuid.UUID
    home_id: str
    alarm_id: uuid.UUID | None
    operator: str
    console: Console
    started: float
    answered: float | None = None


class CallRelay:
    """The calls of this replica's consoles, and the signalling to and from their homes."""

    def __init__(
        self,
        pool: Callable[[], AsyncConnectionPool[psycopg.AsyncConnection[Any]]],
        publish: Callable[[str, bytes], None],
    ) -> None:
        """Use the hub's connection ``pool`` and ``publish`` (QoS 1 on its broker link)."""
        self._pool = pool
        self._publish = publish
        self._calls: dict[uuid.UUID, CallSession] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> int:
        """How many calls this replica is carrying."""
        return len(self._calls)

    async def from_console(self, user: User, console: Console, text: str) -> None:
        """Act on one message a console sent on its stream socket."""
        try:
            message = _MESSAGES.validate_json(text)
        except ValidationError as err:
            problem = err.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            refused = CallRefused(
                ref=_ref_of(text),
                error=f"{where}: {problem['msg']}",
                code="call.invalid",
                params={"field": where},
            )
            _tell(console, refused)
            return
        if isinstance(message, StartCall):
            try:
                await self._start(user, console, message)
            except CallRefusedError as err:
                refused = CallRefused(
                    ref=message.ref, error=str(err), code=err.code, params=err.params
                )
                _tell(console, refused)
            except psycopg.Error as err:
                log.warning("call_start_failed", home_id=message.home_id, error=str(err))
                refused = CallRefused(
                    ref=message.ref, error="the hub cannot place calls now", code="call.unavailable"
                )
                _tell(console, refused)
            return
        session = self._calls.get(message.call_id)
        if session is None or session.console is not console:
            refused = CallRefused(
                ref=None,
                error=f"no call {message.call_id} here",
                code="call.unknown",
                params={"call_id": str(message.call_id)},
            )
            _tell(console, refused)
            return
        if isinstance(message, SendIce):
            try:
                self._send_ice(session, message)
            except HubError:
                # The broker link is down: the call cannot go on; the unit's own limit ends it.
                await self._hang_up(session, HangupReason.FAILED)
        else:
            await self._hang_up(session, HangupReason.OPERATOR)

    def _send_ice(self, session: CallSession, message: SendIce) -> None:
        self._send(
            session,
            IceCandidate(
                type="ice_candidate",
                home_id=session.home_id,
                call_id=session.call_id,
                ts=datetime.now(UTC),
                candidate=message.candidate,
                sdp_mid=message.sdp_mid,
                sdp_mline_index=message.sdp_mline_index,
            ),
        )

    async def _start(self, user: User, console: Console, message: StartCall) -> None:
        if not user.acts_on_alarms:
            raise CallRefusedError(
                f"a {user.role.value} does not place calls", "call.role", {"role": user.role.value}
            )
        async with self._pool().connection() as conn:
            district = await registry.home_district(conn, message.home_id)
            if district is None or not user.serves(district):
                raise CallRefusedError("no such home", "call.no_home")
            if message.alarm_id is not None:
                alarm = await alarm_reads.get_alarm(conn, message.alarm_id)
                if alarm is None or alarm.home_id != message.home_id:
                    raise CallRefusedError("no such alarm in this home", "call.no_alarm")
        session = CallSession(
            call_id=uuid.uuid4(),
            home_id=message.home_id,
            alarm_id=message.alarm_id,
            operator=user.username,
            console=console,
            started=time.monotonic(),
        )
        offer = CallOffer(
            type="offer",
            home_id=message.home_id,
            call_id=session.call_id,
            ts=datetime.now(UTC),
            sdp=message.sdp,
        )
        # On the record before a word is said: a call into a home that cannot be audited is
        # not placed (the database error reaches the console as a refusal).
        await self._record(session, "call_started", {})
        try:
            self._publish(topic(message.home_id, Channel.CALL_DOWN), encode(offer))
        except HubError as err:
            await self._record(session, "call_ended", {"reason": HangupReason.FAILED.value})
            raise CallRefusedError(
                f"the hub cannot reach the home now ({err})", "call.unreachable"
            ) from err
        self._calls[session.call_id] = session
        _tell(console, CallPlaced(ref=message.ref, call_id=session.call_id))
        log.info(
            "call_started", call_id=str(session.call_id), home_id=session.home_id, by=user.username
        )

    async def from_home(self, message: FromHome) -> None:
        """Take one ``up/call`` message the ingest received: deliver it, here or elsewhere.

        Returns at once: the ingest's read loop, with alarms behind it, never waits on it.
        """
        session = self._calls.get(message.call_id)
        if session is not None:
            self._spawn(self._deliver(session, message))
        elif len(self._tasks) < MAX_PENDING:
            self._spawn(self._pass_on(message))
        else:
            log.warning("call_signal_dropped", call_id=str(message.call_id))

    async def _pass_on(self, message: FromHome) -> None:
        # Another replica may hold the console: it hears of the row through NOTIFY.
        try:
            async with self._pool().connection() as conn:
                await call_signals.put(conn, message.call_id, encode(message).decode())
        except psycopg.Error as err:
            log.warning("call_signal_not_passed_on", call_id=str(message.call_id), error=str(err))

    def on_signal(self, notice: dict[str, Any]) -> None:
        """A replica stored a home's message for a call: deliver it if the call is ours."""
        call_id = uuid.UUID(str(notice["call_id"]))
        if call_id in self._calls:
            self._spawn(self._fetch_and_deliver(int(notice["signal_id"]), call_id))

    async def _fetch_and_deliver(self, signal_id: int, call_id: uuid.UUID) -> None:
        async with self._pool().connection() as conn:
            payload = await call_signals.take(conn, signal_id)
        session = self._calls.get(call_id)
        if payload is None or session is None:
            return
        message = decode(Channel.CALL_UP, payload)
        if isinstance(message, CallAnswer | IceCandidate | Hangup):
            await self._deliver(session, message)

    async def _deliver(self, session: CallSession, message: FromHome) -> None:
        if isinstance(message, CallAnswer):
            if session.answered is not None:
                return  # QoS 1 may bring the answer twice; the browser takes one
            session.answered = time.monotonic()
            _tell(session.console, CallAnswered(call_id=session.call_id, sdp=message.sdp))
        elif isinstance(message, IceCandidate):
            _tell(
                session.console,
                CallIce(
                    call_id=session.call_id,
                    candidate=message.candidate,
                    sdp_mid=message.sdp_mid,
                    sdp_mline_index=message.sdp_mline_index,
                ),
            )
        else:
            _tell(session.console, CallEnded(call_id=session.call_id, reason=message.reason))
            await self._end(session, message.reason)

    async def console_gone(self, console: Console) -> None:
        """The console's socket closed: hang up the calls it had."""
        for session in [s for s in self._calls.values() if s.console is console]:
            try:
                await self._hang_up(session, HangupReason.OPERATOR)
            except Exception:
                log.exception("call_hangup_failed", call_id=str(session.call_id))

    async def _hang_up(self, session: CallSession, reason: HangupReason) -> None:
        with contextlib.suppress(HubError):  # no broker: the unit's own call limit ends it
            self._send(
                session,
                Hangup(
                    type="hangup",
                    home_id=session.home_id,
                    call_id=session.call_id,
                    ts=datetime.now(UTC),
                    reason=reason,
                ),
            )
        _tell(session.console, CallEnded(call_id=session.call_id, reason=reason))
        await self._end(session, reason)

    async def _end(self, session: CallSession, reason: HangupReason) -> None:
        if self._calls.pop(session.call_id, None) is None:
            return
        talked = 0.0 if session.answered is None else time.monotonic() - session.answered
        detail = {
            "reason": reason.value,
            "answered": str(session.answered is not None).lower(),
            "duration_s": str(round(talked)),
        }
        try:
            await self._record(session, "call_ended", detail)
        except psycopg.Error as err:
            # The call is over either way; its start is on record, and this line says the rest.
            log.warning("call_record_failed", call_id=str(session.call_id), error=str(err))
        log.info("call_ended", call_id=str(session.call_id), home_id=session.home_id, **detail)

    async def _record(self, session: CallSession, action: str, detail: dict[str, str]) -> None:
        """Put the call's step on its alarm's timeline (if any) and in the audit log.

        Raises:
            psycopg.Error: the database did not take it.
        """
        detail = {"call_id": str(session.call_id), **detail}
        async with self._pool().connection() as conn, conn.transaction():
            if session.alarm_id is not None:
                with contextlib.suppress(alarm_changes.UnknownAlarmError):  # its home was deleted
                    await alarm_changes.add_to_timeline(
                        conn,
                        session.alarm_id,
                        session.operator,
                        action,
                        detail,
                        now=datetime.now(UTC),
                    )
            await audit.record(
                conn,
                session.operator,
                action.replace("_", "."),
                f"home:{session.home_id}",
                {**detail, "alarm_id": str(session.alarm_id) if session.alarm_id else None},
            )

    def _send(self, session: CallSession, message: BaseModel) -> None:
        self._publish(topic(session.home_id, Channel.CALL_DOWN), encode(message))

    async def run_timers(self) -> None:
        """Give up on calls not answered in time, and drop old relayed signals, forever."""
        sweeps = 0
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            now = time.monotonic()
            for session in list(self._calls.values()):
                if session.answered is None and now - session.started > ANSWER_TIMEOUT_S:
                    try:
                        await self._hang_up(session, HangupReason.TIMEOUT)
                    except Exception:
                        # The timer must outlive any one call's trouble.
                        log.exception("call_timeout_failed", call_id=str(session.call_id))
            sweeps += 1
            if sweeps % 12 == 0:
                try:
                    async with self._pool().connection() as conn:
                        await call_signals.delete_older_than(conn, SIGNAL_KEEP_S)
                except psycopg.Error as err:
                    log.warning("call_signals_sweep_failed", error=str(err))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _tell(console: Console, message: BaseModel) -> None:
    with contextlib.suppress(asyncio.QueueFull):  # a console that far behind is being closed
        console.put_nowait(message.model_dump(mode="json"))


def _ref_of(text: str) -> str | None:
    try:
        ref = json.loads(text).get("ref")
    except (json.JSONDecodeError, AttributeError):
        return None
    return ref if isinstance(ref, str) else None
