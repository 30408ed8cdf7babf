"""A card's own use cases: open it, move it a step, read it back.

Each decides on the card as the ledger has it and writes the decision in one append:
the entry that opens or moves the card (its head moves in the same transaction), or,
for a refused step on a card, the note of the refusal at the version it was decided on.
"""

from __future__ import annotations

from contextlib import suppress
from typing import NoReturn

import structlog

from ledger.store import (
    REFUSAL,
    Draft,
    DuplicateRequest,
    Entry,
    Head,
    Person,
    SubjectTaken,
    VersionConflict,
)
from workflow import drafts, idempotency, refusals
from workflow.definition import FINANCIAL_MOVES, HISTORY_EVENTS, circumstances_of
from workflow.errors import (
    CardNotFound,
    Conflict,
    InvalidRequest,
    KeyReused,
    PersonHoldsCard,
    StaleVersion,
    WorkflowError,
    loggable_card_id,
)
from workflow.identity import parse_identity_number
from workflow.moments import china_date
from workflow.ports import RETRIES, Ports
from workflow.records import Applicant, Card, Step
from workflow.rules import Standing, allowed_events, channels_allowed, check_document, decide
from workflow.states import Channel, Event, State

log = structlog.get_logger()


def apply(ports: Ports, applicant: Applicant, step: Step) -> Card:
    """Open a card in ``applied`` for ``applicant``; the person goes to the person store.

    With an idempotency key, a retry of the same application answers with the card
    the first one opened, and opens no other.
    """
    fingerprint = idempotency.opening_fingerprint(step, applicant, ports.person_key)
    return idempotency.once(
        ports, step, fingerprint, lambda: _open(ports, applicant, step, fingerprint)
    )


def transition(
    ports: Ports, card_id: str, step: Step, *, expected_version: int | None = None
) -> Card:
    """Move the card one step, or raise the refusal that says why not, noted on the card.

    Without ``expected_version`` a lost race is decided again on the card's new state,
    so the caller hears the real reason (usually: no longer allowed). With an
    idempotency key, a retry of the same request answers as the first did.
    """
    fingerprint = idempotency.move_fingerprint(step, card_id, expected_version)
    try:
        step.actor.authorise(step.channel)
        answer = idempotency.answered(ports, step, fingerprint)
    except WorkflowError as refusal:
        _refuse(ports, card_id, step, refusal)
    if answer is not None:
        return answer
    return _settle(ports, card_id, step, expected_version, fingerprint)


def card(ports: Ports, card_id: str) -> Card:
    """The card as it stands now."""
    head = head_of(ports, card_id)
    if head.state != State.REPLACED:
        return Card.from_head(head)
    (last,) = (e for e in ports.ledger.entries_for(card_id) if e.seq == head.last_seq)
    return Card.from_entry(last)


def live_card_of(ports: Ports, id_number: str) -> Card | None:
    """The live card the person with ``id_number`` holds, if they hold one."""
    head = ports.ledger.holder(ports.subject_of(id_number))
    return None if head is None else Card.from_head(head)


def history(ports: Ports, card_id: str, *, refusals: bool = False) -> list[Entry]:
    """The card's ledger entries, oldest first (an erasure of its holder's data
    among them); refused attempts only if asked for."""
    entries = ports.ledger.entries_for(card_id)
    if not entries:
        raise CardNotFound(card_id)
    return entries if refusals else [entry for entry in entries if entry.kind != REFUSAL]


def history_page(
    ports: Ports, card_id: str, *, refusals: bool, after: int, limit: int
) -> list[Entry]:
    """Up to ``limit`` of the card's entries after sequence number ``after``, oldest
    first; refused attempts only if asked for. A page costs what it holds, however long
    the card's record."""
    if ports.ledger.head(card_id) is None:
        raise CardNotFound(card_id)
    return ports.ledger.card_page(card_id, after=after, limit=limit, refusals=refusals)


def feed(ports: Ports, *, after: int, limit: int) -> list[Entry]:
    """The ledger in sequence order, for other systems to follow."""
    return ports.ledger.entries_after(after, limit)


