"""``api.desk.proofs``: the desk's marks of a card's entries against the latest signed
checkpoint, and its completeness, on an honest ledger and on one a database
administrator edited (through SQL on the SQLite file, as ``tests/contract`` does)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from api.desk.proofs import (
    ALTERED,
    HISTORY_DAMAGE,
    INCLUDED,
    KINDS,
    MOST_ENTRIES,
    NO_CHECKPOINT,
    NOT_IN_TREE,
    PAST_CHECKPOINT,
    SIGNATURE,
    UNREADABLE,
    Checked,
    check_card,
    decoding_damage,
)
from ledger.audit import Audit
from ledger.cosignature import Cosigner
from ledger.entry import Entry
from ledger.memory import MemoryLedger
from ledger.note import Signer, note_parts
from ledger.store import KeptCosignature, SignedCheckpoint
from ledger.witnessing import Witness
from tests.conftest import SIGNER
from tests.contract.helpers import ACTIVATE, CLERK, as_administrator, open_card
from workflow.errors import CardNotFound
from workflow.service import CardService, Step

BOTH = pytest.mark.parametrize("ledger", ["memory", "sqlite"], indirect=True)
SQLITE = pytest.mark.parametrize("ledger", ["sqlite"], indirect=True)

COSIGNER = Cosigner.generate("office.example/w1")
STRANGER = Cosigner.generate("elsewhere.example/w9")
WITNESS = Witness("http://witness.test", COSIGNER.key())
ZEROS = "0" * 64


@pytest.fixture
def audit(ledger, clock) -> Audit:
    return Audit(ledger, signer=SIGNER, clock=clock, witnesses=[WITNESS])


@pytest.fixture
def two_cards(service, audit, clock) -> tuple[str, str]:
    """Card one (entries 1 to 4) and card two (5 to 8), under a checkpoint of 8 entries
    the witness cosigned."""
    cards = open_card(service), open_card(service)
    cosign(audit, audit.checkpoint(), COSIGNER, clock())
    return cards


def cosign(audit: Audit, signed: SignedCheckpoint, cosigner: Cosigner, at: datetime) -> None:
    """What a witness round keeps: ``cosigner``'s cosignature of ``signed``."""
    line = cosigner.cosign(note_parts(signed.note)[0], int(at.timestamp()))
    audit.ledger.keep_cosignature(KeptCosignature(str(cosigner.key()), signed.size, line, at))


def checked(audit: Audit, service: CardService, card_id: str, **options: int) -> Checked:
    """The desk's check of the card's history as the page reads it."""
    return check_card(audit, card_id, service.history(card_id, refusals=True), **options)


def kinds(result: Checked) -> dict[int, str]:
    return {seq: mark.kind for seq, mark in result.marks.items()}


def sql(request, *statements: str) -> None:
    as_administrator(request.getfixturevalue("sqlite_url"), *statements)


@BOTH
class TestAnHonestLedger:
    """Every entry holds, and the history is complete, cosigned by the witness."""

    def test_every_entry_holds_and_the_history_is_complete(self, audit, service, two_cards):
        result = checked(audit, service, two_cards[0])
        assert kinds(result) == dict.fromkeys([1, 2, 3, 4], INCLUDED)
        assert all(mark.holds and mark.reason is None for mark in result.marks.values())
        assert (result.checkpoint_size, result.complete, result.why_not) == (8, True, None)
        assert result.cosigners == ("office.example/w1",)
        assert result.checkpoint_at == audit.ledger.latest_checkpoint().signed_at

    def test_a_witness_not_configured_is_not_named(self, audit, service, clock):
        card_id = open_card(service)
        cosign(audit, audit.checkpoint(), STRANGER, clock())
        result = checked(audit, service, card_id)
        assert (result.complete, result.cosigners) == (True, ())

    def test_a_quorum_unmet_leaves_it_incomplete(self, audit, service, clock):
        card_id = open_card(service)
        audit.checkpoint()
        result = checked(audit, service, card_id, quorum=1)
        assert set(kinds(result).values()) == {INCLUDED}
        assert not result.complete
        assert "cosigned by 0 of the 1 witnesses, fewer than the quorum of 1" in result.why_not

    def test_a_quorum_met(self, audit, service, two_cards):
        result = checked(audit, service, two_cards[1], quorum=1)
        assert (result.complete, result.cosigners) == (True, ("office.example/w1",))


