"""Fixtures every test layer shares: a settable clock and a ledger on each backend.

PostgreSQL tests run when a server answers at ``CARDFLOW_TEST_POSTGRES_URL`` (default:
the local trust-auth server, database ``test``); each test gets a schema of its own.
Set ``CARDFLOW_REQUIRE_POSTGRES=1`` (CI does) to make an unreachable server a failure
instead of a skip.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Final
from urllib.parse import quote

import pytest
import structlog
from sqlalchemy import create_engine, text

from api.config import DEFAULT_LOG_NAME
from ledger.audit import Audit
from ledger.memory import MemoryLedger
from ledger.note import Signer
from ledger.sql import SqlLedger, normalise_url
from ledger.store import Ledger
from workflow.service import CardService

SIGNER: Final = Signer.generate("cardflow.test/ledger")
"""The key the tests' ledgers sign their checkpoints with."""

POSTGRES_URL = normalise_url(
    os.environ.get("CARDFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@cache
def postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return False
    return True


def require_postgres() -> None:
    if postgres_reachable():
        return
    if os.environ.get("CARDFLOW_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required but not reachable at {POSTGRES_URL}")
    pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    require_postgres()
    schema = f"cardflow_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cardflow.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Each SQL backend in turn."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
def _person_key_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The person key every test runs with, and the log key beside it, made once: as
    ``cardflow init`` would, since no other command makes a key."""
    folder = tmp_path_factory.mktemp("keys")
    (folder / "cardflow.person-key").write_text(secrets.token_hex(32) + "\n")
    (folder / "log-key").write_text(f"{Signer.generate(DEFAULT_LOG_NAME)}\n")
    return str(folder / "cardflow.person-key")


@pytest.fixture(autouse=True)
def _person_key(_person_key_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command a test runs, in process or not, keeps its person key and its log
    key in temporary files, never in the checkout."""
    monkeypatch.setenv("CARDFLOW_PERSON_KEY_FILE", _person_key_file)
    monkeypatch.setenv("CARDFLOW_LOG_KEY_FILE", str(Path(_person_key_file).with_name("log-key")))


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    """Start and leave each test with structlog's defaults: logs are asserted on, and a
    command run in-process (or ``app_from_environment``) configures it for production."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request, clock) -> Iterator[Ledger]:
    """The ledger port on every adapter: the contract suite runs against each."""
    if request.param == "memory":
        yield MemoryLedger(clock=clock)
        return
    store = SqlLedger(request.getfixturevalue(f"{request.param}_url"), clock=clock)
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture
def service(ledger, clock) -> CardService:
    return CardService(ledger, clock=clock)


@pytest.fixture
def audit(ledger, clock) -> Audit:
    return Audit(ledger, clock=clock, signer=SIGNER)
