"""The ledger's guarantees under concurrent writers, threads and processes, on SQL."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger.errors import VersionConflict
from ledger.sql import SqlLedger
from ledger.verify import verify
from tests.contract.helpers import CLERK, TO_COLLECTED, draft, open_card
from workflow.errors import StaleVersion, TransitionNotAllowed
from workflow.service import CardService, Step
from workflow.states import Channel, Event, State


@pytest.fixture
def url(database_url) -> str:
    ledger = SqlLedger(database_url)
    ledger.create_schema()
    ledger.dispose()
    return database_url


def in_threads(count: int, work) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released together; results or exceptions."""
    start = threading.Barrier(count)

    def run(i: int) -> object:
        start.wait()
        try:
            return work(i)
        except Exception as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def append_cards(url: str, writer: int, count: int) -> None:
    ledger = SqlLedger(url)
    try:
        for i in range(count):
            ledger.append([draft(f"w{writer}-{i}", 1)])
    finally:
        ledger.dispose()


def assert_gapless(url: str, total: int) -> None:
    ledger = SqlLedger(url)
    try:
        seqs = [entry.seq for entry in ledger.scan()]
        assert seqs == list(range(1, total + 1))
        report = verify(ledger)
        assert report.ok, report.problems
    finally:
        ledger.dispose()


class TestSchema:
    """Creating the schema from several processes at once is safe."""

    def test_concurrent_create(self, database_url):
        def create(_: int) -> None:
            ledger = SqlLedger(database_url)
            try:
                ledger.create_schema()
            finally:
                ledger.dispose()

        assert in_threads(4, create) == [None] * 4
        assert_gapless(database_url, 0)


class TestManyWriters:
    """Concurrent appends never fork, skip or repeat a sequence number."""

    def test_threads(self, url):
        results = in_threads(8, lambda writer: append_cards(url, writer, 25))
        assert results == [None] * 8
        assert_gapless(url, 200)

    def test_processes(self, url):
        context = multiprocessing.get_context("spawn")
        workers = [context.Process(target=append_cards, args=(url, w, 30)) for w in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert [worker.exitcode for worker in workers] == [0, 0, 0]
        assert_gapless(url, 90)


class TestOneCard:
    """Of many writers racing on one card, exactly one wins each version."""

    def test_ledger_level(self, url):
        first = SqlLedger(url)
        first.append([draft("card", 1)])
        first.dispose()

        def second_version(_: int) -> object:
            ledger = SqlLedger(url)
            try:
                return ledger.append([draft("card", 2)])
            finally:
                ledger.dispose()

        results = in_threads(10, second_version)
        assert sum(isinstance(r, list) for r in results) == 1
        assert sum(isinstance(r, VersionConflict) for r in results) == 9
        ledger = SqlLedger(url)
        assert ledger.head("card").version == 2
        ledger.dispose()

    def test_service_level(self, url):
        setup = SqlLedger(url)
        card_id = open_card(CardService(setup), steps=TO_COLLECTED[:2])
        setup.dispose()
        collect = Step(
            Event.COLLECT,
            Channel.CARD_CENTER,
            CLERK,
            evidence={"collection_notice": "acceptance_receipt", "valid_id": True},
        )

        def collect_it(_: int) -> object:
            ledger = SqlLedger(url)
            try:
                return CardService(ledger).transition(card_id, collect)
            finally:
                ledger.dispose()

        results = in_threads(10, collect_it)
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1
        assert all(isinstance(r, TransitionNotAllowed | StaleVersion) for r in losers), losers
        assert winners[0].state is State.COLLECTED


class TestFeed:
    """A follower of the feed sees every entry exactly once, in order, while writers write."""

    def test_never_skips(self, url):
        writers, per_writer = 4, 30
        total = writers * per_writer
        done = threading.Event()
        seen: list[int] = []

        def follow() -> None:
            ledger = SqlLedger(url)
            try:
                last = 0
                while len(seen) < total:
                    batch = ledger.entries_after(last, 7)
                    seen.extend(entry.seq for entry in batch)
                    if batch:
                        last = batch[-1].seq
                    elif done.is_set() and ledger.tip().size == last:
                        break
            finally:
                ledger.dispose()

        follower = threading.Thread(target=follow)
        follower.start()
        results = in_threads(writers, lambda w: append_cards(url, w, per_writer))
        done.set()
        follower.join(timeout=60)
        assert results == [None] * writers
        assert seen == list(range(1, total + 1))
