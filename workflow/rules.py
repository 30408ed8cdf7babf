"""Deciding one step: may this event, through this channel, with this evidence, happen now?"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from workflow.definition import (
    DOCUMENTS,
    ENDED,
    EVIDENCE,
    RULES_BY_PAIR,
    TRANSITIONS,
    Circumstance,
    Kind,
    Proof,
    Rule,
    channels_for,
    required_evidence,
    waived_evidence,
)
from workflow.errors import (
    ChannelNotAllowed,
    Condition,
    ConditionNotMet,
    InvalidEvidence,
    InvalidIdentity,
    NotFromHere,
    TransitionNotAllowed,
)
from workflow.identity import LOOKS, IdentityNumber, NumberShape
from workflow.machine import LIFECYCLE
from workflow.moments import timestamp
from workflow.policy import DEFAULT_POLICY, Policy
from workflow.states import Channel, Event, Presenter, State

EvidenceValue = str | bool
"""What the ledger may hold as evidence: a confirmation or a short token, never personal data."""

_REFERENCE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
_LONG_DIGIT_RUN: Final = re.compile(r"\d{15,}")


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rules know of a card: its state and deadline, and, for the steps that
    need it (``HISTORY_EVENTS``), whether its financial function is active and where it
    was before a temporary loss report, with the deadline it had there."""

    state: State | None
    due_at: datetime | None = None
    financial: bool = False
    came_from: State | None = None
    came_from_due: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """An accepted step: where it leads, the evidence to record, and the card's deadline
    after it (``None``: none runs)."""

    event: Event
    channel: Channel
    presenter: Presenter
    from_state: State | None
    to_state: State
    evidence: Mapping[str, EvidenceValue]
    issues: tuple[str, ...] = ()
    due_at: datetime | None = None

    @property
    def live(self) -> bool:
        """Whether the card, after this step, is its person's live card."""
        return self.to_state not in ENDED


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


def channels_accepting(
    event: Event, state: State | None, presenter: Presenter = Presenter.SELF
) -> tuple[Channel, ...]:
    """The channels that would carry ``event`` from ``state`` with ``presenter`` standing
    at them (the evidence aside): what a refusal offers as the way to take the step."""
    return tuple(
        channel
        for channel in channels_allowed(event, state)
        if presenter is Presenter.SELF or RULES_BY_PAIR[event, channel].agent_allowed
    )


def offered(
    state: State | None,
    *,
    presenter: Presenter = Presenter.SELF,
    refused: tuple[Event, Channel] | None = None,
) -> dict[Event, tuple[Channel, ...]]:
    """What a refusal offers instead: each event allowed from ``state``, with the channels
    that would carry it for ``presenter``; never the ``refused`` event through the refused
    channel, and no event no channel would carry."""
    offer = {}
    for event in allowed_events(state):
        channels = tuple(
            channel
            for channel in channels_accepting(event, state, presenter)
            if (event, channel) != refused
        )
        if channels:
            offer[event] = channels
    return offer


def decide(
    *,
    card_id: str,
    standing: Standing,
    event: Event,
    channel: Channel,
    presenter: Presenter,
    evidence: Mapping[str, object],
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
    circumstances: frozenset[Circumstance] = frozenset(),
) -> Decision:
    """Accept the step or raise the refusal that names its reason.

    The checks run from the most general to the most particular: the channel, then
    the card's state, then the conditions of the step (a deadline passed, a function
    not yet active), then the evidence, so that the refusal names the rule a
    supervisor would cite first. ``now`` is when the step is decided and recorded: a
    deadline the step starts runs from it, never from the time a channel claims.
    """
    state = standing.state
    rule = RULES_BY_PAIR.get((event, channel))
    if rule is None:
        raise ChannelNotAllowed(
            event=event,
            channel=channel,
            allowed=channels_accepting(event, state, presenter),
            reason=f"the {channel} channel never carries {event}",
        )
    if presenter is Presenter.AGENT and not rule.agent_allowed:
        raise ChannelNotAllowed(
            event=event,
            channel=channel,
            allowed=channels_accepting(event, state, presenter),
            reason=f"an agent cannot act for the insured person through {channel}",
        )
    try:
        to_state = LIFECYCLE.fire(state, event, came_from=standing.came_from)
    except NotFromHere:
        to_state = None
    if to_state is None or not _rule_reaches(rule, state):
        raise TransitionNotAllowed(
            card_id=card_id,
            state=state,
            event=event,
            channel=channel,
            offered=offered(state, presenter=presenter, refused=(event, channel)),
        )
    _check_conditions(card_id, rule, standing, now, policy, presenter)
    recorded = check_evidence(rule, presenter, evidence, policy=policy, circumstances=circumstances)
    due_at = _due_after(rule, standing, to_state, now, policy)
    return Decision(event, channel, presenter, state, to_state, recorded, rule.issues, due_at)


