"""The supervisors' search criteria at the HTTP edge: one query parameter per field of
``Search``, in one table, so the route cannot take less (or more) than the use case asks."""

from __future__ import annotations

import base64
import inspect
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Annotated, Any, Final, Literal

from fastapi import Depends, Query

from api.shared import Moment
from workflow.errors import InvalidRequest
from workflow.service import MAX_PAGE, Search
from workflow.states import Channel, State

_CURSOR_PREFIX: Final = "opened:"
_DEFAULTS: Final[Mapping[str, Any]] = {
    field.name: field.default for field in fields(Search) if field.default is not MISSING
}


def cursor(position: int) -> str:
    """The ``next_cursor`` that continues a search after ``position``."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode()


def position(given: str) -> int:
    """Where the search ``given`` (a ``next_cursor``) continues from."""
    try:
        said = base64.urlsafe_b64decode(given.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError):
        said = ""
    number = said.removeprefix(_CURSOR_PREFIX)
    if not said.startswith(_CURSOR_PREFIX) or not number.isdigit() or len(number) > 18:
        raise InvalidRequest("the cursor is not one cardflow gave: pass next_cursor as it came")
    return int(number)


def _as_given(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Criterion:
    """One field of ``Search`` as the query parameter ``name``: its type and rules (an
    ``Annotated`` with its ``Query``), its default, and how its value becomes the field's."""

    name: str
    annotation: Any
    default: Any
    read: Callable[[Any], Any] = _as_given


CRITERIA: Final[Mapping[str, Criterion]] = {
    "states": Criterion(
        "state",
        Annotated[list[State], Query(description="Cards in any of these states.")],
        [],
        frozenset,
    ),
    "channels": Criterion(
        "channel",
        Annotated[list[Channel], Query(description="Cards moved through any of these channels.")],
        [],
        frozenset,
    ),
    "regions": Criterion(
        "region",
        Annotated[
            list[str], Query(max_length=64, description="Cards kept under any of these regions.")
        ],
        [],
        frozenset,
    ),
    "financial": Criterion(
        "financial",
        Annotated[
            Literal["active", "inactive"] | None,
            Query(description="Cards whose financial (bank) function is active, or is not."),
        ],
        None,
        lambda said: None if said is None else said == "active",
    ),
    "opened_from": Criterion(
        "opened_from",
        Annotated[Moment | None, Query(description="Opened at or after.")],
        _DEFAULTS["opened_from"],
    ),
    "opened_before": Criterion(
        "opened_before",
        Annotated[Moment | None, Query(description="Opened before.")],
        _DEFAULTS["opened_before"],
    ),
    "updated_from": Criterion(
        "updated_from",
        Annotated[Moment | None, Query(description="Last moved at or after.")],
        _DEFAULTS["updated_from"],
    ),
    "updated_before": Criterion(
        "updated_before",
        Annotated[Moment | None, Query(description="Last moved before.")],
        _DEFAULTS["updated_before"],
    ),
    "after": Criterion(
        "cursor",
        Annotated[
            str | None, Query(max_length=64, description="`next_cursor` of the previous page.")
        ],
        None,
        lambda given: _DEFAULTS["after"] if given is None else position(given),
    ),
    "limit": Criterion(
        "limit",
        Annotated[int, Query(ge=1, le=MAX_PAGE, description="Cards per page.")],
        _DEFAULTS["limit"],
    ),
}
"""Every field of ``Search``, in its order, by the query parameter that gives it."""


async def _criteria(**given: Any) -> Search:
    return Search(**{field: c.read(given[c.name]) for field, c in CRITERIA.items()})


_criteria.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter(
            c.name, inspect.Parameter.KEYWORD_ONLY, default=c.default, annotation=c.annotation
        )
        for c in CRITERIA.values()
    ],
    return_annotation=Search,
)

SearchCriteria = Annotated[Search, Depends(_criteria)]
"""What a search route takes: the query parameters of ``CRITERIA``, as one ``Search``."""
