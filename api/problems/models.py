"""The problem+json bodies, each example the one cardflow would send for a refusal it makes."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from api.access import Capability
from api.examples import CARD_ID, REQUEST_ID, allowed_now, one_of
from api.problems.types import (
    CARD_NOT_FOUND,
    CHANNEL_NOT_ALLOWED,
    CONDITION_NOT_MET,
    INVALID_EVIDENCE,
    INVALID_IDENTITY,
    NOT_PERMITTED,
    STALE_VERSION,
    TRANSITION_NOT_ALLOWED,
    UNKNOWN_NAME,
    VALIDATION_ERROR,
    ProblemType,
    example,
)
from api.shared import AllowedEventOut
from workflow.definition import EVIDENCE, channels_for
from workflow.errors import (
    CardNotFound,
    ChannelNotAllowed,
    Condition,
    InvalidEvidence,
    NotPermitted,
    PersonHoldsCard,
    StaleVersion,
    TransitionNotAllowed,
    UnknownName,
    WorkflowError,
)
from workflow.rules import allowed_events
from workflow.states import Channel, Event, Presenter, State


def _example(kind: ProblemType, error: WorkflowError, **members: Any) -> dict[str, Any]:
    return example(kind, error.detail, REQUEST_ID, **members)


class Problem(BaseModel):
    """An RFC 9457 problem: ``type`` is stable, ``detail`` speaks to a person."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [_example(CARD_NOT_FOUND, CardNotFound(CARD_ID))]}
    )

    type: str = Field(description="A URI naming the kind of problem; see the API description.")
    title: str
    status: int
    detail: str
    request_id: str = Field(description="Quote it when reporting the problem.")


_CHANNEL_ISSUE: Final[dict[str, Any]] = {
    "loc": ["body", "channel"],
    "msg": one_of(Channel),
    "type": "enum",
}
_EVENT_ISSUE: Final[dict[str, Any]] = {
    "loc": ["body", "event"],
    "msg": one_of(Event),
    "type": "enum",
}


class ValidationIssue(BaseModel):
    """One place where a request does not fit the contract."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHANNEL_ISSUE]})

    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(Problem):
    """The request does not fit the contract: malformed JSON, a wrong type, an unknown name."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                example(
                    VALIDATION_ERROR,
                    f"body.event: {_EVENT_ISSUE['msg']}",
                    REQUEST_ID,
                    errors=[_EVENT_ISSUE],
                )
            ]
        }
    )

    errors: list[ValidationIssue]


_UNCHECKED: Final = [EVIDENCE["information_checked"].says]


class EvidenceProblem(Problem):
    """Evidence missing, not asked for, or of the wrong form, each in a clerk's words."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(
                    INVALID_EVIDENCE,
                    InvalidEvidence(
                        event=Event.REVIEW, channel=Channel.CARD_CENTER, missing=_UNCHECKED
                    ),
                    event=Event.REVIEW,
                    channel=Channel.CARD_CENTER,
                    missing=_UNCHECKED,
                    unknown=[],
                    unrecognised=0,
                    malformed=[],
                )
            ]
        }
    )

    event: Event
    channel: Channel
    missing: list[str] = Field(description="Evidence not given (or `null`), in a clerk's words.")
    unknown: list[str] = Field(
        description="Evidence keys of cardflow's catalogue (`/v1/workflow`) this step does "
        "not take."
    )
    unrecognised: int = Field(
        0,
        description="How many keys cardflow does not know at all; they are never repeated, "
        "as a caller may have put anything there.",
    )
    malformed: list[str] = Field(
        description="Evidence given in the wrong form (`false` where it must be confirmed "
        "with `true`, a choice not on the list), in a clerk's words."
    )


class UnknownNameProblem(Problem):
    """A name outside cardflow's vocabulary; ``valid`` lists the ones it knows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(
                    UNKNOWN_NAME,
                    UnknownName("presenter", "proxy", list(Presenter)),
                    valid=list(Presenter),
                )
            ]
        }
    )

    valid: list[str]