def opening(
    ports: Ports, card_id: str, applicant: Applicant, step: Step, fingerprint: str
) -> tuple[Draft, Person]:
    """The entry that opens ``card_id`` for ``applicant``, and the person it refers to."""
    step.actor.authorise(step.channel)
    if step.event is not Event.APPLY:
        raise InvalidRequest(f"a card is opened by apply, not {step.event}")
    now = ports.clock()
    identity = parse_identity_number(applicant.id_number, today=china_date(now))
    if not applicant.name.strip():
        raise InvalidRequest("the applicant's name is empty")
    applied_on = china_date(drafts.claimed_moment(ports, step, now))
    if applied_on < identity.birth_date:
        raise InvalidRequest("occurred_at is before the applicant's date of birth")
    circumstances = circumstances_of(
        identity.age_on(applied_on),
        foreigner=identity.foreign,
        presenter=step.presenter,
    )
    decision = decide(
        card_id=card_id,
        standing=Standing(None),
        event=step.event,
        channel=step.channel,
        presenter=step.presenter,
        evidence=step.evidence,
        now=now,
        policy=ports.policy,
        circumstances=circumstances,
    )
    check_document(decision.evidence, identity)
    person = Person(
        ref=ports.person_ref(identity.number),
        id_number=identity.number,
        name=applicant.name.strip(),
        details=applicant.details(),
    )
    holder = ports.ledger.holder(person.ref)
    if holder is not None:
        raise holds_card(step.event, holder)
    draft = drafts.transition(ports, card_id, 1, person.ref, decision, step, now, fingerprint)
    return draft, person


def moved(
    ports: Ports, head: Head, step: Step, *, expected_version: int | None, fingerprint: str
) -> list[Draft]:
    """The entries that move the card at ``head`` by ``step``, or the refusal why not."""
    if expected_version is not None and expected_version != head.version:
        raise stale(head, expected_version)
    now = ports.clock()
    decision = decide(
        card_id=head.card_id,
        standing=_standing(ports, head, step.event),
        event=step.event,
        channel=step.channel,
        presenter=step.presenter,
        evidence=step.evidence,
        now=now,
        policy=ports.policy,
    )
    draft = drafts.transition(
        ports,
        head.card_id,
        head.version + 1,
        head.subject,
        decision,
        step,
        now,
        fingerprint,
        since=head.occurred_at,
    )
    return drafts.with_replacement(ports, draft)


def holds_card(event: Event, holder: Head) -> PersonHoldsCard:
    """The refusal of ``event`` for a person who holds the live card at ``holder``: with
    what that card allows now, and the channels its next steps go through."""
    state = State(holder.state)
    allowed = allowed_events(state)
    channels = dict.fromkeys(c for e in allowed for c in channels_allowed(e, state))
    return PersonHoldsCard(
        event=event,
        holder=holder.card_id,
        holder_state=state,
        allowed=allowed,
        handled_by=tuple(channels),
    )


def head_of(ports: Ports, card_id: str) -> Head:
    head = ports.ledger.head(card_id)
    if head is None:
        raise CardNotFound(card_id)
    return head


def stale(head: Head, expected: int) -> StaleVersion:
    state = State(head.state)
    return StaleVersion(
        card_id=head.card_id,
        expected=expected,
        actual=head.version,
        state=state,
        allowed=allowed_events(state),
    )


def accepted(entry: Entry) -> Card:
    """The card ``entry`` moved, its step logged."""
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


def refused(card_id: str, step: Step, refusal: WorkflowError) -> WorkflowError:
    """``refusal``, logged: never with the person's data, which it does not hold."""
    log.info(
        "transition refused",
        card_id=loggable_card_id(card_id),
        transition=str(step.event),
        channel=str(step.channel),
        outcome="refused",
        reason=type(refusal).__name__,
    )
    return refusal


