"""A database administrator tampering with the stored ledger, and verify catching it.

The ledger is filled through the use cases, so the rows are what a real card center
would hold. Every entry's place in it is fixed (see ``LAYOUT``), so each case can name
the exact entry verify must point at.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from ledger.binding import AnyOf
from ledger.checkpoints import CheckpointRefused, sign_checkpoint
from ledger.entry import REFUSAL, Draft, Entry
from ledger.errors import CacheDisagrees
from ledger.note import Checkpoint, Signer, open_note
from ledger.proofs import node_source, root_at
from ledger.sql import SqlLedger, entries_table
from ledger.verify import Report, verify
from tests.conftest import SIGNER
from tests.contract.helpers import (
    ACTIVATE,
    APPLICATION,
    CLERK,
    TO_COLLECTED,
    as_administrator,
    draft,
    rewrite,
    run,
)
from tests.people import citizen_id
from workflow.errors import TransitionNotAllowed
from workflow.service import Applicant, CardService, Step
from workflow.states import Channel, Event

START = datetime(2026, 3, 2, 9, 30, 0, 250000, tzinfo=UTC)
"""The first entry's recorded time; each later step happens one minute after the one before."""

LAYOUT = (
    ("A", "apply"),  # 1
    ("A", "review"),  # 2
    ("B", "apply"),  # 3
    ("B", "review"),  # 4
    ("B", "produce"),  # 5
    ("B", "collect"),  # 6
    ("B", "activate"),  # 7
    ("A", "collect refused"),  # 8: card A is only reviewed
    ("C", "apply"),  # 9
    ("C", "review"),  # 10
    ("C", "produce"),  # 11
    ("C", "collect"),  # 12
)
SIZE = len(LAYOUT)


def recorded_at(seq: int) -> datetime:
    return START + timedelta(minutes=seq - 1)


def populate(url: str, clock) -> str:
    """Three cards through several steps and one refused attempt, as ``LAYOUT`` shows."""
    clock.now = START - timedelta(minutes=1)
    ledger = SqlLedger(url, clock=clock)
    ledger.create_schema()
    service = CardService(ledger, clock=clock)

    def step(event: Event, channel: Channel, evidence: dict[str, object]) -> Step:
        clock.advance(minutes=1)
        return Step(event, channel, CLERK, evidence=evidence)

    def open_card(steps) -> str:
        card = service.apply(
            Applicant("李雷", citizen_id()), step(Event.APPLY, Channel.CARD_CENTER, APPLICATION)
        )
        for event, channel, evidence in steps:
            service.transition(card.card_id, step(event, channel, evidence))
        return card.card_id

    a = open_card(TO_COLLECTED[:1])
    b = open_card((*TO_COLLECTED, ACTIVATE))
    with pytest.raises(TransitionNotAllowed):
        service.transition(a, step(*TO_COLLECTED[2]))
    c = open_card(TO_COLLECTED)

    cards = {a: "A", b: "B", c: "C"}
    entries = list(ledger.scan())
    assert [
        (cards[e.card_id], e.event if e.moves else f"{e.event} refused") for e in entries
    ] == list(LAYOUT)
    assert [e.recorded_at for e in entries] == [recorded_at(seq) for seq in range(1, SIZE + 1)]
    assert entries[7].kind == REFUSAL
    report = verify(ledger)
    assert report.ok, report.problems
    ledger.dispose()
    return url


@pytest.fixture
def stored(database_url, clock) -> str:
    """A populated ledger on SQLite and on PostgreSQL."""
    return populate(database_url, clock)


@pytest.fixture
def stored_sqlite(sqlite_url, clock) -> str:
    return populate(sqlite_url, clock)


def both_ways(ledger: SqlLedger, **given: Any) -> Report:
    """The report of one process, once the report of two workers checking three entries
    at a time (four ranges of the twelve) has been found to be the very same."""
    alone = verify(ledger, **given)
    assert verify(ledger, jobs=2, chunk=3, **given) == alone
    return alone


def report_for(url: str) -> Report:
    ledger = SqlLedger(url)
    try:
        return both_ways(ledger)
    finally:
        ledger.dispose()


def stored_state(url: str) -> tuple[object, ...]:
    ledger = SqlLedger(url)
    try:
        return ledger.tip(), list(ledger.heads()), list(ledger.scan())
    finally:
        ledger.dispose()


