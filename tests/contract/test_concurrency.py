"""The ledger's guarantees under concurrent writers, threads and processes, on SQL."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, inspect

from ledger.entry import GENESIS_HASH, Entry
from ledger.errors import SchemaMismatch, VersionConflict
from ledger.merkle import Frontier, leaf_hash
from ledger.sql import SqlLedger, migrate
from ledger.store import Tip
from ledger.verify import verify
from tests.contract.helpers import CLERK, TO_COLLECTED, draft, open_card
from tests.migrations import with_second_revision
from workflow.errors import StaleVersion, TransitionNotAllowed
from workflow.service import Actor, CardService, Step
from workflow.states import Channel, ErasureReason, Event, Role, State

ADMIN = Actor("admin-zhou", Role.ADMIN)
CANCEL = Step(
    Event.CANCEL,
    Channel.CARD_CENTER,
    CLERK,
    evidence={"cancellation_reason": "death", "cancellation_proof": True},
)
DEADLINE = 60.0
"""Seconds a waiting test allows before it calls a stuck writer a failure."""


@pytest.fixture
def url(database_url) -> str:
    """A database whose schema exists before any writer starts."""
    ledger = SqlLedger(database_url)
    ledger.create_schema()
    ledger.dispose()
    return database_url


def in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released together; each one's result or error."""
    start = threading.Barrier(count)

    def run(i: int) -> object:
        start.wait(timeout=DEADLINE)
        try:
            return work(i)
        except Exception as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def with_ledger(url: str, work: Callable[[SqlLedger], object]) -> object:
    """``work`` on a ledger of its own, as a separate application instance would have."""
    ledger = SqlLedger(url)
    try:
        return work(ledger)
    finally:
        ledger.dispose()


def append_cards(url: str, writer: int, count: int) -> list[int]:
    """Open ``count`` cards of this writer's own, one append each; the seqs it was given."""
    ledger = SqlLedger(url)
    try:
        return [ledger.append([draft(f"w{writer}-{i}", 1)])[0].seq for i in range(count)]
    finally:
        ledger.dispose()


def assert_whole(url: str, total: int) -> None:
    """Exactly ``total`` entries, numbered 1 to ``total``, a chain that verifies, and one
    Merkle tree over them: every leaf an entry's, in order, and the recorded root theirs."""
    ledger = SqlLedger(url)
    try:
        entries = [entry for entry in ledger.scan() if isinstance(entry, Entry)]
        seqs = [entry.seq for entry in entries]
        assert len(seqs) == total
        assert len(set(seqs)) == total
        assert seqs == list(range(1, total + 1))
        assert ledger.tip().size == total
        frontier = Frontier()
        for entry in entries:
            frontier, _ = frontier.append(leaf_hash(entry.encode()))
            assert ledger.tree_node(0, entry.seq - 1) == leaf_hash(entry.encode())
        assert ledger.tip().root == frontier.root().hex()
        report = verify(ledger)
        assert report.ok, report.problems
        assert report.entries == total
    finally:
        ledger.dispose()


class TestSchema:
    """Creating the schema from several writers at once is safe."""

    def test_concurrent_create_on_an_empty_database(self, database_url):
        results = in_threads(6, lambda _: with_ledger(database_url, SqlLedger.create_schema))
        assert results == [None] * 6
        ledger = SqlLedger(database_url)
        try:
            assert ledger.tip() == Tip(0, GENESIS_HASH)
            ledger.append([draft("a", 1)])
        finally:
            ledger.dispose()
        assert_whole(database_url, 1)

    def test_concurrent_create_beside_writers(self, url):
        def create_or_write(i: int) -> object:
            if i % 2:
                return with_ledger(url, SqlLedger.create_schema)
            return append_cards(url, i, 5)

        results = in_threads(6, create_or_write)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert_whole(url, 15)


