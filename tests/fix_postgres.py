"""Fixtures: a PostgreSQL server for the session and a fresh database for each test."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from telecare.services import Postgres, postgres_kind, start_postgres

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """The server: ``TELECARE_TEST_DATABASE_URL``, else a private cluster, else pgserver."""
    server = start_postgres(postgres_kind(), tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres: Postgres) -> Iterator[str]:
    """A new, empty database for this test, dropped (with its connections) afterwards."""
    name = f"telecare_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_conninfo(postgres.admin_url, dbname=name)
    with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
