"""The entries checked alone, in one process or in workers a range at a time: the same
items in the same order, so the whole check cannot find different things."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

import ledger.leaves
from ledger.leaves import Ranged, check, scanned
from ledger.sql import SqlLedger
from ledger.verify import verify
from tests.contract.helpers import as_administrator
from tests.contract.test_tampering import SIZE, populate


class Counting(ProcessPoolExecutor):
    """A pool that counts the ranges given it."""

    submitted = 0

    def submit(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        Counting.submitted += 1
        return super().submit(*args, **kwargs)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> type[Counting]:
    Counting.submitted = 0
    monkeypatch.setattr(ledger.leaves, "ProcessPoolExecutor", Counting)
    return Counting


class TestScanned:
    """Workers read and check ranges of the entries; what they give is what one process
    gives, in ``seq`` order."""

    def test_the_same_items_from_the_workers(self, database_url, clock, counted) -> None:
        url = populate(database_url, clock)
        as_administrator(
            url,
            "UPDATE ledger_entries SET actor = 'someone else' WHERE seq = 5",
            "UPDATE ledger_entries SET evidence = '[1]' WHERE seq = 9",
        )
        store = SqlLedger(url)
        try:
            assert isinstance(store, Ranged)
            alone = [check(item) for item in store.scan()]
            shared = list(scanned(store, size=SIZE, jobs=2, chunk=5))
        finally:
            store.dispose()
        assert counted.submitted == 3  # (..5], (5, 10], (10, 12]
        assert shared == alone
        assert [getattr(item, "altered", None) for item in alone] == [
            None if seq == 9 else seq == 5 for seq in range(1, SIZE + 1)
        ]

    def test_one_range_is_checked_here(self, sqlite_url, clock, counted) -> None:
        url = populate(sqlite_url, clock)
        store = SqlLedger(url)
        try:
            assert list(scanned(store, size=SIZE, jobs=2, chunk=SIZE)) == list(
                map(check, store.scan())
            )
        finally:
            store.dispose()
        assert counted.submitted == 0

    def test_entries_past_the_tip_are_read_too(self, sqlite_url, clock) -> None:
        url = populate(sqlite_url, clock)
        store = SqlLedger(url)
        try:
            items = list(scanned(store, size=SIZE - 4, jobs=2, chunk=3))
            report = verify(store, jobs=2, chunk=3)
        finally:
            store.dispose()
        assert [getattr(item, "entry", item).seq for item in items] == list(range(1, SIZE + 1))
        assert report.ok, report.problems
