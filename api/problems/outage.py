"""The database out of reach: what a request is answered with when the connection to the
database (or the read-only one) cannot be made, breaks, or waits past its bound."""

from __future__ import annotations

from typing import Final

import structlog
from fastapi import Request
from fastapi.responses import Response

from api.problems.answer import problem_response
from api.problems.models import Problem
from api.problems.types import DATABASE_UNAVAILABLE, head

log = structlog.get_logger()

DATABASE_RETRY_SECONDS: Final = 2
"""What ``Retry-After`` says: long enough for a pool to reconnect after a restart."""


async def on_database(request: Request, error: Exception) -> Response:
    """The database unreachable, gone or locked past its wait: a 503 to retry, logged
    (the driver's words are the operator's, not the caller's)."""
    request_id = str(request.state.request_id)
    log.error(
        "database unavailable",
        request_id=request_id,
        method=request.method,
        path=request.url.path,
        error=type(getattr(error, "orig", error)).__name__,
    )
    problem = Problem(
        **head(DATABASE_UNAVAILABLE),
        detail="the database cannot be reached now; nothing was done unless a write was "
        "committing: retry with the same Idempotency-Key",
        request_id=request_id,
    )
    return problem_response(problem, headers={"Retry-After": str(DATABASE_RETRY_SECONDS)})
