"""Erasing a person: their data leaves the person store, a note of it stays on every
card they held, and every hash, proof and checkpoint still holds."""

from __future__ import annotations

import structlog

from ledger.store import Entry, ErasureUnnoted, NotHeld, SubjectHeld, VersionConflict
from workflow import drafts
from workflow.errors import Conflict, InvalidRequest, PersonNotFound, StillHolder
from workflow.ports import RETRIES, Ports
from workflow.records import Actor, Erasure
from workflow.states import ErasureReason, State

log = structlog.get_logger()


def erase_person(
    ports: Ports,
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
    ref = _subject(ports, id_number, subject)
    for _attempt in range(RETRIES):
        held = ports.ledger.cards_of(ref)
        if not held:
            raise PersonNotFound()
        ids = tuple(head.card_id for head in held)
        live = next((head for head in held if head.exclusive), None)
        if live is not None:
            raise StillHolder(holder=live.card_id, state=State(live.state))
        written: tuple[Entry, ...] = ()
        if ports.ledger.person(ref) is not None:
            notes = [drafts.erasure(ports, head, actor, reason) for head in held]
            try:
                written = tuple(ports.ledger.append(notes, erase=[ref]))
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
        return Erasure(ref, ids, written, journal_clear=ports.ledger.clear_journal())
    raise Conflict("the person's cards kept changing while they were erased; try again")


def _subject(ports: Ports, id_number: str | None, subject: str | None) -> str:
    if (id_number is None) == (subject is None):
        raise InvalidRequest("name the person by ID number or by reference, not both")
    if subject is not None:
        if len(subject) != 64 or any(c not in "0123456789abcdef" for c in subject):
            raise InvalidRequest("a person's reference is 64 lower-case hex digits")
        return subject
    assert id_number is not None
    return ports.subject_of(id_number)
