"""The witnesses' cosignatures kept by every adapter: the first of each witness and size
stands, and on SQL the table is append-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from ledger.sql import SqlLedger
from ledger.store import KeptCosignature

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def kept(witness: str, size: int, line: str = "line") -> KeptCosignature:
    return KeptCosignature(witness, size, f"\u2014 {witness} {line}", AT)


class TestKeepingCosignatures:
    """What a witness cosigned is read back by size, and its largest size by witness."""

    def test_read_back_by_size(self, ledger):
        for witness, size in (("w2", 5), ("w1", 5), ("w1", 9)):
            ledger.keep_cosignature(kept(witness, size))
        assert [c.witness for c in ledger.cosignatures(5)] == ["w1", "w2"]
        assert ledger.cosignatures(9) == [kept("w1", 9)]
        assert ledger.cosignatures(7) == []

    def test_the_first_of_a_witness_and_size_stands(self, ledger):
        ledger.keep_cosignature(kept("w1", 5, "first"))
        ledger.keep_cosignature(kept("w1", 5, "second"))
        assert [c.line for c in ledger.cosignatures(5)] == ["\u2014 w1 first"]

    def test_each_witness_s_largest(self, ledger):
        assert ledger.last_cosigned() == {}
        for witness, size in (("w1", 5), ("w1", 9), ("w2", 5)):
            ledger.keep_cosignature(kept(witness, size))
        assert ledger.last_cosigned() == {"w1": 9, "w2": 5}


@pytest.mark.parametrize(
    "statement", ["UPDATE ledger_cosignatures SET line = 'x'", "DELETE FROM ledger_cosignatures"]
)
def test_the_table_is_append_only(database_url, statement):
    ledger = SqlLedger(database_url)
    ledger.create_schema()
    ledger.keep_cosignature(kept("w1", 5))
    ledger.dispose()
    engine = create_engine(database_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
