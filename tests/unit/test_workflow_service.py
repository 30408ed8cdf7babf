"""The use cases over the in-memory ledger: apply, transition, history, verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from ledger.memory import MemoryLedger
from ledger.store import Ledger
from ledger.verify import verify
from tests.people import citizen_id
from workflow.definition import DEFINITION_VERSION
from workflow.errors import (
    CardNotFound,
    InvalidEvidence,
    InvalidIdentity,
    InvalidRequest,
    KeyReused,
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
)
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role, State

NAME = "Li Lei"
ID_NUMBER = "11010519491231002X"
CLERK = Actor("clerk-7", Role.CLERK)
APPLICATION = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}


@pytest.fixture
def memory(clock) -> MemoryLedger:
    return MemoryLedger(clock=clock)


@pytest.fixture
def cards(memory, clock) -> CardService:
    return CardService(memory, clock=clock)


def apply(cards: CardService, id_number: str = ID_NUMBER, **step):
    return cards.apply(
        Applicant(NAME, id_number, contact_number="13800000000"),
        Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION, **step),
    )


def review(cards: CardService, card_id: str, **kwargs):
    return cards.transition(
        card_id,
        Step(Event.REVIEW, Channel.CARD_CENTER, CLERK, evidence={"information_checked": True}),
        **kwargs,
    )


def snapshot(ledger: Ledger, card_id: str):
    """The card as a refusal must leave it: its head and every transition written."""
    return ledger.head(card_id), [e for e in ledger.entries_for(card_id) if e.moves]


class TestApply:
    """Applying opens a card and keeps the person out of the ledger."""

    def test_opens_a_card_in_applied(self, cards):
        card = apply(cards)
        assert (card.state, card.version, card.allowed) == (
            State.APPLIED,
            1,
            (Event.REVIEW, Event.REJECT, Event.CANCEL),
        )

    def test_the_entry_names_the_person_by_reference_only(self, cards, memory):
        card = apply(cards)
        (entry,) = cards.history(card.card_id)
        encoded = entry.encode().decode()
        assert NAME not in encoded
        assert ID_NUMBER not in encoded
        person = memory.person(entry.subject)
        assert person is not None
        assert (person.name, person.id_number) == (NAME, ID_NUMBER)
        assert person.details == {"contact_number": "13800000000"}

    def test_records_the_definition_version_and_actor(self, cards):
        (entry,) = cards.history(apply(cards).card_id)
        assert entry.definition_version == DEFINITION_VERSION
        assert (entry.actor, entry.role, entry.presenter) == ("clerk-7", "clerk", "self")

    def test_an_invalid_id_number_writes_nothing(self, cards, memory):
        with pytest.raises(InvalidIdentity):
            cards.apply(
                Applicant(NAME, "110105194912310021"),
                Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION),
            )
        assert memory.tip().size == 0

    def test_only_apply_opens_a_card(self, cards):
        with pytest.raises(InvalidRequest):
            cards.apply(Applicant(NAME, ID_NUMBER), Step(Event.REVIEW, Channel.CARD_CENTER, CLERK))


class TestTransition:
    """A step moves the card and its head together, or not at all."""

    def test_review_issues_a_payment_slip(self, cards):
        card = apply(cards)
        moved = review(cards, card.card_id)
        assert (moved.state, moved.version) == (State.REVIEWED, 2)
        slip = cards.history(card.card_id)[-1].evidence["payment_slip"]
        assert slip == f"PS-{card.card_id.replace('-', '')[:8].upper()}-2"

    def test_a_refusal_leaves_card_and_ledger_as_they_were(self, cards, memory):
        card = apply(cards)
        before = snapshot(memory, card.card_id)
        with pytest.raises(TransitionNotAllowed):
            cards.transition(
                card.card_id,
                Step(
                    Event.PRODUCE, Channel.ISSUING_BANK, CLERK, evidence={"production_batch": "B1"}
                ),
            )
        assert snapshot(memory, card.card_id) == before

    def test_a_stale_expected_version_is_refused(self, cards, memory):
        card = apply(cards)
        before = snapshot(memory, card.card_id)
        with pytest.raises(StaleVersion) as refused:
            review(cards, card.card_id, expected_version=7)
        assert (refused.value.expected, refused.value.actual) == (7, 1)
        assert snapshot(memory, card.card_id) == before

    def test_the_expected_version_when_current(self, cards):
        card = apply(cards)
        assert review(cards, card.card_id, expected_version=1).version == 2

    def test_an_unknown_card(self, cards):
        with pytest.raises(CardNotFound):
            review(cards, "no-such-card")

    def test_occurred_at_in_the_future_is_refused(self, cards, clock):
        with pytest.raises(InvalidRequest, match="future"):
            apply(cards, occurred_at=clock.now + timedelta(hours=1))

    def test_occurred_at_without_a_zone_is_refused(self, cards):
        with pytest.raises(InvalidRequest, match="time zone"):
            apply(cards, occurred_at=datetime(2026, 3, 1, 9, 0))

    def test_occurred_at_is_recorded_as_claimed(self, cards, clock):
        claimed = datetime(2026, 3, 1, 17, 5, 3, 250, tzinfo=UTC)
        card = apply(cards, occurred_at=claimed)
        (entry,) = cards.history(card.card_id)
        assert (entry.occurred_at, entry.recorded_at) == (claimed, clock.now)

    def test_a_step_cannot_happen_before_the_one_it_follows(self, cards, memory, clock):
        """Nor, so, before the card existed; the refusal says when the last step was."""
        opened = datetime(2026, 3, 1, 17, 5, tzinfo=UTC)
        card = apply(cards, occurred_at=opened)
        before = snapshot(memory, card.card_id)
        step = Step(
            Event.REVIEW,
            Channel.CARD_CENTER,
            CLERK,
            evidence={"information_checked": True},
            occurred_at=opened - timedelta(seconds=1),
        )
        with pytest.raises(InvalidRequest, match=r"before the card's last step \(2026-03-01T17:05"):
            cards.transition(card.card_id, step)
        assert snapshot(memory, card.card_id) == before
        at_once = Step(
            Event.REVIEW, Channel.CARD_CENTER, CLERK, evidence=step.evidence, occurred_at=opened
        )
        assert cards.transition(card.card_id, at_once).state is State.REVIEWED

    def test_a_lost_race_is_retried_against_the_new_state(self, memory, clock):
        """Without an expected version, the loser hears the real reason."""

        class RacingLedger(MemoryLedger):
            raced = False

            def append(self, drafts, *, persons=()):
                if drafts[0].event == "review" and not self.raced:
                    self.raced = True
                    super().append(
                        [
                            type(drafts[0])(
                                **{
                                    **{f: getattr(drafts[0], f) for f in drafts[0].__slots__},
                                    "event": "reject",
                                    "to_state": "rejected",
                                    "evidence": {"rejection_reason": "photo_unusable"},
                                }
                            )
                        ]
                    )
                return super().append(drafts, persons=persons)

        racing = RacingLedger(clock=clock)
        cards = CardService(racing, clock=clock)
        card = apply(cards)
        with pytest.raises(TransitionNotAllowed) as refused:
            review(cards, card.card_id)
        assert refused.value.state is State.REJECTED


class TestReading:
    """History and the feed read the ledger back in order."""

    def test_history_of_an_unknown_card(self, cards):
        with pytest.raises(CardNotFound):
            cards.history("nope")

    def test_feed_pages_in_sequence_order(self, cards):
        ids = [apply(cards, citizen_id()).card_id for _ in range(3)]
        assert [e.card_id for e in cards.feed(after=0, limit=2)] == ids[:2]
        assert [e.seq for e in cards.feed(after=2, limit=10)] == [3]

    def test_verify_an_untouched_ledger(self, cards):
        review(cards, apply(cards).card_id)
        report = verify(cards.ledger)
        assert report.ok
        assert (report.entries, report.cards) == (2, 1)


class TestLogging:
    """Every transition is logged with card, event, channel and outcome, never a person."""

    def test_accepted_and_refused(self, cards):
        with capture_logs() as logs:
            card = apply(cards)
            with pytest.raises(TransitionNotAllowed):
                cards.transition(
                    card.card_id,
                    Step(Event.COLLECT, Channel.CARD_CENTER, CLERK, evidence={}),
                )
        assert [(log["event"], log["outcome"]) for log in logs] == [
            ("transition accepted", "accepted"),
            ("transition refused", "refused"),
        ]
        assert [(log["transition"], log["channel"]) for log in logs] == [
            ("apply", "card_center"),
            ("collect", "card_center"),
        ]
        for log in logs:
            assert log["card_id"] == card.card_id
        assert logs[1]["reason"] == "TransitionNotAllowed"
        dumped = json.dumps(logs, default=str)
        assert NAME not in dumped
        assert ID_NUMBER not in dumped


class TestIdempotency:
    """A retry with the same key answers as the first request did and writes nothing."""

    def test_apply_once(self, cards, memory):
        first = apply(cards, idempotency_key="k-1")
        again = apply(cards, idempotency_key="k-1")
        assert again == first
        assert memory.tip().size == 1

    def test_transition_once(self, cards, memory):
        card = apply(cards)
        step = Step(
            Event.REVIEW,
            Channel.CARD_CENTER,
            CLERK,
            evidence={"information_checked": True},
            idempotency_key="k-2",
        )
        first = cards.transition(card.card_id, step)
        assert cards.transition(card.card_id, step) == first
        assert memory.tip().size == 2

    def test_the_answer_is_the_first_even_after_the_card_moved(self, cards):
        card = apply(cards)
        step = Step(
            Event.REVIEW,
            Channel.CARD_CENTER,
            CLERK,
            evidence={"information_checked": True},
            idempotency_key="k",
        )
        first = cards.transition(card.card_id, step)
        cards.transition(
            card.card_id,
            Step(Event.PRODUCE, Channel.ISSUING_BANK, CLERK, evidence={"production_batch": "B1"}),
        )
        assert cards.transition(card.card_id, step) == first

    def test_a_receipt_says_nothing_of_the_applicant_without_the_person_key(self):
        """The fingerprint a receipt keeps depends on the person key: the same request
        under another key gives another, so no one can test guesses of a name and an ID
        number against it."""
        prints = []
        for key in (b"k" * 32, b"q" * 32):
            memory = MemoryLedger()
            apply(CardService(memory, person_key=key), idempotency_key="k-1")
            prints.append(memory.receipt(CLERK.name, "k-1").fingerprint)
        assert prints[0] != prints[1]

    def test_the_same_key_for_another_request(self, cards, memory):
        apply(cards, idempotency_key="k-1")
        with pytest.raises(KeyReused):
            cards.apply(
                Applicant("Han Meimei", ID_NUMBER),
                Step(
                    Event.APPLY,
                    Channel.CARD_CENTER,
                    CLERK,
                    evidence=APPLICATION,
                    idempotency_key="k-1",
                ),
            )
        assert memory.tip().size == 1

    def test_another_principal_may_use_the_same_key(self, cards, memory):
        apply(cards, idempotency_key="k-1")
        other = Actor("clerk-8", Role.CLERK)
        cards.apply(
            Applicant(NAME, citizen_id()),
            Step(
                Event.APPLY, Channel.CARD_CENTER, other, evidence=APPLICATION, idempotency_key="k-1"
            ),
        )
        assert memory.tip().size == 2

    def test_a_refused_request_is_not_remembered(self, cards, memory):
        card = apply(cards)
        step = Step(Event.COLLECT, Channel.CARD_CENTER, CLERK, evidence={}, idempotency_key="k")
        for _ in range(2):
            with pytest.raises(TransitionNotAllowed):
                cards.transition(card.card_id, step)
        assert memory.receipt("clerk-7", "k") is None


class TestRefusalsAreNoted:
    """A refused attempt on a card is written to its record and moves nothing."""

    def test_the_note(self, cards, memory, clock):
        card = apply(cards)
        with pytest.raises(TransitionNotAllowed):
            cards.transition(
                card.card_id,
                Step(
                    Event.ACTIVATE,
                    Channel.PHARMACY,
                    CLERK,
                    evidence={"first_purchase": True, "name": NAME},
                ),
            )
        noted = memory.entries_for(card.card_id)[-1]
        assert (noted.kind, noted.version, noted.from_state, noted.to_state) == (
            "refusal",
            1,
            "applied",
            "applied",
        )
        assert (noted.event, noted.channel, noted.actor) == ("activate", "pharmacy", "clerk-7")
        assert noted.evidence == {
            "refused": "transition_not_allowed",
            "reason": "not allowed from applied",
        }
        assert noted.occurred_at == clock.now
        assert memory.head(card.card_id).version == 1
        assert verify(cards.ledger).ok

    def test_the_callers_evidence_is_never_copied(self, cards, memory):
        card = apply(cards)
        with pytest.raises(InvalidEvidence):
            cards.transition(
                card.card_id,
                Step(
                    Event.REVIEW,
                    Channel.CARD_CENTER,
                    CLERK,
                    evidence={"holder": NAME, "number": ID_NUMBER},
                ),
            )
        noted = memory.entries_for(card.card_id)[-1]
        assert noted.evidence["refused"] == "invalid_evidence"
        assert NAME not in noted.encode().decode()
        assert ID_NUMBER not in noted.encode().decode()
        assert "2 unknown item(s)" in noted.evidence["reason"]

    def test_a_principal_outside_its_channels(self, cards, memory):
        card = apply(cards)
        pharmacy = Actor("pharmacy-1", Role.CLERK, frozenset({Channel.PHARMACY}))
        with pytest.raises(NotPermitted):
            cards.transition(card.card_id, Step(Event.REVIEW, Channel.CARD_CENTER, pharmacy))
        assert memory.entries_for(card.card_id)[-1].evidence["refused"] == "not_permitted"

    def test_history_shows_refusals_on_request(self, cards):
        card = apply(cards)
        with pytest.raises(TransitionNotAllowed):
            cards.transition(card.card_id, Step(Event.COLLECT, Channel.CARD_CENTER, CLERK))
        assert [e.kind for e in cards.history(card.card_id)] == ["transition"]
        assert [e.kind for e in cards.history(card.card_id, refusals=True)] == [
            "transition",
            "refusal",
        ]

    def test_nothing_is_noted_for_an_unknown_card(self, cards, memory):
        with pytest.raises(CardNotFound):
            review(cards, "nope")
        assert memory.tip().size == 0