def assert_caught(report: Report, first_bad: int, words: str) -> None:
    assert not report.ok
    assert report.first_bad_seq == first_bad, report.problems
    assert any(words in problem.what for problem in report.problems), report.problems


class TestTriggers:
    """The database itself refuses to change or remove a ledger entry."""

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 2",
            "UPDATE ledger_entries SET evidence = '{}'",
            "DELETE FROM ledger_entries WHERE seq = 12",
            "DELETE FROM ledger_entries",
            f"UPDATE ledger_tree SET hash = '{'0' * 64}' WHERE level = 0 AND idx = 1",
            "DELETE FROM ledger_tree WHERE level = 2",
        ],
        ids=["update-one", "update-all", "delete-one", "delete-all", "tree-edit", "tree-delete"],
    )
    def test_refused(self, stored, statement):
        before = stored_state(stored)
        with pytest.raises(DBAPIError, match="append-only"):
            run(stored, statement)
        assert stored_state(stored) == before
        report = report_for(stored)
        assert report.ok, report.problems
        assert report.entries == SIZE

    def test_truncate_refused(self, stored):
        """SQLite has no TRUNCATE: an unqualified DELETE is its truncate, refused above."""
        truncate = (
            "TRUNCATE ledger_entries"
            if stored.startswith("postgresql")
            else "DELETE FROM ledger_entries WHERE 1"
        )
        before = stored_state(stored)
        with pytest.raises(DBAPIError, match="append-only"):
            run(stored, truncate)
        assert stored_state(stored) == before


SWAP_4_AND_5 = (
    "UPDATE ledger_entries SET seq = 1000 WHERE seq = 4",
    "UPDATE ledger_entries SET seq = 4 WHERE seq = 5",
    "UPDATE ledger_entries SET seq = 5 WHERE seq = 1000",
)
LATER = (recorded_at(9) + timedelta(microseconds=1)).isoformat(sep=" ")

