"""The adapters cannot decide differently: random appends give the same entries, tips,
heads, receipts, persons and errors on the in-memory ledger and on SQLite."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.append import Request
from ledger.entry import REFUSAL, TRANSITION, Entry
from ledger.errors import LedgerError
from ledger.memory import MemoryLedger
from ledger.sql import SqlLedger
from ledger.store import Ledger, Person
from tests.conftest import FakeClock
from tests.contract.helpers import draft

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
WINDOW = timedelta(days=1)
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


def request(call: Append) -> Request:
    return Request(
        [draft(**fields) for fields in call.drafts],  # type: ignore[arg-type]
        [Person(ref, f"id-{ref}", f"name {ref}", {}) for ref in call.persons],
        list(call.erase),
    )


def told(outcome: list[Entry] | LedgerError) -> object:
    """An outcome as compared: the entries, or the error's kind and words."""
    if isinstance(outcome, LedgerError):
        return (type(outcome).__name__, str(outcome))
    return outcome


def replay(ledger: Ledger, clock: FakeClock, calls: list[Append]) -> list[object]:
    """What each call gave, one append at a time, then the state."""
    said: list[object] = []
    for call in calls:
        clock.advance(seconds=call.later.total_seconds())
        asked = request(call)
        try:
            said.append(ledger.append(asked.drafts, persons=asked.persons, erase=asked.erase))
        except LedgerError as refused:
            said.append(told(refused))
    return said + state(ledger)


def state(ledger: Ledger) -> list[object]:
    said: list[object] = [ledger.tip()]
    said.append(list(ledger.heads()))
    said.append(list(ledger.scan()))
    said.append(list(ledger.tree_nodes()))
    said.append([ledger.person(ref) for ref in SUBJECTS])
    said.append([ledger.receipt(actor, key) for actor in ACTORS for key in ("k-1", "k-2")])
    said.append([ledger.holder(subject) for subject in SUBJECTS])
    return said


def sqlite_ledger(scratch: str, clock: FakeClock, name: str) -> SqlLedger:
    ledger = SqlLedger(f"sqlite:///{Path(scratch) / name}", clock=clock, receipt_window=WINDOW)
    ledger.create_schema()
    return ledger


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
        memory_clock, sql_clock = FakeClock(START), FakeClock(START)
        memory = MemoryLedger(clock=memory_clock, receipt_window=WINDOW)
        with tempfile.TemporaryDirectory() as scratch:
            sql = sqlite_ledger(scratch, sql_clock, "planner.db")
            try:
                assert replay(sql, sql_clock, calls) == replay(memory, memory_clock, calls)
            finally:
                sql.dispose()

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(calls=st.lists(appends, min_size=2, max_size=12))
    def test_many_at_once_are_each_as_if_alone(self, calls: list[Append]) -> None:
        """``append_many`` (the group-commit seam) gives each request the outcome it
        would have had appended alone, in order, at the same moment."""
        clock = FakeClock(START)
        requests = [request(call) for call in calls]
        alone = MemoryLedger(clock=clock, receipt_window=WINDOW)
        one_by_one: list[object] = []
        for asked in requests:
            try:
                one_by_one.append(
                    alone.append(asked.drafts, persons=asked.persons, erase=asked.erase)
                )
            except LedgerError as refused:
                one_by_one.append(told(refused))
        together = MemoryLedger(clock=clock, receipt_window=WINDOW)
        with tempfile.TemporaryDirectory() as scratch:
            sql = sqlite_ledger(scratch, clock, "many.db")
            try:
                on_sql = [told(outcome) for outcome in sql.append_many(requests)]
                in_memory = [told(outcome) for outcome in together.append_many(requests)]
                assert on_sql == in_memory == one_by_one
                assert state(sql) == state(together) == state(alone)
            finally:
                sql.dispose()
