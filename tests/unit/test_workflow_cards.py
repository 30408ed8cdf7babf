"""Opening, moving and reading cards over the in-memory ledger; refusals noted."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from ledger.memory import MemoryLedger
from ledger.store import Draft
from ledger.verify import verify
from tests.people import citizen_id
from tests.unit.workflow_cards import APPLICATION, CLERK, ID_NUMBER, NAME, apply, review, snapshot
from workflow.definition import DEFINITION_VERSION
from workflow.errors import (
    CardNotFound,
    ConditionNotMet,
    InvalidEvidence,
    InvalidIdentity,
    InvalidRequest,
    MisdatedStep,
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
)
from workflow.policy import DEFAULT_POLICY, Policy
from workflow.service import Actor, Applicant, Batch, BatchItem, Card, CardService, Step
from workflow.states import Channel, Event, Role, State


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

    def test_the_live_card_of_a_person(self, cards):
        card = apply(cards)
        assert cards.live_card_of(ID_NUMBER) == cards.card(card.card_id)
        assert cards.live_card_of(f" {ID_NUMBER.lower()} ") == cards.card(card.card_id)

    def test_no_live_card(self, cards):
        assert cards.live_card_of(citizen_id()) is None

    def test_a_cancelled_card_is_not_live(self, cards):
        card = apply(cards)
        cards.transition(
            card.card_id,
            Step(
                Event.CANCEL,
                Channel.CARD_CENTER,
                CLERK,
                evidence={"cancellation_reason": "settled_abroad", "cancellation_proof": True},
            ),
        )
        assert cards.live_card_of(ID_NUMBER) is None

    def test_the_live_card_of_an_invalid_number(self, cards):
        with pytest.raises(InvalidIdentity):
            cards.live_card_of("110105194912310021")


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


class CountingLedger(MemoryLedger):
    """The in-memory ledger, counting the round trips a use case makes to it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.calls: Counter[str] = Counter()
        self.appended: list[list[Draft]] = []

    def append(self, drafts, *, persons=(), erase=()):
        self.calls["append"] += 1
        self.appended.append(list(drafts))
        return super().append(drafts, persons=persons, erase=erase)

    def head(self, card_id):
        self.calls["head"] += 1
        return super().head(card_id)

    def entries_for(self, card_id):
        self.calls["entries_for"] += 1
        return super().entries_for(card_id)

    def card_page(self, card_id, **page):
        self.calls["card_page"] += 1
        return super().card_page(card_id, **page)

    def receipt(self, actor, key):
        self.calls["receipt"] += 1
        return super().receipt(actor, key)


class MovedUnderfoot(CountingLedger):
    """A ledger on which another clerk reviews the card just before the first note of a
    refusal is written: the refusal was decided on a card that is no longer there."""

    raced = False

    def append(self, drafts, *, persons=(), erase=()):
        if drafts[0].kind == "refusal" and not self.raced:
            self.raced = True
            (noted,) = drafts
            super().append(
                [
                    replace(
                        noted,
                        kind="transition",
                        version=noted.version + 1,
                        event="review",
                        channel="card_center",
                        to_state="reviewed",
                        evidence={"information_checked": True},
                    )
                ]
            )
        return super().append(drafts, persons=persons, erase=erase)


PRODUCE = Step(Event.PRODUCE, Channel.ISSUING_BANK, CLERK, evidence={"production_batch": "B1"})
COLLECT = Step(
    Event.COLLECT,
    Channel.CARD_CENTER,
    CLERK,
    evidence={"collection_notice": "acceptance_receipt", "valid_id": True},
)