TAMPERING = [
    pytest.param(
        (f"UPDATE ledger_tree SET hash = '{'0' * 64}' WHERE level = 0 AND idx = 2",),
        3,
        "entry 3 is not the leaf the Merkle tree holds",
        id="tree-leaf-edited",
    ),
    pytest.param(
        (f"UPDATE ledger_tip SET root = '{'0' * 64}'",),
        None,
        f"the Merkle root recorded for {SIZE} entries is not theirs",
        id="tree-root-edited",
    ),
    pytest.param(
        ("UPDATE ledger_entries SET evidence = '{\"information_checked\": false}' WHERE seq = 2",),
        2,
        "entry 2 was altered",
        id="evidence-edited",
    ),
    pytest.param(
        ("UPDATE ledger_entries SET evidence = '{}' WHERE seq = 4",),
        4,
        "entry 4 was altered",
        id="evidence-removed",
    ),
    pytest.param(
        ("UPDATE ledger_entries SET to_state = 'activated' WHERE seq = 6",),
        6,
        "entry 6 was altered",
        id="to-state-edited",
    ),
    pytest.param(
        ("UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 7",),
        7,
        "entry 7 was altered",
        id="channel-edited",
    ),
    pytest.param(
        ("UPDATE ledger_entries SET occurred_at = '2020-01-01 00:00:00+00:00' WHERE seq = 10",),
        10,
        "entry 10 was altered",
        id="occurred-at-edited",
    ),
    pytest.param(
        (f"UPDATE ledger_entries SET recorded_at = '{LATER}' WHERE seq = 9",),
        9,
        "entry 9 was altered",
        id="recorded-at-moved-a-microsecond",
    ),
    pytest.param(
        ("UPDATE ledger_entries SET to_state = 'activated' WHERE seq = 8",),
        8,
        "entry 8 was altered",
        id="refusal-edited",
    ),
    pytest.param(
        (f"UPDATE ledger_entries SET hash = '{'f' * 64}' WHERE seq = 3",),
        3,
        "entry 3 was altered",
        id="hash-rewritten",
    ),
    pytest.param(
        (f"UPDATE ledger_entries SET prev_hash = '{'0' * 64}' WHERE seq = 3",),
        3,
        "entry 3 does not link to the entry before it",
        id="link-cut",
    ),
    pytest.param(
        ("DELETE FROM ledger_entries WHERE seq = 5",),
        5,
        "entry 5 is missing",
        id="middle-entry-deleted",
    ),
    pytest.param(
        ("DELETE FROM ledger_entries WHERE seq = 1",),
        1,
        "entry 1 is missing",
        id="first-entry-deleted",
    ),
    pytest.param(
        ("DELETE FROM ledger_entries WHERE seq IN (5, 6, 7)",),
        5,
        "entry 5 to 7 is missing",
        id="run-of-entries-deleted",
    ),
    pytest.param(
        SWAP_4_AND_5,
        4,
        "entry 4 does not link to the entry before it",
        id="two-entries-swapped",
    ),
    pytest.param(
        ("DELETE FROM ledger_entries WHERE seq = 12",),
        12,
        "the ledger recorded 12 entries but holds 11: its tail was removed",
        id="last-entry-deleted",
    ),
    pytest.param(
        ("DELETE FROM ledger_entries WHERE seq = 12", "UPDATE ledger_tip SET size = 11"),
        11,
        "entry 11 is not the last entry the ledger recorded",
        id="last-entry-deleted-and-tip-shrunk",
    ),
    pytest.param(
        (f"UPDATE ledger_tip SET hash = '{'e' * 64}'",),
        12,
        "entry 12 is not the last entry the ledger recorded",
        id="tip-hash-edited",
    ),
    pytest.param(
        ("UPDATE ledger_heads SET state = 'activated' WHERE last_seq = 12",),
        12,
        "is recorded with state activated (entries say collected)",
        id="head-state-edited",
    ),
    pytest.param(
        ("UPDATE ledger_heads SET version = 2 WHERE last_seq = 7",),
        7,
        "is recorded with version 2 (entries say 5)",
        id="head-version-edited",
    ),
    pytest.param(
        ("DELETE FROM ledger_heads WHERE last_seq = 2",),
        2,
        "has entries but no head",
        id="head-deleted",
    ),
    pytest.param(
        ("UPDATE ledger_entries SET evidence = 'not json' WHERE seq = 3",),
        3,
        "entry 3 cannot be read",
        id="evidence-not-json",
    ),
    pytest.param(
        ("UPDATE ledger_entries SET evidence = '[\"photo\"]' WHERE seq = 3",),
        3,
        "entry 3 cannot be read",
        id="evidence-not-an-object",
    ),
]


class TestTamperingIsCaught:
    """Whatever an administrator does to the rows, verify names the first bad entry."""

    @pytest.mark.parametrize(("statements", "first_bad", "words"), TAMPERING)
    def test_caught(self, stored, statements, first_bad, words):
        as_administrator(stored, *statements)
        assert_caught(report_for(stored), first_bad, words)

    def test_a_deleted_entry_leaves_its_card_behind(self, stored):
        as_administrator(stored, "DELETE FROM ledger_entries WHERE seq = 5")
        problems = [p.what for p in report_for(stored).problems]
        assert any("entry 6 takes card" in what for what in problems), problems
        assert any("but its previous entry left it reviewed v2" in what for what in problems)

    def test_an_entry_written_past_the_tip(self, stored):
        """A forged entry can be sealed and linked perfectly; the tip still gives it away."""
        ledger = SqlLedger(stored)
        try:
            (last,) = ledger.entries_after(SIZE - 1, 1)
            forged = Entry.seal(
                Draft(
                    card_id=last.card_id,
                    version=last.version + 1,
                    kind="transition",
                    event="activate",
                    from_state=last.to_state,
                    to_state="activated",
                    channel="bank_outlet",
                    actor=last.actor,
                    role=last.role,
                    presenter="self",
                    subject=last.subject,
                    occurred_at=last.occurred_at,
                    evidence={"card_presented": True},
                    definition_version=last.definition_version,
                    region=last.region,
                    policy=last.policy,
                ),
                seq=SIZE + 1,
                recorded_at=last.recorded_at,
                prev_hash=last.hash,
            )
            row = {name: getattr(forged, name) for name in entries_table.c.keys()}  # noqa: SIM118
            row["evidence"] = '{"card_presented": true}'
            with ledger.engine.begin() as conn:
                conn.execute(insert(entries_table), [row])
        finally:
            ledger.dispose()
        assert_caught(report_for(stored), SIZE + 1, "entries bypassed the tip")

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("1.5", id="float"),
            pytest.param("1", id="integer"),
            pytest.param("null", id="null"),
            pytest.param('{"x": true}', id="object"),
        ],
    )
    def test_evidence_that_is_json_but_not_evidence(self, stored, value):
        """Evidence values are strings or booleans; anything else is damage to report."""
        as_administrator(
            stored,
            "UPDATE ledger_entries "
            f"SET evidence = '{{\"information_checked\": {value}}}' WHERE seq = 2",
        )
        with warnings.catch_warnings():
            # Until this is fixed, the crash abandons verify's scan, whose PostgreSQL
            # cursor is then dropped open (see TestReading in the contract suite).
            warnings.simplefilter("ignore", ResourceWarning)
            report = report_for(stored)
        assert not report.ok
        assert report.first_bad_seq == 2, report.problems
        assert report.problems[0].what.startswith(
            ("entry 2 cannot be read", "entry 2 was altered")
        ), report.problems


