"""Login throttling's three limits, kept in the database, on a clock the tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
import pytest
from consoles import PASSWORD, Console
from queries import rows

from hub.auth.throttle import (
    MAX_PER_ADDRESS,
    MAX_PER_USER,
    MAX_PER_USER_AT_ADDRESS,
    WINDOW_S,
    attempt,
    retry_after,
    succeeded,
)
from hub.auth.users import Role, add_user
from hub.storage import migrate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from fix_hub import RunningHub

T0 = datetime(2026, 12, 5, 9, tzinfo=UTC)
Conn = psycopg.AsyncConnection[object]


def at(second: float) -> datetime:
    """``second`` seconds after the test's start."""
    return T0 + timedelta(seconds=second)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Conn]:
    """A migrated database."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        yield conn


async def test_a_user_name_failing_from_one_address_is_not_refused_from_another(
    db: Conn,
) -> None:
    """Five failures for anna from A refuse anna from A only, for the window."""
    for second in range(MAX_PER_USER_AT_ADDRESS):
        assert await retry_after(db, "anna", "203.0.113.1", at(second)) == 0
        await attempt(db, "anna", "203.0.113.1", at(second))
    assert await retry_after(db, "anna", "203.0.113.1", at(10)) == WINDOW_S - 10
    assert await retry_after(db, "anna", "198.51.100.2", at(10)) == 0
    assert await retry_after(db, "bruno", "203.0.113.1", at(10)) == 0
    assert await retry_after(db, "anna", "203.0.113.1", at(WINDOW_S + 1)) == 0


async def test_an_address_trying_many_user_names_is_refused_for_all(db: Conn) -> None:
    """Failures spread over user names still count against their address."""
    for n in range(MAX_PER_ADDRESS):
        await attempt(db, f"user-{n}", "203.0.113.1", at(n))
    assert await retry_after(db, "someone-else", "203.0.113.1", at(30)) > 0
    assert await retry_after(db, "someone-else", "198.51.100.2", at(30)) == 0


async def test_a_user_name_failing_from_many_addresses_is_refused_everywhere(db: Conn) -> None:
    """The ceiling per user name takes failures from ten addresses at five each."""
    addresses = [f"203.0.113.{n}" for n in range(MAX_PER_USER // MAX_PER_USER_AT_ADDRESS)]
    for address in addresses:
        for _ in range(MAX_PER_USER_AT_ADDRESS):
            await attempt(db, "anna", address, at(1))
    assert await retry_after(db, "anna", "198.51.100.2", at(2)) > 0
    assert await retry_after(db, "bruno", "198.51.100.2", at(2)) == 0


async def test_a_success_forgives_its_own_slips_but_not_the_address_or_user_name_counts(
    db: Conn,
) -> None:
    """After a success the pair starts afresh; the address keeps its failures, not that success."""
    for second in range(MAX_PER_USER_AT_ADDRESS - 1):
        await attempt(db, "anna", "203.0.113.1", at(second))
    right = await attempt(db, "anna", "203.0.113.1", at(10))
    await succeeded(db, "anna", "203.0.113.1", right)
    for second in range(MAX_PER_USER_AT_ADDRESS - 1):
        await attempt(db, "anna", "203.0.113.1", at(20 + second))
    assert await retry_after(db, "anna", "203.0.113.1", at(30)) == 0
    slips = 2 * (MAX_PER_USER_AT_ADDRESS - 1)
    for n in range(MAX_PER_ADDRESS - slips - 1):
        await attempt(db, f"user-{n}", "203.0.113.1", at(40))
    assert await retry_after(db, "zoe", "203.0.113.1", at(50)) == 0
    await attempt(db, "yann", "203.0.113.1", at(40))
    assert await retry_after(db, "zoe", "203.0.113.1", at(50)) > 0


async def test_ipv6_addresses_of_one_network_count_together(db: Conn) -> None:
    """A host picking new addresses in its /64 is still one address."""
    for n in range(MAX_PER_USER_AT_ADDRESS):
        await attempt(db, "anna", f"2001:db8:1:2::{n + 1:x}", at(n))
    assert await retry_after(db, "anna", "2001:db8:1:2:ffff::1", at(10)) > 0
    assert await retry_after(db, "anna", "2001:db8:1:3::1", at(10)) == 0


async def test_the_typed_user_name_is_not_kept_and_old_attempts_go(
    db: Conn, database_url: str
) -> None:
    """People type passwords into the user name: only a hash is kept, for the window only."""
    await attempt(db, "Secret-Passw0rd!", "203.0.113.1", at(0))
    kept = await rows(database_url, "SELECT user_key FROM login_attempts")
    assert "Secret-Passw0rd!" not in str(kept)
    await attempt(db, "anna", "203.0.113.1", at(WINDOW_S + 5))
    assert len(await rows(database_url, "SELECT id FROM login_attempts")) == 1


async def test_every_replica_counts_the_same_failures(
    start_hub: Callable[..., Awaitable[RunningHub]], database_url: str
) -> None:
    """Five wrong passwords on one hub: the next try on another hub is refused too."""
    first, second = await start_hub(), await start_hub()
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await add_user(conn, "anna", PASSWORD, Role.OPERATOR, ["ats-test"])
    on_first, on_second = Console(first.url), Console(second.url)
    try:
        for _ in range(MAX_PER_USER_AT_ADDRESS):
            assert await on_first.login("anna", "wrong password!") == 401
        assert await on_second.login("anna") == 429
    finally:
        await on_first.close()
        await on_second.close()
