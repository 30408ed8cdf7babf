"""The one place a problem becomes an answer: its body, status and media type, counted by
its kind (``cardflow_refusals_total``) as it is sent."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import JSONResponse, Response

from api.problems.models import Problem
from api.problems.types import PROBLEM_BASE, PROBLEM_JSON
from api.vitals.metrics import refused


def problem_response(problem: Problem, *, headers: Mapping[str, str] | None = None) -> Response:
    """``problem`` as ``application/problem+json`` with its status."""
    refused(problem.type.removeprefix(PROBLEM_BASE))
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=problem.status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )
