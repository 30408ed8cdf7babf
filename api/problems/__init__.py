"""Refusals as RFC 9457 ``application/problem+json``: the kinds, the bodies, and the one mapping."""

from __future__ import annotations

from api.problems.answer import problem_response
from api.problems.documented import documented, names_a_problem
from api.problems.mapping import (
    EXCEPTION_HANDLERS,
    NOT_SERVED,
    ROOTS,
    SERVED,
    contract_names,
    http_problem,
    internal_error,
    names_holder,
    problem_type,
    refusal_problem,
    request_id_of,
    too_large,
    unkept_text,
    unreadable_body,
    validation_problem,
)
from api.problems.types import (
    PROBLEM_BASE,
    PROBLEM_JSON,
    PROBLEM_TYPES,
    ProblemType,
    problem_types_markdown,
)

__all__ = [
    "EXCEPTION_HANDLERS",
    "NOT_SERVED",
    "PROBLEM_BASE",
    "PROBLEM_JSON",
    "PROBLEM_TYPES",
    "ROOTS",
    "SERVED",
    "ProblemType",
    "contract_names",
    "documented",
    "http_problem",
    "internal_error",
    "names_a_problem",
    "names_holder",
    "problem_response",
    "problem_type",
    "problem_types_markdown",
    "refusal_problem",
    "request_id_of",
    "too_large",
    "unkept_text",
    "unreadable_body",
    "validation_problem",
]
