"""The demo's stories: the cards' lives ``cardflow demo`` tells, as data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from workflow.service import Actor
from workflow.states import Channel, Event, Presenter, Role

E = Event
C = Channel

DAYS_AGO: Final = 400
"""How long ago the demo's stories begin: past every deadline of the default policy."""

APPLICATION: Final[Mapping[str, object]] = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}
UNIT_BATCH: Final[Mapping[str, object]] = {
    "unit_letter": "letter_of_introduction",
    "unit_seal": True,
    "person_in_charge_id": True,
}
CHILD_APPLICATION: Final[Mapping[str, object]] = {
    "identity_document": "household_register",
    "registration_form": True,
    "applicant_signature": True,
}
"""A child of 6 or under: no photo needed."""
AGENT: Final[Mapping[str, object]] = {"agent_id_documents": True, "insured_id_documents": True}
REVIEW: Final[Mapping[str, object]] = {"information_checked": True}
COLLECT: Final[Mapping[str, object]] = {"collection_notice": "acceptance_receipt", "valid_id": True}
PHONE_NOTICE: Final[Mapping[str, object]] = {"collection_notice": "phone_notice", "valid_id": True}
AT_BANK: Final[Mapping[str, object]] = {
    "card_presented": True,
    "original_id": True,
    "initial_pin_changed": True,
}


@dataclass(frozen=True, slots=True)
class Move:
    """One step of a demo card's story; ``refused`` marks a step cardflow must refuse."""

    event: Event
    channel: Channel
    evidence: Mapping[str, object]
    day: int
    presenter: Presenter = Presenter.SELF
    refused: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    """A card's life as the demo tells it."""

    title: str
    region: str
    born: str
    moves: tuple[Move, ...]
    mistyped_id_first: bool = False


def _batch(day: int) -> Move:
    return Move(E.PRODUCE, C.ISSUING_BANK, {"production_batch": f"B2026-{day:03d}"}, day)


