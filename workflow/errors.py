"""Why cardflow refused something, with the context a caller needs to act on it.

::

    WorkflowError
    ├── CardNotFound            no card has that id
    ├── InvalidRequest          the request itself is malformed
    │   ├── UnknownName         an event, channel or presenter cardflow does not know
    │   ├── InvalidIdentity     an ID number that fails its check
    │   ├── KeyReused           an idempotency key sent again with a different request
    │   └── InvalidEvidence     evidence missing, unknown, or of the wrong form
    ├── ChannelNotAllowed       that channel never carries that event (or not for an agent)
    ├── NotPermitted            the caller's role or channels do not allow the request
    └── Conflict                the card is not where the caller thinks it is
        ├── TransitionNotAllowed  the event is not allowed in the card's current state
        └── StaleVersion          the card moved on since the caller last read it

The HTTP status of each lives in ``api/problems.py``, not here.
"""

from __future__ import annotations

from collections.abc import Sequence

from workflow.states import Channel, Event, State


class WorkflowError(Exception):
    """Root of every refusal cardflow's rules can give."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class CardNotFound(WorkflowError):
    """No card has that id."""

    def __init__(self, card_id: str) -> None:
        super().__init__(f"no card with id {card_id!r}")
        self.card_id = card_id


class InvalidRequest(WorkflowError):
    """The request is malformed, whatever the card's state."""


class UnknownName(InvalidRequest):
    """A name outside cardflow's vocabulary; ``valid`` lists the names it knows."""

    def __init__(self, what: str, name: str, valid: Sequence[str]) -> None:
        super().__init__(f"unknown {what} {name!r}; valid: {', '.join(valid)}")
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
            f"idempotency key {key!r} was used for a different request; "
            "use a new key for a new request"
        )
        self.key = key


class InvalidEvidence(InvalidRequest):
    """Evidence missing or malformed; each list says exactly what, in a clerk's words."""

    def __init__(
        self,
        *,
        event: Event,
        channel: Channel,
        missing: Sequence[str] = (),
        unknown: Sequence[str] = (),
        malformed: Sequence[str] = (),
    ) -> None:
        parts = []
        if missing:
            parts.append("missing: " + "; ".join(missing))
        if unknown:
            parts.append("not evidence for this step: " + ", ".join(unknown))
        if malformed:
            parts.append("malformed: " + "; ".join(malformed))
        super().__init__(f"{event} through {channel} refused, " + "; ".join(parts))
        self.event = event
        self.channel = channel
        self.missing = tuple(missing)
        self.unknown = tuple(unknown)
        self.malformed = tuple(malformed)


class ChannelNotAllowed(WorkflowError):
    """The channel never carries the event, whatever the card's state."""

    def __init__(
        self, *, event: Event, channel: Channel, allowed: Sequence[Channel], reason: str
    ) -> None:
        super().__init__(
            f"{event} through {channel} is not allowed: {reason}; "
            f"channels that may carry {event}: {', '.join(allowed)}"
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


class TransitionNotAllowed(Conflict):
    """The event is not allowed from the card's current state."""

    def __init__(
        self,
        *,
        card_id: str,
        state: State | None,
        event: Event,
        channel: Channel,
        allowed: Sequence[Event],
    ) -> None:
        allowed_words = ", ".join(allowed) if allowed else "none"
        where = "does not exist yet" if state is None else f"is {state}"
        super().__init__(
            f"card {card_id} {where}: {event} through {channel} is not allowed now; "
            f"allowed now: {allowed_words}"
        )
        self.card_id = card_id
        self.state = state
        self.event = event
        self.channel = channel
        self.allowed = tuple(allowed)


class StaleVersion(Conflict):
    """The caller expected a version the card has moved past (or another writer won)."""

    def __init__(
        self, *, card_id: str, expected: int, actual: int, state: State, allowed: Sequence[Event]
    ) -> None:
        super().__init__(
            f"card {card_id} is at version {actual}, not {expected}: read it again and retry"
        )
        self.card_id = card_id
        self.expected = expected
        self.actual = actual
        self.state = state
        self.allowed = tuple(allowed)
