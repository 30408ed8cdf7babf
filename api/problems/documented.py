"""What each route's OpenAPI document says it may answer: the problem bodies by status."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from api.problems.models import (
    ConflictProblem,
    InvalidInputProblem,
    PermissionProblem,
    Problem,
)
from api.problems.types import (
    CARD_NOT_FOUND,
    CONDITION_NOT_MET,
    DATABASE_UNAVAILABLE,
    INTEGRITY_FAILURE,
    INTERNAL_ERROR,
    NOT_PERMITTED,
    PAYLOAD_TOO_LARGE,
    RATE_LIMITED,
    STALE_VERSION,
    TRANSITION_NOT_ALLOWED,
    UNAUTHENTICATED,
    WORK_STOPPED,
)

_DOCUMENTED: Final[Mapping[int, tuple[object, str]]] = {
    401: (Problem, f"No API key, or an unknown or revoked one (`{UNAUTHENTICATED.uri}`)."),
    403: (
        PermissionProblem,
        f"The key's role, channels or reads do not allow this (`{NOT_PERMITTED.uri}`).",
    ),
    404: (Problem, f"No card has that id (`{CARD_NOT_FOUND.uri}`)."),
    413: (Problem, f"The body is too large (`{PAYLOAD_TOO_LARGE.uri}`)."),
    409: (
        ConflictProblem,
        f"Not allowed in the card's current state (`{TRANSITION_NOT_ALLOWED.uri}`), allowed "
        f"there but a condition of the step fails (`{CONDITION_NOT_MET.uri}`), or the card "
        f"moved past the version expected (`{STALE_VERSION.uri}`).",
    ),
    422: (
        InvalidInputProblem,
        "Invalid input, refused whatever the card's state: see the problem types in the API "
        "description.",
    ),
    429: (
        Problem,
        f"The caller's requests of this kind (its key's, or without one its client "
        f"address's) are used up for now (`{RATE_LIMITED.uri}`); "
        "`Retry-After` says when to try again.",
    ),
    500: (Problem, f"A bug in cardflow (`{INTERNAL_ERROR.uri}`)."),
    503: (
        Problem,
        f"The stored ledger failed an integrity check (`{INTEGRITY_FAILURE.uri}`), a long "
        f"read was stopped at the server's deadline (`{WORK_STOPPED.uri}`, with `Retry-After`), "
        f"or the database could not be reached (`{DATABASE_UNAVAILABLE.uri}`, with "
        "`Retry-After`).",
    ),
}


def documented(
    *statuses: int, invalid: object = InvalidInputProblem
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problems a route can answer with.

    ``invalid`` narrows the 422 bodies for a route the rules never refuse (a read).
    """
    models = {**{status: model for status, (model, _) in _DOCUMENTED.items()}, 422: invalid}
    return {
        status: {"model": models[status], "description": _DOCUMENTED[status][1]}
        for status in statuses
    }


def _kinds(model: type[Problem]) -> Iterator[type[Problem]]:
    yield model
    for kind in model.__subclasses__():
        yield from _kinds(kind)


_PROBLEM_SCHEMAS: Final = frozenset(
    {kind.__name__ for kind in _kinds(Problem)} | {"HTTPValidationError"}
)
"""The component schemas a problem is documented with (FastAPI's own 422 among them)."""


def names_a_problem(schema: Mapping[str, Any]) -> bool:
    """Whether a response's OpenAPI schema is a problem's (one, or a choice of them), sent
    as ``application/problem+json``, rather than a route's own answer (``/readyz``'s 503)."""
    choices = [schema, *schema.get("anyOf", ()), *schema.get("oneOf", ())]
    return any(c.get("$ref", "").rpartition("/")[2] in _PROBLEM_SCHEMAS for c in choices)
