"""The one place refusals become HTTP: RFC 9457 ``application/problem+json`` bodies.

The domain's errors carry no status codes (``workflow/errors.py`` draws their tree);
this module decides the status, the stable ``type`` URI and the extension members
of each, and answers FastAPI's and Starlette's own errors in the same shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final, TypedDict

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import HTTPExceptionHandler

from api.dependencies import Unauthenticated
from api.schemas import (
    AllowedEventOut,
    ChannelProblem,
    ConditionProblem,
    ConflictProblem,
    EvidenceProblem,
    IdentityProblem,
    InvalidInputProblem,
    PermissionProblem,
    Problem,
    StaleProblem,
    TransitionProblem,
    UnknownNameProblem,
    ValidationIssue,
    ValidationProblem,
)
from ledger.errors import NoSigner
from ledger.merkle import ProofError
from workflow.errors import (
    CardNotFound,
    ChannelNotAllowed,
    ConditionNotMet,
    Conflict,
    InvalidEvidence,
    InvalidIdentity,
    KeyReused,
    NotPermitted,
    PersonHoldsCard,
    StaleVersion,
    TransitionNotAllowed,
    UnknownName,
    WorkflowError,
)

PROBLEM_JSON: Final = "application/problem+json"
PROBLEM_BASE: Final = "https://cardflow.dev/problems/"


@dataclass(frozen=True, slots=True)
class ProblemType:
    """A kind of problem: a URI that never changes, its status, and when it is given."""

    slug: str
    status: int
    title: str
    when: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


UNAUTHENTICATED: Final = ProblemType(
    "unauthenticated",
    401,
    "Unauthenticated",
    "No `Authorization: Bearer cf_…` header, or a key that is unknown or revoked.",
)
NOT_PERMITTED: Final = ProblemType(
    "not-permitted",
    403,
    "Not permitted",
    "The key's role only reads (supervisors), or the channel is not one the key may act "
    "through; `permitted_channels` lists those it may.",
)
CARD_NOT_FOUND: Final = ProblemType(
    "card-not-found", 404, "Card not found", "No card has the id in the path."
)
TRANSITION_NOT_ALLOWED: Final = ProblemType(
    "transition-not-allowed",
    409,
    "Transition not allowed now",
    "The event is not allowed in the card's current state; `state` and `allowed_events` "
    "say what is.",
)
CONDITION_NOT_MET: Final = ProblemType(
    "condition-not-met",
    409,
    "Condition not met",
    "The card's state allows the event, but a condition of the step fails: `condition` "
    "names it (a deadline not yet passed, a financial function already active, a person "
    "who already holds a live card, with `holder` naming that card).",
)
STALE_VERSION: Final = ProblemType(
    "stale-version",
    409,
    "Stale version",
    "The card moved past `expected_version` (or `If-Match`); read it again, then decide.",
)
CONFLICT: Final = ProblemType(
    "conflict", 409, "Conflict", "The card is not where the request assumes it is."
)
INVALID_EVIDENCE: Final = ProblemType(
    "invalid-evidence",
    422,
    "Evidence missing or malformed",
    "`missing`, `unknown` and `malformed` name every gap in the evidence, in a clerk's words.",
)
CHANNEL_NOT_ALLOWED: Final = ProblemType(
    "channel-not-allowed",
    422,
    "Channel not allowed",
    "The channel never carries the event, or an agent may not act through it; "
    "`allowed_channels` lists the channels that may.",
)
UNKNOWN_NAME: Final = ProblemType(
    "unknown-name",
    422,
    "Unknown name",
    "A name cardflow does not know; `valid` lists those it does.",
)
INVALID_IDENTITY: Final = ProblemType(
    "invalid-identity",
    422,
    "Invalid identity number",
    "The ID number fails a GB 11643-1999 check; `check` names which. The number is never repeated.",
)
KEY_REUSED: Final = ProblemType(
    "idempotency-key-reused",
    422,
    "Idempotency key reused",
    "The `Idempotency-Key` already stands for a different request from this key's holder; "
    "a retry must repeat the request exactly, a new request needs a new key.",
)
INVALID_REQUEST: Final = ProblemType(
    "invalid-request",
    422,
    "Invalid request",
    "The request fits the schema but cannot stand as it is, e.g. `occurred_at` in the future "
    "or `If-Match` disagreeing with `expected_version`.",
)
VALIDATION_ERROR: Final = ProblemType(
    "validation-error",
    422,
    "Request does not fit the contract",
    "Malformed JSON, a wrong type, an unknown field, or an unknown event, channel or "
    "presenter; `errors` lists each with its location and the values allowed.",
)
PAYLOAD_TOO_LARGE: Final = ProblemType(
    "payload-too-large",
    413,
    "Request body too large",
    "The body is larger than the server takes (8 MiB unless configured otherwise); send a "
    "large batch in parts.",
)
NOT_FOUND: Final = ProblemType("not-found", 404, "Not found", "No route has that path.")
METHOD_NOT_ALLOWED: Final = ProblemType(
    "method-not-allowed",
    405,
    "Method not allowed",
    "The route does not take that method; the `Allow` header lists those it does.",
)
INTERNAL_ERROR: Final = ProblemType(
    "internal-error",
    500,
    "Internal error",
    "A bug in cardflow, logged with its traceback; quote `request_id` when reporting it.",
)

PROBLEM_TYPES: Final[tuple[ProblemType, ...]] = (
    UNAUTHENTICATED,
    NOT_PERMITTED,
    CARD_NOT_FOUND,
    TRANSITION_NOT_ALLOWED,
    CONDITION_NOT_MET,
    STALE_VERSION,
    CONFLICT,
    INVALID_EVIDENCE,
    CHANNEL_NOT_ALLOWED,
    UNKNOWN_NAME,
    INVALID_IDENTITY,
    KEY_REUSED,
    INVALID_REQUEST,
    VALIDATION_ERROR,
    PAYLOAD_TOO_LARGE,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    INTERNAL_ERROR,
)
"""Every ``type`` cardflow answers with; any other HTTP error is ``about:blank``."""


def problem_types_markdown() -> str:
    """The table of problem types, for the API's description."""
    rows = ["| status | type | when |", "| --- | --- | --- |"]
    rows += [f"| {kind.status} | `{kind.uri}` | {kind.when} |" for kind in PROBLEM_TYPES]
    return "\n".join(rows) + "\n"


