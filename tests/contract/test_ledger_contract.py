"""One contract, every adapter: the in-memory ledger, SQLite in a file, PostgreSQL."""

from __future__ import annotations

import gc
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.entry import ERASURE, GENESIS_HASH, REFUSAL, TRANSITION, Draft, Entry
from ledger.errors import (
    DuplicateRequest,
    ErasureUnnoted,
    KeyRepeated,
    LedgerError,
    NotHeld,
    SubjectChanged,
    SubjectHeld,
    SubjectTaken,
    VersionConflict,
)
from ledger.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)
from ledger.store import CardQuery, Head, Person, Receipt, Tip
from ledger.verify import verify

BEIJING = timezone(timedelta(hours=8))
OCCURRED = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
LIFE = (
    ("apply", "applied"),
    ("review", "reviewed"),
    ("produce", "produced"),
    ("collect", "collected"),
    ("activate", "activated"),
)


def draft(card_id: str, version: int, **overrides: object) -> Draft:
    """The transition that creates ``version`` of ``card_id``, along the usual lifecycle."""
    event, to_state = LIFE[version - 1] if 1 <= version <= len(LIFE) else ("step", f"v{version}")
    from_state = None if version <= 1 else draft(card_id, version - 1).to_state
    fields: dict[str, object] = {
        "card_id": card_id,
        "version": version,
        "kind": TRANSITION,
        "event": event,
        "from_state": from_state,
        "to_state": to_state,
        "channel": "card_center",
        "actor": "clerk-1",
        "role": "clerk",
        "presenter": "self",
        "subject": f"person-{card_id}",
        "occurred_at": OCCURRED,
        "evidence": {"information_checked": True},
        "definition_version": "1+contract",
        "region": "default",
        "policy": "default/1+contract",
    }
    fields.update(overrides)
    return Draft(**fields)  # type: ignore[arg-type]


def refusal(card_id: str, version: int, state: str, **overrides: object) -> Draft:
    """A refused attempt noted at the card's current ``version``: it moves nothing."""
    fields: dict[str, object] = {
        "kind": REFUSAL,
        "event": "activate",
        "from_state": state,
        "to_state": state,
        "evidence": {"refused": "transition_not_allowed", "reason": f"not allowed from {state}"},
    }
    fields.update(overrides)
    return draft(card_id, version, **fields)


def core(head: Head | None) -> tuple[object, ...] | None:
    """The head's card, version, state, last seq and subject."""
    if head is None:
        return None
    return (head.card_id, head.version, head.state, head.last_seq, head.subject)


def snapshot(ledger) -> tuple[object, ...]:
    """Everything an append could change, to show that a refused one changed nothing."""
    return (
        ledger.tip(),
        list(ledger.heads()),
        list(ledger.scan()),
        ledger.entries_after(0, 1000),
        {card: ledger.entries_for(card) for card in ("a", "b", "c")},
    )