class TestUnreadableCells:
    """SQLite types nothing, so a cell can hold anything; verify reports it and goes on."""

    @pytest.mark.parametrize(
        ("column", "garbage"),
        [
            ("evidence", "not json"),
            ("occurred_at", "yesterday-ish"),
            ("recorded_at", "2026-13-45 99:99:99"),
            ("version", "two"),
        ],
        ids=["evidence", "occurred-at", "recorded-at", "version"],
    )
    def test_garbage(self, stored_sqlite, column, garbage):
        as_administrator(
            stored_sqlite, f"UPDATE ledger_entries SET {column} = '{garbage}' WHERE seq = 3"
        )
        report = report_for(stored_sqlite)
        assert_caught(report, 3, "entry 3 cannot be read")
        assert report.problems[0].seq == 3
        assert report.entries == SIZE


class TestCheckpoints:
    """What a rewrite the hash chain cannot see does to a ledger with signed checkpoints."""

    def test_a_truncated_tail_is_caught_by_the_checkpoint(self, stored, clock):
        signer = Signer.generate("cardflow.test/ledger")
        ledger = SqlLedger(stored)
        try:
            sign_checkpoint(ledger, signer, clock.now)
            tenth = ledger.entries_after(9, 1)[0]
            root_of_ten = root_at(node_source(ledger), 10).hex()
        finally:
            ledger.dispose()
        # Everything a chain check looks at is made consistent again: only the
        # checkpoint remembers the two entries.
        as_administrator(
            stored,
            "DELETE FROM ledger_entries WHERE seq > 10",
            "DELETE FROM ledger_tree WHERE idx * power(2, level) + power(2, level) > 10",
            f"UPDATE ledger_tip SET size = 10, hash = '{tenth.hash}', root = '{root_of_ten}', "
            "frontier = '[]'",
        )
        problems = [p.what for p in report_for(stored).problems]
        assert (
            f"checkpoint {SIZE} was signed, and the ledger holds 10 entries: its tail was removed"
            in problems
        )

    def test_a_rewritten_node_is_named_and_gets_no_signature(self, stored, clock):
        signer = Signer.generate("cardflow.test/ledger")
        ledger = SqlLedger(stored)
        try:
            sign_checkpoint(ledger, signer, clock.now)
        finally:
            ledger.dispose()
        zeros = "0" * 64
        as_administrator(
            stored, f"UPDATE ledger_tree SET hash = '{zeros}' WHERE level = 2 AND idx = 2"
        )
        problems = [p.what for p in report_for(stored).problems]
        assert "the Merkle tree's node over entries 9 to 12 is not theirs" in problems
        ledger = SqlLedger(stored)
        try:
            with pytest.raises(CacheDisagrees, match="frontier disagrees"):
                ledger.append([draft("late", 1)])  # built on the rewritten node: refused
            with pytest.raises(CheckpointRefused, match="not the root the tip records"):
                sign_checkpoint(ledger, signer, clock.now)
        finally:
            ledger.dispose()


def kept_checkpoint(url: str, clock, *, size: int = SIZE) -> Checkpoint:
    """A checkpoint signed for the first ``size`` entries, as a supervisor keeps it."""
    ledger = SqlLedger(url)
    try:
        root = root_at(node_source(ledger), size)
        note = SIGNER.sign(Checkpoint(SIGNER.name, size, root).text())
        assert sign_checkpoint(ledger, SIGNER, clock.now).size == SIZE
        return Checkpoint.parse(open_note(note, SIGNER.verifier()))
    finally:
        ledger.dispose()