def problem_response(problem: Problem, *, headers: Mapping[str, str] | None = None) -> Response:
    """``problem`` as ``application/problem+json`` with its status."""
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=problem.status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def refusal_problem(error: WorkflowError, request_id: str) -> Problem:
    """The problem a refusal by cardflow's rules becomes."""
    common = _Said(detail=error.detail, request_id=request_id)
    match error:
        case CardNotFound():
            return Problem(**_head(CARD_NOT_FOUND), **common)
        case InvalidEvidence():
            return EvidenceProblem(
                **_head(INVALID_EVIDENCE),
                **common,
                event=error.event,
                channel=error.channel,
                missing=list(error.missing),
                unknown=list(error.unknown),
                malformed=list(error.malformed),
            )
        case NotPermitted():
            return PermissionProblem(
                **_head(NOT_PERMITTED),
                **common,
                channel=error.channel,
                permitted_channels=list(error.permitted),
            )
        case KeyReused():
            return Problem(**_head(KEY_REUSED), **common)
        case UnknownName():
            return UnknownNameProblem(**_head(UNKNOWN_NAME), **common, valid=list(error.valid))
        case InvalidIdentity():
            return IdentityProblem(**_head(INVALID_IDENTITY), **common, check=error.check)
        case ChannelNotAllowed():
            return ChannelProblem(
                **_head(CHANNEL_NOT_ALLOWED),
                **common,
                event=error.event,
                channel=error.channel,
                allowed_channels=list(error.allowed),
            )
        case TransitionNotAllowed():
            return TransitionProblem(
                **_head(TRANSITION_NOT_ALLOWED),
                **common,
                card_id=error.card_id,
                state=error.state,
                event=error.event,
                channel=error.channel,
                allowed_events=AllowedEventOut.listing(error.state, error.allowed),
            )
        case ConditionNotMet():
            return ConditionProblem(
                **_head(CONDITION_NOT_MET),
                **common,
                card_id=error.card_id,
                state=error.state,
                event=error.event,
                condition=error.condition,
                holder=error.holder if isinstance(error, PersonHoldsCard) else None,
                allowed_events=AllowedEventOut.listing(error.state, error.allowed),
            )
        case StaleVersion():
            return StaleProblem(
                **_head(STALE_VERSION),
                **common,
                card_id=error.card_id,
                expected_version=error.expected,
                current_version=error.actual,
                state=error.state,
                allowed_events=AllowedEventOut.listing(error.state, error.allowed),
            )
        case Conflict():
            return Problem(**_head(CONFLICT), **common)
        case _:
            return Problem(**_head(INVALID_REQUEST), **common)


def validation_problem(error: RequestValidationError, request_id: str) -> ValidationProblem:
    """The problem a request that does not fit the schema becomes; no input is echoed."""
    issues = [
        ValidationIssue(
            loc=[part if isinstance(part, int) else str(part) for part in item["loc"]],
            msg=str(item["msg"]),
            type=str(item["type"]),
        )
        for item in error.errors()
    ]
    return ValidationProblem(
        **_head(VALIDATION_ERROR),
        detail="; ".join(f"{_where(issue.loc)}: {issue.msg}" for issue in issues),
        request_id=request_id,
        errors=issues,
    )