class TestSchemaGrows:
    """A database made before an index was added gets it by the revision that adds it:
    the next start refuses it, saying what to run, and ``upgrade_schema`` makes it."""

    def test_a_missing_index_is_made_by_its_revision(self, url, tmp_path, monkeypatch):
        try:
            with_second_revision(tmp_path, monkeypatch)  # 0002 adds ledger_tip_size
            with pytest.raises(SchemaMismatch, match="run `cardflow db upgrade`"):
                with_ledger(url, SqlLedger.create_schema)
            assert "ledger_tip_size" not in indexes_of(url, "ledger_tip")
            with_ledger(url, SqlLedger.upgrade_schema)
            with_ledger(url, SqlLedger.create_schema)
        finally:
            migrate.scripts.cache_clear()
        assert "ledger_tip_size" in indexes_of(url, "ledger_tip")


def indexes_of(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {str(index["name"]) for index in inspect(conn).get_indexes(table)}
    finally:
        engine.dispose()


class TestManyWriters:
    """Concurrent appends never fork, skip or repeat a sequence number."""

    def test_threads_on_distinct_cards(self, url):
        results = in_threads(8, lambda writer: append_cards(url, writer, 25))
        assert not [r for r in results if isinstance(r, Exception)], results
        assert all(seqs == sorted(seqs) for seqs in results)
        assert sorted(seq for seqs in results for seq in seqs) == list(range(1, 201))
        assert_whole(url, 200)

    def test_a_batch_stays_together(self, url):
        def batches(writer: int) -> list[list[int]]:
            ledger = SqlLedger(url)
            try:
                return [
                    [
                        entry.seq
                        for entry in ledger.append(
                            [draft(f"w{writer}-{i}-{j}", 1) for j in range(3)]
                        )
                    ]
                    for i in range(10)
                ]
            finally:
                ledger.dispose()

        results = in_threads(6, batches)
        assert not [r for r in results if isinstance(r, Exception)], results
        for writer in results:
            for first, *rest in writer:
                assert rest == [first + 1, first + 2]
        assert_whole(url, 180)

    def test_processes(self, url):
        context = multiprocessing.get_context("spawn")
        workers = [context.Process(target=append_cards, args=(url, w, 30)) for w in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=DEADLINE)
        assert [worker.exitcode for worker in workers] == [0, 0, 0]
        assert_whole(url, 90)


class TestOneCard:
    """Of many writers racing on one card, exactly one wins."""

    def test_ledger_level(self, url):
        with_ledger(url, lambda ledger: ledger.append([draft("card", 1)]))
        results = in_threads(
            12, lambda _: with_ledger(url, lambda ledger: ledger.append([draft("card", 2)]))
        )
        winners = [r for r in results if isinstance(r, list)]
        losers = [r for r in results if not isinstance(r, list)]
        assert len(winners) == 1
        assert all(isinstance(r, VersionConflict) for r in losers), losers
        assert {(r.card_id, r.expected, r.actual) for r in losers} == {("card", 1, 2)}
        ledger = SqlLedger(url)
        try:
            assert ledger.head("card").version == 2
            assert [e.version for e in ledger.entries_for("card")] == [1, 2]
        finally:
            ledger.dispose()
        assert_whole(url, 2)

    def test_service_level(self, url):
        card_id = with_ledger(
            url, lambda ledger: open_card(CardService(ledger), steps=TO_COLLECTED[:2])
        )
        collect = Step(
            Event.COLLECT,
            Channel.CARD_CENTER,
            CLERK,
            evidence={"collection_notice": "acceptance_receipt", "valid_id": True},
        )
        results = in_threads(
            10,
            lambda _: with_ledger(
                url, lambda ledger: CardService(ledger).transition(card_id, collect)
            ),
        )
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1
        assert all(isinstance(r, TransitionNotAllowed | StaleVersion) for r in losers), losers
        assert (winners[0].state, winners[0].version) == (State.COLLECTED, 4)

        ledger = SqlLedger(url)
        try:
            head = ledger.head(card_id)
            assert (head.state, head.version) == ("collected", 4)
            entries = ledger.entries_for(card_id)
            assert [e.event for e in entries if e.moves] == [
                "apply",
                "review",
                "produce",
                "collect",
            ]
            refused = [e for e in entries if not e.moves]
            assert len(refused) == 9
            assert {(e.event, e.version, e.to_state) for e in refused} == {
                ("collect", 4, "collected")
            }
            report = verify(ledger)
            assert report.ok, report.problems
        finally:
            ledger.dispose()


class TestVerifyWhileWriting:
    """A check of a live ledger takes what was appended after it began for no damage."""

    def test_no_false_alarm(self, url):
        writers, per_writer = 3, 40
        append_cards(url, 99, 30)
        reports = []
        done = threading.Event()

        def check() -> None:
            ledger = SqlLedger(url)
            try:
                while not done.is_set():
                    reports.append(verify(ledger))
            finally:
                ledger.dispose()

        checker = threading.Thread(target=check)
        checker.start()
        results = in_threads(writers, lambda w: append_cards(url, w, per_writer))
        done.set()
        checker.join(timeout=DEADLINE)
        assert not checker.is_alive()
        assert not [r for r in results if isinstance(r, Exception)], results
        assert reports
        assert [r.problems for r in reports if not r.ok] == []
        assert_whole(url, 30 + writers * per_writer)


class TestErasures:
    """Erasures of one person at once: one notes it on the card, the others write nothing."""

    def test_one_of_four_writes(self, url):
        ledger = SqlLedger(url)
        service = CardService(ledger)
        card = open_card(service, ())
        service.transition(card, CANCEL)
        ledger.dispose()
        subject = with_ledger(url, lambda mine: mine.head(card).subject)

        def erase(_: int) -> object:
            return with_ledger(
                url,
                lambda mine: CardService(mine).erase_person(
                    ADMIN, ErasureReason.DEATH, subject=subject
                ),
            )

        done = in_threads(4, erase)
        assert not [r for r in done if isinstance(r, Exception)], done
        assert sorted(len(r.entries) for r in done) == [0, 0, 0, 1]  # type: ignore[attr-defined]
        ledger = SqlLedger(url)
        try:
            assert [e.kind for e in ledger.entries_for(card)] == ["transition"] * 2 + ["erasure"]
            assert verify(ledger).ok
        finally:
            ledger.dispose()


class TestFeed:
    """A follower of the feed sees every entry exactly once, in order, while writers write."""

    def test_never_skips(self, url):
        writers, per_writer = 4, 40
        total = writers * per_writer
        seen: list[int] = []

        def follow() -> None:
            ledger = SqlLedger(url)
            try:
                last, give_up = 0, time.monotonic() + DEADLINE
                while last < total and time.monotonic() < give_up:
                    batch = ledger.entries_after(last, 50)
                    seen.extend(entry.seq for entry in batch)
                    if batch:
                        last = batch[-1].seq
            finally:
                ledger.dispose()

        follower = threading.Thread(target=follow)
        follower.start()
        results = in_threads(writers, lambda w: append_cards(url, w, per_writer))
        follower.join(timeout=DEADLINE)
        assert not follower.is_alive()
        assert not [r for r in results if isinstance(r, Exception)], results
        assert seen == list(range(1, total + 1))


def test_sweeps_at_once_take_each_step_once(url, clock) -> None:
    """Four sweeps, each with a ledger of its own, over cards whose deadline has passed:
    every card moves once, whichever sweep moves it."""
    ledger = SqlLedger(url, clock=clock)
    service = CardService(ledger, clock=clock)
    cards = {open_card(service) for _ in range(30)}
    clock.advance(days=301)

    def sweep(_: int) -> object:
        return with_ledger(url, lambda mine: CardService(mine, clock=clock).sweep())

    reports = in_threads(4, sweep)
    assert not [r for r in reports if isinstance(r, Exception)], reports
    swept = [done.card_id for report in reports for done in report.swept]  # type: ignore[attr-defined]
    assert sorted(swept) == sorted(cards)
    for report in reports:
        seen = len(report.swept) + report.done_elsewhere + report.moved_on  # type: ignore[attr-defined]
        assert seen <= len(cards)
    assert {service.card(card).state for card in cards} == {State.REPORTED_LOST}
    assert verify(ledger).ok
    ledger.dispose()