def held_report(url: str, *held: Checkpoint) -> Report:
    ledger = SqlLedger(url)
    try:
        return both_ways(ledger, keys=AnyOf((SIGNER.verifier(),)), held=held)
    finally:
        ledger.dispose()


class TestKeptCheckpoints:
    """A rewrite that recomputes every hash, node, head and the tip -- all the database
    holds agrees with itself -- and what a checkpoint kept outside it still sees."""

    def test_a_kept_checkpoint_agrees_with_an_untouched_ledger(self, stored, clock):
        kept = [kept_checkpoint(stored, clock, size=size) for size in (0, 1, 7, SIZE)]
        report = held_report(stored, *kept)
        assert report.ok, report.problems
        assert report.checkpoints == len(kept)  # the stored one is the kept one of 12

    def test_reordered_entries(self, stored, clock):
        early, kept = kept_checkpoint(stored, clock, size=1), kept_checkpoint(stored, clock)
        rewrite(stored, [1, 3, 2, *range(4, SIZE + 1)])  # card B opened before A's review
        assert held_report(stored).ok  # the database alone cannot tell
        problems = [p.what for p in held_report(stored, early, kept).problems]
        assert problems == [
            f"the checkpoint held for {SIZE} entries signed a root the first {SIZE} "
            "entries do not have",
            "entries were rewritten: the first entry that differs lies between 2 and "
            f"{SIZE} from what the checkpoint held for {SIZE} entries signed (the "
            "checkpoint held for 1 entries still agrees)",
        ]

    def test_a_deleted_entry(self, stored, clock):
        kept = kept_checkpoint(stored, clock)
        rewrite(stored, [seq for seq in range(1, SIZE + 1) if seq != 8])  # the refusal
        assert held_report(stored).ok
        assert_caught(
            held_report(stored, kept),
            SIZE,
            f"the checkpoint held for {SIZE} entries was signed, and the ledger holds "
            f"{SIZE - 1} entries: its tail was removed",
        )

    def test_an_edited_entry(self, stored, clock):
        kept = kept_checkpoint(stored, clock, size=10)
        as_administrator(
            stored,
            "UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 7",
        )
        report = held_report(stored, kept)
        assert_caught(report, 7, "entry 7 was altered")
        assert (
            "the checkpoint held for 10 entries signed a root the first 10 entries do not have"
            in [p.what for p in report.problems]
        )

    def test_a_truncated_tail(self, stored, clock):
        kept = kept_checkpoint(stored, clock)
        rewrite(stored, range(1, 11))
        assert held_report(stored).ok
        assert_caught(
            held_report(stored, kept),
            11,
            f"the checkpoint held for {SIZE} entries was signed, and the ledger holds 10 "
            "entries: its tail was removed",
        )

    def test_two_checkpoints_of_one_size_with_different_roots(self, stored, clock):
        """A log that shows one tree to a supervisor and signs another: with the key, the
        rewritten ledger even carries a valid checkpoint of its own for the same size."""
        kept = kept_checkpoint(stored, clock)
        rewrite(stored, [1, 3, 2, *range(4, SIZE + 1)])
        ledger = SqlLedger(stored)
        try:
            forked = sign_checkpoint(ledger, SIGNER, clock.now)
        finally:
            ledger.dispose()
        assert (forked.size, forked.root != kept.root) == (SIZE, True)
        assert held_report(stored).ok
        problems = [p.what for p in held_report(stored, kept).problems]
        assert (
            f"two checkpoints of size {SIZE} have different roots: the one held and the one "
            "the ledger stores (the log was forked)"
        ) in problems

    def test_a_stored_checkpoint_signed_with_another_key(self, stored, clock):
        stranger = Signer.generate(SIGNER.name)
        ledger = SqlLedger(stored)
        try:
            sign_checkpoint(ledger, stranger, clock.now)
        finally:
            ledger.dispose()
        problems = [p.what for p in held_report(stored).problems]
        assert problems == [
            f"checkpoint {SIZE}: the note carries no signature of {SIGNER.verifier()}"
        ]
