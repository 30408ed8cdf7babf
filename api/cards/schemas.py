"""``/v1/cards``' bodies: an application, a step, a card, its history, a page of a search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from api.examples import APPLICANT, CARD_ID, allowed_now, evidence
from api.ledger.schemas import ENTRY_EXAMPLE, EntryOut, InclusionOut
from api.shared import AllowedEventOut, EvidenceIn, Moment, RequestBody, Timestamp
from ledger.entry import Entry
from ledger.proofs import Inclusion
from ledger.store import SignedCheckpoint
from workflow.service import Actor, Applicant, Card, Found, Step
from workflow.states import Channel, Event, Presenter, State


class ApplicantIn(RequestBody):
    """The registration form's personal data: stored apart from the ledger, never echoed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Li Lei",
                    "id_number": "11010519491231002X",
                    "gender": "female",
                    "ethnicity": "Han",
                    "nationality": "CHN",
                    "address": "1 Fuxing Road, Haidian District, Beijing",
                    "contact_number": "13800000000",
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(
        min_length=1,
        max_length=32,
        description="The 18-character citizen ID number, also the social security number.",
    )
    gender: str | None = Field(default=None, max_length=32)
    ethnicity: str | None = Field(default=None, max_length=64)
    nationality: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=300)
    contact_number: str | None = Field(default=None, max_length=32)

    def to_applicant(self) -> Applicant:
        return Applicant(
            name=self.name,
            id_number=self.id_number,
            gender=self.gender,
            ethnicity=self.ethnicity,
            nationality=self.nationality,
            address=self.address,
            contact_number=self.contact_number,
        )


class _StepIn(RequestBody):
    """What every write names: the channel, who presented, the evidence, and when."""

    channel: Channel
    presenter: Presenter = Presenter.SELF
    evidence: EvidenceIn = Field(default_factory=dict)
    occurred_at: Moment | None = Field(
        default=None, description="When it happened, as the channel claims; with a time zone."
    )

    def _step(self, event: Event, actor: Actor, idempotency_key: str | None) -> Step:
        return Step(
            event=event,
            channel=self.channel,
            actor=actor,
            presenter=self.presenter,
            evidence=self.evidence,
            occurred_at=self.occurred_at,
            idempotency_key=idempotency_key,
        )


class ApplicationIn(_StepIn):
    """An application for a card, as the channel that took it reports it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "applicant": APPLICANT,
                    "channel": str(Channel.CARD_CENTER),
                    "presenter": str(Presenter.SELF),
                    "evidence": evidence(Event.APPLY, Channel.CARD_CENTER),
                    "occurred_at": "2026-03-02T09:15:00+08:00",
                }
            ]
        }
    )

    applicant: ApplicantIn

    def to_step(self, actor: Actor, idempotency_key: str | None) -> Step:
        return self._step(Event.APPLY, actor, idempotency_key)


class TransitionIn(_StepIn):
    """One event for an existing card, as the channel that carried it reports it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event": str(Event.REVIEW),
                    "channel": str(Channel.CARD_CENTER),
                    "evidence": evidence(Event.REVIEW, Channel.CARD_CENTER),
                    "expected_version": 1,
                },
                {
                    "event": str(Event.ACTIVATE),
                    "channel": str(Channel.BANK_OUTLET),
                    "presenter": str(Presenter.AGENT),
                    "evidence": evidence(Event.ACTIVATE, Channel.BANK_OUTLET, Presenter.AGENT),
                    "occurred_at": "2026-04-10T14:02:00+08:00",
                },
            ]
        }
    )

    event: Event
    expected_version: int | None = Field(
        default=None,
        ge=1,
        description="Refuse with 409 unless the card is still at this version (or use If-Match).",
    )

    def to_step(self, actor: Actor, idempotency_key: str | None) -> Step:
        return self._step(self.event, actor, idempotency_key)


class CardOut(BaseModel):
    """A card as it stands now; personal data is never part of it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "card_id": CARD_ID,
                    "state": str(State.APPLIED),
                    "version": 1,
                    "last_seq": 41,
                    "allowed_events": allowed_now(State.APPLIED),
                }
            ]
        }
    )

    card_id: str
    state: State
    version: int
    last_seq: int
    allowed_events: list[AllowedEventOut]
    due_at: datetime | None = Field(
        default=None,
        description="When the card's running deadline (see the region policy in "
        "`/v1/workflow`) falls; past it, a sweep takes the system's step. Absent when none "
        "runs.",
    )
    replaced_by: str | None = Field(
        default=None, description="For a card replaced by reissue: the card that replaces it."
    )

    @classmethod
    def of(cls, card: Card) -> CardOut:
        return cls(
            card_id=card.card_id,
            state=card.state,
            version=card.version,
            last_seq=card.last_seq,
            allowed_events=AllowedEventOut.listing(card.state, card.allowed),
            due_at=card.due_at,
            replaced_by=card.replaced_by,
        )


class HistoryOut(BaseModel):
    """A card's ledger entries, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"card_id": CARD_ID, "entries": [ENTRY_EXAMPLE]}]}
    )

    card_id: str
    entries: list[EntryOut]
    checkpoint: str | None = Field(
        default=None,
        description="With `proofs=true`: a signed checkpoint (C2SP signed note) covering "
        "every entry, checked with the key from `/v1/ledger/key`.",
    )
    proofs: list[InclusionOut] | None = Field(
        default=None,
        description="With `proofs=true`: each entry's inclusion proof against `checkpoint`, "
        "in the order of `entries`.",
    )
    next_after: int | None = Field(
        default=None,
        description="When the card has more entries than this page holds: the `after` that "
        "asks for the next page (the sequence number of this page's last entry); null on "
        "the last page.",
    )
    next: str | None = Field(
        default=None,
        description='The next page\'s URL (also sent as `Link: <…>; rel="next"`), null on '
        "the last page.",
    )

    @classmethod
    def of(
        cls,
        card_id: str,
        entries: Sequence[Entry],
        *,
        checkpoint: SignedCheckpoint | None = None,
        proofs: Sequence[Inclusion] = (),
        next_page: tuple[int, str] | None = None,
    ) -> HistoryOut:
        return cls(
            card_id=card_id,
            entries=[EntryOut.of(entry) for entry in entries],
            checkpoint=None if checkpoint is None else checkpoint.note,
            proofs=None if checkpoint is None else [InclusionOut.of(p) for p in proofs],
            next_after=None if next_page is None else next_page[0],
            next=None if next_page is None else next_page[1],
        )


_FOUND_EXAMPLE: Final[dict[str, Any]] = {
    "card_id": CARD_ID,
    "state": str(State.COLLECTED),
    "version": 4,
    "last_seq": 97,
    "allowed_events": allowed_now(State.COLLECTED),
    "region": "default",
    "opened_at": "2026-03-02T01:15:00.000000Z",
    "updated_at": "2026-04-01T06:40:12.000000Z",
}


class FoundOut(CardOut):
    """A card a search found, with where it is kept and when it opened and last moved."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FOUND_EXAMPLE]})

    region: str
    opened_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def found(cls, found: Found) -> FoundOut:
        return cls(
            **CardOut.of(found.card).model_dump(),
            region=found.region,
            opened_at=found.opened_at,
            updated_at=found.updated_at,
        )


class SearchOut(BaseModel):
    """One page of cards, oldest opened first; follow ``next_cursor`` for the next."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cards": [_FOUND_EXAMPLE],
                    "next_cursor": "b3BlbmVkOjk3",
                }
            ]
        }
    )

    cards: list[FoundOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; `null` on the last page."
    )
