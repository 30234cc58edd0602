"""The PostgreSQL harness: a fresh database per test, on any of the three kinds of server."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from telecare.services import PostgresKind, start_postgres

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_its_own_empty_database(database_url: str, attempt: int) -> None:
    """A test starts with no tables, and what it creates is gone for the next one."""
    with psycopg.connect(database_url) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        assert name[0].startswith("telecare_test_")
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE probe (attempt int)")
        conn.execute("INSERT INTO probe VALUES (%s)", (attempt,))
        assert conn.execute("SELECT attempt FROM probe").fetchall() == [(attempt,)]


def test_the_server_is_postgresql_15_or_newer(database_url: str) -> None:
    """Storage relies on PostgreSQL 15 features (MERGE, date_bin, ...)."""
    with psycopg.connect(database_url) as conn:
        assert conn.info.server_version >= 150000


@pytest.mark.parametrize("kind", ["private", "pgserver"])
def test_every_fallback_server_starts_and_serves(tmp_path: Path, kind: PostgresKind) -> None:
    """The machine's initdb/pg_ctl cluster and the pgserver wheel both give a usable server."""
    if kind == "private" and not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("initdb and pg_ctl are not on PATH; pgserver is used instead")
    server = start_postgres(kind, tmp_path / kind)
    try:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("fallback_probe")))
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()