class TestAppend:
    """Append seals drafts into a gapless chain."""

    def test_the_first_entry_opens_the_chain(self, ledger):
        (entry,) = ledger.append([draft("a", 1)])
        assert entry.seq == 1
        assert entry.prev_hash == GENESIS_HASH
        assert entry.hash == entry.computed_hash()

    def test_sequence_numbers_are_gapless_and_linked_across_appends(self, ledger):
        entries = ledger.append([draft("a", 1), draft("b", 1)])
        entries += ledger.append([draft("a", 2)])
        entries += ledger.append([draft("c", 1), draft("b", 2), draft("a", 3)])
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
        assert entries[0].prev_hash == GENESIS_HASH
        assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
        assert all(e.hash == e.computed_hash() for e in entries)
        assert len({e.hash for e in entries}) == len(entries)

    def test_each_card_s_entries_chain_among_themselves(self, ledger):
        """``card_prev`` is the hash of the card's previous entry of any kind (a refusal
        note too), whatever else the log holds between them and however they were
        appended."""
        entries = ledger.append([draft("a", 1), draft("b", 1), draft("a", 2)])
        entries += ledger.append([refusal("a", 2, "reviewed"), draft("b", 2)])
        entries += ledger.append([draft("a", 3)])
        for card in ("a", "b"):
            mine = [e for e in entries if e.card_id == card]
            assert mine[0].card_prev == GENESIS_HASH
            assert [e.card_prev for e in mine[1:]] == [e.hash for e in mine[:-1]]
        assert ledger.entries_after(0, 10) == entries
        assert verify(ledger).ok

    def test_sealed_entries_carry_the_drafts_fields(self, ledger):
        asked = draft("a", 1, idempotency_key="k-1", fingerprint="f-1")
        (entry,) = ledger.append([asked])
        assert (
            entry.card_id,
            entry.version,
            entry.kind,
            entry.event,
            entry.from_state,
            entry.to_state,
            entry.channel,
            entry.actor,
            entry.role,
            entry.presenter,
            entry.subject,
            entry.occurred_at,
            dict(entry.evidence),
            entry.definition_version,
            entry.idempotency_key,
            entry.fingerprint,
        ) == (
            asked.card_id,
            asked.version,
            asked.kind,
            asked.event,
            asked.from_state,
            asked.to_state,
            asked.channel,
            asked.actor,
            asked.role,
            asked.presenter,
            asked.subject,
            asked.occurred_at,
            dict(asked.evidence),
            asked.definition_version,
            asked.idempotency_key,
            asked.fingerprint,
        )

    def test_what_append_returns_is_what_is_stored(self, ledger):
        written = ledger.append([draft("a", 1), draft("b", 1), draft("a", 2)])
        assert ledger.entries_after(0, 10) == written
        assert all(isinstance(e, Entry) for e in written)

    def test_several_drafts_for_one_card_in_one_append(self, ledger):
        entries = ledger.append([draft("a", 1), draft("a", 2), draft("a", 3)])
        assert [(e.seq, e.version, e.to_state) for e in entries] == [
            (1, 1, "applied"),
            (2, 2, "reviewed"),
            (3, 3, "produced"),
        ]
        assert core(ledger.head("a")) == ("a", 3, "produced", 3, "person-a")
        assert verify(ledger).ok

    def test_one_append_shares_one_recorded_at(self, ledger, clock):
        entries = ledger.append([draft("a", 1), draft("b", 1)])
        assert {e.recorded_at for e in entries} == {clock.now}

    def test_nothing_to_append(self, ledger):
        assert ledger.append([]) == []
        assert ledger.tip() == Tip(0, GENESIS_HASH)


class TestTime:
    """Times come back in UTC to the microsecond, whatever the backend."""

    @pytest.mark.parametrize("microsecond", [654321, 1, 999999, 0])
    def test_recorded_at_comes_from_the_clock(self, ledger, clock, microsecond):
        clock.now = datetime(2026, 3, 2, 9, 30, 1, microsecond, tzinfo=UTC)
        (written,) = ledger.append([draft("a", 1)])
        (stored,) = ledger.entries_for("a")
        for entry in (written, stored, *ledger.entries_after(0, 1), *ledger.scan()):
            assert entry.recorded_at == clock.now
            assert entry.recorded_at.tzinfo == UTC
            assert entry.recorded_at.microsecond == microsecond

    def test_a_clock_in_another_zone_is_recorded_in_utc(self, ledger, clock):
        clock.now = datetime(2026, 3, 2, 17, 30, 1, 250000, tzinfo=BEIJING)
        ledger.append([draft("a", 1)])
        (stored,) = ledger.entries_for("a")
        assert stored.recorded_at == datetime(2026, 3, 2, 9, 30, 1, 250000, tzinfo=UTC)
        assert stored.recorded_at.tzinfo == UTC

    def test_occurred_at_round_trips_exactly(self, ledger):
        ledger.append([draft("a", 1, occurred_at=OCCURRED)])
        (stored,) = ledger.entries_for("a")
        assert stored.occurred_at == OCCURRED
        assert stored.occurred_at.tzinfo == UTC
        assert stored.occurred_at.microsecond == 123456

    def test_occurred_at_in_another_zone_is_kept_in_utc(self, ledger):
        claimed = datetime(2026, 3, 1, 16, 0, 0, 7, tzinfo=BEIJING)
        (written,) = ledger.append([draft("a", 1, occurred_at=claimed)])
        (stored,) = ledger.entries_for("a")
        for entry in (written, stored):
            assert entry.occurred_at == claimed
            assert entry.occurred_at.tzinfo == UTC
            assert (entry.occurred_at.day, entry.occurred_at.hour) == (1, 8)
            assert entry.occurred_at.microsecond == 7
        assert stored.hash == stored.computed_hash()