def unreadable_body(request_id: str) -> ValidationProblem:
    """The problem a body that cannot be decoded as JSON text becomes."""
    issue = ValidationIssue(loc=["body"], msg="the body is not JSON text", type="json_invalid")
    return ValidationProblem(
        **_head(VALIDATION_ERROR),
        detail="body: the body is not JSON text",
        request_id=request_id,
        errors=[issue],
    )


def http_problem(error: HTTPException, request: Request, request_id: str) -> Problem:
    """The problem Starlette's own errors (no such route, wrong method) become."""
    kind = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 413: PAYLOAD_TOO_LARGE}.get(error.status_code)
    phrase = HTTPStatus(error.status_code).phrase
    detail = error.detail if error.detail != phrase else _explain(error.status_code, request)
    if kind is None:
        return Problem(
            type="about:blank",
            title=phrase,
            status=error.status_code,
            detail=detail,
            request_id=request_id,
        )
    return Problem(**_head(kind), detail=detail, request_id=request_id)


def too_large(request_id: str, limit: int) -> Response:
    """The answer to a body over ``limit`` bytes, before any of it is read."""
    return problem_response(
        Problem(
            **_head(PAYLOAD_TOO_LARGE),
            detail=f"the body is larger than {limit:,} bytes",
            request_id=request_id,
        )
    )


def internal_error(request_id: str) -> Response:
    """The answer to a bug: nothing of the failure leaks, the request id finds the log line."""
    return problem_response(
        Problem(
            **_head(INTERNAL_ERROR),
            detail=f"cardflow failed to handle this request; quote request id {request_id}",
            request_id=request_id,
        )
    )


def request_id_of(request: Request) -> str:
    """The id the request-context middleware gave this request."""
    return str(request.state.request_id)


async def _on_refusal(request: Request, error: Exception) -> Response:
    assert isinstance(error, WorkflowError)
    return problem_response(refusal_problem(error, request_id_of(request)))


async def _on_unprovable(request: Request, error: Exception) -> Response:
    assert isinstance(error, ProofError | NoSigner)
    said = _Said(detail=str(error), request_id=request_id_of(request))
    return problem_response(Problem(**_head(INVALID_REQUEST), **said))


async def _on_invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return problem_response(validation_problem(error, request_id_of(request)))


async def _on_unauthenticated(request: Request, error: Exception) -> Response:
    assert isinstance(error, Unauthenticated)
    return problem_response(
        Problem(**_head(UNAUTHENTICATED), detail=error.detail, request_id=request_id_of(request)),
        headers={"WWW-Authenticate": 'Bearer realm="cardflow"'},
    )


async def _on_http(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 400:
        # FastAPI's answer to a body it cannot even decode (not UTF-8, say): invalid
        # input like any other, so the same 422 as a body that is not JSON at all.
        return problem_response(unreadable_body(request_id_of(request)))
    return problem_response(
        http_problem(error, request, request_id_of(request)), headers=error.headers
    )


EXCEPTION_HANDLERS: Final[Mapping[type[Exception], HTTPExceptionHandler]] = {
    WorkflowError: _on_refusal,
    ProofError: _on_unprovable,
    NoSigner: _on_unprovable,
    Unauthenticated: _on_unauthenticated,
    RequestValidationError: _on_invalid,
    HTTPException: _on_http,
}
"""What ``create_app`` registers; an exception not covered here is a bug (500)."""


class _Head(TypedDict):
    type: str
    title: str
    status: int


class _Said(TypedDict):
    detail: str
    request_id: str


def _head(kind: ProblemType) -> _Head:
    return _Head(type=kind.uri, title=kind.title, status=kind.status)


def _where(loc: list[str | int]) -> str:
    return ".".join(str(part) for part in loc)


def _explain(status: int, request: Request) -> str:
    if status == 404:
        return f"cardflow has nothing at {request.url.path}"
    if status == 405:
        return f"{request.url.path} does not take {request.method}"
    return HTTPStatus(status).description or HTTPStatus(status).phrase


_DOCUMENTED: Final[Mapping[int, tuple[object, str]]] = {
    401: (Problem, f"No API key, or an unknown or revoked one (`{UNAUTHENTICATED.uri}`)."),
    403: (
        PermissionProblem,
        f"The key's role or channels do not allow this (`{NOT_PERMITTED.uri}`).",
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
    500: (Problem, f"A bug in cardflow (`{INTERNAL_ERROR.uri}`)."),
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
