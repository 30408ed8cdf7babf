"""``cardflow demo``: realistic cards through every channel, refusals included, then verify."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from cli.stories import (
    ACTORS,
    AT_THE_COUNTER,
    BATCH_NAMES,
    BATCH_STORY,
    DAYS_AGO,
    NAMES,
    STORIES,
    UNIT_BATCH,
    Move,
    Story,
)
from ledger.audit import Audit
from ledger.entry import Entry
from ledger.store import REFUSAL
from ledger.verify import Report
from workflow.definition import REPLACEMENT_OPENS
from workflow.errors import WorkflowError
from workflow.identity import check_character
from workflow.service import (
    Applicant,
    Batch,
    BatchItem,
    BatchResult,
    Card,
    CardService,
    Step,
    SweepReport,
    Swept,
)
from workflow.states import Channel, Event, Presenter, State

E = Event
C = Channel
_WIDTH: Final = max(len(event) for event in Event)
SWEPT_BECAUSE: Final[Mapping[Event, str]] = {
    E.RETURN: "nobody collected it before its collection window ran out, so the deadline "
    "sweep returned it to the card center",
    E.REPORT_LOST: "it was not activated at a bank before its activation window ran out, so "
    "the deadline sweep reported it lost",
    E.LIFT_LOSS: "its temporary loss report lapsed, so the deadline sweep lifted it",
}
"""Why a card the deadline sweep moved stays behind, by the step the sweep took."""
ENDINGS: Final = frozenset({State.ACTIVATED, State.CANCELLED, State.REPLACED})
"""Where a story's card may end without a word on why it went no further."""


