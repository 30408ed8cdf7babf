"""The words cardflow speaks in: states, events, channels, roles, presenters."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class State(StrEnum):
    """Where a card is in its life."""

    APPLIED = "applied"
    REVIEWED = "reviewed"
    REJECTED = "rejected"
    PRODUCED = "produced"
    COLLECTED = "collected"
    ACTIVATED = "activated"
    TEMPORARILY_LOST = "temporarily_lost"
    REPORTED_LOST = "reported_lost"
    RETURNED = "returned"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


class Event(StrEnum):
    """What can happen to a card; each one names a transition of the lifecycle."""

    APPLY = "apply"
    REVIEW = "review"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    PRODUCE = "produce"
    COLLECT = "collect"
    ACTIVATE = "activate"
    ACTIVATE_FINANCIAL = "activate_financial"
    RETURN = "return"
    REPORT_TEMPORARY_LOSS = "report_temporary_loss"
    LIFT_LOSS = "lift_loss"
    REPORT_LOST = "report_lost"
    REISSUE = "reissue"
    CANCEL = "cancel"


SAID: Final[Mapping[Event, str]] = {
    Event.APPLY: "applied for",
    Event.REVIEW: "reviewed",
    Event.REJECT: "rejected",
    Event.RESUBMIT: "resubmitted",
    Event.PRODUCE: "produced",
    Event.COLLECT: "collected",
    Event.ACTIVATE: "activated",
    Event.ACTIVATE_FINANCIAL: "activated for its financial function",
    Event.RETURN: "returned",
    Event.REPORT_TEMPORARY_LOSS: "reported lost temporarily",
    Event.LIFT_LOSS: "released from its loss report",
    Event.REPORT_LOST: "reported lost",
    Event.REISSUE: "reissued",
    Event.CANCEL: "cancelled",
}
"""How a supervisor says an event happened to a card ("the card is reported lost"): the
words the features, the history and the living documentation use."""


class Channel(StrEnum):
    """The way a transition reached cardflow; it decides the evidence required."""

    EMPLOYER = "employer"
    COMMUNITY = "community"
    CARD_CENTER = "card_center"
    BANK_OUTLET = "bank_outlet"
    ISSUING_BANK = "issuing_bank"
    HOTLINE_12333 = "hotline_12333"
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"
    SYSTEM = "system"


class Presenter(StrEnum):
    """Who stood at the channel: the insured person, or an agent acting for them."""

    SELF = "self"
    AGENT = "agent"


class ErasureReason(StrEnum):
    """Why a person's personal data was erased; recorded on the entries noting it."""

    REQUEST = "request"
    """The person asked, their cards being ended (PIPL article 47)."""
    DEATH = "death"
    """The person died."""
    MOVED_AWAY = "moved_away"
    """The person settled abroad or moved out of the province."""
    RETENTION_ENDED = "retention_ended"
    """The period the card center keeps records for has ended."""


class Role(StrEnum):
    """What a principal may do; recorded on every entry beside the actor."""

    CLERK = "clerk"
    SYSTEM = "system"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