class TestOneAppend:
    """A step reads the card once and writes once: its move, or the note of its refusal
    (a refusal also reads the card's notes since its last move, to keep them bounded)."""

    @pytest.fixture
    def counting(self, clock) -> CountingLedger:
        return CountingLedger(clock=clock)

    def test_an_accepted_step(self, counting, clock):
        cards = CardService(counting, clock=clock)
        card = apply(cards)
        counting.calls.clear()
        review(cards, card.card_id)
        assert counting.calls == {"head": 1, "append": 1}

    def test_a_refused_step_is_noted_in_the_append_that_would_have_moved_it(self, counting, clock):
        cards = CardService(counting, clock=clock)
        card = apply(cards)
        counting.calls.clear()
        with pytest.raises(TransitionNotAllowed):
            cards.transition(card.card_id, PRODUCE)
        assert counting.calls == {"head": 1, "card_page": 1, "append": 1}
        ((noted,),) = counting.appended[-1:]
        assert (noted.kind, noted.version, noted.event) == ("refusal", 1, "produce")

    def test_a_stale_version_is_noted_in_one_append(self, counting, clock):
        cards = CardService(counting, clock=clock)
        card = apply(cards)
        counting.calls.clear()
        with pytest.raises(StaleVersion):
            review(cards, card.card_id, expected_version=3)
        assert counting.calls == {"head": 1, "card_page": 1, "append": 1}

    def test_an_idempotent_step(self, counting, clock):
        cards = CardService(counting, clock=clock)
        card = apply(cards)
        step = replace(PRODUCE, idempotency_key="k")
        counting.calls.clear()
        with pytest.raises(TransitionNotAllowed):
            cards.transition(card.card_id, step)
        assert counting.calls == {"receipt": 2, "head": 1, "card_page": 1, "append": 1}

    def test_a_refusal_that_lost_its_race_is_decided_again_and_may_accept(self, clock):
        """Refused on an applied card; by the time the note is written the card is
        reviewed, so the step is decided again, and accepted."""
        racing = MovedUnderfoot(clock=clock)
        cards = CardService(racing, clock=clock)
        card = apply(cards)
        assert cards.transition(card.card_id, PRODUCE).state is State.PRODUCED
        assert [e.kind for e in racing.entries_for(card.card_id)] == ["transition"] * 3
        assert verify(racing).ok

    def test_a_refusal_that_lost_its_race_is_noted_on_the_card_it_was_decided_on(self, clock):
        racing = MovedUnderfoot(clock=clock)
        cards = CardService(racing, clock=clock)
        card = apply(cards)
        with pytest.raises(TransitionNotAllowed) as refused:
            cards.transition(card.card_id, COLLECT)
        assert refused.value.state is State.REVIEWED
        noted = racing.entries_for(card.card_id)[-1]
        assert (noted.kind, noted.version, noted.from_state) == ("refusal", 2, "reviewed")
        assert noted.evidence["reason"] == "not allowed from reviewed"
        assert [e.kind for e in racing.entries_for(card.card_id)].count("refusal") == 1


SYSTEM = Actor("cardflow-deadlines", Role.SYSTEM)
REVIEW = Step(Event.REVIEW, Channel.CARD_CENTER, CLERK, evidence={"information_checked": True})
RETURN = Step(
    Event.RETURN, Channel.SYSTEM, SYSTEM, evidence={"deadline_expired": "collection_window"}
)


def _dated(step: Step, when: datetime) -> Step:
    return replace(step, occurred_at=when)


