"""The pieces of the HTTP contract more than one feature speaks in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    StrictBool,
    StrictStr,
    WithJsonSchema,
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

EvidenceIn = dict[str, StrictBool | StrictStr]
"""Evidence as the ledger holds it: a confirmation (``true``), a choice or a reference."""


class RequestBody(BaseModel):
    """A request body: an unknown field is a caller's mistake, refused rather than dropped."""

    model_config = ConfigDict(extra="forbid")


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