class TestEvidence:
    """Evidence comes back exactly as it was written, and still matches its hash."""

    @pytest.mark.parametrize(
        "evidence",
        [
            {"production_batch": "B2026-03"},
            {"photo": True, "applicant_signature": False},
            {"production_batch": "批次-7", "备注": "已核对 ✓", "unit_seal": True},
            {"collection_notice": 'say "hi"\\ \n\t'},
            {},
        ],
        ids=["strings", "booleans", "non-ascii", "quotes-and-escapes", "empty"],
    )
    def test_round_trip(self, ledger, evidence):
        (written,) = ledger.append([draft("a", 1, evidence=evidence)])
        (stored,) = ledger.entries_for("a")
        assert dict(stored.evidence) == evidence
        assert {k: type(v) for k, v in stored.evidence.items()} == {
            k: type(v) for k, v in evidence.items()
        }
        assert stored == written
        assert stored.computed_hash() == stored.hash


class TestHead:
    """A card's head follows its last transition; the ledger never interprets it."""

    def test_head_after_appends(self, ledger):
        ledger.append([draft("a", 1), draft("b", 1)])
        (second,) = ledger.append([draft("a", 2)])
        assert core(ledger.head("a")) == ("a", 2, "reviewed", second.seq, "person-a")
        assert core(ledger.head("b")) == ("b", 1, "applied", 2, "person-b")

    def test_the_state_is_whatever_label_the_last_entry_gave(self, ledger):
        ledger.append([draft("a", 1, to_state="anything at all", subject="ref-9")])
        assert core(ledger.head("a")) == ("a", 1, "anything at all", 1, "ref-9")

    def test_an_unknown_card_has_no_head(self, ledger):
        assert ledger.head("nobody") is None
        ledger.append([draft("a", 1)])
        assert ledger.head("nobody") is None

    def test_heads_in_card_id_order(self, ledger):
        ledger.append([draft("c", 1), draft("a", 1), draft("b", 1), draft("a", 2)])
        assert [(h.card_id, h.version) for h in ledger.heads()] == [("a", 2), ("b", 1), ("c", 1)]

    def test_a_head_knows_when_and_where_its_card_opened(self, ledger, clock):
        opened_at = clock.now
        ledger.append([draft("b", 1), draft("a", 1, region="north")])
        clock.advance(hours=2)
        due = OCCURRED + timedelta(days=300)
        (moved,) = ledger.append(
            [draft("a", 2, region="south", due_at=due, exclusive=True, occurred_at=OCCURRED)]
        )
        assert ledger.head("a") == Head(
            card_id="a",
            version=2,
            state="reviewed",
            last_seq=moved.seq,
            subject="person-a",
            region="south",
            opened_seq=2,
            opened_at=opened_at,
            updated_at=opened_at + timedelta(hours=2),
            occurred_at=OCCURRED,
            due_at=due,
            exclusive=True,
        )

    def test_a_refusal_does_not_touch_the_head(self, ledger, clock):
        ledger.append([draft("a", 1)])
        before = ledger.head("a")
        clock.advance(hours=1)
        ledger.append([refusal("a", 1, "applied")])
        assert ledger.head("a") == before


class TestDue:
    """Heads by due time: what a sweep asks for, soonest first."""

    def test_only_heads_due_by_then_soonest_first(self, ledger):
        ledger.append(
            [
                draft("late", 1, due_at=OCCURRED + timedelta(days=3)),
                draft("never", 1),
                draft("soon", 1, due_at=OCCURRED + timedelta(days=1)),
                draft("later", 1, due_at=OCCURRED + timedelta(days=9)),
            ]
        )
        by = OCCURRED + timedelta(days=3)
        assert [head.card_id for head in ledger.due(by, 10)] == ["soon", "late"]
        assert [head.card_id for head in ledger.due(by, 1)] == ["soon"]

    def test_a_move_without_a_due_time_clears_it(self, ledger):
        ledger.append([draft("a", 1, due_at=OCCURRED)])
        ledger.append([draft("a", 2)])
        assert ledger.due(OCCURRED + timedelta(days=1), 10) == []

    def test_a_refusal_keeps_the_due_time(self, ledger):
        ledger.append([draft("a", 1, due_at=OCCURRED)])
        ledger.append([refusal("a", 1, "applied")])
        assert [head.card_id for head in ledger.due(OCCURRED, 10)] == ["a"]


