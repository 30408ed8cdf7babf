"""The system's own steps: a card whose deadline has passed is moved on by a sweep,
whenever one runs and however many run at once."""

from __future__ import annotations

from typing import Final

import structlog

from ledger.store import DuplicateRequest, Head, VersionConflict
from workflow import cards
from workflow.definition import deadline_rule
from workflow.errors import ConditionNotMet, StaleVersion, TransitionNotAllowed, WorkflowError
from workflow.idempotency import move_fingerprint
from workflow.ports import Ports
from workflow.records import Actor, Step, SweepReport, Swept
from workflow.rules import allowed_events
from workflow.states import Channel, Event, Role, State

log = structlog.get_logger()

MAX_SWEEP: Final = 10_000
"""The most steps one sweep takes; the next sweep takes the rest."""
SWEEPER: Final = Actor("cardflow-deadlines", Role.SYSTEM)
"""Who takes the system's steps when deadlines pass; every sweep speaks as it, so two
sweeps at once hold the same idempotency keys and the second writes nothing."""
_PAGE: Final = 500
"""Due cards read at a time."""


def sweep(ports: Ports, *, actor: Actor = SWEEPER, limit: int = MAX_SWEEP) -> SweepReport:
    """Take the system's step on every card whose deadline has passed, up to ``limit``.

    A produced card not collected in time is returned; a collected card whose
    financial function is not active in time is reported lost; a temporary loss
    report past its validity lapses. Deadlines live in the database (each card's
    ``due_at``), so a sweep finds them whenever it runs, after any restart. Each step
    carries the key ``deadline/<card>/<version>``: run twice, or from two processes
    at once, a sweep writes each step once.
    """
    now = ports.clock()
    seen: set[tuple[str, int]] = set()
    swept: list[Swept] = []
    done_elsewhere = moved_on = 0
    while len(seen) < limit:
        due = [h for h in ports.ledger.due(now, _PAGE) if (h.card_id, h.version) not in seen]
        if not due:
            break
        for head in due[: limit - len(seen)]:
            seen.add((head.card_id, head.version))
            try:
                swept.append(_take(ports, head, actor))
            except DuplicateRequest:
                done_elsewhere += 1
            except (StaleVersion, ConditionNotMet, TransitionNotAllowed):
                moved_on += 1
    log.info("sweep done", swept=len(swept), done_elsewhere=done_elsewhere, moved_on=moved_on)
    return SweepReport(now, swept, done_elsewhere, moved_on)


def _take(ports: Ports, due: Head, actor: Actor) -> Swept:
    """The system's step on the card ``due`` lists, if the card still stands there; a
    refusal here is a card that moved on, and is not noted."""
    state = State(due.state)
    rule = deadline_rule(state)
    if rule is None or rule.due is None:
        raise TransitionNotAllowed(
            card_id=due.card_id,
            state=state,
            event=Event.REPORT_LOST,
            channel=Channel.SYSTEM,
            allowed=allowed_events(state),
        )
    step = Step(
        rule.event,
        Channel.SYSTEM,
        actor,
        evidence={"deadline_expired": str(rule.due)},
        idempotency_key=f"deadline/{due.card_id}/{due.version}",
    )
    fingerprint = move_fingerprint(step, due.card_id, due.version)
    try:
        actor.authorise(step.channel)
        head = cards.head_of(ports, due.card_id)
        written = cards.moved(
            ports, head, step, expected_version=due.version, fingerprint=fingerprint
        )
        try:
            entry, *_replacement = ports.ledger.append(written)
        except VersionConflict:
            raise cards.stale(cards.head_of(ports, due.card_id), due.version) from None
    except WorkflowError as refusal:
        cards.refused(due.card_id, step, refusal)
        raise
    card = cards.accepted(entry)
    return Swept(due.card_id, rule.event, state, card.state)
