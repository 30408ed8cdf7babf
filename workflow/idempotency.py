"""One write per idempotency key: what tells a retry from a new request, and how a
retry is answered from the receipt the first request left."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict

import structlog

from ledger.store import DuplicateRequest, Receipt
from workflow.errors import Conflict, KeyReused
from workflow.ports import Ports
from workflow.records import Applicant, Card, Step

log = structlog.get_logger()


def opening_fingerprint(step: Step, applicant: Applicant, key: bytes) -> str:
    """The fingerprint of an application: the applicant's data enters it only through a
    digest keyed like the person references, so that a receipt, kept a day beside the
    ledger, says nothing about the person to whoever lacks the key."""
    said = json.dumps(asdict(applicant), sort_keys=True, separators=(",", ":"))
    return _fingerprint(
        step, target={"applicant": hmac.new(key, said.encode(), hashlib.sha256).hexdigest()}
    )


def move_fingerprint(step: Step, card_id: str, expected_version: int | None) -> str:
    return _fingerprint(step, target={"card_id": card_id, "expected_version": expected_version})


def answered(ports: Ports, step: Step, fingerprint: str) -> Card | None:
    """The answer the first request with ``step``'s key got, if the key has a live
    receipt; ``KeyReused`` if that request was another."""
    key = step.idempotency_key
    receipt = None if key is None else ports.ledger.receipt(step.actor.name, key)
    return None if receipt is None else replay(ports, receipt, fingerprint)


def replay(ports: Ports, receipt: Receipt, fingerprint: str) -> Card:
    """The card as the request that left ``receipt`` left it, if ``fingerprint`` is that
    request's."""
    if receipt.fingerprint != fingerprint:
        raise KeyReused(receipt.key)
    (entry,) = (
        e
        for e in ports.ledger.entries_for(receipt.card_id)
        if e.moves and e.version == receipt.version
    )
    log.info("request replayed", card_id=entry.card_id, seq=entry.seq, outcome="replayed")
    return Card.from_entry(entry)


def once(ports: Ports, step: Step, fingerprint: str, act: Callable[[], Card]) -> Card:
    """``act`` once per idempotency key: later calls are answered from its receipt."""
    if step.idempotency_key is None:
        return act()
    step.actor.authorise(step.channel)
    try:
        return answered(ports, step, fingerprint) or act()
    except DuplicateRequest as raced:
        return replay(ports, raced.receipt, fingerprint)
    except Conflict:
        # A concurrent retry may have written between our look and our read of the
        # ledger, leaving it where this request would be refused.
        answer = answered(ports, step, fingerprint)
        if answer is None:
            raise
        return answer


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