class StoryClock:
    """The demo's clock: each step is decided, and each refusal noted, at the moment its
    story says it happens, ``day`` days after ``start``."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.day = 0

    def __call__(self) -> datetime:
        return self.start + timedelta(days=self.day)

    def at(self, day: int) -> datetime:
        """Set the clock to ``day`` of the story, and say what time that is."""
        self.day = day
        return self()


@dataclass(frozen=True, slots=True)
class Said:
    """One attempt a story tells: when, on which card (``None``: a refused application,
    which opens no card), and how it came out (``how`` follows "via CHANNEL")."""

    day: int
    at: datetime
    event: Event
    channel: Channel
    card_id: str | None
    refused: bool
    how: str = ""
    unexpected: bool = False
    """The attempt came out otherwise than the story says it should."""


@dataclass(slots=True)
class Told:
    """One story as it happened: the cards it opened (labelled A, B, … in that order),
    each attempt in order (a plain line speaks of a batch as a whole), and why a card
    that stays behind went no further."""

    story: Story
    cards: list[str] = field(default_factory=list)
    said: list[Said | str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)

    @property
    def attempts(self) -> list[Said]:
        return [said for said in self.said if isinstance(said, Said)]

    @property
    def surprises(self) -> int:
        return sum(said.unexpected for said in self.attempts)

    def label(self, card_id: str | None) -> str:
        return "-" if card_id is None else chr(ord("A") + self.cards.index(card_id))

    def render(self, number: int, total: int, cards: Mapping[str, Card]) -> list[str]:
        """The story as the demo prints it, each card as ``cards`` says it stands now."""
        lines = [f"story {number} of {total}: {self.story.title}"]
        for card_id in self.cards:
            card = cards[card_id]
            why = f"; {self.why[card_id]}" if card_id in self.why else ""
            stands = f"{card.state} (version {card.version}){why}"
            lines.append(f"  card {self.label(card_id)} {card_id}: {stands}")
        for said in self.said:
            if isinstance(said, str):
                lines.append(f"  {said}")
            else:
                lines.append(
                    f"  day {said.day:>3}  {self.label(said.card_id)}  "
                    f"{said.event:<{_WIDTH}} via {said.channel}{said.how}"
                )
        return lines


@dataclass(frozen=True, slots=True)
class Demo:
    """What the demo did: each story, the deadline sweep it ran last, the entries its
    cards' records hold (read back from the ledger), the sweep's steps on cards of earlier
    runs, the verified ledger."""

    told: list[Told]
    swept: SweepReport
    written: list[Entry]
    earlier: list[Swept]
    report: Report

    @property
    def surprises(self) -> int:
        """How many attempts came out otherwise than their story says they should."""
        return sum(tale.surprises for tale in self.told)

    def channels_shown(self) -> set[Channel]:
        """The channels through which the demo moved a card."""
        return {said.channel for tale in self.told for said in tale.attempts if not said.refused}

    def summary(self) -> list[str]:
        """The run's counts, as measured: cards opened and entries written from the
        records the ledger holds, refusals from what the use cases answered."""
        refused = [said for tale in self.told for said in tale.attempts if said.refused]
        noted = sum(entry.kind == REFUSAL for entry in self.written)
        opened = sum(entry.from_state is None for entry in self.written)
        applications = sum(said.card_id is None for said in refused)
        outcome = (
            f"{self.surprises} attempts came out otherwise than their story says "
            "(marked UNEXPECTED above)"
            if self.surprises
            else "every attempt came out as its story says"
        )
        entries = len(self.written) + len(self.earlier)
        return [
            f"{len(self.told)} stories told: {opened} cards opened, {entries} entries "
            f"written, {len(refused)} refusals ({noted} noted on their card, "
            f"{applications} applications refused, which open no card)",
            outcome,
        ]


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
    """Tell every story through ``service`` on the stories' clock, sweep the deadlines
    that passed, then verify the whole ledger with ``audit``."""
    clock = StoryClock((now or datetime.now(UTC)) - timedelta(days=DAYS_AGO))
    teller = service.on_clock(clock)
    people = People(teller, rng or random.Random())  # noqa: S311 -- made-up ID numbers
    told = [
        _tell(teller, clock, story, name, people)
        for story, name in zip(STORIES, NAMES, strict=True)
    ]
    told.append(_tell_batches(teller, clock, people))
    clock.at(DAYS_AGO)
    swept = teller.sweep(actor=ACTORS[C.SYSTEM])
    earlier = _tell_sweep(told, swept, clock)
    cards = {card_id: teller.card(card_id) for tale in told for card_id in tale.cards}
    for number, tale in enumerate(told, 1):
        for line in tale.render(number, len(told), cards):
            say(line)
        say("")
    others = f", but {len(earlier)} on cards of earlier runs:" if earlier else ""
    say(
        f"the deadline sweep, day {DAYS_AGO}: {len(swept.swept)} steps taken, each told in "
        f"its card's story above{others}"
    )
    for done in earlier:
        moved = f"{done.from_state} -> {done.to_state}"
        say(f"  {done.event:<{_WIDTH}} via system: card {done.card_id} ({moved})")
    say("")
    written = [entry for card_id in cards for entry in teller.history(card_id, refusals=True)]
    return Demo(told, swept, written, earlier, audit.verify())


def _tell(service: CardService, clock: StoryClock, story: Story, name: str, people: People) -> Told:
    tale = Told(story)
    applicant = Applicant(name=name, id_number=people.new(story.region, story.born))
    if story.mistyped_id_first:
        mistyped = replace(story.moves[0], refused=True, note="a mistyped ID number")
        typed = replace(applicant, id_number=_mistyped(applicant.id_number))
        _attempt(service, clock, tale, mistyped, typed, None)
    card: Card | None = None
    for move in story.moves:
        card = _attempt(service, clock, tale, move, applicant, card)
    return tale


def _attempt(
    service: CardService,
    clock: StoryClock,
    tale: Told,
    move: Move,
    applicant: Applicant,
    card: Card | None,
) -> Card | None:
    """Try ``move`` on its day of the story, on ``card`` (an application: for
    ``applicant``), tell it in ``tale``, and return the card the story goes on with."""
    step = _step(move, clock.at(move.day))
    on = None if move.event is Event.APPLY or card is None else card.card_id
    said = Said(move.day, step.occurred_at or clock(), move.event, move.channel, on, False)
    who = " by an agent" if move.presenter is Presenter.AGENT else ""
    try:
        if move.event is Event.APPLY:
            moved = service.apply(applicant, step)
        elif on is not None:
            moved = service.transition(on, step)
        else:
            tale.said.append(replace(said, how=": UNEXPECTED: no card to move", unexpected=True))
            return None
    except WorkflowError as refusal:
        opened = ", no card opened" if on is None else ""
        why = f"refused ({move.note}){opened}" if move.refused else "UNEXPECTED refusal"
        tale.said.append(
            replace(
                said,
                refused=True,
                how=f"{who}: {why}: {refusal.detail}",
                unexpected=not move.refused,
            )
        )
        return card
    if move.event is Event.APPLY:
        tale.cards.append(moved.card_id)
    surprise = f": UNEXPECTED success ({move.note})" if move.refused else ""
    said = replace(said, card_id=moved.card_id, unexpected=move.refused)
    if moved.replaced_by is None:
        tale.said.append(replace(said, how=f"{who}{surprise}"))
        return moved
    tale.cards.append(moved.replaced_by)
    lost, replacement = tale.label(moved.card_id), tale.label(moved.replaced_by)
    tale.why[moved.card_id] = f"reissued as card {replacement}"
    tale.why[moved.replaced_by] = f"the replacement of card {lost}"
    tale.said.append(replace(said, how=f"{who}: replaced by card {replacement}{surprise}"))
    tale.said.append(
        replace(
            said,
            card_id=moved.replaced_by,
            how=f"{who}: opens card {replacement}, {REPLACEMENT_OPENS}, in place of card {lost}",
            unexpected=False,
        )
    )
    return service.card(moved.replaced_by)


def _tell_sweep(told: list[Told], swept: SweepReport, clock: StoryClock) -> list[Swept]:
    """Tell each step the sweep took in the story of its card, and say why the card
    stays behind; return the steps on cards no story of this run opened."""
    earlier = []
    for done in swept.swept:
        tale = next((tale for tale in told if done.card_id in tale.cards), None)
        if tale is None:
            earlier.append(done)
            continue
        step = Said(clock.day, clock(), done.event, C.SYSTEM, done.card_id, False)
        tale.said.append(replace(step, how=": the deadline sweep"))
        tale.why[done.card_id] = SWEPT_BECAUSE[done.event]
    return earlier


def _tell_batches(service: CardService, clock: StoryClock, people: People) -> Told:
    """Five applications in one employer's batch (one ID mistyped, one photo missing), the
    three accepted reviewed, and produced in one bank batch with a card not yet reviewed."""
    tale = Told(BATCH_STORY)
    apply, review, produce = BATCH_STORY.moves
    applied_at = clock.at(apply.day)
    items = [
        BatchItem(
            applicant=Applicant(name, people.new(BATCH_STORY.region, BATCH_STORY.born)),
            evidence=apply.evidence,
            occurred_at=applied_at,
        )
        for name in BATCH_NAMES
    ]
    items[1] = replace(items[1], applicant=_with_mistyped_id(items[1].applicant))
    items[3] = replace(items[3], evidence={k: v for k, v in apply.evidence.items() if k != "photo"})
    sent = service.batch(Batch(E.APPLY, C.EMPLOYER, ACTORS[C.EMPLOYER], items, UNIT_BATCH))
    refusals = {1: "a mistyped ID number", 3: "no photo"}
    opened = _told_batch(tale, apply, applied_at, sent, [None] * len(items), refusals)
    late = _attempt(
        service,
        clock,
        tale,
        AT_THE_COUNTER,
        Applicant("Lin Tao", people.new("440305", "19990101")),
        None,
    )
    for card in opened:
        _attempt(service, clock, tale, review, Applicant("", ""), card)
    produced_at = clock.at(produce.day)
    to_produce = [*opened, *([late] if late else [])]
    made = service.batch(
        Batch(
            E.PRODUCE,
            C.ISSUING_BANK,
            ACTORS[C.ISSUING_BANK],
            [BatchItem(card_id=card.card_id, occurred_at=produced_at) for card in to_produce],
            produce.evidence,
        )
    )
    on = [card.card_id for card in to_produce]
    _told_batch(tale, produce, produced_at, made, on, {len(on) - 1: "a card not reviewed yet"})
    if late is not None:
        tale.why[late.card_id] = (
            "applied at the card center and not reviewed yet, so the issuing bank's batch "
            "refused it: it waits for its review"
        )
    return tale


def _told_batch(
    tale: Told,
    move: Move,
    at: datetime,
    result: BatchResult,
    on: Sequence[str | None],
    refusals: Mapping[int, str],
) -> list[Card]:
    """Tell ``result``, each item on its card (``on``: the card each item names, if it
    names one), and return the cards it moved; ``refusals`` are the items the story
    expects refused, and why."""
    accepted = [o for o in result.outcomes if isinstance(o, Card)]
    tale.said.append(
        f"day {move.day:>3}     {move.event:<{_WIDTH}} via {move.channel}: batch "
        f"{result.batch_id}, {len(accepted)} of {len(result.outcomes)} items accepted"
    )
    for index, outcome in enumerate(result.outcomes):
        note = refusals.get(index)
        said = Said(move.day, at, move.event, move.channel, on[index], False)
        if isinstance(outcome, WorkflowError):
            opened = ", no card opened" if on[index] is None else ""
            why = f"refused ({note}){opened}" if note else "UNEXPECTED refusal"
            tale.said.append(
                replace(
                    said,
                    refused=True,
                    how=f": item {index} {why}: {outcome.detail}",
                    unexpected=note is None,
                )
            )
            continue
        if on[index] is None:
            tale.cards.append(outcome.card_id)
        surprise = f" UNEXPECTED success ({note})" if note else ""
        tale.said.append(
            replace(
                said,
                card_id=outcome.card_id,
                how=f": item {index}{surprise}",
                unexpected=note is not None,
            )
        )
    return accepted


def _with_mistyped_id(applicant: Applicant | None) -> Applicant:
    assert applicant is not None
    return replace(applicant, id_number=_mistyped(applicant.id_number))


def _step(move: Move, at: datetime) -> Step:
    return Step(
        event=move.event,
        channel=move.channel,
        actor=ACTORS[move.channel],
        presenter=move.presenter,
        evidence=move.evidence,
        occurred_at=at,
    )


def _mistyped(id_number: str) -> str:
    """The same number with its check character wrong, as a hurried clerk might type it."""
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + wrong
