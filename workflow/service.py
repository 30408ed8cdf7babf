"""The use cases: apply for a card, move it a step, read it, sweep deadlines, erase.

The CLI and the API both call these and nothing else: each use case loads what it
needs through the ledger's port, asks the rules for a decision and appends the
resulting entry -- the card's head moves in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

import structlog

from ledger.entry import ERASURE, REFUSAL, TRANSITION, Draft, Entry, format_timestamp
from ledger.errors import (
    DuplicateRequest,
    ErasureUnnoted,
    NotHeld,
    SubjectHeld,
    SubjectTaken,
    VersionConflict,
)
from ledger.store import MAX_KEY_LENGTH, CardQuery, Head, Ledger, Person
from workflow.definition import (
    DEFINITION_VERSION,
    FINANCIAL_MOVES,
    HISTORY_EVENTS,
    REPLACEMENT_OPENS,
    ROLE_CHANNELS,
    batch_rules,
    circumstances_of,
    deadline_rule,
)
from workflow.errors import (
    CardNotFound,
    ChannelNotAllowed,
    ConditionNotMet,
    Conflict,
    InvalidEvidence,
    InvalidRequest,
    KeyReused,
    NotPermitted,
    PersonHoldsCard,
    PersonNotFound,
    StaleVersion,
    StillHolder,
    TransitionNotAllowed,
    WorkflowError,
)
from workflow.identity import parse_identity_number
from workflow.policy import DEFAULT_POLICY, Policy
from workflow.rules import Decision, Standing, allowed_events, decide
from workflow.states import Channel, ErasureReason, Event, Presenter, Role, State

log = structlog.get_logger()

CHINA_STANDARD_TIME: Final = timezone(timedelta(hours=8), "CST")
CLOCK_SKEW: Final = timedelta(minutes=5)
"""How far in the future a channel's clock may claim an event happened."""
_RETRIES: Final = 5
ERASE_EVENT: Final = "erase_personal_data"
"""The event an erasure entry names: no step of the lifecycle, a note on the card."""
MAX_BATCH: Final = 10_000
"""The most items one batch may carry."""
MAX_SWEEP: Final = 10_000
"""The most steps one sweep takes; the next sweep takes the rest."""
MAX_PAGE: Final = 200
"""The most cards one page of a search holds."""
SEARCHING_ROLES: Final = (Role.SUPERVISOR, Role.ADMIN)
"""Who may list cards they were not given the id of."""
_CHUNK: Final = 500
"""Batch items decided, then written, together in one transaction."""
_BATCH_NAMESPACE: Final = uuid.UUID("5b0f1c1e-4a47-4d0e-9a53-6f1c2a9e7b21")
DEVELOPMENT_PERSON_KEY: Final = b"cardflow development person key: never in production"
"""The key person references are made with when none is given: fine for tests and the
demo; a deployment gives its own (``CARDFLOW_PERSON_KEY_FILE``)."""


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


SWEEPER: Final = Actor("cardflow-deadlines", Role.SYSTEM)
"""Who takes the system's steps when deadlines pass; every sweep speaks as it, so two
sweeps at once hold the same idempotency keys and the second writes nothing."""


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


def issued_reference(key: str, card_id: str, version: int) -> str:
    """The reference cardflow issues for ``key`` (``payment_slip`` -> ``PS-1A2B3C4D-2``)."""
    initials = "".join(word[0] for word in key.split("_")).upper()
    return f"{initials}-{card_id.replace('-', '')[:8].upper()}-{version}"


def refusal_evidence(refused: WorkflowError) -> dict[str, str]:
    """What a refusal entry records: its kind, and why in cardflow's own words."""
    kind = "".join(f"_{c.lower()}" if c.isupper() else c for c in type(refused).__name__)
    match refused:
        case TransitionNotAllowed():
            why = f"not allowed from {refused.state}"
        case StaleVersion():
            why = f"expected version {refused.expected}, card at {refused.actual}"
        case InvalidEvidence():
            gaps = [f"missing: {'; '.join(refused.missing)}"] if refused.missing else []
            gaps += [f"{len(refused.unknown)} unknown item(s)"] if refused.unknown else []
            gaps += [f"{len(refused.malformed)} malformed item(s)"] if refused.malformed else []
            why = ", ".join(gaps)
        case NotPermitted() | ChannelNotAllowed() | ConditionNotMet():
            why = refused.reason
        case _:
            why = "the request was invalid"
    return {"refused": kind.lstrip("_"), "reason": why}


