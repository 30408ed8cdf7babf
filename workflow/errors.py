"""Why cardflow refused something, with the context a caller needs to act on it.

::

    WorkflowError
    ├── PolicyError             a region policy cardflow cannot use (read at start-up)
    ├── NotFromHere             the machine has no transition for the event from the state
    ├── CardNotFound            no card has that id
    ├── PersonNotFound          no card was ever held by that person
    ├── InvalidRequest          the request itself is malformed
    │   ├── UnknownName         an event, channel or presenter cardflow does not know
    │   ├── InvalidIdentity     an ID number that fails its check
    │   ├── KeyReused           an idempotency key sent again with a different request
    │   ├── MisdatedStep        occurred_at further back than the region allows, or ahead
    │   └── InvalidEvidence     evidence missing, unknown, or of the wrong form
    ├── ChannelNotAllowed       that channel never carries that event (or not for an agent)
    ├── NotPermitted            the caller's role or channels do not allow the request
    └── Conflict                the card is not where the caller thinks it is
        ├── TransitionNotAllowed  the event is not allowed in the card's current state
        ├── ConditionNotMet       allowed in that state, but a condition of the step fails
        │   └── PersonHoldsCard   the applicant already holds a live card
        ├── StillHolder           a person to erase still holds a live card
        └── StaleVersion          the card moved on since the caller last read it

Every one but ``PolicyError`` and ``NotFromHere`` (which the rules answer as
``TransitionNotAllowed``) is a refusal of a request. The HTTP status of each, and
which never reach HTTP, live in ``api/problems/``, not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Final

from workflow.states import Channel, Event, State

_CARD_ID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NOT_A_CARD_ID: Final = "(not a card id)"


def loggable_card_id(card_id: str) -> str:
    """``card_id`` if it has the shape of one (a UUID), else a placeholder: what a caller
    put where a card id goes may be anything, an ID number among it, and is never logged."""
    return card_id if _CARD_ID.fullmatch(card_id) else NOT_A_CARD_ID


class Condition(StrEnum):
    """A condition a step may fail although the card's state allows the event."""

    DEADLINE_NOT_RUNNING = "deadline_not_running"
    """A system step on a card no deadline runs for."""
    DEADLINE_NOT_REACHED = "deadline_not_reached"
    """A system step before the card's deadline has passed."""
    FINANCIAL_FUNCTION_ACTIVE = "financial_function_active"
    """Activating a financial function that is already active."""
    ONE_LIVE_CARD = "one_live_card"
    """Applying for a person who already holds a live card."""


class WorkflowError(Exception):
    """Root of every refusal cardflow's rules can give, and of a policy they cannot use."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PolicyError(WorkflowError):
    """A policy cardflow cannot use; the message says which value and why."""


class NotFromHere(WorkflowError):
    """The event has no transition out of the given state: the machine's answer, which
    the rules turn into a ``TransitionNotAllowed`` with the card's context."""


class CardNotFound(WorkflowError):
    """No card has that id; the detail never repeats it, as a caller may have put anything
    (an ID number) where the id goes."""

    def __init__(self, card_id: str) -> None:
        super().__init__(
            "no card has the id given"
            if _CARD_ID.fullmatch(card_id)
            else "no card has the id given, which is not of the form of one (cardflow's card "
            "ids are UUIDs)"
        )
        self.card_id = card_id


class PersonNotFound(WorkflowError):
    """No card was ever held by the person named (by ID number or reference)."""

    def __init__(self) -> None:
        super().__init__("cardflow holds no card of that person")


class InvalidRequest(WorkflowError):
    """The request is malformed, whatever the card's state."""


class UnknownName(InvalidRequest):
    """A name outside cardflow's vocabulary; ``valid`` lists the names it knows."""

    def __init__(self, what: str, name: str, valid: Sequence[str]) -> None:
        super().__init__(f"that is not a {what} cardflow knows; valid: {', '.join(valid)}")
        self.what = what
        self.name = name
        self.valid = tuple(valid)


class InvalidIdentity(InvalidRequest):
    """An identity number that fails the check named in ``check``."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(detail)
        self.check = check


class KeyReused(InvalidRequest):
    """The caller's idempotency key already stands for a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(
            "this idempotency key was used for a different request; use a new key for a new request"
        )
        self.key = key


class MisdatedStep(InvalidRequest):
    """A step said to have happened outside the span cardflow takes: further back than the
    region policy's window (``ahead`` false), or ahead of cardflow's clock by more than a
    clock may drift (``ahead`` true); ``window`` is that span."""

    def __init__(self, detail: str, *, ahead: bool, window: timedelta) -> None:
        super().__init__(detail)
        self.ahead = ahead
        self.window = window


class InvalidEvidence(InvalidRequest):
    """Evidence missing or wrong; each list says exactly what, in a clerk's words.
    ``unknown`` names keys of cardflow's vocabulary the step does not take;
    ``unrecognised`` counts the others, which are never repeated."""

    def __init__(
        self,
        *,
        event: Event,
        channel: Channel,
        missing: Sequence[str] = (),
        unknown: Sequence[str] = (),
        unrecognised: int = 0,
        malformed: Sequence[str] = (),
    ) -> None:
        parts = []
        if missing:
            parts.append("missing: " + "; ".join(missing))
        if unknown:
            parts.append("not evidence for this step: " + ", ".join(unknown))
        if unrecognised:
            keys = "key" if unrecognised == 1 else "keys"
            parts.append(f"{unrecognised} evidence {keys} cardflow does not know")
        if malformed:
            parts.append("malformed: " + "; ".join(malformed))
        super().__init__(f"{event} through {channel} refused, " + "; ".join(parts))
        self.event = event
        self.channel = channel
        self.missing = tuple(missing)
        self.unknown = tuple(unknown)
        self.unrecognised = unrecognised
        self.malformed = tuple(malformed)


