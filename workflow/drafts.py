"""The one place a draft is made: a step's entry, the note of its refusal and the note
of an erasure differ only in what they say."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from ledger.store import ERASURE, REFUSAL, TRANSITION, Draft, Head
from workflow.definition import DEFINITION_VERSION, REPLACEMENT_OPENS
from workflow.errors import (
    ChannelNotAllowed,
    ConditionNotMet,
    InvalidEvidence,
    InvalidRequest,
    MisdatedStep,
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    WorkflowError,
)
from workflow.moments import timestamp
from workflow.ports import Ports
from workflow.records import Actor, Step
from workflow.rules import Decision, EvidenceValue
from workflow.states import Channel, ErasureReason, Event, Presenter

CLOCK_SKEW: Final = timedelta(minutes=5)
"""How far in the future a channel's clock may claim an event happened."""
ERASE_EVENT: Final = "erase_personal_data"
"""The event an erasure entry names: no step of the lifecycle, a note on the card."""


def transition(
    ports: Ports,
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
    """The entry ``decision`` writes as ``version`` of the card; ``since`` is when the
    card's last step happened, which no step may precede."""
    occurred_at = claimed_moment(ports, step, now)
    if since is not None and occurred_at < since:
        raise InvalidRequest(
            f"occurred_at is {timestamp(occurred_at)}, before the card's last step "
            f"({timestamp(since)}): a step cannot happen before the one it follows"
        )
    return _draft(
        ports,
        card_id=card_id,
        version=version,
        kind=TRANSITION,
        event=str(decision.event),
        from_state=None if decision.from_state is None else str(decision.from_state),
        to_state=str(decision.to_state),
        channel=str(decision.channel),
        actor=step.actor,
        presenter=str(decision.presenter),
        subject=subject,
        occurred_at=occurred_at,
        evidence={
            **decision.evidence,
            **{key: issued_reference(key, card_id, version) for key in decision.issues},
        },
        due_at=decision.due_at,
        exclusive=decision.live,
        idempotency_key=step.idempotency_key,
        batch_id=step.batch_id,
        fingerprint=fingerprint if step.idempotency_key else None,
    )


def claimed_moment(ports: Ports, step: Step, now: datetime) -> datetime:
    """When ``step`` happened as its channel says (``now`` if it says nothing), once it is
    shown to fall in the region policy's window before ``now``, or the refusal naming it.

    Only the time a step is recorded starts a deadline, so a claim cannot move one; the
    window bounds how far back a channel may date a step at all (an offline hospital
    sending its day), so a chain of backdated steps cannot be written either.
    """
    if step.occurred_at is None:
        return now
    claimed = step.occurred_at
    if claimed.tzinfo is None:
        raise InvalidRequest("occurred_at must carry a time zone")
    if claimed > now + CLOCK_SKEW:
        raise MisdatedStep(
            f"occurred_at is in the future: a channel's clock may run at most "
            f"{_minutes(CLOCK_SKEW)} minutes ahead of cardflow's ({timestamp(now)})",
            ahead=True,
            window=CLOCK_SKEW,
        )
    policy = ports.policy
    if claimed < now - policy.backdating:
        raise MisdatedStep(
            f"occurred_at is more than {policy.backdating_hours} hours before cardflow "
            f"records the step ({timestamp(now)}): under region policy {policy.label} a "
            f"channel may date a step at most {policy.backdating_hours} hours back "
            "(backdating_hours); send it dated now, and keep the day it happened in the "
            "channel's own records",
            ahead=False,
            window=policy.backdating,
        )
    return claimed


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def with_replacement(ports: Ports, draft: Draft) -> list[Draft]:
    """``draft``, and if it reissues a lost card, the replacement card it opens.

    The two entries name each other (``replaced_by``, ``replaces``) and are written
    in one transaction: the lost card gives its person up to the replacement.
    """
    if draft.event != Event.REISSUE:
        return [draft]
    replacement_id = ports.new_id()
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


def refusal(ports: Ports, head: Head, step: Step, refused: WorkflowError) -> Draft:
    """The entry noting ``refused`` on the card at ``head``.

    Only words cardflow chose are recorded -- never the caller's evidence, which a
    refused request has not shown to be free of personal data.
    """
    return _note(
        ports,
        head,
        REFUSAL,
        event=str(step.event),
        channel=step.channel,
        actor=step.actor,
        presenter=step.presenter,
        evidence=refusal_evidence(refused),
        batch_id=step.batch_id,
    )


def erasure(ports: Ports, head: Head, actor: Actor, reason: ErasureReason) -> Draft:
    """The entry noting, on the card at ``head``, that its holder's data was erased."""
    return _note(
        ports,
        head,
        ERASURE,
        event=ERASE_EVENT,
        channel=Channel.SYSTEM,
        actor=actor,
        presenter=Presenter.SELF,
        evidence={"erased": "personal_data", "reason": str(reason)},
    )


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
            expected = (
                f"version {refused.expected}"
                if refused.expected <= refused.actual
                else "a version it never had"
            )
            why = f"expected {expected}, card at {refused.actual}"
        case InvalidEvidence():
            gaps = [f"missing: {'; '.join(refused.missing)}"] if refused.missing else []
            unknown = len(refused.unknown) + refused.unrecognised
            gaps += [f"{unknown} unknown item(s)"] if unknown else []
            gaps += [f"{len(refused.malformed)} malformed item(s)"] if refused.malformed else []
            why = ", ".join(gaps)
        case NotPermitted() | ChannelNotAllowed() | ConditionNotMet():
            why = refused.reason
        case MisdatedStep():
            hours = int(refused.window.total_seconds() // 3600)
            why = (
                "dated ahead of cardflow's clock"
                if refused.ahead
                else f"dated more than {hours} hours back"
            )
        case _:
            why = "the request was invalid"
    return {"refused": kind.lstrip("_"), "reason": why}


def _note(
    ports: Ports,
    head: Head,
    kind: str,
    *,
    event: str,
    channel: Channel,
    actor: Actor,
    presenter: Presenter,
    evidence: Mapping[str, EvidenceValue],
    batch_id: str | None = None,
) -> Draft:
    """An entry at the card's current version that moves nothing: the card stands as
    ``head`` says, and all the entry adds is what it says."""
    return _draft(
        ports,
        card_id=head.card_id,
        version=head.version,
        kind=kind,
        event=event,
        from_state=head.state,
        to_state=head.state,
        channel=str(channel),
        actor=actor,
        presenter=str(presenter),
        subject=head.subject,
        occurred_at=ports.clock(),
        evidence=evidence,
        due_at=head.due_at,
        exclusive=head.exclusive,
        batch_id=batch_id,
    )


def _draft(
    ports: Ports,
    *,
    card_id: str,
    version: int,
    kind: str,
    event: str,
    from_state: str | None,
    to_state: str,
    channel: str,
    actor: Actor,
    presenter: str,
    subject: str,
    occurred_at: datetime,
    evidence: Mapping[str, EvidenceValue],
    due_at: datetime | None,
    exclusive: bool,
    idempotency_key: str | None = None,
    batch_id: str | None = None,
    fingerprint: str | None = None,
) -> Draft:
    """Every draft, with what this deployment stamps on each: who spoke in which role,
    the rules it was decided under, and the region's policy."""
    return Draft(
        card_id=card_id,
        version=version,
        kind=kind,
        event=event,
        from_state=from_state,
        to_state=to_state,
        channel=channel,
        actor=actor.name,
        role=str(actor.role),
        presenter=presenter,
        subject=subject,
        occurred_at=occurred_at,
        evidence=evidence,
        definition_version=DEFINITION_VERSION,
        region=ports.policy.region,
        policy=ports.policy.label,
        due_at=due_at,
        exclusive=exclusive,
        idempotency_key=idempotency_key,
        batch_id=batch_id,
        fingerprint=fingerprint,
    )