class IdentityProblem(Problem):
    """An ID number that fails a check; ``check`` names which, the number is never repeated."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                example(
                    INVALID_IDENTITY,
                    "the ID number's check character is wrong",
                    REQUEST_ID,
                    check="check_character",
                )
            ]
        }
    )

    check: str


_NEVER_CARRIED: Final = (Event.PRODUCE, Channel.CARD_CENTER)


class ChannelProblem(Problem):
    """The channel never carries the event (or not for an agent)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(
                    CHANNEL_NOT_ALLOWED,
                    ChannelNotAllowed(
                        event=Event.PRODUCE,
                        channel=Channel.CARD_CENTER,
                        allowed=channels_for(Event.PRODUCE),
                        reason=f"the {Channel.CARD_CENTER} channel never carries {Event.PRODUCE}",
                    ),
                    event=Event.PRODUCE,
                    channel=Channel.CARD_CENTER,
                    allowed_channels=list(channels_for(Event.PRODUCE)),
                )
            ]
        }
    )

    event: Event
    channel: Channel
    allowed_channels: list[Channel]


class PermissionProblem(Problem):
    """The caller's role or channels do not allow the request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(
                    NOT_PERMITTED,
                    NotPermitted(
                        actor="pharmacy-0042#3f9a1c2b7d4e",
                        channel=Channel.BANK_OUTLET,
                        permitted=[Channel.PHARMACY],
                        reason=f"it may not act through {Channel.BANK_OUTLET}",
                    ),
                    channel=Channel.BANK_OUTLET,
                    permitted_channels=[Channel.PHARMACY],
                )
            ]
        }
    )

    channel: Channel | None
    permitted_channels: list[Channel]
    capability: Capability | None = Field(
        default=None,
        description="For a route the key may not call: the capability it needs (see the "
        "access table in the README).",
    )
    may_read: list[Capability] | None = Field(
        default=None,
        description="For a route the key may not call: the capabilities the key reads.",
    )


class TransitionProblem(Problem):
    """The event is not allowed in the card's current state; here is what is."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(
                    TRANSITION_NOT_ALLOWED,
                    TransitionNotAllowed(
                        card_id=CARD_ID,
                        state=State.APPLIED,
                        event=Event.ACTIVATE,
                        channel=Channel.BANK_OUTLET,
                        allowed=allowed_events(State.APPLIED),
                    ),
                    card_id=CARD_ID,
                    state=State.APPLIED,
                    event=Event.ACTIVATE,
                    channel=Channel.BANK_OUTLET,
                    allowed_events=allowed_now(State.APPLIED),
                )
            ]
        }
    )

    card_id: str
    state: State | None
    event: Event
    channel: Channel
    allowed_events: list[AllowedEventOut]


class StaleProblem(Problem):
    """The card moved on since the caller read it: read it again, then decide."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(
                    STALE_VERSION,
                    StaleVersion(
                        card_id=CARD_ID,
                        expected=1,
                        actual=2,
                        state=State.REVIEWED,
                        allowed=allowed_events(State.REVIEWED),
                    ),
                    card_id=CARD_ID,
                    expected_version=1,
                    current_version=2,
                    state=State.REVIEWED,
                    allowed_events=allowed_now(State.REVIEWED),
                )
            ]
        }
    )

    card_id: str
    expected_version: int | None = Field(
        description="The version the caller expected; `null` if the card never had it."
    )
    current_version: int
    state: State
    allowed_events: list[AllowedEventOut]


InvalidInputProblem = (
    ValidationProblem
    | EvidenceProblem
    | ChannelProblem
    | IdentityProblem
    | UnknownNameProblem
    | Problem
)
"""Every body a 422 may carry."""


class ConditionProblem(Problem):
    """The card's state allows the event, but a condition of the step fails."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(
                    CONDITION_NOT_MET,
                    PersonHoldsCard(event=Event.APPLY, holder=CARD_ID),
                    card_id=None,
                    state=None,
                    event=Event.APPLY,
                    condition=Condition.ONE_LIVE_CARD,
                    holder=CARD_ID,
                    allowed_events=[],
                )
            ]
        }
    )

    card_id: str | None = Field(description="The card; null where the step would open one.")
    state: State | None
    event: Event
    condition: Condition
    holder: str | None = Field(
        default=None,
        description="For `one_live_card`: the live card the person holds, named only to a "
        "key that may search every card (supervisor, admin).",
    )
    allowed_events: list[AllowedEventOut] = Field(
        description="The events allowed now, with the channels that may carry each; for "
        "`one_live_card`, those of the live card the person holds."
    )


ConflictProblem = TransitionProblem | ConditionProblem | StaleProblem
"""Every body a 409 may carry."""
