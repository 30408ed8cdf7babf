"""Group commit on SQL: threads of one process appending at once share transactions,
and every guarantee of a single append holds for each of them."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event

from ledger.append import Request
from ledger.entry import Entry
from ledger.errors import CacheDisagrees, DuplicateRequest, VersionConflict
from ledger.sql import SqlLedger
from tests.contract.helpers import as_administrator, draft
from tests.contract.test_concurrency import assert_whole, in_threads

WRITERS = 16


@pytest.fixture
def ledger(database_url):
    ledger = SqlLedger(database_url)
    ledger.create_schema()
    yield ledger
    ledger.dispose()


class Commits:
    """Counts the commits on an engine; the first one held back for ``hold`` seconds, so
    that the writers released beside it are all waiting when it ends."""

    def __init__(self, ledger: SqlLedger, hold: float = 0.3) -> None:
        self.count = 0
        self._hold = hold
        self._lock = threading.Lock()
        event.listen(ledger.engine, "commit", self._commit)

    def _commit(self, *_: Any) -> None:
        with self._lock:
            self.count += 1
            first = self.count == 1
        if first:
            time.sleep(self._hold)


def test_concurrent_appends_share_commits_and_stay_whole(ledger, database_url):
    commits = Commits(ledger)
    results = in_threads(WRITERS, lambda i: ledger.append([draft(f"g{i}", 1)]))
    assert all(isinstance(r, list) and len(r) == 1 for r in results), results
    assert commits.count < WRITERS  # some of them committed together
    assert sorted(r[0].seq for r in results) == list(range(1, WRITERS + 1))
    assert {r[0].card_id for r in results} == {f"g{i}" for i in range(WRITERS)}
    assert_whole(database_url, WRITERS)


def test_one_winner_per_card_version_within_a_batch(ledger, database_url):
    ledger.append([draft("card", 1)])
    Commits(ledger)
    results = in_threads(WRITERS, lambda _: ledger.append([draft("card", 2)]))
    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if not isinstance(r, list)]
    assert len(winners) == 1
    assert all(isinstance(r, VersionConflict) for r in losers), losers
    assert ledger.head("card").version == 2
    assert_whole(database_url, 2)


def test_a_key_repeated_across_a_batch_is_answered_from_the_first(ledger, database_url):
    Commits(ledger)
    results = in_threads(
        WRITERS, lambda i: ledger.append([draft(f"k{i}", 1, idempotency_key="same")])
    )
    written = [r for r in results if isinstance(r, list)]
    repeated = [r for r in results if isinstance(r, DuplicateRequest)]
    assert len(written) == 1, results
    assert len(repeated) == WRITERS - 1, results
    (first,) = written[0]
    assert {r.receipt.seq for r in repeated} == {first.seq}
    assert_whole(database_url, 1)


def test_a_request_that_fails_before_the_commit_fails_alone(ledger, database_url):
    """A cache edited under one card refuses that card's append, not its batch-mates'."""
    ledger.append([draft("edited", 1)])
    as_administrator(database_url, "UPDATE ledger_heads SET state = 'activated'")
    commits = Commits(ledger)

    def append(i: int) -> list[Entry]:
        card = "edited" if i == 0 else f"fine{i}"
        return ledger.append([draft(card, 2 if i == 0 else 1)])

    results = in_threads(8, append)
    assert isinstance(results[0], CacheDisagrees), results[0]
    assert all(isinstance(r, list) for r in results[1:]), results
    assert commits.count >= 1
    assert ledger.tip().size == 8  # the edited card's one entry and seven new cards
    assert ledger.head("edited").version == 1


def test_append_many_raises_the_failure_itself(ledger, database_url):
    """A whole batch refused before its commit says why in the ledger's own error."""
    ledger.append([draft("edited", 1)])
    as_administrator(database_url, "UPDATE ledger_heads SET state = 'activated'")
    with pytest.raises(CacheDisagrees):
        ledger.append_many([Request([draft("edited", 2)])])
    assert ledger.tip().size == 1