STORIES: Final[tuple[Story, ...]] = (
    Story(
        "an individual at the card center, activated at a bank outlet",
        "110105",
        "19850412",
        (
            Move(E.APPLY, C.CARD_CENTER, APPLICATION, 0),
            Move(
                E.PRODUCE,
                C.ISSUING_BANK,
                {"production_batch": "B2026-001"},
                1,
                refused=True,
                note="produce before review",
            ),
            Move(
                E.APPLY,
                C.BANK_OUTLET,
                APPLICATION,
                1,
                refused=True,
                note="a second application while the first card is live",
            ),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 2),
            _batch(20),
            Move(
                E.ACTIVATE,
                C.BANK_OUTLET,
                AT_BANK,
                21,
                refused=True,
                note="activate before collection",
            ),
            Move(E.COLLECT, C.CARD_CENTER, COLLECT, 30),
            Move(
                E.ACTIVATE,
                C.BANK_OUTLET,
                {"card_presented": True, "original_id": True},
                31,
                refused=True,
                note="initial PIN not changed",
            ),
            Move(E.ACTIVATE, C.BANK_OUTLET, AT_BANK, 31),
        ),
        mistyped_id_first=True,
    ),
    Story(
        "an employee in the unit's batch, activated at a designated hospital",
        "310104",
        "19920708",
        (
            Move(E.APPLY, C.EMPLOYER, {**APPLICATION, **UNIT_BATCH}, 0),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 3),
            _batch(21),
            Move(E.COLLECT, C.EMPLOYER, PHONE_NOTICE, 35),
            Move(E.ACTIVATE, C.HOSPITAL, {"first_settlement": "outpatient_registration"}, 40),
            Move(E.ACTIVATE_FINANCIAL, C.BANK_OUTLET, AT_BANK, 120),
        ),
    ),
    Story(
        "a rural resident through the village committee, activated at a designated pharmacy",
        "510107",
        "19670101",
        (
            Move(E.APPLY, C.COMMUNITY, APPLICATION, 0),
            Move(
                E.APPLY,
                C.HOSPITAL,
                APPLICATION,
                0,
                refused=True,
                note="a hospital cannot take applications",
            ),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 5),
            _batch(22),
            Move(E.COLLECT, C.COMMUNITY, PHONE_NOTICE, 36),
            Move(
                E.ACTIVATE,
                C.PHARMACY,
                {"medical_insurance_card_inserted_first": True, "first_purchase": True},
                50,
            ),
            Move(E.ACTIVATE_FINANCIAL, C.BANK_OUTLET, AT_BANK, 200),
            Move(
                E.ACTIVATE_FINANCIAL,
                C.BANK_OUTLET,
                AT_BANK,
                201,
                refused=True,
                note="the bank function activated twice",
            ),
        ),
    ),
    Story(
        "a card collected by an agent, activated through the 12333 hotline",
        "440305",
        "19781123",
        (
            Move(E.APPLY, C.BANK_OUTLET, APPLICATION, 0),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 4),
            _batch(20),
            Move(
                E.COLLECT,
                C.BANK_OUTLET,
                COLLECT,
                33,
                Presenter.AGENT,
                refused=True,
                note="an agent without both IDs",
            ),
            Move(E.COLLECT, C.BANK_OUTLET, {**COLLECT, **AGENT}, 33, Presenter.AGENT),
            Move(E.ACTIVATE, C.HOTLINE_12333, {"operator_identity_check": True}, 34),
            Move(E.ACTIVATE_FINANCIAL, C.BANK_OUTLET, AT_BANK, 60),
        ),
    ),
    Story(
        "a rejected application put right, activated at the counter, reported lost by "
        "phone and found again",
        "320102",
        "20010215",
        (
            Move(E.APPLY, C.BANK_OUTLET, APPLICATION, 0),
            Move(E.REJECT, C.CARD_CENTER, {"rejection_reason": "photo_unusable"}, 2),
            Move(E.RESUBMIT, C.BANK_OUTLET, {"corrections_made": True}, 6),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 7),
            _batch(25),
            Move(E.COLLECT, C.CARD_CENTER, COLLECT, 40),
            Move(E.ACTIVATE, C.CARD_CENTER, {"card_presented": True, "original_id": True}, 41),
            Move(E.REPORT_TEMPORARY_LOSS, C.HOTLINE_12333, {"operator_identity_check": True}, 90),
            Move(
                E.ACTIVATE,
                C.PHARMACY,
                {"medical_insurance_card_inserted_first": True, "first_purchase": True},
                91,
                refused=True,
                note="a card reported lost used at a pharmacy",
            ),
            Move(E.LIFT_LOSS, C.CARD_CENTER, {"valid_id": True}, 92),
            Move(E.ACTIVATE_FINANCIAL, C.BANK_OUTLET, AT_BANK, 93),
        ),
    ),
    Story(
        "a child on the household register, card never activated at a bank: the deadline "
        "sweep reports it lost",
        "330106",
        "20190903",
        (
            Move(
                E.APPLY,
                C.CARD_CENTER,
                {**CHILD_APPLICATION, "guardian_link": "guardians_household_register"},
                0,
                Presenter.AGENT,
                refused=True,
                note="a guardian without both IDs",
            ),
            Move(
                E.APPLY,
                C.CARD_CENTER,
                {**CHILD_APPLICATION, **AGENT, "guardian_link": "guardians_household_register"},
                0,
                Presenter.AGENT,
            ),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 2),
            _batch(20),
            Move(E.COLLECT, C.CARD_CENTER, {**COLLECT, **AGENT}, 30, Presenter.AGENT),
        ),
    ),
    Story(
        "a card reported lost at the bank after activation, and reissued",
        "420106",
        "19550630",
        (
            Move(E.APPLY, C.CARD_CENTER, APPLICATION, 0),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 1),
            _batch(20),
            Move(E.COLLECT, C.BANK_OUTLET, COLLECT, 32),
            Move(E.ACTIVATE, C.BANK_OUTLET, AT_BANK, 32),
            Move(
                E.REPORT_LOST,
                C.SYSTEM,
                {"deadline_expired": "activation_window"},
                119,
                refused=True,
                note="the system cannot report a card whose bank function is active",
            ),
            Move(E.REPORT_LOST, C.BANK_OUTLET, {"valid_id": True}, 120),
            Move(E.REISSUE, C.CARD_CENTER, {"valid_id": True, "photo": True}, 121),
            _batch(140),
            Move(E.COLLECT, C.BANK_OUTLET, COLLECT, 150),
            Move(E.ACTIVATE, C.BANK_OUTLET, AT_BANK, 150),
        ),
    ),
    Story(
        "a card cancelled when its holder settled abroad",
        "350203",
        "19600918",
        (
            Move(E.APPLY, C.CARD_CENTER, APPLICATION, 0),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 1),
            _batch(20),
            Move(E.COLLECT, C.CARD_CENTER, COLLECT, 30),
            Move(E.ACTIVATE, C.BANK_OUTLET, AT_BANK, 30),
            Move(
                E.CANCEL,
                C.CARD_CENTER,
                {"cancellation_reason": "settled_abroad"},
                200,
                refused=True,
                note="no proof of settling abroad",
            ),
            Move(
                E.CANCEL,
                C.CARD_CENTER,
                {"cancellation_reason": "settled_abroad", "cancellation_proof": True},
                200,
            ),
        ),
    ),
)

NAMES: Final = (
    "Wang Fang",
    "Zhang Wei",
    "Liu Yang",
    "Chen Jing",
    "Zhao Lei",
    "Sun Xiaoyu",
    "Zhou Min",
    "Lin Hui",
)
ACTORS: Final[Mapping[Channel, Actor]] = {
    channel: Actor(f"demo-{channel}", Role.SYSTEM if channel is C.SYSTEM else Role.CLERK)
    for channel in Channel
}


BATCH_STORY: Final = Story(
    "an employer's batch of five applications, then the issuing bank's production batch, "
    "which also names a card the counter has not reviewed",
    "440305",
    "19960301",
    (
        Move(E.APPLY, C.EMPLOYER, APPLICATION, 0),
        Move(E.REVIEW, C.CARD_CENTER, REVIEW, 4),
        _batch(24),
    ),
)
BATCH_NAMES: Final = ("Huang Li", "Xu Qiang", "Ma Yun", "Hu Jie", "Guo Ping")
AT_THE_COUNTER: Final = Move(E.APPLY, C.CARD_CENTER, APPLICATION, 0)
"""An application the card center takes the same day, and has not reviewed by the time
the issuing bank sends its batch."""
