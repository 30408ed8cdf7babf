"""A retry with the same idempotency key is answered from its receipt and writes nothing."""

from __future__ import annotations

import pytest

from ledger.memory import MemoryLedger
from tests.people import citizen_id
from tests.unit.workflow_cards import APPLICATION, CLERK, ID_NUMBER, NAME, apply
from workflow.errors import KeyReused, TransitionNotAllowed
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role


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
