"""What the use-case tests share: a clerk, an application, and the steps they take."""

from __future__ import annotations

from ledger.store import Ledger
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role

NAME = "Li Lei"
ID_NUMBER = "11010519491231002X"
CLERK = Actor("clerk-7", Role.CLERK)
APPLICATION = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}


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
