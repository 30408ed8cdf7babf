"""Drafts for the contract suite, and a realistic ledger built through the use cases."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.entry import Draft
from tests.people import citizen_id
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role

CLERK = Actor("clerk-1", Role.CLERK)
ID_NUMBER = "11010519491231002X"
APPLICATION = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}
TO_COLLECTED = (
    (Event.REVIEW, Channel.CARD_CENTER, {"information_checked": True}),
    (Event.PRODUCE, Channel.ISSUING_BANK, {"production_batch": "B2026-03"}),
    (
        Event.COLLECT,
        Channel.CARD_CENTER,
        {"collection_notice": "acceptance_receipt", "valid_id": True},
    ),
)
ACTIVATE = (
    Event.ACTIVATE,
    Channel.BANK_OUTLET,
    {"card_presented": True, "original_id": True, "initial_pin_changed": True},
)


def draft(card_id: str, version: int, **overrides: object) -> Draft:
    fields: dict[str, object] = {
        "card_id": card_id,
        "version": version,
        "kind": "transition",
        "event": "apply" if version == 1 else "review",
        "from_state": None if version == 1 else "applied",
        "to_state": "applied" if version == 1 else "reviewed",
        "channel": "card_center",
        "actor": "clerk-1",
        "role": "clerk",
        "presenter": "self",
        "subject": f"person-{card_id}",
        "occurred_at": datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC),
        "evidence": {"information_checked": True},
        "definition_version": "1+test",
        "region": "default",
        "policy": "default/1+contract",
    }
    fields.update(overrides)
    return Draft(**fields)  # type: ignore[arg-type]


def open_card(service: CardService, steps=TO_COLLECTED) -> str:
    card = service.apply(
        Applicant("Li Lei", citizen_id()),
        Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION),
    )
    for event, channel, evidence in steps:
        service.transition(card.card_id, Step(event, channel, CLERK, evidence=evidence))
    return card.card_id