class ChannelNotAllowed(WorkflowError):
    """The channel never carries the event (or not for an agent), whatever the card's
    state; ``allowed`` are the channels that would carry it for this card and presenter."""

    def __init__(
        self, *, event: Event, channel: Channel, allowed: Sequence[Channel], reason: str
    ) -> None:
        super().__init__(
            f"{event} through {channel} is not allowed: {reason}; channels that would "
            f"carry it now: {', '.join(allowed) or 'none'}"
        )
        self.event = event
        self.channel = channel
        self.allowed = tuple(allowed)
        self.reason = reason


class NotPermitted(WorkflowError):
    """The caller may not do this: its role only reads, or the channel is not one of its own."""

    def __init__(
        self, *, actor: str, channel: Channel | None, permitted: Sequence[Channel], reason: str
    ) -> None:
        super().__init__(f"{actor} may not act: {reason}")
        self.actor = actor
        self.channel = channel
        self.permitted = tuple(permitted)
        self.reason = reason


class Conflict(WorkflowError):
    """The card is not in a state where the request makes sense."""


Offer = Mapping[Event, Sequence[Channel]]
"""What a refusal offers instead: each event allowed now, with the channels that would
carry it for the presenter who stood there (the refused event through the refused
channel never among them)."""


def _offered_words(offer: Offer, event: Event) -> str:
    """The offer as a refusal's detail says it: the refused event's other channels named."""
    words = [
        f"{allowed} (only through {', '.join(channels)})"
        if allowed is event and channels
        else str(allowed)
        for allowed, channels in offer.items()
    ]
    return ", ".join(words) if words else "none"


class TransitionNotAllowed(Conflict):
    """The event is not allowed from the card's current state (through that channel);
    ``offered`` is what is, for the presenter who asked."""

    def __init__(
        self,
        *,
        card_id: str,
        state: State | None,
        event: Event,
        channel: Channel,
        allowed: Sequence[Event] = (),
        offered: Offer | None = None,
    ) -> None:
        offer: Offer = offered if offered is not None else dict.fromkeys(allowed, ())
        where = "does not exist yet" if state is None else f"is {state}"
        super().__init__(
            f"card {card_id} {where}: {event} through {channel} is not allowed now; "
            f"allowed now: {_offered_words(offer, event)}"
        )
        self.card_id = card_id
        self.state = state
        self.event = event
        self.channel = channel
        self.offered = offered
        self.allowed = tuple(offer)


class ConditionNotMet(Conflict):
    """The event may happen in the card's state, but not to this card now: ``condition``
    names the rule.
    ``card_id`` is ``None`` where the refused step would have opened the card."""

    def __init__(
        self,
        *,
        card_id: str | None,
        state: State | None,
        event: Event,
        condition: Condition,
        reason: str,
        allowed: Sequence[Event] = (),
        offered: Offer | None = None,
    ) -> None:
        subject = f"card {card_id}: " if card_id is not None else ""
        super().__init__(f"{subject}{event} is not allowed now: {reason}")
        self.card_id = card_id
        self.state = state
        self.event = event
        self.condition = condition
        self.reason = reason
        self.offered = offered
        self.allowed = tuple(offered) if offered is not None else tuple(allowed)


class PersonHoldsCard(ConditionNotMet):
    """A person holds one live card at most; ``holder`` is the one they hold, in
    ``holder_state``, where ``allowed`` (with the channels that carry each) can happen.

    ``unnamed`` says the same without naming the card, for a caller who may not be told
    which card a person holds."""

    def __init__(
        self,
        *,
        event: Event,
        holder: str,
        holder_state: State | None = None,
        allowed: Sequence[Event] = (),
        handled_by: Sequence[Channel] = (),
    ) -> None:
        rule = "a person holds one live card at most (a lost card is replaced by reissue)"
        super().__init__(
            card_id=None,
            state=None,
            event=event,
            condition=Condition.ONE_LIVE_CARD,
            reason=f"the applicant already holds card {holder}, which is live; {rule}",
            allowed=allowed,
        )
        self.holder = holder
        self.holder_state = holder_state
        self.handled_by = tuple(handled_by)
        next_steps = (
            f"; its next steps go through {', '.join(self.handled_by)}" if handled_by else ""
        )
        self.unnamed = (
            f"{event} is not allowed now: the applicant already holds a live card; "
            f"{rule}{next_steps}"
        )


class StillHolder(Conflict):
    """A person's data is not erased while they hold a live card: the card center needs
    it to produce, hand over and serve the card. ``holder`` is that card."""

    def __init__(self, *, holder: str, state: State) -> None:
        super().__init__(
            f"the person still holds card {holder}, which is {state} and live: their data "
            "is erased once every card of theirs has ended (cancelled or replaced)"
        )
        self.holder = holder
        self.state = state


class StaleVersion(Conflict):
    """The caller expected a version the card has moved past (or another writer won), or
    one it never had; the detail names the expected version only if the card had it (a
    caller may have put any number there)."""

    def __init__(
        self, *, card_id: str, expected: int, actual: int, state: State, allowed: Sequence[Event]
    ) -> None:
        expected_words = (
            f"not {expected}"
            if expected <= actual
            else "a version before the one expected, which it never had"
        )
        super().__init__(
            f"card {card_id} is at version {actual}, {expected_words}: read it again and retry"
        )
        self.card_id = card_id
        self.expected = expected
        self.actual = actual
        self.state = state
        self.allowed = tuple(allowed)