@BOTH
class TestNotYetCovered:
    """Entries the latest checkpoint does not cover are pending, and a read signs nothing."""

    def test_an_entry_past_the_checkpoint_is_pending(self, audit, service, two_cards):
        card_id = two_cards[0]
        service.transition(card_id, Step(*ACTIVATE[:2], CLERK, evidence=ACTIVATE[2]))
        result = checked(audit, service, card_id)
        assert kinds(result) == {
            1: INCLUDED,
            2: INCLUDED,
            3: INCLUDED,
            4: INCLUDED,
            9: PAST_CHECKPOINT,
        }
        pending = result.marks[9]
        assert pending.pending
        assert not pending.holds
        assert pending.reason == "entry 9 is newer than checkpoint 8: the next one covers it"
        assert (result.checkpoint_size, result.complete) == (8, True)
        assert audit.ledger.latest_checkpoint().size == 8

    def test_before_any_checkpoint_every_entry_is_pending(self, audit, service):
        card_id = open_card(service)
        result = checked(audit, service, card_id)
        assert kinds(result) == dict.fromkeys([1, 2, 3, 4], NO_CHECKPOINT)
        assert all(mark.pending for mark in result.marks.values())
        assert (result.checkpoint_size, result.complete) == (None, False)
        assert result.why_not == "no checkpoint has been signed yet"
        assert audit.ledger.latest_checkpoint() is None

    def test_a_card_newer_than_the_checkpoint(self, audit, service, two_cards):
        card_id = open_card(service)
        result = checked(audit, service, card_id)
        assert set(kinds(result).values()) == {PAST_CHECKPOINT}
        assert not result.complete
        assert result.why_not.endswith("the card is newer than the checkpoint")

    def test_a_server_without_a_log_key_checks_nothing(self, ledger, service, clock):
        card_id = open_card(service)
        Audit(ledger, signer=SIGNER, clock=clock).checkpoint()
        result = checked(Audit(ledger, clock=clock), service, card_id)
        assert set(kinds(result).values()) == {NO_CHECKPOINT}
        assert "given no key" in result.why_not


def forged_note(signed: SignedCheckpoint) -> str:
    """The note with its root changed, the log's signature left as it was."""
    text, lines = note_parts(signed.note)
    size, _root, *rest = text.split("\n")[1:]
    forged = "\n".join([text.split("\n")[0], size, "A" * 43 + "=", *rest])
    return forged + "\n" + "\n".join(lines) + "\n"


def foreign_note(signed: SignedCheckpoint) -> str:
    """The same checkpoint, signed by a key the server does not hold (one a database
    administrator made, and bound in the database)."""
    return Signer.generate(SIGNER.name).sign(note_parts(signed.note)[0])


@BOTH
class TestAFalseCheckpoint:
    """A checkpoint whose note does not hold under the server's own key marks every
    entry with its signature."""

    @pytest.mark.parametrize(
        ("forge", "says"),
        [
            (forged_note, "the log's signature on the checkpoint does not hold: it was altered"),
            (
                foreign_note,
                "the checkpoint carries no signature of the log key cardflow.test/ledger",
            ),
        ],
    )
    def test_every_entry_is_marked(
        self, audit, service, two_cards, request, monkeypatch, forge, says
    ):
        signed = audit.ledger.latest_checkpoint()
        note = forge(signed)
        if isinstance(audit.ledger, MemoryLedger):
            monkeypatch.setattr(
                audit.ledger, "latest_checkpoint", lambda: dataclasses.replace(signed, note=note)
            )
        else:
            sql(request, f"UPDATE ledger_checkpoints SET note = '{note}'")
        result = checked(audit, service, two_cards[0])
        assert kinds(result) == dict.fromkeys([1, 2, 3, 4], SIGNATURE)
        assert {mark.reason for mark in result.marks.values()} == {says}
        assert (result.checkpoint_size, result.complete, result.why_not) == (None, False, says)


def entry(service: CardService, card_id: str, seq: int) -> Entry:
    (found,) = [e for e in service.history(card_id, refusals=True) if e.seq == seq]
    return found