class TestHolders:
    """No two cards hold one subject exclusively; the loser of a race writes nothing."""

    def test_the_holder_of_a_subject(self, ledger):
        ledger.append([draft("a", 1, subject="p", exclusive=True), draft("b", 1, subject="p")])
        holder = ledger.head("a")
        assert ledger.holder("p") == holder
        assert ledger.holder("q") is None

    def test_a_second_exclusive_card_is_refused_and_nothing_is_written(self, ledger):
        ledger.append([draft("a", 1, subject="p", exclusive=True)])
        tip = ledger.tip()
        with pytest.raises(SubjectTaken) as taken:
            ledger.append([draft("x", 1), draft("b", 1, subject="p", exclusive=True)])
        assert (taken.value.card_id, taken.value.holder) == ("b", "a")
        assert ledger.tip() == tip
        assert ledger.head("x") is None

    def test_two_exclusive_cards_in_one_append_are_refused(self, ledger):
        with pytest.raises(SubjectTaken):
            ledger.append(
                [
                    draft("a", 1, subject="p", exclusive=True),
                    draft("b", 1, subject="p", exclusive=True),
                ]
            )
        assert ledger.tip().size == 0

    def test_a_card_gives_up_its_subject_for_another_in_one_append(self, ledger):
        """A replacement takes over from the card it replaces, in the same transaction."""
        ledger.append([draft("old", 1, subject="p", exclusive=True)])
        ledger.append([draft("old", 2, subject="p"), draft("new", 1, subject="p", exclusive=True)])
        assert ledger.holder("p") == ledger.head("new")

    def test_the_same_card_may_stay_exclusive(self, ledger):
        ledger.append([draft("a", 1, subject="p", exclusive=True)])
        ledger.append([draft("a", 2, subject="p", exclusive=True)])
        assert ledger.holder("p") == ledger.head("a")


class TestSearch:
    """Supervisors' search: heads filtered, oldest opened first, one page at a time."""

    @pytest.fixture
    def cards(self, ledger, clock):
        """a: applied (north); b: reviewed through card_center; c: produced by a bank;
        d: opened a day later through a community office."""
        ledger.append([draft("a", 1, region="north"), draft("b", 1), draft("c", 1)])
        ledger.append([draft("b", 2), draft("c", 2)])
        ledger.append([draft("c", 3, channel="issuing_bank", event="produce")])
        ledger.append([refusal("a", 1, "applied", channel="pharmacy")])
        clock.advance(days=1)
        ledger.append([draft("d", 1, channel="community")])
        return clock.now

    def found(self, ledger, **wanted) -> list[str]:
        return [head.card_id for head in ledger.search(CardQuery(**wanted))]

    def test_everything_in_opening_order(self, ledger, cards):
        assert self.found(ledger) == ["a", "b", "c", "d"]

    def test_by_state_and_region(self, ledger, cards):
        assert self.found(ledger, states=frozenset({"reviewed", "produced"})) == ["b", "c"]
        assert self.found(ledger, regions=frozenset({"north"})) == ["a"]
        assert self.found(ledger, regions=frozenset({"default"}), states=frozenset({"applied"}))
        assert self.found(ledger, states=frozenset({"activated"})) == []

    def test_by_channel_counts_moves_only(self, ledger, cards):
        assert self.found(ledger, channels=frozenset({"issuing_bank"})) == ["c"]
        assert self.found(ledger, channels=frozenset({"community"})) == ["d"]
        assert self.found(ledger, channels=frozenset({"pharmacy"})) == []

    def test_having_and_lacking_a_move(self, ledger, cards):
        produced = frozenset({("produce", "issuing_bank")})
        assert self.found(ledger, having=produced) == ["c"]
        assert self.found(ledger, lacking=produced) == ["a", "b", "d"]

    def test_by_dates(self, ledger, cards):
        day_two = cards
        assert self.found(ledger, opened_from=day_two) == ["d"]
        assert self.found(ledger, opened_before=day_two) == ["a", "b", "c"]
        assert self.found(ledger, updated_from=day_two - timedelta(hours=1)) == ["d"]

    def test_pages_follow_on_without_gaps_or_repeats(self, ledger, cards):
        first = ledger.search(CardQuery(limit=3))
        assert [head.card_id for head in first] == ["a", "b", "c"]
        rest = ledger.search(CardQuery(limit=3, after=first[-1].opened_seq))
        assert [head.card_id for head in rest] == ["d"]
        assert ledger.search(CardQuery(limit=3, after=rest[-1].opened_seq)) == []