def _check_conditions(
    card_id: str,
    rule: Rule,
    standing: Standing,
    now: datetime,
    policy: Policy,
    presenter: Presenter = Presenter.SELF,
) -> None:
    """Refuse a step whose deadline has not passed, or that activates an active function."""
    refuse = None
    if rule.due is not None and standing.due_at is None:
        refuse = (Condition.DEADLINE_NOT_RUNNING, f"no {rule.due} is running for this card")
    elif rule.due is not None and standing.due_at is not None and now < standing.due_at:
        refuse = (
            Condition.DEADLINE_NOT_REACHED,
            f"its {rule.due} ({policy.days(rule.due)} days under policy {policy.label}) "
            f"runs out at {timestamp(standing.due_at)}",
        )
    elif rule.financial and standing.financial:
        refuse = (Condition.FINANCIAL_FUNCTION_ACTIVE, "its financial function is already active")
    if refuse is not None:
        condition, reason = refuse
        raise ConditionNotMet(
            card_id=card_id,
            state=standing.state,
            event=rule.event,
            condition=condition,
            reason=reason,
            offered=offered(
                standing.state, presenter=presenter, refused=(rule.event, rule.channel)
            ),
        )


def _due_after(
    rule: Rule, standing: Standing, to_state: State, recorded_at: datetime, policy: Policy
) -> datetime | None:
    """The card's deadline once ``rule`` has moved it to ``to_state`` at ``recorded_at``."""
    (transition,) = (
        t
        for t in TRANSITIONS
        if t.event is rule.event and t.source is standing.state and t.dest is to_state
    )
    if rule.financial:
        return None
    if transition.starts is not None:
        return recorded_at + policy.window(transition.starts)
    if transition.keeps:
        return standing.due_at
    if transition.resumes:
        return standing.came_from_due
    return None


def check_evidence(
    rule: Rule,
    presenter: Presenter,
    evidence: Mapping[str, object],
    *,
    policy: Policy = DEFAULT_POLICY,
    circumstances: frozenset[Circumstance] = frozenset(),
) -> dict[str, EvidenceValue]:
    """The evidence to record, or ``InvalidEvidence`` naming every gap at once.

    Evidence not given (or ``null``) is missing; given in the wrong form (``false`` where
    it must be confirmed, an empty reference) it is wrong. A key the step does not take
    is named only if it is one of cardflow's own evidence keys: any other is counted,
    never repeated, as a caller may put anything there. Evidence a circumstance waives
    (a young child's photo) is recorded if it is shown (``false``: not shown).
    """
    required = required_evidence(
        rule, presenter, circumstances, pin_must_change=policy.pin_must_change
    )
    shown_anyway = tuple(
        EVIDENCE[key]
        for key in waived_evidence(rule, circumstances)
        if not _absent(evidence.get(key))
    )
    wanted = {proof.key for proof in (*required, *shown_anyway)}
    missing = [proof.says for proof in required if evidence.get(proof.key) is None]
    waived = set(waived_evidence(rule, circumstances))
    unasked = [key for key in evidence if key not in wanted | waived]
    unknown = sorted(key for key in unasked if key in EVIDENCE)
    malformed = [
        problem
        for proof in (*required, *shown_anyway)
        if evidence.get(proof.key) is not None
        and (problem := _malformed(proof, evidence[proof.key])) is not None
    ]
    expired = evidence.get("deadline_expired")
    if rule.due is not None and expired not in (None, str(rule.due)) and not malformed:
        malformed.append(f"{EVIDENCE['deadline_expired'].says}: {rule.due} for {rule.event}")
    if missing or unasked or malformed:
        raise InvalidEvidence(
            event=rule.event,
            channel=rule.channel,
            missing=missing,
            unknown=unknown,
            unrecognised=len(unasked) - len(unknown),
            malformed=malformed,
        )
    return {proof.key: _recorded(evidence[proof.key]) for proof in (*required, *shown_anyway)}


def check_document(evidence: Mapping[str, EvidenceValue], identity: IdentityNumber) -> None:
    """Refuse an application whose identity document does not carry a number of the
    shape applied with (a residence permit number declared as a resident ID card, a
    citizen number as a passport), saying what each looks like, never the number."""
    key = evidence.get("identity_document")
    document = DOCUMENTS.get(key) if isinstance(key, str) else None
    if document is None or identity.shape in document.carries:
        return
    carries = " or ".join(LOOKS[shape] for shape in NumberShape if shape in document.carries)
    fitting = [d.key for d in DOCUMENTS.values() if identity.shape in d.carries]
    raise InvalidIdentity(
        "document",
        f"{document.says} ({document.key}) carries {carries}, and the number given is "
        f"{LOOKS[identity.shape]}: name the document the number is on "
        f"({' or '.join(fitting)})",
    )


def _rule_reaches(rule: Rule, state: State | None) -> bool:
    return rule.only_from is None or state in rule.only_from


def _absent(value: object) -> bool:
    return value is None or value is False or value == ""


def _malformed(proof: Proof, value: object) -> str | None:
    if proof.kind is Kind.CONFIRMED:
        if value is False:
            return f"{proof.says}: false, where it must be confirmed with true"
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
