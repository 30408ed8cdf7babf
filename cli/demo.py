"""``cardflow demo``: realistic cards through every channel, refusals included, then verify."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from ledger.audit import Audit
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
    SweepReport,
)
from workflow.states import Channel, Event, Presenter, Role

E = Event
C = Channel

_WIDTH: Final = max(len(event) for event in Event)
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


@dataclass(slots=True)
class Told:
    """What happened to one story's card: each move's outcome, in order."""

    story: Story
    card: Card | None = None
    lines: list[str] = field(default_factory=list)
    accepted: list[Move] = field(default_factory=list)
    surprises: int = 0


@dataclass(frozen=True, slots=True)
class Demo:
    """What the demo did: each story, the deadline sweep it ran last, the verified ledger."""

    told: list[Told]
    swept: SweepReport
    report: Report

    @property
    def surprises(self) -> int:
        return sum(tale.surprises for tale in self.told)

    def channels_shown(self) -> set[Channel]:
        """The channels through which the demo moved a card."""
        moved = {move.channel for tale in self.told for move in tale.accepted}
        return moved | ({Channel.SYSTEM} if self.swept.swept else set())


class StoryClock:
    """The demo's clock: the day of the story being told. Each step is recorded on the
    day it tells of (a channel may not date a step far back), so the deadlines it starts
    run from that day, and the sweep, on the last day, finds those that passed."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def on_day(self, day: float) -> datetime:
        self.now = self.start + timedelta(days=day)
        return self.now


class People:
    """Made-up people for the demo: valid citizen ID numbers, none handed out twice and
    none of a person who already holds a card in this ledger."""

    def __init__(self, service: CardService, rng: random.Random) -> None:
        self._service = service
        self._rng = rng
        self._given: set[str] = set()

    def new(self, region: str, born: str) -> str:
        while True:
            first17 = f"{region}{born}{self._rng.randrange(1, 999):03d}"
            number = first17 + check_character(first17)
            if number in self._given:
                continue
            if self._service.live_card_of(number) is None:
                self._given.add(number)
                return number


def run_demo(
    service: CardService,
    audit: Audit,
    *,
    say: Callable[[str], None],
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Demo:
    """Tell every story through ``service``, sweep the deadlines that passed, then verify
    the whole ledger with ``audit``."""
    clock = StoryClock((now or datetime.now(UTC)) - timedelta(days=DAYS_AGO))
    service = service.on_clock(clock)
    people = People(service, rng or random.Random())  # noqa: S311 -- made-up ID numbers
    told = [
        _tell(service, story, name, clock, people)
        for story, name in zip(STORIES, NAMES, strict=True)
    ]
    told.append(_tell_batches(service, clock, people))
    clock.on_day(DAYS_AGO)
    swept = service.sweep(actor=ACTORS[C.SYSTEM])
    for tale in told:
        card = None if tale.card is None else service.card(tale.card.card_id)
        heading = f"card {card.card_id}" if card else "no card"
        state = f"{card.state} (version {card.version})" if card else "never opened"
        say(f"{heading}: {tale.story.title}\n  now {state}")
        for line in tale.lines:
            say(f"  {line}")
        say("")
    say(f"the deadline sweep, day {DAYS_AGO}: {len(swept.swept)} steps taken")
    for done in swept.swept:
        moved = f"{done.from_state} -> {done.to_state}"
        say(f"  {done.event:<{_WIDTH}} via system: card {done.card_id} ({moved})")
    say("")
    return Demo(told, swept, audit.verify())


def _tell(service: CardService, story: Story, name: str, clock: StoryClock, people: People) -> Told:
    tale = Told(story)
    applicant = Applicant(name=name, id_number=people.new(story.region, story.born))
    if story.mistyped_id_first:
        mistyped = Applicant(name=name, id_number=_mistyped(applicant.id_number))
        try:
            service.apply(mistyped, _step(story.moves[0], clock))
            tale.surprises += 1
            tale.lines.append("UNEXPECTED success: an application with a mistyped ID number")
        except WorkflowError as refusal:
            tale.lines.append(f"refused apply (a mistyped ID number): {refusal.detail}")
    for move in story.moves:
        step = _step(move, clock)
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
            tale.lines.append(f"day {move.day:>3}  {move.event:<{_WIDTH}} via {move.channel}{who}")
            if tale.card is not None and tale.card.replaced_by is not None:
                tale.lines.append(f"{'':9}replaced by card {tale.card.replaced_by}, which goes on:")
                tale.card = service.card(tale.card.replaced_by)
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


def _tell_batches(service: CardService, clock: StoryClock, people: People) -> Told:
    """Five applications in one employer's batch (one ID mistyped, one photo missing), the
    three accepted reviewed, and produced in one bank batch with a card not yet reviewed."""
    tale = Told(BATCH_STORY)
    apply, review, produce = BATCH_STORY.moves
    items = [
        BatchItem(
            applicant=Applicant(name, people.new(BATCH_STORY.region, BATCH_STORY.born)),
            evidence=apply.evidence,
            occurred_at=clock.on_day(apply.day),
        )
        for name in BATCH_NAMES
    ]
    items[1] = replace(items[1], applicant=_with_mistyped_id(items[1].applicant))
    items[3] = replace(items[3], evidence={k: v for k, v in apply.evidence.items() if k != "photo"})
    sent = service.batch(Batch(E.APPLY, C.EMPLOYER, ACTORS[C.EMPLOYER], items, UNIT_BATCH))
    opened = _told_batch(tale, apply, sent, expected_refusals={1, 3})
    for card in opened:
        service.transition(card.card_id, _step(review, clock))
    at_counter = Move(E.APPLY, C.CARD_CENTER, APPLICATION, 0)
    late = service.apply(
        Applicant("Lin Tao", people.new("440305", "19990101")),
        _step(at_counter, clock),
    )
    produced_at = clock.on_day(produce.day)
    to_produce = [
        BatchItem(card_id=card.card_id, occurred_at=produced_at) for card in (*opened, late)
    ]
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
        f"day {move.day:>3}  {move.event:<{_WIDTH}} via {move.channel}: batch {result.batch_id}, "
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


def _step(move: Move, clock: StoryClock) -> Step:
    return Step(
        event=move.event,
        channel=move.channel,
        actor=ACTORS[move.channel],
        presenter=move.presenter,
        evidence=move.evidence,
        occurred_at=clock.on_day(move.day),
    )


def _mistyped(id_number: str) -> str:
    """The same number with its check character wrong, as a hurried clerk might type it."""
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + wrong
