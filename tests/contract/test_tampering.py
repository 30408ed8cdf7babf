"""A database administrator tampering with the stored ledger, and verify catching it."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError

from ledger.sql import SqlLedger
from ledger.verify import verify
from tests.contract.helpers import ACTIVATE, TO_COLLECTED, open_card
from workflow.service import CardService


def populate(url: str, clock) -> str:
    """Three cards, eleven entries: seq 1-2, 3-7 (activated), 8-11 (collected)."""
    ledger = SqlLedger(url, clock=clock)
    ledger.create_schema()
    service = CardService(ledger, clock=clock)
    open_card(service, steps=TO_COLLECTED[:1])
    open_card(service, steps=(*TO_COLLECTED, ACTIVATE))
    open_card(service, steps=TO_COLLECTED)
    assert verify(ledger).ok
    ledger.dispose()
    return url


@pytest.fixture
def stored(database_url, clock) -> str:
    return populate(database_url, clock)


@pytest.fixture
def stored_sqlite(sqlite_url, clock) -> str:
    return populate(sqlite_url, clock)


@pytest.fixture
def stored_postgres(postgres_url, clock) -> str:
    return populate(postgres_url, clock)


def run(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def drop_triggers(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER ledger_entries_no_update"))
        conn.execute(text("DROP TRIGGER ledger_entries_no_delete"))
    else:
        conn.execute(text("DROP TRIGGER ledger_entries_no_change ON ledger_entries"))
        conn.execute(text("DROP TRIGGER ledger_entries_no_truncate ON ledger_entries"))


def as_administrator(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            drop_triggers(conn)
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def report_for(url: str):
    ledger = SqlLedger(url)
    try:
        return verify(ledger)
    finally:
        ledger.dispose()


class TestTriggers:
    """The database itself refuses to change or remove a ledger entry."""

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 2",
            "DELETE FROM ledger_entries WHERE seq = 11",
            "DELETE FROM ledger_entries",
        ],
        ids=["update", "delete-one", "delete-all"],
    )
    def test_refused(self, stored, statement):
        with pytest.raises(DBAPIError, match="append-only"):
            run(stored, statement)
        assert report_for(stored).ok
        assert report_for(stored).entries == 11

    @pytest.mark.postgres
    def test_truncate_refused_on_postgres(self, stored_postgres):
        with pytest.raises(DBAPIError, match="append-only"):
            run(stored_postgres, "TRUNCATE ledger_entries")
        assert report_for(stored_postgres).entries == 11


SWAP_4_AND_5 = (
    "UPDATE ledger_entries SET seq = 1000 WHERE seq = 4",
    "UPDATE ledger_entries SET seq = 4 WHERE seq = 5",
    "UPDATE ledger_entries SET seq = 5 WHERE seq = 1000",
)

TAMPERING: dict[str, tuple[tuple[str, ...], int, str]] = {
    "evidence edited": (
        ("UPDATE ledger_entries SET evidence = '{\"information_checked\": false}' WHERE seq = 2",),
        2,
        "entry 2 was altered",
    ),
    "state edited": (
        ("UPDATE ledger_entries SET to_state = 'activated' WHERE seq = 6",),
        6,
        "entry 6 was altered",
    ),
    "channel edited": (
        ("UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 7",),
        7,
        "entry 7 was altered",
    ),
    "timestamp edited": (
        ("UPDATE ledger_entries SET occurred_at = '2020-01-01 00:00:00' WHERE seq = 9",),
        9,
        "entry 9 was altered",
    ),
    "middle entry deleted": (
        ("DELETE FROM ledger_entries WHERE seq = 5",),
        5,
        "entry 5 is missing",
    ),
    "entries reordered": (SWAP_4_AND_5, 4, "entry 4 was altered"),
    "tail truncated": (
        ("DELETE FROM ledger_entries WHERE seq = 11",),
        11,
        "tail was removed",
    ),
    "head edited": (
        ("UPDATE ledger_heads SET state = 'activated' WHERE last_seq = 11",),
        11,
        "its entries say collected",
    ),
}


class TestTamperingIsCaught:
    """Whatever an administrator does to the rows, verify names the first bad entry."""

    @pytest.mark.parametrize("how", list(TAMPERING))
    def test_caught(self, stored, how):
        statements, first_bad, words = TAMPERING[how]
        as_administrator(stored, *statements)
        report = report_for(stored)
        assert not report.ok
        assert report.first_bad_seq == first_bad
        assert any(words in problem.what for problem in report.problems), report.problems

    @pytest.mark.parametrize(
        ("column", "garbage"),
        [("evidence", "not json"), ("occurred_at", "yesterday-ish")],
    )
    def test_unreadable_cells_on_sqlite(self, stored_sqlite, column, garbage):
        """SQLite types nothing, so a cell can hold anything; PostgreSQL refuses such edits."""
        as_administrator(
            stored_sqlite, f"UPDATE ledger_entries SET {column} = '{garbage}' WHERE seq = 3"
        )
        report = report_for(stored_sqlite)
        assert report.first_bad_seq == 3
        assert "entry 3 cannot be read" in report.problems[0].what
