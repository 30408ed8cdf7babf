"""``cardflow demo``: realistic cards through every channel, refusals included, then verify."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from ledger.verify import Report
from workflow.errors import WorkflowError
from workflow.identity import check_character
from workflow.service import (
    Actor,
    Applicant,
    Batch,
    BatchItem,
    BatchResult,
    Card,
    CardService,
    Step,
)
from workflow.states import Channel, Event, Presenter, Role

E = Event
C = Channel

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
        ),
    ),
    Story(
        "a rejected application put right, activated at the counter, then lost",
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
            Move(E.REPORT_LOST, C.HOTLINE_12333, {"operator_identity_check": True}, 90),
            Move(
                E.ACTIVATE,
                C.PHARMACY,
                {"medical_insurance_card_inserted_first": True, "first_purchase": True},
                91,
                refused=True,
                note="a lost card used at a pharmacy",
            ),
        ),
    ),
    Story(
        "a child on the household register, card never activated at a bank",
        "330106",
        "20190903",
        (
            Move(
                E.APPLY,
                C.CARD_CENTER,
                {**APPLICATION, "identity_document": "household_register"},
                0,
                Presenter.AGENT,
                refused=True,
                note="a guardian without both IDs",
            ),
            Move(
                E.APPLY,
                C.CARD_CENTER,
                {**APPLICATION, **AGENT, "identity_document": "household_register"},
                0,
                Presenter.AGENT,
            ),
            Move(E.REVIEW, C.CARD_CENTER, REVIEW, 2),
            _batch(20),
            Move(E.COLLECT, C.CARD_CENTER, {**COLLECT, **AGENT}, 30, Presenter.AGENT),
            Move(E.REPORT_LOST, C.SYSTEM, {"deadline_expired": "activation_window"}, 331),
        ),
    ),
    Story(
        "a card reported lost at the bank after activation",
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
                note="the system cannot report an activated card",
            ),
            Move(E.REPORT_LOST, C.BANK_OUTLET, {"valid_id": True}, 120),
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
)
ACTORS: Final[Mapping[Channel, Actor]] = {
    channel: Actor(f"demo-{channel}", Role.SYSTEM if channel is C.SYSTEM else Role.CLERK)
    for channel in Channel
}


@dataclass(slots=True)
class Told:
    """What happened to one story's card: each move's outcome, in order."""

    story: Story
    card: Card | None = None
    lines: list[str] = field(default_factory=list)
    accepted: list[Move] = field(default_factory=list)
    surprises: int = 0


def citizen_id(region: str, born: str, rng: random.Random) -> str:
    """A valid citizen ID number for the demo's made-up people."""
    first17 = f"{region}{born}{rng.randrange(1, 999):03d}"
    return first17 + check_character(first17)


