"""The `telecare` command line as a user meets it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from hub.auth import users
from protocol import Channel, encode, examples, topic
from runtime import __version__

TELECARE = str(Path(sys.executable).with_name("telecare"))


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """Run the installed `telecare` script."""
    return subprocess.run(
        [TELECARE, *args],
        input=stdin.decode(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    """`telecare --version` names the package version."""
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"telecare {__version__}"


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        ((), "protocol"),
        (("protocol",), "asyncapi"),
        (("protocol", "asyncapi"), "--output"),
        (("protocol", "check"), "TOPIC"),
    ],
)
def test_help_at_every_level(args: tuple[str, ...], mentions: str) -> None:
    """Every level answers --help with its commands or options."""
    out = run(*args, "--help")
    assert out.returncode == 0
    assert mentions in out.stdout


def test_missing_command_is_a_usage_error() -> None:
    """`telecare` alone says what is missing and exits 2."""
    out = run()
    assert out.returncode == 2
    assert "required" in out.stderr


def test_asyncapi_to_a_file(tmp_path: Path) -> None:
    """--output writes the document to a file."""
    target = tmp_path / "asyncapi.json"
    assert run("protocol", "asyncapi", "--output", str(target)).returncode == 0
    assert json.loads(target.read_text())["asyncapi"] == "3.0.0"


def test_check_accepts_a_good_payload(tmp_path: Path) -> None:
    """A valid batch on its topic is accepted, from a file or standard input."""
    where = topic(examples.HOME, Channel.EVENTS)
    payload = tmp_path / "batch.json"
    payload.write_bytes(encode(examples.EVENT_BATCH))
    for out in (
        run("protocol", "check", where, str(payload)),
        run("protocol", "check", where, stdin=payload.read_bytes()),
    ):
        assert out.returncode == 0
        assert json.loads(out.stdout) == {
            "accepted": True,
            "home_id": examples.HOME,
            "channel": "up/events",
            "message": "EventBatch",
        }


def test_check_refuses_a_bad_payload_naming_the_field() -> None:
    """A naive timestamp is refused with exit 1, the reason and the field."""
    bad = encode(examples.STATUS).replace(b"Z", b"")
    out = run("protocol", "check", topic(examples.HOME, Channel.STATUS), stdin=bad)
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["accepted"] is False
    assert report["reason"] == "invalid_message"
    assert report["fields"] == ["ts"]


def test_check_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    """An unreadable payload file is reported on stderr with exit 2."""
    out = run("protocol", "check", "telecare/v1/homes/h/up/events", str(tmp_path / "nope"))
    assert out.returncode == 2
    assert "cannot read payload" in out.stderr


async def test_user_add_and_token_make_working_credentials(database_url: str) -> None:
    """`telecare user add` stores a usable password; `user token` prints a usable token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
    env |= {"TELECARE_DATABASE_URL": database_url, "TELECARE_NEW_PASSWORD": "long enough pw"}
    added = subprocess.run(  # noqa: ASYNC221 - a short command
        [TELECARE, "user", "add", "anna", "--role", "operator", "--district", "ats-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    token = subprocess.run(  # noqa: ASYNC221 - a short command
        [TELECARE, "user", "token", "anna", "--name", "test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert token.returncode == 0, token.stderr
    short = subprocess.run(  # noqa: ASYNC221 - a short command
        [TELECARE, "user", "add", "bruno", "--role", "operator"],
        env=env | {"TELECARE_NEW_PASSWORD": "short"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert short.returncode == 2
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        user = await users.check_password(conn, "anna", "long enough pw")
        assert user is not None
        assert (user.role, user.districts) == (users.Role.OPERATOR, ("ats-1",))
        assert await users.check_password(conn, "anna", "wrong") is None
        assert await users.token_user(conn, token.stdout.strip(), datetime.now(UTC)) == user
        assert await users.check_password(conn, "bruno", "short") is None


async def test_simulated_history_gives_each_home_its_days_in_numbers(database_url: str) -> None:
    """`sim backfill` writes days of events; `indicators backfill` works each day out of them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
    env |= {"TELECARE_DATABASE_URL": database_url, "TELECARE_SIM_HOME_PREFIX": "cli"}
    for args in (
        ["sim", "backfill", "--homes", "2", "--days", "4"],
        ["indicators", "backfill", "--days", "3"],
    ):
        done = subprocess.run(  # noqa: ASYNC221 - a short command
            [TELECARE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
    assert "home-days" in done.stdout
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT home_id, count(*), min(events), min(active_hours), min(rise_min)"
            " FROM daily_indicators WHERE home_id LIKE 'cli-%' GROUP BY 1 ORDER BY 1"
        )
        found = await cursor.fetchall()
        cursor = await conn.execute(
            "SELECT DISTINCT jsonb_object_keys(room_hours) FROM daily_indicators"
            " WHERE home_id LIKE 'cli-%' ORDER BY 1"
        )
        rooms = [row[0] for row in await cursor.fetchall()]
    assert [(home, days) for home, days, *_ in found] == [("cli-00001", 3), ("cli-00002", 3)]
    assert all(
        events > 50 and active > 8 and rise is not None for *_, events, active, rise in found
    )
    assert rooms == ["bathroom", "bedroom", "entrance", "kitchen", "living"]
