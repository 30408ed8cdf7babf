"""How refused attempts are noted: always answered, written within a bound.

A refusal is evidence, so it is noted on the card it was aimed at; but a key that keeps
being refused must not grow that card's record without end. Two rules bound it:

* a batch notes one refusal a card per transaction, whose ``attempts`` says how many of
  the batch's items it stands for (each item's own reason is in the batch's answer);
* one key adds at most ``RefusalBound.most`` refusal notes to one card within
  ``RefusalBound.window`` while the card stands at one version (a step that moves the
  card is accepted work, and starts the count again); the note that reaches the bound
  says until when (``unnoted_until``) that key's further refusals on the card are
  answered and not written. Nothing is counted outside the ledger: a tally kept beside it would be
  evidence no hash covers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Final

from ledger.store import REFUSAL, Draft, Entry, Head
from workflow import drafts
from workflow.errors import WorkflowError
from workflow.moments import timestamp
from workflow.ports import Ports
from workflow.records import Step

ATTEMPTS: Final = "attempts"
UNNOTED_UNTIL: Final = "unnoted_until"
_EVERY: Final = 2**62


def noted(
    ports: Ports, head: Head, step: Step, refused: WorkflowError, *, attempts: int = 1
) -> list[Draft]:
    """The note of ``refused`` on the card at ``head``, standing for ``attempts``
    refused attempts -- or none, if ``step``'s key has used up its notes on the card."""
    draft = drafts.refusal(ports, head, step, refused)
    evidence = dict(draft.evidence)
    if attempts > 1:
        evidence[ATTEMPTS] = str(attempts)
    bound = ports.refusal_bound
    if bound.most is not None:
        now = ports.clock()
        recent = _recent_notes(ports, head, step.actor.name, now - bound.window)
        if len(recent) >= bound.most:
            return []
        if len(recent) == bound.most - 1:
            oldest = recent[0].recorded_at if recent else now
            evidence[UNNOTED_UNTIL] = timestamp(oldest + bound.window)
    return [replace(draft, evidence=evidence)]


def _recent_notes(ports: Ports, head: Head, actor: str, since: datetime) -> list[Entry]:
    """``actor``'s refusal notes on the card at ``head`` since its last move, recorded
    after ``since``, oldest first: the read costs the notes of one version, not the
    card's whole record."""
    after_move = ports.ledger.card_page(
        head.card_id, after=head.last_seq, limit=_EVERY, refusals=True
    )
    return [
        entry
        for entry in after_move
        if entry.kind == REFUSAL and entry.actor == actor and entry.recorded_at > since
    ]
