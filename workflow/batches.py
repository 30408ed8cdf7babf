"""Many cards, one event, one channel: each item accepted or refused on its own, many
decided and written together."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Final

import structlog

from ledger.store import (
    MAX_KEY_LENGTH,
    Draft,
    DuplicateRequest,
    Head,
    Person,
    SubjectTaken,
    VersionConflict,
)
from workflow import cards, refusals
from workflow.definition import EVIDENCE, batch_rules
from workflow.errors import InvalidRequest, WorkflowError
from workflow.idempotency import move_fingerprint, opening_fingerprint
from workflow.ports import Ports
from workflow.records import Batch, BatchItem, BatchResult, Card, Outcome, Step
from workflow.states import Event

log = structlog.get_logger()

MAX_BATCH: Final = 10_000
"""The most items one batch may carry."""
CHUNK: Final = 500
"""Batch items decided, then written, together in one transaction."""
_BATCH_NAMESPACE: Final = uuid.UUID("5b0f1c1e-4a47-4d0e-9a53-6f1c2a9e7b21")


def batch(ports: Ports, batch: Batch) -> BatchResult:
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
        raise InvalidRequest(f"a batch carries {pairs}; not {batch.event} through {batch.channel}")
    if not 1 <= len(batch.items) <= MAX_BATCH:
        raise InvalidRequest(f"a batch carries 1 to {MAX_BATCH} items, not {len(batch.items)}")
    key = batch.idempotency_key
    if key is not None and len(f"{key}/{len(batch.items) - 1}") > MAX_KEY_LENGTH:
        raise InvalidRequest(
            f"a batch's idempotency key leaves room for /<item>: at most "
            f"{MAX_KEY_LENGTH - len(str(len(batch.items) - 1)) - 1} characters here"
        )
    batch_id = (
        ports.new_id()
        if key is None
        else str(uuid.uuid5(_BATCH_NAMESPACE, f"{batch.actor.name}\n{key}"))
    )
    outcomes: list[Outcome] = []
    for start in range(0, len(batch.items), CHUNK):
        chunk = batch.items[start : start + CHUNK]
        steps = [
            _step(batch, batch_id, item, None if key is None else f"{key}/{index}")
            for index, item in enumerate(chunk, start)
        ]
        outcomes.extend(_chunk(ports, chunk, steps))
    log.info(
        "batch done",
        batch_id=batch_id,
        transition=str(batch.event),
        channel=str(batch.channel),
        items=len(outcomes),
        accepted=sum(1 for outcome in outcomes if isinstance(outcome, Card)),
    )
    return BatchResult(batch_id, outcomes)


def _step(batch: Batch, batch_id: str, item: BatchItem, key: str | None) -> Step | InvalidRequest:
    """The item as a step of its own, or why it cannot be one."""
    shared = batch.evidence.keys() & item.evidence.keys()
    if shared:
        named = sorted(key for key in shared if key in EVIDENCE)
        others = len(shared) - len(named)
        said = [*named, *([f"{others} key(s) cardflow does not know"] if others else [])]
        return InvalidRequest(
            f"evidence {', '.join(said)} is given for the batch and again for the item: "
            "give it once"
        )
    opens = batch.event is Event.APPLY
    if (item.applicant is not None, item.card_id is not None) != (opens, not opens):
        wants = "an applicant" if opens else "a card id"
        return InvalidRequest(f"each item of a {batch.event} batch names {wants}, and only that")
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
    ports: Ports, items: Sequence[BatchItem], steps: Sequence[Step | InvalidRequest]
) -> list[Outcome]:
    """Decide every item, write the accepted ones and the noted refusals at once: one
    note a card, however many of the chunk's items were refused on it, in the place of
    the first (``workflow.refusals``)."""
    outcomes: list[Outcome | str] = []  # a refusal, or the id of the card to be moved
    written: list[Draft | str] = []  # a draft, or the card whose refusals' note goes here
    persons: list[Person] = []
    refused_on: dict[str, tuple[Head, Step, WorkflowError, int]] = {}
    for item, step in zip(items, steps, strict=True):
        if isinstance(step, WorkflowError):
            outcomes.append(step)
            continue
        if step.idempotency_key is not None and ports.ledger.receipt(
            step.actor.name, step.idempotency_key
        ):
            outcomes.append(_alone(ports, item, step))  # a retry: answered as the first
            continue
        card_id = item.card_id or ports.new_id()
        try:
            if item.applicant is not None:
                fingerprint = opening_fingerprint(step, item.applicant, ports.person_key)
                draft, person = cards.opening(ports, card_id, item.applicant, step, fingerprint)
                written.append(draft)
                persons.append(person)
            else:
                fingerprint = move_fingerprint(step, card_id, item.expected_version)
                head = cards.head_of(ports, card_id)
                try:
                    written += cards.moved(
                        ports,
                        head,
                        step,
                        expected_version=item.expected_version,
                        fingerprint=fingerprint,
                    )
                except WorkflowError as refusal:
                    if card_id in refused_on:
                        first = refused_on[card_id]
                        refused_on[card_id] = (*first[:3], first[3] + 1)
                    else:
                        refused_on[card_id] = (head, step, refusal, 1)
                        written.append(card_id)
                    raise
        except WorkflowError as refusal:
            outcomes.append(cards.refused(card_id, step, refusal))
            continue
        outcomes.append(card_id)
    notes = {
        card_id: refusals.noted(ports, head, step, refusal, attempts=attempts)
        for card_id, (head, step, refusal, attempts) in refused_on.items()
    }
    drafted = [
        draft for held in written for draft in (notes[held] if isinstance(held, str) else [held])
    ]
    try:
        entries = ports.ledger.append(drafted, persons=persons)
    except (VersionConflict, DuplicateRequest, SubjectTaken):
        return [_alone(ports, item, step) for item, step in zip(items, steps, strict=True)]
    moved = {entry.card_id: entry for entry in entries if entry.moves}
    return [
        cards.accepted(moved[outcome]) if isinstance(outcome, str) else outcome
        for outcome in outcomes
    ]


def _alone(ports: Ports, item: BatchItem, step: Step | InvalidRequest) -> Outcome:
    """One batch item run as a request of its own."""
    if isinstance(step, WorkflowError):
        return step
    try:
        if item.applicant is not None:
            return cards.apply(ports, item.applicant, step)
        assert item.card_id is not None
        return cards.transition(ports, item.card_id, step, expected_version=item.expected_version)
    except WorkflowError as refusal:
        return refusal