@SQLITE
class TestAnEditedLedger:
    """Each kind of edit gives the entries it touches a true reason, and the history no
    completeness; the others still hold."""

    def test_an_edited_evidence_column(self, audit, service, two_cards, request):
        sql(
            request,
            """UPDATE ledger_entries SET evidence = '{"information_checked": false}' """
            "WHERE seq = 2",
        )
        result = checked(audit, service, two_cards[0])
        assert kinds(result) == {1: INCLUDED, 2: ALTERED, 3: INCLUDED, 4: INCLUDED}
        assert result.marks[2].reason == (
            "entry 2 was altered: its stored fields do not hash to the hash recorded for it"
        )
        assert result.why_not == "entry 2 was altered: its bytes do not match its hash"
        assert result.cosigners == ("office.example/w1",)

    def test_an_edited_actor_column(self, audit, service, two_cards, request):
        sql(request, "UPDATE ledger_entries SET actor = 'clerk-9' WHERE seq = 7")
        result = checked(audit, service, two_cards[1])
        assert kinds(result) == {5: INCLUDED, 6: INCLUDED, 7: ALTERED, 8: INCLUDED}
        assert not result.complete

    @pytest.mark.parametrize("written", [ZEROS, "not a hash"])
    def test_an_edited_hash_column(self, audit, service, two_cards, request, written):
        sql(request, f"UPDATE ledger_entries SET hash = '{written}' WHERE seq = 3")
        result = checked(audit, service, two_cards[0])
        assert kinds(result) == {1: INCLUDED, 2: INCLUDED, 3: ALTERED, 4: INCLUDED}
        assert not result.complete

    def test_an_edit_with_its_hash_made_again(self, audit, service, two_cards, request):
        """The row agrees with itself, but its leaf is not in the signed tree."""
        edited = dataclasses.replace(entry(service, two_cards[0], 2), actor="clerk-9")
        sql(
            request,
            f"UPDATE ledger_entries SET actor = 'clerk-9', hash = '{edited.computed_hash()}' "
            "WHERE seq = 2",
        )
        result = checked(audit, service, two_cards[0])
        assert kinds(result) == {1: INCLUDED, 2: NOT_IN_TREE, 3: INCLUDED, 4: INCLUDED}
        assert result.marks[2].reason == (
            "entry 2 is not in the checkpoint's tree: its path does not hold"
        )
        assert not result.complete
        assert "is not in the checkpoint's tree" in result.why_not

    @pytest.mark.parametrize(
        ("level", "index", "written", "card", "failing"),
        [
            (0, 0, ZEROS, 0, {2}),  # entry 1's leaf: on entry 2's path only
            (0, 0, "zz", 0, {2}),  # not even hex
            (1, 1, ZEROS, 0, {1, 2}),  # over entries 3 and 4: on the paths of 1 and 2
            (2, 1, ZEROS, 0, {1, 2, 3, 4}),  # over card two's entries: on all of card one's
            (2, 1, ZEROS, 1, set()),  # card two's own entries are not on their own paths
        ],
    )
    def test_an_edited_tree_node(
        self, audit, service, two_cards, request, level, index, written, card, failing
    ):
        sql(
            request,
            f"UPDATE ledger_tree SET hash = '{written}' WHERE level = {level} AND idx = {index}",
        )
        result = checked(audit, service, two_cards[card])
        seqs = range(1, 5) if card == 0 else range(5, 9)
        assert kinds(result) == {seq: NOT_IN_TREE if seq in failing else INCLUDED for seq in seqs}
        assert result.complete == (not failing)

    def test_a_deleted_tree_node(self, audit, service, two_cards, request):
        """The node over entries 3 and 4 is on the paths of entries 1 and 2; entries 3
        and 4 still get theirs."""
        sql(request, "DELETE FROM ledger_tree WHERE level = 1 AND idx = 1")
        result = checked(audit, service, two_cards[0])
        assert kinds(result) == {1: UNREADABLE, 2: UNREADABLE, 3: INCLUDED, 4: INCLUDED}
        assert result.marks[1].reason == (
            "the ledger cannot give entry 1's inclusion proof: the ledger's tree lacks its "
            "node at level 1, index 1"
        )
        assert not result.complete

    @pytest.mark.parametrize(
        ("seq", "says"),
        [
            (1, "entry 2 is not the card's first entry"),
            (3, "entry 4 does not follow entry 2: an entry of the card between seq 2 and seq 4"),
            (4, "does not hold card"),
        ],
    )
    def test_a_deleted_entry_row(self, audit, service, two_cards, request, seq, says):
        sql(request, f"DELETE FROM ledger_entries WHERE seq = {seq}")
        result = checked(audit, service, two_cards[0])
        assert seq not in result.marks
        assert set(kinds(result).values()) == {INCLUDED}
        assert not result.complete
        assert says in result.why_not

    def test_an_edited_head_changes_no_mark(self, audit, service, two_cards, request):
        sql(
            request,
            "UPDATE ledger_heads SET state = 'activated', version = 9 "
            f"WHERE card_id = '{two_cards[0]}'",
        )
        result = checked(audit, service, two_cards[0])
        assert set(kinds(result).values()) == {INCLUDED}
        assert result.complete

    def test_the_checkpoint_row_beside_its_note_is_a_cache(
        self, audit, service, two_cards, request
    ):
        sql(request, f"UPDATE ledger_checkpoints SET size = 3, root = '{ZEROS}'")
        result = checked(audit, service, two_cards[0])
        assert set(kinds(result).values()) == {INCLUDED}
        assert (result.checkpoint_size, result.complete) == (8, True)

    @pytest.mark.parametrize(
        ("statement", "says"),
        [
            ("UPDATE ledger_checkpoints SET root = 'zz'", "non-hexadecimal"),
            ("UPDATE ledger_checkpoints SET signed_at = 'then'", "'then'"),
            ("UPDATE ledger_checkpoints SET note = CAST(x'ff' AS TEXT)", "not UTF-8"),
        ],
    )
    def test_a_checkpoint_row_that_cannot_be_read(
        self, audit, service, two_cards, request, statement, says
    ):
        sql(request, statement)
        result = checked(audit, service, two_cards[0])
        assert set(kinds(result).values()) == {UNREADABLE}
        assert result.why_not.startswith("the latest checkpoint cannot be read: ")
        assert says in result.why_not

    def test_a_removed_card_map(self, audit, service, two_cards, request):
        sql(request, "DELETE FROM ledger_map_nodes")
        result = checked(audit, service, two_cards[0])
        assert set(kinds(result).values()) == {INCLUDED}
        assert not result.complete
        assert result.why_not.startswith("the card map of checkpoint 8: the map node ")

    def test_a_removed_cosignature_names_no_cosigner(self, audit, service, two_cards, request):
        sql(request, "DELETE FROM ledger_cosignatures")
        result = checked(audit, service, two_cards[0])
        assert (result.complete, result.cosigners) == (True, ())


