"""The adapters cannot decide differently: random appends give the same entries, tips,
heads, receipts, persons and errors on the in-memory ledger and on SQLite."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.entry import REFUSAL, TRANSITION, Entry
from ledger.errors import LedgerError
from ledger.memory import MemoryLedger
from ledger.sql import SqlLedger
from ledger.store import Ledger, Person
from tests.conftest import FakeClock
from tests.contract.helpers import draft

CARDS = ("a", "b", "c")
SUBJECTS = ("s-1", "s-2")
ACTORS = ("clerk-1", "clerk-2")


@dataclass(frozen=True)
class Append:
    """One random call of ``Ledger.append``, and how long after the last one it came."""

    drafts: tuple[dict[str, object], ...]
    persons: tuple[str, ...]
    erase: tuple[str, ...]
    later: timedelta


drafts = st.fixed_dictionaries(
    {
        "card_id": st.sampled_from(CARDS),
        "version": st.sampled_from((1, 1, 1, 2, 2, 3, 0)),
        "kind": st.sampled_from((TRANSITION, TRANSITION, REFUSAL)),
        "subject": st.sampled_from(SUBJECTS),
        "exclusive": st.sampled_from((True, True, False)),
        "actor": st.sampled_from(ACTORS),
        "idempotency_key": st.sampled_from((None, None, "k-1", "k-2")),
    }
)
appends = st.builds(
    Append,
    drafts=st.lists(drafts, max_size=3).map(tuple),
    persons=st.lists(st.sampled_from(SUBJECTS), max_size=2).map(tuple),
    erase=st.lists(st.sampled_from(SUBJECTS), max_size=1).map(tuple),
    later=st.sampled_from((timedelta(0), timedelta(hours=13))),
)


def replay(ledger: Ledger, clock: FakeClock, calls: list[Append]) -> list[object]:
    """What each call gave (its entries, or its error's kind and words), then the state."""
    said: list[object] = []
    for call in calls:
        clock.advance(seconds=call.later.total_seconds())
        try:
            entries: list[Entry] | tuple[str, str] = ledger.append(
                [draft(**fields) for fields in call.drafts],  # type: ignore[arg-type]
                persons=[Person(ref, f"id-{ref}", f"name {ref}", {}) for ref in call.persons],
                erase=list(call.erase),
            )
        except LedgerError as refused:
            entries = (type(refused).__name__, str(refused))
        said.append(entries)
    said.append(ledger.tip())
    said.append(list(ledger.heads()))
    said.append(list(ledger.scan()))
    said.append(list(ledger.tree_nodes()))
    said.append([ledger.person(ref) for ref in SUBJECTS])
    said.append([ledger.receipt(actor, key) for actor in ACTORS for key in ("k-1", "k-2")])
    said.append([ledger.holder(subject) for subject in SUBJECTS])
    return said


class TestOnePlanner:
    """Memory and SQLite, given the same appends, agree on everything."""

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(calls=st.lists(appends, min_size=2, max_size=12))
    def test_the_same_appends_give_the_same_ledger(self, calls: list[Append]) -> None:
        start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        window = timedelta(days=1)
        memory_clock, sql_clock = FakeClock(start), FakeClock(start)
        memory = MemoryLedger(clock=memory_clock, receipt_window=window)
        with tempfile.TemporaryDirectory() as scratch:
            sql = SqlLedger(
                f"sqlite:///{Path(scratch) / 'planner.db'}", clock=sql_clock, receipt_window=window
            )
            sql.create_schema()
            try:
                assert replay(sql, sql_clock, calls) == replay(memory, memory_clock, calls)
            finally:
                sql.dispose()
