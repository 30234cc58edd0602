"""Who may use the API: disabling users and revoking tokens, throttling sign-ins by address."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import psycopg
import pytest
from aiohttp import WSCloseCode, WSMsgType
from consoles import PASSWORD, Console
from queries import rows

from hub.api import stream
from hub.auth.users import Role, add_user, create_token
from hub.storage import migrate

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

TELECARE = str(Path(sys.executable).with_name("telecare"))


async def telecare(database_url: str, *args: str) -> tuple[int | None, str, str]:
    """Run the `telecare` command on the hub's database: exit status, stdout, stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
    process = await asyncio.create_subprocess_exec(
        TELECARE,
        *args,
        env=env | {"TELECARE_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def sign_in(base: str, username: str, password: str) -> tuple[int, Any]:
    """POST the login form once, without keeping a session: status and JSON."""
    body = {"username": username, "password": password}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/v1/auth/login", json=body) as r,
    ):
        return r.status, await r.json()


async def with_token(base: str, token: str, path: str = "/api/v1/alarms") -> int:
    """GET ``path`` with a bearer token: the status."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.get(f"{base}{path}", headers=headers) as r:
        return r.status


@pytest.fixture
async def anna(database_url: str) -> str:
    """An operator, anna, with an API token (returned)."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await add_user(conn, "anna", PASSWORD, Role.OPERATOR, ["ats-nord"])
        return await create_token(conn, "anna", "dashboard")


async def test_a_disabled_user_is_signed_out_everywhere_until_enabled(
    hub: RunningHub, anna: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disable ends sessions, refuses tokens, closes streams and refuses sign-in as a bad password.

    Resetting the password does not enable the user again; enabling does, tokens included.
    """
    monkeypatch.setattr(stream, "RECHECK_S", 0.1)  # not a minute's wait for the socket's check
    console = Console(hub.url)
    try:
        assert await console.login("anna") == 200
        bearer = {"Authorization": f"Bearer {anna}"}
        async with (
            console.http.ws_connect(f"{hub.url}/api/v1/stream") as by_cookie,
            console.http.ws_connect(f"{hub.url}/api/v1/stream", headers=bearer) as by_token,
        ):
            status, out, err = await telecare(database_url, "user", "disable", "anna")
            assert (status, out, err) == (0, "user anna disabled\n", "")
            for socket in (by_cookie, by_token):
                closing = await socket.receive()
                assert closing.type is WSMsgType.CLOSE
                assert (closing.data, closing.extra) == (WSCloseCode.POLICY_VIOLATION, "signed out")
        assert (await console.get("/api/v1/alarms"))[0] == 401
    finally:
        await console.close()
    assert await with_token(hub.url, anna) == 401
    wrong = await sign_in(hub.url, "anna", "not her password")
    assert wrong[0] == 401
    assert await sign_in(hub.url, "anna", PASSWORD) == wrong
    assert await rows(database_url, "SELECT 1 FROM sessions WHERE username = 'anna'") == []

    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await add_user(conn, "anna", "a new password", Role.OPERATOR, ["ats-nord"])
    assert (await sign_in(hub.url, "anna", "a new password"))[0] == 401

    status, out, _ = await telecare(database_url, "user", "enable", "anna")
    assert (status, out) == (0, "user anna enabled\n")
    assert (await sign_in(hub.url, "anna", "a new password"))[0] == 200
    assert await with_token(hub.url, anna) == 200
    status, _, err = await telecare(database_url, "user", "disable", "nobody")
    assert (status, err) == (2, "telecare user disable: no user 'nobody'\n")
    audit = await rows(
        database_url,
        "SELECT actor, action, subject FROM audit_log WHERE action LIKE 'user.%%' ORDER BY id",
    )
    assert audit == [("cli", "user.disable", "user:anna"), ("cli", "user.enable", "user:anna")]


async def test_a_stream_closes_when_its_users_districts_change(
    hub: RunningHub, anna: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token's stream, still signed in, closes once anna no longer serves its district."""
    monkeypatch.setattr(stream, "RECHECK_S", 0.1)  # not a minute's wait for the socket's check
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{hub.url}/api/v1/stream", headers={"Authorization": f"Bearer {anna}"}
        ) as by_token,
    ):
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await conn.execute("UPDATE users SET districts = '{ats-sud}' WHERE username = 'anna'")
        closing = await by_token.receive()
        assert closing.type is WSMsgType.CLOSE
        assert closing.data == WSCloseCode.POLICY_VIOLATION
    assert await with_token(hub.url, anna) == 200  # the token itself is still good


