"""The records the use cases take and give: who asks, what they ask, what became of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ledger.store import Entry, Head
from workflow.definition import ROLE_CHANNELS
from workflow.errors import NotPermitted, WorkflowError
from workflow.rules import allowed_events
from workflow.states import Channel, Event, Presenter, Role, State


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked: the principal recorded on every entry, and the channels it may use.

    ``channels`` narrows what the role allows (``None``: everything the role allows).
    """

    name: str
    role: Role
    channels: frozenset[Channel] | None = None

    def permitted(self) -> frozenset[Channel]:
        allowed = ROLE_CHANNELS[self.role]
        return allowed if self.channels is None else allowed & self.channels

    def authorise(self, channel: Channel) -> None:
        """Raise ``NotPermitted`` unless this principal may act through ``channel``."""
        permitted = self.permitted()
        if channel in permitted:
            return
        reason = (
            f"the {self.role} role only reads"
            if not ROLE_CHANNELS[self.role]
            else f"it may not act through {channel}"
        )
        raise NotPermitted(
            actor=self.name,
            channel=channel,
            permitted=sorted(permitted),
            reason=reason,
        )


@dataclass(frozen=True, slots=True)
class Applicant:
    """The registration form's personal data: kept in the person store, never the ledger."""

    name: str
    id_number: str
    gender: str | None = None
    ethnicity: str | None = None
    nationality: str | None = None
    address: str | None = None
    contact_number: str | None = None

    def details(self) -> dict[str, str]:
        return {
            key: value
            for key, value in (
                ("gender", self.gender),
                ("ethnicity", self.ethnicity),
                ("nationality", self.nationality),
                ("address", self.address),
                ("contact_number", self.contact_number),
            )
            if value
        }


@dataclass(frozen=True, slots=True)
class Step:
    """One event as a channel reports it."""

    event: Event
    channel: Channel
    actor: Actor
    presenter: Presenter = Presenter.SELF
    evidence: Mapping[str, object] = field(default_factory=dict)
    occurred_at: datetime | None = None
    idempotency_key: str | None = None
    batch_id: str | None = None


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One item of a batch: an application (``applicant``) or a card to move (``card_id``)."""

    applicant: Applicant | None = None
    card_id: str | None = None
    expected_version: int | None = None
    presenter: Presenter = Presenter.SELF
    evidence: Mapping[str, object] = field(default_factory=dict)
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    """Many cards, one event, one channel: an employer's or a community office's
    applications, or an issuing bank's produced cards.

    ``evidence`` is shown once for the whole batch (the unit's letter and seal, the
    production batch number) and recorded on every item's entry.
    """

    event: Event
    channel: Channel
    actor: Actor
    items: Sequence[BatchItem]
    evidence: Mapping[str, object] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Search:
    """What a supervisor asks for; ``financial`` is ``True`` for cards whose financial
    function is active, ``False`` for cards whose is not."""

    states: frozenset[State] = frozenset()
    channels: frozenset[Channel] = frozenset()
    regions: frozenset[str] = frozenset()
    financial: bool | None = None
    opened_from: datetime | None = None
    opened_before: datetime | None = None
    updated_from: datetime | None = None
    updated_before: datetime | None = None
    after: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class Card:
    """A card as it stands now, and what may happen to it next."""

    card_id: str
    state: State
    version: int
    last_seq: int
    allowed: tuple[Event, ...]
    due_at: datetime | None = None
    """When the card's running deadline falls, if one runs."""
    replaced_by: str | None = None
    """The replacement card, for a card replaced by reissue."""

    @classmethod
    def from_entry(cls, entry: Entry) -> Card:
        """The card as the moving ``entry`` left it."""
        state = State(entry.to_state)
        replaced_by = entry.evidence.get("replaced_by")
        return cls(
            entry.card_id,
            state,
            entry.version,
            entry.seq,
            allowed_events(state),
            entry.due_at,
            replaced_by if isinstance(replaced_by, str) else None,
        )

    @classmethod
    def from_head(cls, head: Head) -> Card:
        state = State(head.state)
        return cls(
            head.card_id, state, head.version, head.last_seq, allowed_events(state), head.due_at
        )


@dataclass(frozen=True, slots=True)
class Found:
    """A card a search found: as it stands, where it is kept, and when it opened and moved."""

    card: Card
    region: str
    opened_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, head: Head) -> Found:
        return cls(Card.from_head(head), head.region, head.opened_at, head.updated_at)


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of a search; ``after`` continues it, and is ``None`` on the last page."""

    found: list[Found]
    after: int | None


@dataclass(frozen=True, slots=True)
class Swept:
    """A step the system took on a card whose deadline had passed."""

    card_id: str
    event: Event
    from_state: State
    to_state: State


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What a sweep did at ``at``: the steps it took, the cards another sweep had already
    moved, and the cards that moved on before it could (another writer got there first)."""

    at: datetime
    swept: list[Swept]
    done_elsewhere: int = 0
    moved_on: int = 0


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing a person did: the reference the ledger knows them by, every card
    they held, the entries noting the erasure (none if no data was held any more), and
    whether the store kept no copy of it beside its tables (``journal_clear``: on
    SQLite, readers can keep the write-ahead log busy; asking again clears it)."""

    subject: str
    cards: tuple[str, ...]
    entries: tuple[Entry, ...]
    journal_clear: bool = True

    @property
    def erased(self) -> bool:
        return bool(self.entries)


Outcome = Card | WorkflowError
"""What became of one item of a batch: the card it opened or moved, or its refusal."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The batch's id (on every entry it wrote) and each item's outcome, in item order."""

    batch_id: str
    outcomes: list[Outcome]

    @property
    def accepted(self) -> int:
        return sum(1 for outcome in self.outcomes if isinstance(outcome, Card))
