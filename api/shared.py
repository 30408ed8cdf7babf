"""The pieces of the HTTP contract more than one feature speaks in."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    model_validator,
)
from pydantic.config import JsonDict

from api.examples import allowed_now
from ledger.entry import format_timestamp
from workflow.rules import channels_allowed
from workflow.states import Channel, Event, State

Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time as cardflow writes it: RFC 3339, UTC, microseconds, ``Z``."""

UNKEPT: Final = re.compile("[\x00\ud800-\udfff]")
"""What no text cardflow keeps may hold: a NUL (PostgreSQL refuses it) or a lone
surrogate (no UTF-8 encodes it)."""


UNKEPT_SAID: Final = "holds a NUL character or a lone surrogate, which cardflow cannot keep"


def _holds_unkept(value: Any) -> bool:
    """Whether any text in ``value`` -- a string, a key, at any depth -- holds ``UNKEPT``."""
    if isinstance(value, str):
        return UNKEPT.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_unkept(key) or _holds_unkept(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_unkept(item) for item in value)
    return False


RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
"""A time as OpenAPI's ``date-time`` writes it (RFC 3339 ``date-time``): date, ``T``,
time to the second, an optional fraction, and ``Z`` or an offset."""


def _rfc3339(value: Any) -> Any:
    """Only the string the schema declares: pydantic would also take a number (or a
    string of digits) as seconds since 1970, a date without a time, a space for the
    ``T`` -- none of which a caller should find accepted."""
    if isinstance(value, datetime):  # already parsed, by cardflow's own code
        return value
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise ValueError(
            "is not an RFC 3339 date-time string, e.g. 2026-03-02T09:30:00+08:00 or "
            "2026-03-02T01:30:00Z"
        )
    return value


def _utc_moment(moment: datetime) -> datetime:
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("lies outside the years 1 to 9999 once written in UTC") from None
    return moment


Moment = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_utc_moment)]
"""A time a caller gives: with its offset, and within the years 1 to 9999 in UTC."""

EvidenceIn = dict[str, StrictBool | StrictStr]
"""Evidence as the ledger holds it: a confirmation (``true``), a choice or a reference."""


class RequestBody(BaseModel):
    """A request body: an unknown field is a caller's mistake, refused rather than dropped,
    and so is text cardflow cannot keep, in any field."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _kept(cls, data: Any) -> Any:
        """Name the field whose text cardflow cannot keep, never the text (nor an unknown
        field's name, which may be anything a caller sent)."""
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            if _holds_unkept(name) or _holds_unkept(value):
                field = name if name in cls.model_fields else "a field"
                raise ValueError(f"{field} {UNKEPT_SAID}")
        return data


class AllowedEventOut(BaseModel):
    """An event the card allows now, and the channels that may carry it from here."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [e for e in allowed_now(State.PRODUCED) if e["event"] == Event.COLLECT]
        }
    )

    event: Event
    channels: list[Channel]

    @classmethod
    def offer(cls, offered: Mapping[Event, Sequence[Channel]]) -> list[AllowedEventOut]:
        """What a refusal offers instead, as the rules worked it out."""
        return [cls(event=event, channels=list(channels)) for event, channels in offered.items()]

    @classmethod
    def listing(cls, state: State | None, events: Sequence[Event]) -> list[AllowedEventOut]:
        """``events`` with their channels, leaving out rules that only apply elsewhere."""
        return [
            cls(
                event=event,
                channels=list(channels_allowed(event, state)),
            )
            for event in events
        ]


def examples_of(*made: Callable[[], BaseModel]) -> Callable[[JsonDict], None]:
    """A model's OpenAPI examples, made when the schema is by the code that makes real
    answers, so an example cannot show what cardflow would not say."""

    def extra(schema: JsonDict) -> None:
        schema["examples"] = [answer().model_dump(mode="json") for answer in made]

    return extra
