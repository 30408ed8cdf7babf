"""``/v1/batches``' bodies: many cards, one event, one channel, every item answered."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from api.cards.schemas import ApplicantIn
from api.examples import APPLICANT, CARD_ID, REQUEST_ID, destination, split_for_a_batch
from api.problems.models import Problem
from api.problems.types import CARD_NOT_FOUND, INVALID_IDENTITY, example
from api.shared import EvidenceIn, Moment, RequestBody
from workflow.definition import TRANSITIONS, batch_rules
from workflow.errors import CardNotFound, WorkflowError
from workflow.service import MAX_BATCH, Actor, Batch, BatchItem, BatchResult, Card
from workflow.states import Channel, Event, Presenter, State


def _batch_events(*, opening: bool) -> tuple[Event, ...]:
    """The events the batch rules carry that open a card (``opening``), or that move one."""
    opens = {t.event for t in TRANSITIONS if t.source is None}
    events = tuple(dict.fromkeys(r.event for r in batch_rules() if (r.event in opens) is opening))
    assert events, "the definition sends no batch of this kind"
    return events


OPENING_EVENTS: Final = _batch_events(opening=True)
"""The events a batch of applications may carry: ``apply``, as the definition says."""
MOVING_EVENTS: Final = _batch_events(opening=False)
"""The events a batch of existing cards may carry: ``produce``, as the definition says."""

if TYPE_CHECKING:
    OpeningEvent = Event
    MovingEvent = Event
else:
    OpeningEvent = Literal[OPENING_EVENTS]
    MovingEvent = Literal[MOVING_EVENTS]


def _examples(events: tuple[Event, ...], item: dict[str, Any]) -> list[Any]:
    """A batch for each batch rule of ``events``, its evidence split as a channel sends it."""
    examples: list[Any] = []
    for rule in batch_rules():
        if rule.event in events:
            once, each = split_for_a_batch(rule)
            shown = {**item, "evidence": each} if each else item
            examples.append(
                {"event": str(rule.event), "channel": str(rule.channel), "evidence": once}
                | {"items": [shown]}
            )
    return examples


_APPLICATION_ITEM: Final[dict[str, Any]] = {"applicant": APPLICANT}
_MOVE_ITEM: Final[dict[str, Any]] = {"card_id": CARD_ID, "expected_version": 2}


class _BatchItemIn(RequestBody):
    """What one item of a batch says of its own: who presented, its evidence, and when."""

    presenter: Presenter = Presenter.SELF
    evidence: EvidenceIn = Field(
        default_factory=dict, description="This item's evidence; the batch's is added to it."
    )
    occurred_at: Moment | None = None


class ApplicationItemIn(_BatchItemIn):
    """One application in an employer's or a community office's batch."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**batch["items"][0], "occurred_at": "2026-11-20T10:00:00+08:00"}
                for batch in _examples(OPENING_EVENTS, _APPLICATION_ITEM)[:1]
            ]
        }
    )

    applicant: ApplicantIn

    def to_item(self) -> BatchItem:
        return BatchItem(
            applicant=self.applicant.to_applicant(),
            presenter=self.presenter,
            evidence=self.evidence,
            occurred_at=self.occurred_at,
        )