def _opening_fingerprint(step: Step, applicant: Applicant, key: bytes) -> str:
    """The fingerprint of an application: the applicant's data enters it only through a
    digest keyed like the person references, so that a receipt, kept a day beside the
    ledger, says nothing about the person to whoever lacks the key."""
    said = json.dumps(asdict(applicant), sort_keys=True, separators=(",", ":"))
    return _fingerprint(
        step, target={"applicant": hmac.new(key, said.encode(), hashlib.sha256).hexdigest()}
    )


def _move_fingerprint(step: Step, card_id: str, expected_version: int | None) -> str:
    return _fingerprint(step, target={"card_id": card_id, "expected_version": expected_version})


def _fingerprint(step: Step, *, target: Mapping[str, object]) -> str:
    """A digest of everything a request asks for, to tell a retry from a new request."""
    asked = {
        "event": step.event,
        "channel": step.channel,
        "presenter": step.presenter,
        "evidence": dict(step.evidence),
        "occurred_at": None if step.occurred_at is None else step.occurred_at.isoformat(),
        **target,
    }
    encoded = json.dumps(asked, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


class CardService:
    """The use cases over one ledger; time and ids are injected so tests can fix them."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        clock: Callable[[], datetime] = _now,
        new_id: Callable[[], str] = _new_id,
        policy: Policy = DEFAULT_POLICY,
        person_key: bytes = DEVELOPMENT_PERSON_KEY,
    ) -> None:
        self.ledger = ledger
        self.policy = policy
        self._person_key = person_key
        self._clock = clock
        self._new_id = new_id

    def apply(self, applicant: Applicant, step: Step) -> Card:
        """Open a card in ``applied`` for ``applicant``; the person goes to the person store.

        With an idempotency key, a retry of the same application answers with the card
        the first one opened, and opens no other.
        """
        fingerprint = _opening_fingerprint(step, applicant, self._person_key)
        return self._once(step, fingerprint, lambda: self._apply(applicant, step, fingerprint))

    def transition(self, card_id: str, step: Step, *, expected_version: int | None = None) -> Card:
        """Move the card one step, or raise the refusal that says why not.

        Without ``expected_version`` a lost race is retried against the card's new
        state, so the caller hears the real reason (usually: no longer allowed). With an
        idempotency key, a retry of the same request answers as the first did.
        """
        fingerprint = _move_fingerprint(step, card_id, expected_version)
        try:
            return self._once(
                step,
                fingerprint,
                lambda: self._transition(card_id, step, expected_version, fingerprint),
            )
        except WorkflowError as refused:
            if not isinstance(refused, CardNotFound):
                self._note_refusal(card_id, step, refused)
            raise

    def _once(self, step: Step, fingerprint: str, act: Callable[[], Card]) -> Card:
        """``act`` once per idempotency key: later calls are answered from its receipt."""
        key = step.idempotency_key
        if key is None:
            return act()
        step.actor.authorise(step.channel)
        receipt = self.ledger.receipt(step.actor.name, key)
        if receipt is None:
            try:
                return act()
            except DuplicateRequest as raced:
                receipt = raced.receipt
            except Conflict:
                # A concurrent retry may have written between our look and our read of
                # the card, leaving it where this request would refuse to move it.
                receipt = self.ledger.receipt(step.actor.name, key)
                if receipt is None:
                    raise
        if receipt.fingerprint != fingerprint:
            raise KeyReused(key)
        (entry,) = (
            e
            for e in self.ledger.entries_for(receipt.card_id)
            if e.moves and e.version == receipt.version
        )
        log.info("request replayed", card_id=entry.card_id, seq=entry.seq, outcome="replayed")
        return Card.from_entry(entry)

    def _apply(self, applicant: Applicant, step: Step, fingerprint: str) -> Card:
        card_id = self._new_id()
        try:
            draft, person = self._opening(card_id, applicant, step, fingerprint)
            try:
                (entry,) = self.ledger.append([draft], persons=[person])
            except SubjectTaken as taken:
                raise PersonHoldsCard(event=step.event, holder=taken.holder) from None
        except WorkflowError as refused:
            _refused(card_id, step, refused)
            raise
        return _accepted(entry)

    def _opening(
        self, card_id: str, applicant: Applicant, step: Step, fingerprint: str
    ) -> tuple[Draft, Person]:
        """The entry that opens ``card_id`` for ``applicant``, and the person it refers to."""
        step.actor.authorise(step.channel)
        if step.event is not Event.APPLY:
            raise InvalidRequest(f"a card is opened by apply, not {step.event}")
        now = self._clock()
        identity = parse_identity_number(
            applicant.id_number, today=now.astimezone(CHINA_STANDARD_TIME).date()
        )
        if not applicant.name.strip():
            raise InvalidRequest("the applicant's name is empty")
        applied_on = (step.occurred_at or now).astimezone(CHINA_STANDARD_TIME).date()
        circumstances = circumstances_of(
            identity.age_on(applied_on), foreigner=identity.foreign, presenter=step.presenter
        )
        decision = decide(
            card_id=card_id,
            standing=Standing(None),
            event=step.event,
            channel=step.channel,
            presenter=step.presenter,
            evidence=step.evidence,
            now=now,
            occurred_at=step.occurred_at,
            policy=self.policy,
            circumstances=circumstances,
        )
        person = Person(
            ref=self.person_ref(identity.number),
            id_number=identity.number,
            name=applicant.name.strip(),
            details=applicant.details(),
        )
        holder = self.ledger.holder(person.ref)
        if holder is not None:
            raise PersonHoldsCard(event=step.event, holder=holder.card_id)
        return self._draft(card_id, 1, person.ref, decision, step, now, fingerprint), person

    def erase_person(
        self,
        actor: Actor,
        reason: ErasureReason,
        *,
        id_number: str | None = None,
        subject: str | None = None,
    ) -> Erasure:
        """Erase the personal data of the person with ``id_number`` (or whom the ledger
        names ``subject``) and note it, with ``reason``, on every card they held.

        Entries name the person by ``subject`` only, so every hash, proof and checkpoint
        holds afterwards. Refused (``StillHolder``) while a card of theirs is live; a
        person whose data is already gone is reported so, and nothing is written (but
        the store's journal is cleared again, should an earlier erasure have found it
        busy).
        """
        ref = self._subject(id_number, subject)
        for _attempt in range(_RETRIES):
            cards = self.ledger.cards_of(ref)
            if not cards:
                raise PersonNotFound()
            ids = tuple(head.card_id for head in cards)
            live = next((head for head in cards if head.exclusive), None)
            if live is not None:
                raise StillHolder(holder=live.card_id, state=State(live.state))
            written: tuple[Entry, ...] = ()
            if self.ledger.person(ref) is not None:
                drafts = [self._erasure(head, actor, reason) for head in cards]
                try:
                    written = tuple(self.ledger.append(drafts, erase=[ref]))
                except NotHeld:
                    pass  # another erasure took it first
                except (VersionConflict, ErasureUnnoted, SubjectHeld):
                    continue  # a card of theirs moved or opened meanwhile: look again
            if written:
                log.info(
                    "personal data erased",
                    subject=ref,
                    cards=len(ids),
                    reason=str(reason),
                    actor=actor.name,
                )
            return Erasure(ref, ids, written, journal_clear=self.ledger.clear_journal())
        raise Conflict("the person's cards kept changing while they were erased; try again")

    def _subject(self, id_number: str | None, subject: str | None) -> str:
        if (id_number is None) == (subject is None):
            raise InvalidRequest("name the person by ID number or by reference, not both")
        if subject is not None:
            if len(subject) != 64 or any(c not in "0123456789abcdef" for c in subject):
                raise InvalidRequest("a person's reference is 64 lower-case hex digits")
            return subject
        assert id_number is not None
        identity = parse_identity_number(
            id_number, today=self._clock().astimezone(CHINA_STANDARD_TIME).date()
        )
        return self.person_ref(identity.number)

    def _erasure(self, head: Head, actor: Actor, reason: ErasureReason) -> Draft:
        """The entry noting, on the card at ``head``, that its holder's data was erased."""
        return Draft(
            card_id=head.card_id,
            version=head.version,
            kind=ERASURE,
            event=ERASE_EVENT,
            from_state=head.state,
            to_state=head.state,
            channel=str(Channel.SYSTEM),
            actor=actor.name,
            role=str(actor.role),
            presenter=str(Presenter.SELF),
            subject=head.subject,
            occurred_at=self._clock(),
            evidence={"erased": "personal_data", "reason": str(reason)},
            definition_version=DEFINITION_VERSION,
            region=self.policy.region,
            policy=self.policy.label,
            due_at=head.due_at,
            exclusive=head.exclusive,
        )

    def person_ref(self, id_number: str) -> str:
        """How the ledger names the holder of ``id_number``: a keyed hash, the same for
        every card the person holds, that no one without the key can turn back."""
        return hmac.new(self._person_key, id_number.encode(), hashlib.sha256).hexdigest()

    def _transition(
        self, card_id: str, step: Step, expected_version: int | None, fingerprint: str
    ) -> Card:
        try:
            step.actor.authorise(step.channel)
            for _attempt in range(_RETRIES):
                head = self._head(card_id)
                drafts = self._replaced(self._move(head, step, expected_version, fingerprint))
                try:
                    entry, *_replacement = self.ledger.append(drafts)
                except VersionConflict:
                    if expected_version is not None:
                        raise self._stale(self._head(card_id), expected_version) from None
                    continue
                break
            else:
                raise self._stale(self._head(card_id), head.version)
        except WorkflowError as refused:
            _refused(card_id, step, refused)
            raise
        return _accepted(entry)

    def _move(
        self, head: Head, step: Step, expected_version: int | None, fingerprint: str
    ) -> Draft:
        """The entry that moves the card at ``head`` by ``step``, or the refusal why not."""
        if expected_version is not None and expected_version != head.version:
            raise self._stale(head, expected_version)
        now = self._clock()
        decision = decide(
            card_id=head.card_id,
            standing=self._standing(head, step.event),
            event=step.event,
            channel=step.channel,
            presenter=step.presenter,
            evidence=step.evidence,
            now=now,
            occurred_at=step.occurred_at,
            policy=self.policy,
        )
        return self._draft(
            head.card_id,
            head.version + 1,
            head.subject,
            decision,
            step,
            now,
            fingerprint,
            since=head.occurred_at,
        )

    def _standing(self, head: Head, event: Event) -> Standing:
        """What the rules must know of the card at ``head`` to decide ``event``."""
        state = State(head.state)
        if event not in HISTORY_EVENTS:
            return Standing(state, head.due_at)
        moves = [entry for entry in self.ledger.entries_for(head.card_id) if entry.moves]
        financial = any((Event(e.event), Channel(e.channel)) in FINANCIAL_MOVES for e in moves)
        came_from, came_from_due = None, None
        if state is State.TEMPORARILY_LOST and len(moves) > 1:
            came_from = None if moves[-1].from_state is None else State(moves[-1].from_state)
            came_from_due = moves[-2].due_at
        return Standing(state, head.due_at, financial, came_from, came_from_due)

    def _replaced(self, draft: Draft) -> list[Draft]:
        """``draft``, and if it reissues a lost card, the replacement card it opens.

        The two entries name each other (``replaced_by``, ``replaces``) and are written
        in one transaction: the lost card gives its person up to the replacement.
        """
        if draft.event != Event.REISSUE:
            return [draft]
        replacement_id = self._new_id()
        replacement = replace(
            draft,
            card_id=replacement_id,
            version=1,
            from_state=None,
            to_state=str(REPLACEMENT_OPENS),
            evidence={"replaces": draft.card_id},
            due_at=None,
            exclusive=True,
            idempotency_key=None,
            fingerprint=None,
        )
        lost = replace(draft, evidence={**draft.evidence, "replaced_by": replacement_id})
        return [lost, replacement]

    def _note_refusal(self, card_id: str, step: Step, refused: WorkflowError) -> None:
        """Write the refused attempt to the card's history, moving nothing."""
        for _attempt in range(_RETRIES):
            head = self.ledger.head(card_id)
            if head is None:
                return
            try:
                self.ledger.append([self._refusal(head, step, refused)])
            except VersionConflict:
                continue
            return

    def _refusal(self, head: Head, step: Step, refused: WorkflowError) -> Draft:
        """The entry noting ``refused`` on the card at ``head``.

        Only words cardflow chose are recorded -- never the caller's evidence, which a
        refused request has not shown to be free of personal data.
        """
        return Draft(
            card_id=head.card_id,
            version=head.version,
            kind=REFUSAL,
            event=str(step.event),
            from_state=head.state,
            to_state=head.state,
            channel=str(step.channel),
            actor=step.actor.name,
            role=str(step.actor.role),
            presenter=str(step.presenter),
            subject=head.subject,
            occurred_at=self._clock(),
            evidence=refusal_evidence(refused),
            definition_version=DEFINITION_VERSION,
            region=self.policy.region,
            policy=self.policy.label,
            due_at=head.due_at,
            exclusive=head.exclusive,
            batch_id=step.batch_id,
        )

    def batch(self, batch: Batch) -> BatchResult:
        """Run every item of ``batch`` on its own: each is accepted or refused by itself.

        Items are decided, then written, many to a transaction; if a chunk meets a
        concurrent writer or a retry it is run again one item at a time, so the outcome
        is the one each item would have had alone. With an idempotency key, the batch
        keeps one id and item ``i`` the key ``<key>/<i>``: a retried batch writes only
        what the first did not, and answers for the rest as the first did.
        """
        batch.actor.authorise(batch.channel)
        if (batch.event, batch.channel) not in {(r.event, r.channel) for r in batch_rules()}:
            pairs = ", ".join(f"{r.event} through {r.channel}" for r in batch_rules())
            raise InvalidRequest(
                f"a batch carries {pairs}; not {batch.event} through {batch.channel}"
            )
        if not 1 <= len(batch.items) <= MAX_BATCH:
            raise InvalidRequest(f"a batch carries 1 to {MAX_BATCH} items, not {len(batch.items)}")
        key = batch.idempotency_key
        if key is not None and len(f"{key}/{len(batch.items) - 1}") > MAX_KEY_LENGTH:
            raise InvalidRequest(
                f"a batch's idempotency key leaves room for /<item>: at most "
                f"{MAX_KEY_LENGTH - len(str(len(batch.items) - 1)) - 1} characters here"
            )
        batch_id = (
            self._new_id()
            if key is None
            else str(uuid.uuid5(_BATCH_NAMESPACE, f"{batch.actor.name}\n{key}"))
        )
        outcomes: list[Outcome] = []
        for start in range(0, len(batch.items), _CHUNK):
            chunk = batch.items[start : start + _CHUNK]
            steps = [
                self._batch_step(batch, batch_id, item, None if key is None else f"{key}/{index}")
                for index, item in enumerate(chunk, start)
            ]
            outcomes.extend(self._chunk(chunk, steps))
        log.info(
            "batch done",
            batch_id=batch_id,
            transition=str(batch.event),
            channel=str(batch.channel),
            items=len(outcomes),
            accepted=sum(1 for outcome in outcomes if isinstance(outcome, Card)),
        )
        return BatchResult(batch_id, outcomes)

    def _batch_step(
        self, batch: Batch, batch_id: str, item: BatchItem, key: str | None
    ) -> Step | InvalidRequest:
        shared = batch.evidence.keys() & item.evidence.keys()
        if shared:
            return InvalidRequest(
                f"evidence {', '.join(sorted(shared))} is given for the batch and again "
                "for the item: give it once"
            )
        opens = batch.event is Event.APPLY
        if (item.applicant is not None, item.card_id is not None) != (opens, not opens):
            wants = "an applicant" if opens else "a card id"
            return InvalidRequest(
                f"each item of a {batch.event} batch names {wants}, and only that"
            )
        return Step(
            event=batch.event,
            channel=batch.channel,
            actor=batch.actor,
            presenter=item.presenter,
            evidence={**batch.evidence, **item.evidence},
            occurred_at=item.occurred_at,
            idempotency_key=key,
            batch_id=batch_id,
        )

    def _chunk(
        self, items: Sequence[BatchItem], steps: Sequence[Step | InvalidRequest]
    ) -> list[Outcome]:
        """Decide every item, write the accepted ones and the noted refusals at once."""
        outcomes: list[Outcome | None] = []
        drafts: list[Draft] = []
        persons: list[Person] = []
        for item, step in zip(items, steps, strict=True):
            if isinstance(step, WorkflowError):
                outcomes.append(step)
                continue
            if step.idempotency_key is not None and self.ledger.receipt(
                step.actor.name, step.idempotency_key
            ):
                outcomes.append(self._alone(item, step))  # a retry: answered as the first
                continue
            card_id = item.card_id or self._new_id()
            try:
                if item.applicant is not None:
                    fingerprint = _opening_fingerprint(step, item.applicant, self._person_key)
                    draft, person = self._opening(card_id, item.applicant, step, fingerprint)
                    persons.append(person)
                else:
                    fingerprint = _move_fingerprint(step, card_id, item.expected_version)
                    head = self._head(card_id)
                    try:
                        draft = self._move(head, step, item.expected_version, fingerprint)
                    except WorkflowError as refused:
                        drafts.append(self._refusal(head, step, refused))
                        raise
            except WorkflowError as refused:
                _refused(card_id, step, refused)
                outcomes.append(refused)
                continue
            drafts.append(draft)
            outcomes.append(None)
        try:
            written = iter(e for e in self.ledger.append(drafts, persons=persons) if e.moves)
        except (VersionConflict, DuplicateRequest, SubjectTaken):
            return [self._alone(item, step) for item, step in zip(items, steps, strict=True)]
        return [_accepted(next(written)) if outcome is None else outcome for outcome in outcomes]

    def _alone(self, item: BatchItem, step: Step | InvalidRequest) -> Outcome:
        """One batch item run as a request of its own."""
        if isinstance(step, WorkflowError):
            return step
        try:
            if item.applicant is not None:
                return self.apply(item.applicant, step)
            assert item.card_id is not None
            return self.transition(item.card_id, step, expected_version=item.expected_version)
        except WorkflowError as refused:
            return refused

    def sweep(self, *, actor: Actor = SWEEPER, limit: int = MAX_SWEEP) -> SweepReport:
        """Take the system's step on every card whose deadline has passed, up to ``limit``.

        A produced card not collected in time is returned; a collected card whose
        financial function is not active in time is reported lost; a temporary loss
        report past its validity lapses. Deadlines live in the database (each card's
        ``due_at``), so a sweep finds them whenever it runs, after any restart. Each step
        carries the key ``deadline/<card>/<version>``: run twice, or from two processes
        at once, a sweep writes each step once.
        """
        now = self._clock()
        seen: set[tuple[str, int]] = set()
        swept: list[Swept] = []
        done_elsewhere = moved_on = 0
        while len(seen) < limit:
            due = [h for h in self.ledger.due(now, _CHUNK) if (h.card_id, h.version) not in seen]
            if not due:
                break
            for head in due[: limit - len(seen)]:
                seen.add((head.card_id, head.version))
                try:
                    swept.append(self._take_deadline(head, actor))
                except DuplicateRequest:
                    done_elsewhere += 1
                except (StaleVersion, ConditionNotMet, TransitionNotAllowed):
                    moved_on += 1
        log.info(
            "sweep done",
            swept=len(swept),
            done_elsewhere=done_elsewhere,
            moved_on=moved_on,
        )
        return SweepReport(now, swept, done_elsewhere, moved_on)

    def _take_deadline(self, head: Head, actor: Actor) -> Swept:
        """The system's step on the card at ``head``, its deadline passed."""
        rule = deadline_rule(State(head.state))
        if rule is None or rule.due is None:
            raise TransitionNotAllowed(
                card_id=head.card_id,
                state=State(head.state),
                event=Event.REPORT_LOST,
                channel=Channel.SYSTEM,
                allowed=allowed_events(State(head.state)),
            )
        step = Step(
            rule.event,
            Channel.SYSTEM,
            actor,
            evidence={"deadline_expired": str(rule.due)},
            idempotency_key=f"deadline/{head.card_id}/{head.version}",
        )
        fingerprint = _move_fingerprint(step, head.card_id, head.version)
        card = self._transition(head.card_id, step, head.version, fingerprint)
        return Swept(head.card_id, rule.event, State(head.state), card.state)

    def search(self, actor: Actor, wanted: Search) -> SearchPage:
        """The cards a supervisor asks for, oldest opened first, a page at a time."""
        if actor.role not in SEARCHING_ROLES:
            raise NotPermitted(
                actor=actor.name,
                channel=None,
                permitted=sorted(actor.permitted()),
                reason=f"only {' and '.join(SEARCHING_ROLES)} keys search cards",
            )
        if not 1 <= wanted.limit <= MAX_PAGE:
            raise InvalidRequest(f"a page holds 1 to {MAX_PAGE} cards, not {wanted.limit}")
        financial = frozenset((str(e), str(c)) for e, c in FINANCIAL_MOVES)
        query = CardQuery(
            states=frozenset(str(state) for state in wanted.states),
            regions=wanted.regions,
            channels=frozenset(str(channel) for channel in wanted.channels),
            having=financial if wanted.financial is True else frozenset(),
            lacking=financial if wanted.financial is False else frozenset(),
            opened_from=wanted.opened_from,
            opened_before=wanted.opened_before,
            updated_from=wanted.updated_from,
            updated_before=wanted.updated_before,
            after=wanted.after,
            limit=wanted.limit + 1,
        )
        heads = self.ledger.search(query)
        page = heads[: wanted.limit]
        return SearchPage(
            found=[Found.of(head) for head in page],
            after=page[-1].opened_seq if len(heads) > wanted.limit else None,
        )

    def card(self, card_id: str) -> Card:
        """The card as it stands now."""
        head = self._head(card_id)
        if head.state != State.REPLACED:
            return Card.from_head(head)
        (last,) = (e for e in self.ledger.entries_for(card_id) if e.seq == head.last_seq)
        return Card.from_entry(last)

    def history(self, card_id: str, *, refusals: bool = False) -> list[Entry]:
        """The card's ledger entries, oldest first (an erasure of its holder's data
        among them); refused attempts only if asked for."""
        entries = self.ledger.entries_for(card_id)
        if not entries:
            raise CardNotFound(card_id)
        return entries if refusals else [entry for entry in entries if entry.kind != REFUSAL]

    def feed(self, *, after: int, limit: int) -> list[Entry]:
        """The ledger in sequence order, for other systems to follow."""
        return self.ledger.entries_after(after, limit)

    def _head(self, card_id: str) -> Head:
        head = self.ledger.head(card_id)
        if head is None:
            raise CardNotFound(card_id)
        return head

    def _stale(self, head: Head, expected: int) -> StaleVersion:
        state = State(head.state)
        return StaleVersion(
            card_id=head.card_id,
            expected=expected,
            actual=head.version,
            state=state,
            allowed=allowed_events(state),
        )

    def _draft(
        self,
        card_id: str,
        version: int,
        subject: str,
        decision: Decision,
        step: Step,
        now: datetime,
        fingerprint: str,
        *,
        since: datetime | None = None,
    ) -> Draft:
        """The entry ``decision`` writes; ``since`` is when the card's last step happened."""
        occurred_at = step.occurred_at or now
        if occurred_at.tzinfo is None:
            raise InvalidRequest("occurred_at must carry a time zone")
        if occurred_at > now + CLOCK_SKEW:
            raise InvalidRequest("occurred_at is in the future")
        if since is not None and occurred_at < since:
            raise InvalidRequest(
                f"occurred_at is {format_timestamp(occurred_at)}, before the card's last step "
                f"({format_timestamp(since)}): a step cannot happen before the one it follows"
            )
        return Draft(
            card_id=card_id,
            version=version,
            kind=TRANSITION,
            event=str(decision.event),
            from_state=None if decision.from_state is None else str(decision.from_state),
            to_state=str(decision.to_state),
            channel=str(decision.channel),
            actor=step.actor.name,
            role=str(step.actor.role),
            presenter=str(decision.presenter),
            subject=subject,
            occurred_at=occurred_at,
            evidence={
                **decision.evidence,
                **{key: issued_reference(key, card_id, version) for key in decision.issues},
            },
            definition_version=DEFINITION_VERSION,
            region=self.policy.region,
            policy=self.policy.label,
            due_at=decision.due_at,
            exclusive=decision.live,
            idempotency_key=step.idempotency_key,
            batch_id=step.batch_id,
            fingerprint=fingerprint if step.idempotency_key else None,
        )

    def live_card_of(self, id_number: str) -> Card | None:
        """The live card the person with this ID number holds, if any."""
        head = self.ledger.holder(self._subject(id_number, None))
        return None if head is None else Card.from_head(head)


def _accepted(entry: Entry) -> Card:
    log.info(
        "transition accepted",
        card_id=entry.card_id,
        transition=entry.event,
        channel=entry.channel,
        outcome="accepted",
        seq=entry.seq,
        to_state=entry.to_state,
    )
    return Card.from_entry(entry)


def _refused(card_id: str, step: Step, refused: WorkflowError) -> None:
    log.info(
        "transition refused",
        card_id=card_id,
        transition=str(step.event),
        channel=str(step.channel),
        outcome="refused",
        reason=type(refused).__name__,
    )
