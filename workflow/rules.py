"""Deciding one step: may this event, through this channel, with this evidence, happen now?"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from workflow.definition import (
    RULES_BY_PAIR,
    Kind,
    Proof,
    Rule,
    channels_for,
    required_evidence,
)
from workflow.errors import (
    ChannelNotAllowed,
    InvalidEvidence,
    TransitionNotAllowed,
)
from workflow.machine import LIFECYCLE, NotFromHere
from workflow.states import Channel, Event, Presenter, State

EvidenceValue = str | bool
"""What the ledger may hold as evidence: a confirmation or a short token, never personal data."""

_REFERENCE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
_LONG_DIGIT_RUN: Final = re.compile(r"\d{15,}")


@dataclass(frozen=True, slots=True)
class Decision:
    """An accepted step: where it leads and the evidence to record."""

    event: Event
    channel: Channel
    presenter: Presenter
    from_state: State | None
    to_state: State
    evidence: Mapping[str, EvidenceValue]
    issues: tuple[str, ...] = ()


def allowed_events(state: State | None) -> tuple[Event, ...]:
    """The events some channel could carry from ``state``."""
    return tuple(event for event in LIFECYCLE.allowed(state) if channels_allowed(event, state))


def channels_allowed(event: Event, state: State | None) -> tuple[Channel, ...]:
    """The channels that may carry ``event`` from ``state`` (ignoring the machine)."""
    return tuple(
        channel
        for channel in channels_for(event)
        if _rule_reaches(RULES_BY_PAIR[event, channel], state)
    )


def decide(
    *,
    card_id: str,
    state: State | None,
    event: Event,
    channel: Channel,
    presenter: Presenter,
    evidence: Mapping[str, object],
) -> Decision:
    """Accept the step or raise the refusal that names its reason.

    The checks run from the most general to the most particular: the channel, then
    the card's state, then the evidence, so that the refusal names the rule a
    supervisor would cite first.
    """
    rule = RULES_BY_PAIR.get((event, channel))
    if rule is None:
        raise ChannelNotAllowed(
            event=event,
            channel=channel,
            allowed=channels_for(event),
            reason=f"the {channel} channel never carries {event}",
        )
    if presenter is Presenter.AGENT and not rule.agent_allowed:
        raise ChannelNotAllowed(
            event=event,
            channel=channel,
            allowed=channels_for(event),
            reason=f"an agent cannot act for the insured person through {channel}",
        )
    try:
        to_state = LIFECYCLE.fire(state, event)
    except NotFromHere:
        to_state = None
    if to_state is None or not _rule_reaches(rule, state):
        raise TransitionNotAllowed(
            card_id=card_id,
            state=state,
            event=event,
            channel=channel,
            allowed=allowed_events(state),
        )
    recorded = check_evidence(rule, presenter, evidence)
    return Decision(event, channel, presenter, state, to_state, recorded, rule.issues)


def check_evidence(
    rule: Rule, presenter: Presenter, evidence: Mapping[str, object]
) -> dict[str, EvidenceValue]:
    """The evidence to record, or ``InvalidEvidence`` naming every gap at once."""
    required = required_evidence(rule, presenter)
    wanted = {proof.key for proof in required}
    missing = [proof.says for proof in required if _absent(evidence.get(proof.key))]
    unknown = sorted(key for key in evidence if key not in wanted)
    malformed = [
        problem
        for proof in required
        if not _absent(evidence.get(proof.key))
        and (problem := _malformed(proof, evidence[proof.key])) is not None
    ]
    if missing or unknown or malformed:
        raise InvalidEvidence(
            event=rule.event,
            channel=rule.channel,
            missing=missing,
            unknown=unknown,
            malformed=malformed,
        )
    return {proof.key: _recorded(evidence[proof.key]) for proof in required}


def _rule_reaches(rule: Rule, state: State | None) -> bool:
    return rule.only_from is None or state in rule.only_from


def _absent(value: object) -> bool:
    return value is None or value is False or value == ""


def _malformed(proof: Proof, value: object) -> str | None:
    if proof.kind is Kind.CONFIRMED:
        return None if value is True else f"{proof.says}: confirm it with true"
    if proof.kind is Kind.CHOICE:
        if value in proof.choices:
            return None
        return f"{proof.says}: one of {', '.join(proof.choices)}"
    if isinstance(value, str) and _REFERENCE.fullmatch(value) and not _LONG_DIGIT_RUN.search(value):
        return None
    return (
        f"{proof.says}: a reference of letters, digits and . _ / - (at most 64), "
        "never an identity number"
    )


def _recorded(value: object) -> EvidenceValue:
    assert isinstance(value, str | bool)
    return value