class MoveItemIn(_BatchItemIn):
    """One card in an issuing bank's batch."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MOVE_ITEM]})

    card_id: str = Field(min_length=1, max_length=64)
    expected_version: int | None = Field(
        default=None, ge=1, description="Refuse this item unless the card is at this version."
    )

    def to_item(self) -> BatchItem:
        return BatchItem(
            card_id=self.card_id,
            expected_version=self.expected_version,
            presenter=self.presenter,
            evidence=self.evidence,
            occurred_at=self.occurred_at,
        )


class _BatchIn(RequestBody):
    channel: Channel
    evidence: EvidenceIn = Field(
        default_factory=dict,
        description="Shown once for the whole batch and recorded on every item's entry.",
    )

    def _batch(
        self, event: Event, items: Sequence[BatchItem], actor: Actor, key: str | None
    ) -> Batch:
        return Batch(event, self.channel, actor, items, self.evidence, key)


class ApplicationBatchIn(_BatchIn):
    """Applications collected by an employer or a community office, sent together."""

    model_config = ConfigDict(
        json_schema_extra={"examples": _examples(OPENING_EVENTS, _APPLICATION_ITEM)}
    )

    event: OpeningEvent
    items: list[ApplicationItemIn] = Field(min_length=1, max_length=MAX_BATCH)

    def to_batch(self, actor: Actor, key: str | None) -> Batch:
        return self._batch(self.event, [item.to_item() for item in self.items], actor, key)


class ProductionBatchIn(_BatchIn):
    """Cards an issuing bank has produced, reported together."""

    model_config = ConfigDict(json_schema_extra={"examples": _examples(MOVING_EVENTS, _MOVE_ITEM)})

    event: MovingEvent
    items: list[MoveItemIn] = Field(min_length=1, max_length=MAX_BATCH)

    def to_batch(self, actor: Actor, key: str | None) -> Batch:
        return self._batch(self.event, [item.to_item() for item in self.items], actor, key)


BatchIn = Annotated[ApplicationBatchIn | ProductionBatchIn, Field(discriminator="event")]


_FIRST: Final = batch_rules()[0]


class BatchItemOut(BaseModel):
    """What became of one item: the card it opened or moved, or the problem that refused it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "index": 0,
                    "status": 200,
                    "card_id": CARD_ID,
                    "state": str(destination(MOVING_EVENTS[0], State.REVIEWED)),
                    "version": 3,
                },
                {
                    "index": 1,
                    "status": CARD_NOT_FOUND.status,
                    "problem": example(CARD_NOT_FOUND, CardNotFound("c-0042").detail, REQUEST_ID),
                },
            ]
        }
    )

    index: int = Field(description="The item's place in the batch, from 0.")
    status: int = Field(description="The status the item would have had as a request alone.")
    card_id: str | None = None
    state: State | None = None
    version: int | None = None
    problem: SerializeAsAny[Problem] | None = None


class BatchOut(BaseModel):
    """Every item's outcome, in item order; the batch id is on every entry it wrote."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "0e5d3b0a-6a3e-5c1f-9f6e-2d4b8a7c1e90",
                    "event": str(_FIRST.event),
                    "channel": str(_FIRST.channel),
                    "accepted": 1,
                    "refused": 1,
                    "items": [
                        {
                            "index": 0,
                            "status": 201,
                            "card_id": CARD_ID,
                            "state": str(destination(_FIRST.event, None)),
                            "version": 1,
                            "problem": None,
                        },
                        {
                            "index": 1,
                            "status": INVALID_IDENTITY.status,
                            "card_id": None,
                            "state": None,
                            "version": None,
                            "problem": example(
                                INVALID_IDENTITY,
                                "the ID number's check character does not match",
                                REQUEST_ID,
                            ),
                        },
                    ],
                }
            ]
        }
    )

    batch_id: str
    event: Event
    channel: Channel
    accepted: int
    refused: int
    items: list[BatchItemOut]

    @classmethod
    def of(
        cls, batch: Batch, result: BatchResult, problem: Callable[[WorkflowError], Problem]
    ) -> BatchOut:
        opened = 201 if batch.event is Event.APPLY else 200
        items = [
            BatchItemOut(
                index=index,
                status=opened,
                card_id=outcome.card_id,
                state=outcome.state,
                version=outcome.version,
            )
            if isinstance(outcome, Card)
            else BatchItemOut(index=index, status=problem(outcome).status, problem=problem(outcome))
            for index, outcome in enumerate(result.outcomes)
        ]
        return cls(
            batch_id=result.batch_id,
            event=batch.event,
            channel=batch.channel,
            accepted=result.accepted,
            refused=len(items) - result.accepted,
            items=items,
        )