async def test_a_revoked_token_is_refused_and_kept_on_record(
    hub: RunningHub, anna: str, database_url: str
) -> None:
    """`user tokens` lists without secrets; `user revoke-token` ends one; its name is free again."""
    assert await with_token(hub.url, anna) == 200
    status, listed, _ = await telecare(database_url, "user", "tokens", "anna")
    assert status == 0
    header, line = listed.splitlines()
    assert header.split() == ["id", "name", "created", "last", "used", "revoked"]
    token_id, name, created, last_used, revoked = line.split()
    assert (name, revoked) == ("dashboard", "-")
    assert created.endswith("+00:00")
    assert last_used >= created
    assert anna not in listed
    status, _, err = await telecare(database_url, "user", "token", "anna", "--name", "dashboard")
    assert (status, err) == (
        2,
        "telecare user token: 'anna' already has a live token named 'dashboard'\n",
    )

    status, out, _ = await telecare(database_url, "user", "revoke-token", "anna", "dashboard")
    assert (status, out) == (0, f"token 'dashboard' (id {token_id}) of anna revoked\n")
    assert await with_token(hub.url, anna) == 401
    status, listed, _ = await telecare(database_url, "user", "tokens", "anna")
    assert listed.splitlines()[1].split()[4] != "-"
    status, _, err = await telecare(database_url, "user", "revoke-token", "anna", "dashboard")
    assert (status, err) == (
        2,
        "telecare user revoke-token: 'anna' has no live token named 'dashboard'\n",
    )
    status, _, err = await telecare(database_url, "user", "tokens", "nobody")
    assert (status, err) == (2, "telecare user tokens: no user 'nobody'\n")

    status, again, _ = await telecare(database_url, "user", "token", "anna", "--name", "dashboard")
    assert status == 0
    assert await with_token(hub.url, again.strip()) == 200
    kept = await rows(
        database_url,
        "SELECT id, revoked_at IS NOT NULL FROM api_tokens WHERE name = 'dashboard' ORDER BY id",
    )
    assert kept[0] == (int(token_id), True)
    assert [revoked for _, revoked in kept] == [True, False]
    audit = await rows(
        database_url,
        "SELECT actor, action, subject, detail FROM audit_log WHERE action = 'token.revoke'",
    )
    assert audit == [
        ("cli", "token.revoke", "user:anna", {"token_id": int(token_id), "name": "dashboard"})
    ]


async def test_the_migration_tells_apart_older_tokens_that_share_a_name(database_url: str) -> None:
    """Tokens named alike before names had to differ get their ids appended, but the first."""
    known = migrate.available()
    access = next(m for m in known if m.name == "user_access")
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for earlier in known[: access.version - 1]:
            await conn.execute(earlier.sql.encode())
        for username in ("anna", "bruno"):
            await add_user(conn, username, PASSWORD, Role.OPERATOR, ["ats-nord"])
        for username in ("anna", "anna", "bruno"):
            await create_token(conn, username, "dashboard")
        await conn.execute(access.sql.encode())
    named = await rows(database_url, "SELECT username, name, id FROM api_tokens ORDER BY id")
    assert [(u, n) for u, n, _ in named] == [
        ("anna", "dashboard"),
        ("anna", f"dashboard #{named[1][2]}"),
        ("bruno", "dashboard"),
    ]


def via(*hops: str) -> dict[str, str]:
    """Headers of a request through a proxy: the client's claimed hops, then the proxy's."""
    return {"X-Forwarded-For": ", ".join(hops)}


async def login_addresses(database_url: str) -> list[str]:
    """The client address of each sign-in, from the audit log."""
    found = await rows(
        database_url, "SELECT detail->>'address' FROM audit_log WHERE action = 'login' ORDER BY id"
    )
    return [address for (address,) in found]


@pytest.mark.usefixtures("anna")
async def test_behind_a_trusted_proxy_sign_ins_are_throttled_per_client_address(
    start_hub: Callable[..., Awaitable[RunningHub]], database_url: str
) -> None:
    """A user name failing from one client is not locked out from another.

    An address failing on many user names is refused for all of them, and a client cannot pick
    its own address by writing hops in front of the proxy's.
    """
    proxied = await start_hub(trusted_proxy="127.0.0.1")
    console = Console(proxied.url)
    try:
        for _ in range(5):
            assert await console.login("anna", "not her password", via("203.0.113.1")) == 401
        assert await console.login("anna", headers=via("203.0.113.1")) == 429
        assert await console.login("anna", headers=via("198.51.100.9", "203.0.113.1")) == 429
        assert await console.login("anna", headers=via("198.51.100.2")) == 200
        for n in range(20):
            assert await console.login(f"guess-{n}", "password", via("192.0.2.7")) == 401
        assert await console.login("anna", headers=via("192.0.2.7")) == 429
    finally:
        await console.close()
    assert await login_addresses(database_url) == ["198.51.100.2"]


@pytest.mark.usefixtures("anna")
async def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(
    hub: RunningHub, database_url: str
) -> None:
    """A hub reached directly counts the connection's address, whatever the headers say."""
    console = Console(hub.url)
    try:
        assert await console.login("anna", headers=via("198.51.100.2")) == 200
        for n in range(5):
            assert await console.login("anna", "not her password", via(f"203.0.113.{n}")) == 401
        assert await console.login("anna", headers=via("198.51.100.3")) == 429
    finally:
        await console.close()
    assert await login_addresses(database_url) == ["127.0.0.1"]


async def session_cookie(base: str, headers: dict[str, str] | None = None) -> str:
    """Sign anna in at ``base``: the Set-Cookie header of her session."""
    body = {"username": "anna", "password": PASSWORD}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/v1/auth/login", json=body, headers=headers) as r,
    ):
        assert r.status == 200
        (cookie,) = r.headers.getall("Set-Cookie")
        return cookie


@pytest.mark.usefixtures("anna")
async def test_the_session_cookie_is_secure_when_told_or_when_the_proxy_had_tls(
    start_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    """`always` marks it Secure even over plain HTTP; `never` never does.

    `auto` (the default) believes X-Forwarded-Proto from the trusted proxy only.
    """
    https = {"X-Forwarded-Proto": "https"}
    always = await start_hub(cookie_secure="always")
    proxied = await start_hub(trusted_proxy="127.0.0.1")
    direct = await start_hub()
    never = await start_hub(trusted_proxy="127.0.0.1", cookie_secure="never")
    assert "; Secure" in await session_cookie(always.url)
    assert "; Secure" in await session_cookie(proxied.url, https)
    assert "; Secure" not in await session_cookie(proxied.url, {"X-Forwarded-Proto": "http"})
    assert "; Secure" not in await session_cookie(direct.url, https)
    assert "; Secure" not in await session_cookie(never.url, https)
