"""``CardService.live_card_of``: the demo (and any client) asks who holds a card by the
ID number, never by the ledger's person references."""

from __future__ import annotations

import pytest

from ledger.memory import MemoryLedger
from tests.people import citizen_id
from workflow.errors import InvalidIdentity
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role, State

CLERK = Actor("clerk-7", Role.CLERK)
APPLICATION = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}


@pytest.fixture
def cards(clock) -> CardService:
    return CardService(MemoryLedger(clock=clock), clock=clock)


class TestLiveCardOf:
    """The live card a person holds, found by their ID number."""

    def test_none_before_applying(self, cards):
        assert cards.live_card_of(citizen_id()) is None

    def test_the_card_applied_for(self, cards):
        number = citizen_id()
        card = cards.apply(
            Applicant("Li Lei", number),
            Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION),
        )
        held = cards.live_card_of(number)
        assert held is not None
        assert (held.card_id, held.state, held.version) == (card.card_id, State.APPLIED, 1)

    def test_the_number_written_as_people_write_it(self, cards):
        number = next(n for n in iter(citizen_id, None) if n.endswith("X"))
        cards.apply(
            Applicant("Li Lei", number),
            Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION),
        )
        assert cards.live_card_of(f" {number.lower()} ") is not None

    def test_a_number_failing_its_check_is_refused(self, cards):
        number = citizen_id()
        wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
        with pytest.raises(InvalidIdentity):
            cards.live_card_of(wrong)
