"""One contract, every adapter: the in-memory ledger, SQLite in a file, PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.entry import GENESIS_HASH, Entry
from ledger.errors import DuplicateRequest, LedgerError, VersionConflict
from ledger.store import Head, Person, Receipt, Tip
from ledger.verify import verify
from tests.contract.helpers import draft


def state_of(ledger):
    return ledger.tip(), list(ledger.heads()), list(ledger.scan())


class TestAppend:
    """Append seals drafts into a gapless chain."""

    def test_sequence_starts_at_one_and_links(self, ledger):
        entries = ledger.append([draft("a", 1), draft("b", 1)])
        entries += ledger.append([draft("a", 2)])
        assert [e.seq for e in entries] == [1, 2, 3]
        assert entries[0].prev_hash == GENESIS_HASH
        assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
        assert all(e.hash == e.computed_hash() for e in entries)

    def test_recorded_at_comes_from_the_clock(self, ledger, clock):
        clock.now = datetime(2026, 3, 2, 9, 30, 1, 654321, tzinfo=UTC)
        (entry,) = ledger.append([draft("a", 1)])
        assert entry.recorded_at == clock.now
        assert ledger.entries_for("a")[0].recorded_at == clock.now

    def test_occurred_at_round_trips_in_utc(self, ledger):
        beijing = timezone(timedelta(hours=8))
        claimed = datetime(2026, 3, 1, 16, 0, 0, 7, tzinfo=beijing)
        ledger.append([draft("a", 1, occurred_at=claimed)])
        (stored,) = ledger.entries_for("a")
        assert stored.occurred_at == claimed
        assert stored.occurred_at.tzinfo == UTC
        assert stored.occurred_at.hour == 8
        assert stored.occurred_at.microsecond == 7

    def test_evidence_round_trips(self, ledger):
        evidence = {"production_batch": "批次-7", "unit_seal": True, "photo": False}
        (written,) = ledger.append([draft("a", 1, evidence=evidence)])
        (stored,) = ledger.entries_for("a")
        assert stored.evidence == evidence
        assert stored == written
        assert stored.computed_hash() == stored.hash

    def test_several_steps_of_one_card_in_one_append(self, ledger):
        entries = ledger.append([draft("a", 1), draft("a", 2), draft("a", 3, to_state="x")])
        assert [e.version for e in entries] == [1, 2, 3]
        assert ledger.head("a") == Head("a", 3, "x", 3, "person-a")


class TestVersionConflict:
    """A draft that is not the card's next version is refused and writes nothing."""

    @pytest.mark.parametrize("version", [1, 3])
    def test_refused(self, ledger, version):
        ledger.append([draft("a", 1)])
        before = state_of(ledger)
        with pytest.raises(VersionConflict) as refused:
            ledger.append([draft("a", version)])
        assert (refused.value.card_id, refused.value.actual) == ("a", 1)
        assert refused.value.expected == version - 1
        assert state_of(ledger) == before

    def test_a_new_card_must_start_at_one(self, ledger):
        with pytest.raises(VersionConflict):
            ledger.append([draft("a", 2)])
        assert ledger.tip() == Tip(0, GENESIS_HASH)

    def test_all_or_nothing(self, ledger):
        ledger.append([draft("a", 1)])
        before = state_of(ledger)
        person = Person("p-1", "11010519491231002X", "Li Lei", {})
        with pytest.raises(VersionConflict):
            ledger.append([draft("b", 1), draft("a", 1)], persons=[person])
        assert state_of(ledger) == before
        assert ledger.head("b") is None
        assert ledger.person("p-1") is None