def _open(ports: Ports, applicant: Applicant, step: Step, fingerprint: str) -> Card:
    card_id = ports.new_id()
    try:
        draft, person = opening(ports, card_id, applicant, step, fingerprint)
        try:
            (entry,) = ports.ledger.append([draft], persons=[person])
        except SubjectTaken as taken:
            head = ports.ledger.head(taken.holder)
            if head is None:
                raise PersonHoldsCard(event=step.event, holder=taken.holder) from None
            raise holds_card(step.event, head) from None
    except WorkflowError as refusal:
        refused(card_id, step, refusal)
        raise
    return accepted(entry)


def _settle(
    ports: Ports, card_id: str, step: Step, expected_version: int | None, fingerprint: str
) -> Card:
    """Decide ``step`` on the card as it stands and write the decision in one append:
    the step's entries, or the note of its refusal at the version it was refused at. A
    lost race reads the card again and decides again, so the second decision may accept."""
    lost_at = None
    for _attempt in range(RETRIES):
        head = ports.ledger.head(card_id)
        if head is None:
            raise refused(card_id, step, CardNotFound(card_id))
        verdict = _verdict(ports, head, step, expected_version, fingerprint)
        if isinstance(verdict, Card):
            return verdict
        if isinstance(verdict, WorkflowError):
            refusal, written = verdict, refusals.noted(ports, head, step, verdict)
            if not written:
                raise refused(card_id, step, verdict)
        else:
            refusal, written = None, verdict
        try:
            entry, *_replacement = ports.ledger.append(written)
        except VersionConflict:
            lost_at = head.version
            continue
        except DuplicateRequest as raced:
            try:
                return idempotency.replay(ports, raced.receipt, fingerprint)
            except KeyReused as reused:
                _refuse(ports, card_id, step, reused)
        if refusal is not None:
            raise refused(card_id, step, refusal)
        return accepted(entry)
    head = head_of(ports, card_id)
    refusal = stale(head, head.version if lost_at is None else lost_at)
    with suppress(VersionConflict):
        ports.ledger.append(refusals.noted(ports, head, step, refusal))
    raise refused(card_id, step, refusal)


def _verdict(
    ports: Ports, head: Head, step: Step, expected_version: int | None, fingerprint: str
) -> list[Draft] | Card | WorkflowError:
    """The entries ``step`` writes at ``head``, its refusal, or -- if the refusal is the
    card standing where a retry of this request left it -- the answer that retry got."""
    try:
        return moved(ports, head, step, expected_version=expected_version, fingerprint=fingerprint)
    except Conflict as refusal:
        if step.idempotency_key is None:
            return refusal
        try:
            return idempotency.answered(ports, step, fingerprint) or refusal
        except KeyReused as reused:
            return reused
    except WorkflowError as refusal:
        return refusal


def _refuse(ports: Ports, card_id: str, step: Step, refusal: WorkflowError) -> NoReturn:
    """Raise ``refusal``, made before the card was read, noted on the card as it then
    stands: alone in its append, as it depends on nothing the card could change."""
    for _attempt in range(RETRIES):
        head = ports.ledger.head(card_id)
        if head is None:
            break
        try:
            ports.ledger.append(refusals.noted(ports, head, step, refusal))
        except VersionConflict:
            continue
        break
    raise refused(card_id, step, refusal)


def _standing(ports: Ports, head: Head, event: Event) -> Standing:
    """What the rules must know of the card at ``head`` to decide ``event``."""
    state = State(head.state)
    if event not in HISTORY_EVENTS:
        return Standing(state, head.due_at)
    moves = [entry for entry in ports.ledger.entries_for(head.card_id) if entry.moves]
    financial = any((Event(e.event), Channel(e.channel)) in FINANCIAL_MOVES for e in moves)
    came_from, came_from_due = None, None
    if state is State.TEMPORARILY_LOST and len(moves) > 1:
        came_from = None if moves[-1].from_state is None else State(moves[-1].from_state)
        came_from_due = moves[-2].due_at
    return Standing(state, head.due_at, financial, came_from, came_from_due)