@SQLITE
class TestReadingAnEditedHistory:
    """What the page's read of a history raises for a row that no longer decodes."""

    @pytest.mark.parametrize(
        ("statement", "raised"),
        [
            ("UPDATE ledger_entries SET evidence = '{not json' WHERE seq = 2", ValueError),
            ("""UPDATE ledger_entries SET evidence = '{"photo": 1}' WHERE seq = 2""", TypeError),
            ("UPDATE ledger_entries SET evidence = '[]' WHERE seq = 2", TypeError),
            ("UPDATE ledger_entries SET occurred_at = 'then' WHERE seq = 2", ValueError),
            ("UPDATE ledger_entries SET version = 'two' WHERE seq = 2", ValueError),
            ("UPDATE ledger_entries SET actor = CAST(x'ff' AS TEXT) WHERE seq = 2", ValueError),
        ],
    )
    def test_a_row_that_does_not_decode(
        self, audit, service, two_cards, request, statement, raised
    ):
        sql(request, statement)
        with pytest.raises(raised), decoding_damage():
            service.history(two_cards[0], refusals=True)
        assert issubclass(raised, HISTORY_DAMAGE)

    def test_text_that_is_not_utf_8_is_the_driver_s_error_outside(
        self, service, two_cards, request
    ):
        sql(request, "UPDATE ledger_entries SET actor = CAST(x'ff' AS TEXT) WHERE seq = 2")
        with pytest.raises(OperationalError):
            service.history(two_cards[0], refusals=True)

    def test_a_card_whose_rows_were_all_deleted(self, service, two_cards, request):
        sql(request, f"DELETE FROM ledger_entries WHERE card_id = '{two_cards[0]}'")
        with pytest.raises(CardNotFound):
            service.history(two_cards[0], refusals=True)

    def test_the_check_itself_never_raises_for_it(self, audit, two_cards, request):
        """The page read a page of entries before the edit; the completeness read after."""
        entries = audit.ledger.entries_for(two_cards[0])
        sql(request, "UPDATE ledger_entries SET actor = CAST(x'ff' AS TEXT) WHERE seq = 2")
        result = check_card(audit, two_cards[0], entries)
        assert not result.complete
        assert "not UTF-8" in result.why_not


@BOTH
class TestTheCall:
    """A call the desk should never make is refused, and every kind is of the closed set."""

    def test_more_than_a_page(self, audit, service, two_cards):
        entries = service.history(two_cards[0]) * (MOST_ENTRIES // 4 + 1)
        with pytest.raises(ValueError, match=f"at most {MOST_ENTRIES} entries"):
            check_card(audit, two_cards[0], entries)

    def test_an_entry_of_another_card(self, audit, service, two_cards):
        with pytest.raises(ValueError, match=r"entries \[5, 6, 7, 8\] are not entries of card"):
            check_card(audit, two_cards[0], service.history(two_cards[1]))

    def test_a_quorum_of_more_witnesses_than_configured(self, audit, service, two_cards):
        with pytest.raises(ValueError, match="a quorum is 0 to the 1 witnesses configured, not 2"):
            checked(audit, service, two_cards[0], quorum=2)


def test_the_kinds_are_those_the_page_translates():
    assert {
        "included",
        "altered",
        "not-in-tree",
        "past-checkpoint",
        "no-checkpoint",
        "signature",
        "unreadable",
    } == KINDS


def test_the_time_is_the_one_the_ledger_keeps(clock):
    """``checkpoint_at`` is the row's signing time (the note carries none)."""
    ledger = MemoryLedger(clock=clock)
    service = CardService(ledger, clock=clock)
    card_id = open_card(service)
    clock.now = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    audit = Audit(ledger, signer=SIGNER, clock=clock)
    audit.checkpoint()
    result = check_card(audit, card_id, service.history(card_id))
    assert result.checkpoint_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