class TestReading:
    """A card's entries, the feed and the scan come back oldest first."""

    def test_entries_for_one_card_oldest_first(self, ledger):
        ledger.append([draft("a", 1), draft("b", 1)])
        ledger.append([draft("a", 2), draft("b", 2)])
        ledger.append([draft("a", 3)])
        assert [(e.card_id, e.version, e.seq) for e in ledger.entries_for("a")] == [
            ("a", 1, 1),
            ("a", 2, 3),
            ("a", 3, 5),
        ]
        assert [e.card_id for e in ledger.entries_for("b")] == ["b", "b"]
        assert ledger.entries_for("nobody") == []

    def test_a_card_page_is_a_slice_of_its_entries_refusals_only_if_asked(self, ledger):
        note = {"kind": REFUSAL, "to_state": "applied", "from_state": "applied"}
        ledger.append([draft("a", 1), draft("b", 1)])
        ledger.append([draft("a", 1, **note), draft("a", 1, **note), draft("b", 2)])
        ledger.append([draft("a", 2)])
        every = [e.seq for e in ledger.entries_for("a")]
        assert every == [1, 3, 4, 6]
        page = ledger.card_page
        assert [e.seq for e in page("a", after=0, limit=2, refusals=True)] == [1, 3]
        assert [e.seq for e in page("a", after=3, limit=2, refusals=True)] == [4, 6]
        assert [e.seq for e in page("a", after=6, limit=2, refusals=True)] == []
        assert [e.seq for e in page("a", after=0, limit=5, refusals=False)] == [1, 6]
        assert [e.seq for e in page("a", after=1, limit=1, refusals=False)] == [6]
        assert page("nobody", after=0, limit=5, refusals=True) == []

    def test_entries_after_pages_through_the_ledger(self, ledger):
        ledger.append([draft(f"c{i}", 1) for i in range(5)])
        assert [e.seq for e in ledger.entries_after(0, 2)] == [1, 2]
        assert [e.seq for e in ledger.entries_after(2, 2)] == [3, 4]
        assert [e.seq for e in ledger.entries_after(4, 2)] == [5]
        assert [e.seq for e in ledger.entries_after(0, 100)] == [1, 2, 3, 4, 5]

    @pytest.mark.parametrize(("after", "limit"), [(5, 10), (99, 10), (0, 0), (2, 0)])
    def test_entries_after_may_be_empty(self, ledger, after, limit):
        ledger.append([draft(f"c{i}", 1) for i in range(5)])
        assert ledger.entries_after(after, limit) == []

    def test_an_empty_ledger(self, ledger):
        assert ledger.entries_after(0, 10) == []
        assert list(ledger.scan()) == []
        assert list(ledger.heads()) == []
        assert ledger.tip() == Tip(0, GENESIS_HASH)

    def test_scan_yields_every_entry_in_order(self, ledger):
        entries = ledger.append([draft("a", 1), draft("b", 1)])
        entries += ledger.append([draft("a", 2)])
        assert list(ledger.scan()) == entries

    @pytest.mark.parametrize("reader", ["scan", "heads"])
    def test_a_reader_stopped_early_lets_go_of_its_cursor(self, ledger, reader, request):
        """``verify`` stops early when it crashes, an API page stops when it is full."""
        ledger.append([draft(f"c{i}", 1) for i in range(3)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = getattr(ledger, reader)()
            next(rows)
            del rows
            gc.collect()
        assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
        assert ledger.tip().size == 3

    def test_tip_is_the_size_the_last_hash_and_the_root(self, ledger):
        first = ledger.append([draft("a", 1), draft("b", 1)])
        leaves = [leaf_hash(entry.encode()) for entry in first]
        assert ledger.tip() == Tip(2, first[-1].hash, node_hash(*leaves).hex())
        (last,) = ledger.append([draft("a", 2)])
        third = leaf_hash(last.encode())
        assert ledger.tip() == Tip(3, last.hash, node_hash(node_hash(*leaves), third).hex())


class TestMerkleTree:
    """Every entry is a leaf; each append stores the perfect subtrees it completes."""

    def test_the_nodes_make_every_proof(self, ledger):
        for batch in range(6):
            ledger.append([draft(f"c{batch}-{i}", 1) for i in range(batch + 1)])
        size = ledger.tip().size
        assert size == 21

        def get(level: int, index: int) -> bytes:
            found = ledger.tree_node(level, index)
            assert found is not None, (level, index)
            return found

        leaves = [get(0, i) for i in range(size)]
        entries = ledger.entries_after(0, size)
        assert leaves == [leaf_hash(entry.encode()) for entry in entries]
        root = bytes.fromhex(ledger.tip().root)
        for index in range(size):
            verify_inclusion(leaves[index], index, size, inclusion_proof(get, index, size), root)
        first_root = subtree_root(get, 0, 13)
        verify_consistency(13, size, consistency_proof(get, 13, size), first_root, root)
        assert ledger.tree_node(0, size) is None
        assert ledger.tree_node(5, 0) is None

    def test_many_nodes_read_at_once_are_the_nodes_read_one_by_one(self, ledger):
        ledger.append([draft(f"c{i}", 1) for i in range(1100)])
        wanted = {(level, index) for level in range(12) for index in range(0, 1100 >> level)}
        wanted |= {(0, 1100), (11, 0), (3, 999)}  # beyond the tree: not held
        held = ledger.tree_nodes_at(wanted)
        assert held == {key: node for key in wanted if (node := ledger.tree_node(*key)) is not None}
        assert len(held) == sum(1100 >> level for level in range(11))
        assert ledger.tree_nodes_at(()) == {}

    def test_every_node_in_the_order_appends_complete_them(self, ledger):
        frontier, completed = Frontier(), []
        for batch in range(6):
            entries = ledger.append([draft(f"c{batch}-{i}", 1) for i in range(batch + 1)])
            for entry in entries:
                frontier, nodes = frontier.append(leaf_hash(entry.encode()))
                completed += nodes
        assert list(ledger.tree_nodes()) == completed
        assert [(level, index) for level, index, _ in completed][:7] == [
            (0, 0),
            (0, 1),
            (1, 0),
            (0, 2),
            (0, 3),
            (1, 1),
            (2, 0),
        ]

    def test_a_refused_append_grows_nothing(self, ledger):
        ledger.append([draft("a", 1)])
        before = ledger.tip()
        with pytest.raises(VersionConflict):
            ledger.append([draft("b", 1), draft("a", 1)])
        assert ledger.tip() == before
        assert ledger.tree_node(0, 1) is None


class TestVersionConflict:
    """A draft that is not the card's next version is refused, and nothing is written."""

    @pytest.mark.parametrize(
        ("card_id", "version", "expected", "actual"),
        [("a", 1, 0, 2), ("a", 4, 3, 2), ("a", 2, 1, 2), ("b", 2, 1, 0)],
        ids=["reopen", "skip-ahead", "repeat", "new-card-not-at-one"],
    )
    def test_refused_with_what_was_expected(self, ledger, card_id, version, expected, actual):
        ledger.append([draft("a", 1), draft("a", 2)])
        before = snapshot(ledger)
        with pytest.raises(VersionConflict) as refused:
            ledger.append([draft(card_id, version)])
        assert (refused.value.card_id, refused.value.expected, refused.value.actual) == (
            card_id,
            expected,
            actual,
        )
        assert isinstance(refused.value, LedgerError)
        assert snapshot(ledger) == before

    def test_a_conflict_in_the_second_draft_writes_nothing_at_all(self, ledger):
        ledger.append([draft("a", 1)])
        before = snapshot(ledger)
        person = Person("p-b", "11010519491231002X", "Li Lei", {})
        with pytest.raises(VersionConflict) as refused:
            ledger.append([draft("b", 1), draft("a", 1), draft("c", 1)], persons=[person])
        assert refused.value.card_id == "a"
        assert snapshot(ledger) == before
        assert ledger.head("b") is None
        assert ledger.entries_for("b") == []
        assert ledger.person("p-b") is None
        (next_entry,) = ledger.append([draft("b", 1)])
        assert next_entry.seq == 2

    def test_a_card_keeps_the_subject_it_was_opened_for(self, ledger):
        ledger.append([draft("a", 1)])
        before = snapshot(ledger)
        with pytest.raises(SubjectChanged) as refused:
            ledger.append([draft("a", 2, subject="person-b")])
        assert refused.value.card_id == "a"
        assert snapshot(ledger) == before

    def test_one_version_twice_in_one_append(self, ledger):
        before = snapshot(ledger)
        with pytest.raises(VersionConflict) as refused:
            ledger.append([draft("a", 1), draft("a", 1)])
        assert (refused.value.expected, refused.value.actual) == (0, 1)
        assert snapshot(ledger) == before
        assert ledger.tip() == Tip(0, GENESIS_HASH)


class TestRefusalEntries:
    """An entry that moves nothing names the card's current version and leaves its head."""

    def test_noted_without_moving_the_card(self, ledger):
        ledger.append([draft("a", 1), draft("a", 2)])
        (noted,) = ledger.append([refusal("a", 2, "reviewed")])
        assert (noted.seq, noted.version, noted.kind) == (3, 2, REFUSAL)
        assert core(ledger.head("a")) == ("a", 2, "reviewed", 2, "person-a")
        (moved,) = ledger.append([draft("a", 3)])
        assert core(ledger.head("a")) == ("a", 3, "produced", moved.seq, "person-a")
        assert verify(ledger).ok

    @pytest.mark.parametrize(
        ("card_id", "version", "expected", "actual"),
        [("a", 1, 1, 2), ("a", 3, 3, 2), ("b", 1, 1, 0)],
        ids=["stale", "ahead", "unknown-card"],
    )
    def test_a_refusal_must_name_the_current_version(
        self, ledger, card_id, version, expected, actual
    ):
        ledger.append([draft("a", 1), draft("a", 2)])
        before = snapshot(ledger)
        with pytest.raises(VersionConflict) as refused:
            ledger.append([refusal(card_id, version, "reviewed")])
        assert (refused.value.expected, refused.value.actual) == (expected, actual)
        assert snapshot(ledger) == before


class TestPersons:
    """Personal data written with an append is read back by its reference only."""

    def test_readable_by_reference(self, ledger):
        person = Person("p-1", "11010519491231002X", "李雷", {"contact_number": "13800000000"})
        ledger.append([draft("a", 1, subject="p-1")], persons=[person])
        assert ledger.person("p-1") == person
        assert ledger.person("p-2") is None

    def test_several_persons_in_one_append(self, ledger):
        people = [Person(f"p-{i}", "11010519491231002X", f"Person {i}", {}) for i in range(3)]
        ledger.append([draft(f"c{i}", 1, subject=f"p-{i}") for i in range(3)], persons=people)
        assert [ledger.person(f"p-{i}") for i in range(3)] == people

    def test_no_person_is_written_into_an_entry(self, ledger):
        person = Person("p-1", "11010519491231002X", "李雷", {"address": "北京市"})
        (entry,) = ledger.append([draft("a", 1, subject="p-1")], persons=[person])
        encoded = entry.encode().decode("utf-8")
        assert person.id_number not in encoded
        assert person.name not in encoded


class TestErasure:
    """A person's data goes in the append that notes it on every card of theirs, or not at all."""

    PERSON = Person("p-1", "11010519491231002X", "李雷", {})

    def note(self, head: Head) -> Draft:
        return draft(
            head.card_id,
            head.version,
            kind=ERASURE,
            event="erase_personal_data",
            from_state=head.state,
            to_state=head.state,
            subject=head.subject,
        )

    def ended_cards(self, ledger, count: int) -> list[Head]:
        for i in range(count):
            ledger.append([draft(f"c{i}", 1, subject="p-1")], persons=[self.PERSON])
        return ledger.cards_of("p-1")

    def test_erased_with_its_notes(self, ledger):
        cards = self.ended_cards(ledger, 2)
        assert [head.card_id for head in cards] == ["c0", "c1"]
        written = ledger.append([self.note(head) for head in cards], erase=["p-1"])
        assert [(e.kind, e.card_id, e.version) for e in written] == [
            (ERASURE, "c0", 1),
            (ERASURE, "c1", 1),
        ]
        assert ledger.person("p-1") is None
        assert ledger.cards_of("p-1") == cards  # the notes move no card
        assert verify(ledger).ok

    def test_not_while_a_card_holds_the_subject(self, ledger):
        ledger.append([draft("c0", 1, subject="p-1", exclusive=True)], persons=[self.PERSON])
        (head,) = ledger.cards_of("p-1")
        before = ledger.tip()
        with pytest.raises(SubjectHeld):
            ledger.append([self.note(head)], erase=["p-1"])
        assert ledger.tip() == before
        assert ledger.person("p-1") == self.PERSON

    def test_not_unless_every_card_is_noted(self, ledger):
        first, second = self.ended_cards(ledger, 2)
        before = ledger.tip()
        with pytest.raises(ErasureUnnoted) as unnoted:
            ledger.append([self.note(first)], erase=["p-1"])
        assert unnoted.value.card_id == second.card_id
        assert ledger.tip() == before
        assert ledger.person("p-1") == self.PERSON

    def test_erased_once_of_two_erasures_made_from_one_reading(self, ledger):
        cards = self.ended_cards(ledger, 1)
        notes = [self.note(head) for head in cards]
        ledger.append(notes, erase=["p-1"])
        after_first = ledger.tip()
        with pytest.raises(NotHeld):
            ledger.append(notes, erase=["p-1"])
        assert ledger.tip() == after_first
        assert ledger.clear_journal()

    def test_cards_of_a_subject_no_card_had(self, ledger):
        assert ledger.cards_of("nobody") == []


class TestVerify:
    """An untouched ledger verifies."""

    def test_empty(self, ledger):
        report = verify(ledger)
        assert report.ok
        assert (report.entries, report.cards, report.first_bad_seq) == (0, 0, None)

    def test_untouched(self, ledger):
        ledger.append([draft("a", 1), draft("b", 1)])
        ledger.append([draft("a", 2), refusal("a", 2, "reviewed")])
        ledger.append([draft("c", 1), draft("a", 3), draft("b", 2)])
        report = verify(ledger)
        assert report.ok, report.problems
        assert (report.entries, report.cards, report.first_bad_seq) == (7, 3, None)

    def test_the_tip_read_first_is_checked_though_entries_came_after(self, ledger):
        """The tip is read before the scan; appends during it do not excuse its root."""
        ledger.append([draft("a", 1), draft("b", 1)])
        read_first = ledger.tip()

        class AppendedMeanwhile:
            def __getattr__(self, name: str) -> object:
                return getattr(ledger, name)

            def tip(self) -> Tip:
                return replace(read_first, root="ab" * 32)

            def scan(self):
                ledger.append([draft("c", 1)])
                return ledger.scan()

        problems = [p.what for p in verify(AppendedMeanwhile()).problems]
        assert "the Merkle root recorded for 2 entries is not theirs" in problems


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
        before = snapshot(ledger)
        with pytest.raises(DuplicateRequest) as duplicate:
            ledger.append([draft("b", 1, idempotency_key="k-1", fingerprint="f2")])
        assert duplicate.value.receipt.card_id == "a"
        assert snapshot(ledger) == before

    def test_one_key_twice_in_one_append(self, ledger):
        with pytest.raises(KeyRepeated) as repeated:
            ledger.append([draft("a", 1, idempotency_key="k"), draft("b", 1, idempotency_key="k")])
        assert (repeated.value.actor, repeated.value.key) == ("clerk-1", "k")
        assert ledger.tip().size == 0
        assert ledger.receipt("clerk-1", "k") is None

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