class TestClaimedTimes:
    """A channel may date a step at most the region policy's window back (72 hours unless
    the region says otherwise), and a deadline runs from when cardflow recorded the step
    that starts it, never from the time claimed."""

    def test_a_claim_further_back_than_the_window_is_refused_naming_it(self, cards, memory, clock):
        with pytest.raises(MisdatedStep, match=r"at most 72 hours back") as refused:
            apply(cards, occurred_at=clock.now - timedelta(hours=72, seconds=1))
        assert (refused.value.ahead, refused.value.window) == (False, timedelta(hours=72))
        assert DEFAULT_POLICY.label in refused.value.detail
        assert list(memory.scan()) == []

    def test_a_claim_at_the_edge_of_the_window_is_taken_as_claimed(self, cards, clock):
        claimed = clock.now - timedelta(hours=72)
        (entry,) = cards.history(apply(cards, occurred_at=claimed).card_id)
        assert (entry.occurred_at, entry.recorded_at) == (claimed, clock.now)

    def test_a_chain_dated_400_days_back_is_refused_at_its_first_step(self, cards, memory, clock):
        """The attack: apply, review, produce all claimed long ago, then the system's
        return at once. The first claim is refused, so there is nothing to return."""
        with pytest.raises(MisdatedStep):
            apply(cards, occurred_at=clock.now - timedelta(days=400))
        card = apply(cards)
        before = snapshot(memory, card.card_id)
        with pytest.raises(MisdatedStep):
            cards.transition(
                card.card_id,
                _dated(
                    REVIEW,
                    clock.now - timedelta(days=400),
                ),
            )
        assert snapshot(memory, card.card_id) == before
        noted = memory.entries_for(card.card_id)[-1]
        assert noted.evidence == {
            "refused": "misdated_step",
            "reason": "dated more than 72 hours back",
        }

    def test_a_deadline_runs_from_when_its_step_is_recorded(self, cards, clock):
        back = clock.now - timedelta(hours=71)
        card = apply(cards, occurred_at=back)
        cards.transition(
            card.card_id,
            _dated(
                REVIEW,
                back,
            ),
        )
        produced = cards.transition(card.card_id, _dated(PRODUCE, back))
        assert produced.due_at == clock.now + timedelta(days=180)
        with pytest.raises(ConditionNotMet, match="collection_window"):
            cards.transition(card.card_id, RETURN)
        clock.advance(days=180, seconds=-1)
        assert cards.sweep().swept == []
        clock.advance(seconds=1)
        assert [swept.event for swept in cards.sweep().swept] == [Event.RETURN]

    def test_the_region_policy_sets_the_window(self, memory, clock):
        cards = CardService(memory, clock=clock, policy=Policy("north", backdating_hours=24))
        apply(cards, occurred_at=clock.now - timedelta(hours=24))
        with pytest.raises(MisdatedStep, match=r"north/1\+.* at most 24 hours back"):
            apply(cards, citizen_id(), occurred_at=clock.now - timedelta(hours=25))

    def test_a_claim_ahead_of_the_clock_by_more_than_it_may_drift_is_refused(self, cards, clock):
        apply(cards, occurred_at=clock.now + timedelta(minutes=5))
        with pytest.raises(MisdatedStep, match="at most 5 minutes ahead") as refused:
            apply(cards, citizen_id(), occurred_at=clock.now + timedelta(minutes=5, seconds=1))
        assert refused.value.ahead

    def test_a_batch_item_is_a_claim_like_any_other(self, cards, memory, clock):
        """Each item dated too far back is refused on its own; the others are taken."""
        opened = [review(cards, apply(cards, citizen_id()).card_id) for _ in range(3)]
        clock.advance(hours=2)
        dates = [clock.now, clock.now - timedelta(days=30), clock.now - timedelta(hours=1)]
        result = cards.batch(
            Batch(
                Event.PRODUCE,
                Channel.ISSUING_BANK,
                CLERK,
                [
                    BatchItem(card_id=card.card_id, occurred_at=when)
                    for card, when in zip(opened, dates, strict=True)
                ],
                {"production_batch": "B1"},
            )
        )
        accepted, misdated, within = result.outcomes
        assert isinstance(misdated, MisdatedStep)
        assert isinstance(accepted, Card)
        assert isinstance(within, Card)
        assert accepted.due_at == within.due_at == clock.now + timedelta(days=180)
        assert cards.card(opened[1].card_id).state is State.REVIEWED
        applied = cards.batch(
            Batch(
                Event.APPLY,
                Channel.COMMUNITY,
                CLERK,
                [
                    BatchItem(
                        applicant=Applicant(NAME, citizen_id()),
                        evidence=APPLICATION,
                        occurred_at=clock.now - timedelta(days=400),
                    )
                ],
            )
        )
        (refused,) = applied.outcomes
        assert isinstance(refused, MisdatedStep)