class TestReading:
    """Heads, a card's entries and the feed read back what was written, in order."""

    def test_head(self, ledger):
        ledger.append([draft("a", 1), draft("b", 1)])
        (second,) = ledger.append([draft("a", 2)])
        assert ledger.head("a") == Head("a", 2, "reviewed", second.seq, "person-a")
        assert ledger.head("nobody") is None
        assert [h.card_id for h in ledger.heads()] == ["a", "b"]

    def test_entries_for_one_card_oldest_first(self, ledger):
        ledger.append([draft("a", 1), draft("b", 1), draft("a", 2)])
        assert [(e.card_id, e.version) for e in ledger.entries_for("a")] == [("a", 1), ("a", 2)]
        assert ledger.entries_for("nobody") == []

    def test_entries_after_pages(self, ledger):
        ledger.append([draft(f"c{i}", 1) for i in range(5)])
        assert [e.seq for e in ledger.entries_after(0, 2)] == [1, 2]
        assert [e.seq for e in ledger.entries_after(2, 2)] == [3, 4]
        assert [e.seq for e in ledger.entries_after(4, 10)] == [5]
        assert ledger.entries_after(5, 10) == []
        assert ledger.entries_after(0, 0) == []

    def test_scan_and_tip(self, ledger):
        entries = ledger.append([draft(f"c{i}", 1) for i in range(3)])
        assert list(ledger.scan()) == entries
        assert ledger.tip() == Tip(3, entries[-1].hash)
        assert isinstance(entries[0], Entry)

    def test_persons(self, ledger):
        person = Person("p-1", "11010519491231002X", "李雷", {"contact_number": "13800000000"})
        ledger.append([draft("a", 1, subject="p-1")], persons=[person])
        assert ledger.person("p-1") == person
        assert ledger.person("p-2") is None


class TestVerify:
    """An untouched ledger verifies."""

    def test_empty(self, ledger):
        report = verify(ledger)
        assert report.ok
        assert (report.entries, report.cards) == (0, 0)

    def test_untouched(self, ledger):
        ledger.append([draft("a", 1), draft("b", 1)])
        ledger.append([draft("a", 2)])
        report = verify(ledger)
        assert report.ok, report.problems
        assert (report.entries, report.cards, report.first_bad_seq) == (3, 2, None)


class TestReceipts:
    """An idempotent draft leaves a receipt; the same actor's key cannot write twice."""

    def test_the_receipt_names_the_entry(self, ledger, clock):
        (entry,) = ledger.append([draft("a", 1, idempotency_key="k-1", fingerprint="f1")])
        receipt = ledger.receipt("clerk-1", "k-1")
        assert receipt == Receipt("clerk-1", "k-1", "f1", "a", 1, entry.seq, clock.now)
        assert ledger.receipt("clerk-1", "k-2") is None
        assert ledger.receipt("clerk-2", "k-1") is None

    def test_a_second_write_with_the_key_writes_nothing(self, ledger):
        ledger.append([draft("a", 1, idempotency_key="k-1", fingerprint="f1")])
        before = state_of(ledger)
        with pytest.raises(DuplicateRequest) as duplicate:
            ledger.append([draft("b", 1, idempotency_key="k-1", fingerprint="f2")])
        assert duplicate.value.receipt.card_id == "a"
        assert state_of(ledger) == before

    def test_one_key_twice_in_one_append(self, ledger):
        with pytest.raises(LedgerError):
            ledger.append([draft("a", 1, idempotency_key="k"), draft("b", 1, idempotency_key="k")])
        assert ledger.tip().size == 0

    def test_keys_belong_to_their_actor(self, ledger):
        ledger.append([draft("a", 1, idempotency_key="k")])
        ledger.append([draft("b", 1, idempotency_key="k", actor="clerk-2")])
        assert ledger.tip().size == 2

    def test_a_receipt_lapses_after_a_day(self, ledger, clock):
        ledger.append([draft("a", 1, idempotency_key="k")])
        clock.advance(days=1, seconds=1)
        assert ledger.receipt("clerk-1", "k") is None
        (again,) = ledger.append([draft("b", 1, idempotency_key="k")])
        assert ledger.receipt("clerk-1", "k").card_id == "b"
        assert again.seq == 2
