"""A database out of reach is a 503 to retry, never a 500: the server's database refusing
connections answers ``database-unavailable`` with ``Retry-After`` (reads and writes
alike, nothing written), and the server serves again once the database is back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.config import initialise, runtime_for_command
from tests.api.conftest import application_body, apply_card, problem
from tests.conftest import POSTGRES_URL, require_postgres
from workflow.states import Role


@pytest.fixture
def own_database() -> Iterator[str]:
    """A PostgreSQL database of the test's own, so that it can be closed to connections."""
    require_postgres()
    name = f"cardflow_outage_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        conn.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        )
        conn.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()


def closed(name: str, *, closed: bool) -> None:
    """Refuse (or again take) connections to the database ``name``, ending those it has."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not closed).lower()}')
            )
            if closed:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
    finally:
        admin.dispose()


@pytest.mark.postgres
def test_a_database_refusing_connections_is_a_503_to_retry(own_database):
    initialise(own_database)
    name = make_url(own_database).database
    assert name is not None
    with runtime_for_command(own_database) as runtime:
        _, token = runtime.keys.create("bank-system", Role.ADMIN)
        app = create_app(runtime.service, runtime.keys, runtime.audit)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            card_id = apply_card(client)
            closed(name, closed=True)
            try:
                refused = client.get(f"/v1/cards/{card_id}")
                said = problem(refused, 503, "database-unavailable")
                assert refused.headers["Retry-After"] == "2"
                assert "Idempotency-Key" in said["detail"]
                application = application_body()
                problem(client.post("/v1/cards", json=application), 503, "database-unavailable")
            finally:
                closed(name, closed=False)
            assert client.get(f"/v1/cards/{card_id}").status_code == 200
            assert client.post("/v1/cards", json=application).status_code == 201