def run_demo(
    service: CardService,
    *,
    say: Callable[[str], None],
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> tuple[list[Told], Report]:
    """Tell every story through ``service``, then verify the whole ledger."""
    rng = rng or random.Random()  # noqa: S311 -- made-up ID numbers for the demo, no secret
    start = (now or datetime.now(UTC)) - timedelta(days=400)
    told = [
        _tell(service, story, name, start, rng) for story, name in zip(STORIES, NAMES, strict=True)
    ]
    told.append(_tell_batches(service, start, rng))
    for tale in told:
        card = tale.card
        heading = f"card {card.card_id}" if card else "no card"
        state = f"{card.state} (version {card.version})" if card else "never opened"
        say(f"{heading}: {tale.story.title}\n  now {state}")
        for line in tale.lines:
            say(f"  {line}")
        say("")
    return told, service.verify()


def _tell(
    service: CardService, story: Story, name: str, start: datetime, rng: random.Random
) -> Told:
    tale = Told(story)
    applicant = Applicant(name=name, id_number=citizen_id(story.region, story.born, rng))
    if story.mistyped_id_first:
        mistyped = Applicant(name=name, id_number=_mistyped(applicant.id_number))
        try:
            service.apply(mistyped, _step(story.moves[0], start))
            tale.surprises += 1
            tale.lines.append("UNEXPECTED success: an application with a mistyped ID number")
        except WorkflowError as refusal:
            tale.lines.append(f"refused apply (a mistyped ID number): {refusal.detail}")
    for move in story.moves:
        step = _step(move, start)
        try:
            if move.event is Event.APPLY:
                tale.card = service.apply(applicant, step)
            elif tale.card is not None:
                tale.card = service.transition(tale.card.card_id, step)
        except WorkflowError as refusal:
            mark = "refused " if move.refused else "UNEXPECTED refusal "
            tale.surprises += not move.refused
            tale.lines.append(
                f"{mark}{move.event} via {move.channel} ({move.note or 'no note'}): "
                f"{refusal.detail}"
            )
            continue
        if move.refused:
            tale.surprises += 1
            tale.lines.append(f"UNEXPECTED success: {move.event} via {move.channel} ({move.note})")
        else:
            tale.accepted.append(move)
            who = " by an agent" if move.presenter is Presenter.AGENT else ""
            tale.lines.append(f"day {move.day:>3}  {move.event:<11} via {move.channel}{who}")
    return tale


BATCH_STORY: Final = Story(
    "an employer's batch of five applications, then the issuing bank's production batch",
    "440305",
    "19960301",
    (
        Move(E.APPLY, C.EMPLOYER, APPLICATION, 0),
        Move(E.REVIEW, C.CARD_CENTER, REVIEW, 4),
        _batch(24),
    ),
)
BATCH_NAMES: Final = ("Huang Li", "Xu Qiang", "Ma Yun", "Hu Jie", "Guo Ping")


def _tell_batches(service: CardService, start: datetime, rng: random.Random) -> Told:
    """Five applications in one employer's batch (one ID mistyped, one photo missing), the
    three accepted reviewed, and produced in one bank batch with a card not yet reviewed."""
    tale = Told(BATCH_STORY)
    apply, review, produce = BATCH_STORY.moves
    items = [
        BatchItem(
            applicant=Applicant(name, citizen_id(BATCH_STORY.region, BATCH_STORY.born, rng)),
            evidence=apply.evidence,
            occurred_at=start,
        )
        for name in BATCH_NAMES
    ]
    items[1] = replace(items[1], applicant=_with_mistyped_id(items[1].applicant))
    items[3] = replace(items[3], evidence={**apply.evidence, "photo": False})
    sent = service.batch(Batch(E.APPLY, C.EMPLOYER, ACTORS[C.EMPLOYER], items, UNIT_BATCH))
    opened = _told_batch(tale, apply, sent, expected_refusals={1, 3})
    for card in opened:
        service.transition(card.card_id, _step(review, start))
    at_counter = Move(E.APPLY, C.CARD_CENTER, APPLICATION, 0)
    late = service.apply(
        Applicant("Lin Tao", citizen_id("440305", "19990101", rng)), _step(at_counter, start)
    )
    to_produce = [BatchItem(card_id=card.card_id) for card in (*opened, late)]
    made = service.batch(
        Batch(
            E.PRODUCE,
            C.ISSUING_BANK,
            ACTORS[C.ISSUING_BANK],
            to_produce,
            produce.evidence,
        )
    )
    _told_batch(tale, produce, made, expected_refusals={len(to_produce) - 1})
    return tale


def _told_batch(
    tale: Told, move: Move, result: BatchResult, *, expected_refusals: set[int]
) -> list[Card]:
    accepted = [o for o in result.outcomes if isinstance(o, Card)]
    tale.lines.append(
        f"day {move.day:>3}  {move.event:<11} via {move.channel}: batch {result.batch_id}, "
        f"{len(accepted)} of {len(result.outcomes)} items accepted"
    )
    for index, outcome in enumerate(result.outcomes):
        expected = index in expected_refusals
        if isinstance(outcome, WorkflowError):
            tale.surprises += not expected
            mark = "refused " if expected else "UNEXPECTED refusal "
            tale.lines.append(f"{mark}{move.event} item {index}: {outcome.detail}")
        elif expected:
            tale.surprises += 1
            tale.lines.append(f"UNEXPECTED success: {move.event} item {index}")
    if accepted:
        tale.accepted.append(move)
        tale.card = accepted[-1]
    return accepted


def _with_mistyped_id(applicant: Applicant | None) -> Applicant:
    assert applicant is not None
    return replace(applicant, id_number=_mistyped(applicant.id_number))


def _step(move: Move, start: datetime) -> Step:
    return Step(
        event=move.event,
        channel=move.channel,
        actor=ACTORS[move.channel],
        presenter=move.presenter,
        evidence=move.evidence,
        occurred_at=start + timedelta(days=move.day),
    )


def _mistyped(id_number: str) -> str:
    """The same number with its check character wrong, as a hurried clerk might type it."""
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + wrong


def channels_shown(told: list[Told]) -> set[Channel]:
    """The channels through which the demo moved a card."""
    return {move.channel for tale in told for move in tale.accepted}
