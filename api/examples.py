"""The OpenAPI document's examples, drawn from the definition so none shows a step,
channel or piece of evidence that cardflow would refuse."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from workflow.definition import (
    EVIDENCE,
    RULES,
    RULES_BY_PAIR,
    TRANSITIONS,
    Kind,
    Rule,
    required_evidence,
)
from workflow.rules import allowed_events, channels_allowed
from workflow.states import Channel, Event, Presenter, State

CARD_ID: Final = "5f0c6f7e-8a52-4c1e-9d8b-3c1f4e2a7b90"
SUBJECT: Final = "0b7d2c1e-3f4a-4e5b-8c6d-7e8f9a0b1c2d"
HASH: Final = "9f2c4b1e0d8a7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b"
REQUEST_ID: Final = "3b1f0c9e-2d4a-4f6b-8e7c-1a2b3c4d5e6f"
APPLICANT: Final[dict[str, Any]] = {"name": "Li Lei", "id_number": "11010519491231002X"}

Evidence = dict[str, Any]
"""Evidence as a channel sends it: ``true``, a choice or a reference, by key."""


def sample(key: str) -> bool | str:
    """What a channel sends for evidence ``key``: ``true``, the first choice, or a reference."""
    proof = EVIDENCE[key]
    if proof.kind is Kind.CHOICE:
        return proof.choices[0]
    if proof.kind is Kind.REFERENCE:
        return "".join(word[0] for word in key.split("_")).upper() + "-2026-0042"
    return True


def samples(keys: Iterable[str]) -> Evidence:
    """A sample of each of ``keys``."""
    return {key: sample(key) for key in keys}


def evidence(event: Event, channel: Channel, presenter: Presenter = Presenter.SELF) -> Evidence:
    """Everything the rule for (``event``, ``channel``) requires of ``presenter``."""
    rule = RULES_BY_PAIR[event, channel]
    return samples(proof.key for proof in required_evidence(rule, presenter))


def split_for_a_batch(rule: Rule) -> tuple[Evidence, Evidence]:
    """A batch rule's evidence as a batch sends it: ``(shown once, shown per item)``.

    What the event requires through every other channel is the person's own, so each item
    shows it; what this channel requires on top is shown once for the batch. An event no
    other channel carries has nothing known to be the person's: the batch shows it all.
    """
    others = [set(r.requires) for r in RULES if r.event is rule.event and r is not rule]
    own = set.intersection(*others) if others else set()
    return (
        samples(key for key in rule.requires if key not in own),
        samples(key for key in rule.requires if key in own),
    )


def allowed_now(state: State | None) -> list[Any]:
    """The events a card in ``state`` allows, each with the channels that may carry it."""
    return [
        {"event": str(event), "channels": [str(c) for c in channels_allowed(event, state)]}
        for event in allowed_events(state)
    ]


def destination(event: Event, source: State | None) -> State:
    """Where ``event`` takes a card from ``source``."""
    return next(t.dest for t in TRANSITIONS if t.event is event and t.source is source)


def one_of(names: Iterable[str]) -> str:
    """Pydantic's words for a value outside ``names``."""
    quoted = [f"'{name}'" for name in names]
    return f"Input should be {', '.join(quoted[:-1])} or {quoted[-1]}"
