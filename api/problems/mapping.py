"""The one place errors become HTTP: every error class cardflow defines, and its answer.

The domain's errors carry no status codes (each package's ``errors.py`` draws its tree).
``SERVED`` gives each class that can reach a request its problem type; ``NOT_SERVED``
names every other class and why it never reaches one. A class in neither is caught by a
test. FastAPI's and Starlette's own errors are answered in the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Final, TypedDict

import structlog
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.types import HTTPExceptionHandler

from api.access import Capability, permits
from api.errors import (
    ApiError,
    ClientGone,
    ConfigurationError,
    KeyMissing,
    KeyNotPermitted,
    KeysDisagree,
    NoDatabase,
    PastDeadline,
    RateLimited,
    ReadNotGrantable,
    Unauthenticated,
    UnknownKey,
    WorkStopped,
)
from api.problems.answer import problem_response
from api.problems.models import (
    ChannelProblem,
    ConditionProblem,
    EvidenceProblem,
    IdentityProblem,
    PermissionProblem,
    Problem,
    StaleProblem,
    TransitionProblem,
    UnknownNameProblem,
    ValidationIssue,
    ValidationProblem,
)
from api.problems.outage import on_database
from api.problems.types import (
    CARD_NOT_FOUND,
    CHANNEL_NOT_ALLOWED,
    CONDITION_NOT_MET,
    CONFLICT,
    INTEGRITY_FAILURE,
    INTERNAL_ERROR,
    INVALID_EVIDENCE,
    INVALID_IDENTITY,
    INVALID_REQUEST,
    KEY_REUSED,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    NOT_PERMITTED,
    PAYLOAD_TOO_LARGE,
    RATE_LIMITED,
    STALE_VERSION,
    TRANSITION_NOT_ALLOWED,
    UNAUTHENTICATED,
    UNKNOWN_NAME,
    VALIDATION_ERROR,
    WORK_STOPPED,
    ProblemType,
    head,
)
from api.shared import UNKEPT_SAID, AllowedEventOut
from ledger.errors import (
    BundleError,
    CacheDisagrees,
    CheckpointRefused,
    CosignatureError,
    DatabaseRefused,
    DuplicateRequest,
    ErasedAndWritten,
    ErasureUnnoted,
    KeyRepeated,
    LedgerError,
    MapDamaged,
    MapError,
    MapProofError,
    NodeMissing,
    NoRoles,
    NoSigner,
    NoteError,
    NotHeld,
    ProofError,
    ReadOnly,
    SchemaMismatch,
    SubjectChanged,
    SubjectHeld,
    SubjectTaken,
    VersionConflict,
    WitnessUnreachable,
)
from workflow.definition import EVIDENCE
from workflow.errors import (
    CardNotFound,
    ChannelNotAllowed,
    ConditionNotMet,
    Conflict,
    InvalidEvidence,
    InvalidIdentity,
    InvalidRequest,
    KeyReused,
    MisdatedStep,
    NotFromHere,
    NotPermitted,
    PersonHoldsCard,
    PersonNotFound,
    PolicyError,
    StaleVersion,
    StillHolder,
    TransitionNotAllowed,
    UnknownName,
    WorkflowError,
)

log = structlog.get_logger()

ROOTS: Final[tuple[type[Exception], ...]] = (WorkflowError, LedgerError, ApiError)
"""The root of each package's errors: every class under them is in one table below."""

SERVED: Final[Mapping[type[Exception], ProblemType]] = {
    # workflow/errors.py: the rules refuse a request
    WorkflowError: INVALID_REQUEST,
    CardNotFound: CARD_NOT_FOUND,
    InvalidRequest: INVALID_REQUEST,
    UnknownName: UNKNOWN_NAME,
    InvalidIdentity: INVALID_IDENTITY,
    KeyReused: KEY_REUSED,
    MisdatedStep: INVALID_REQUEST,
    InvalidEvidence: INVALID_EVIDENCE,
    ChannelNotAllowed: CHANNEL_NOT_ALLOWED,
    NotPermitted: NOT_PERMITTED,
    Conflict: CONFLICT,
    TransitionNotAllowed: TRANSITION_NOT_ALLOWED,
    ConditionNotMet: CONDITION_NOT_MET,
    PersonHoldsCard: CONDITION_NOT_MET,
    StaleVersion: STALE_VERSION,
    # ledger/errors.py: no proof answers what was asked, or no key signs
    ProofError: INVALID_REQUEST,
    MapProofError: INVALID_REQUEST,
    NoSigner: INVALID_REQUEST,
    # ledger/errors.py: the stored ledger disagrees with itself
    NodeMissing: INTEGRITY_FAILURE,
    MapDamaged: INTEGRITY_FAILURE,
    CheckpointRefused: INTEGRITY_FAILURE,
    CacheDisagrees: INTEGRITY_FAILURE,
    # api/errors.py
    Unauthenticated: UNAUTHENTICATED,
    KeyNotPermitted: NOT_PERMITTED,
    RateLimited: RATE_LIMITED,
    WorkStopped: WORK_STOPPED,
    PastDeadline: WORK_STOPPED,
    ClientGone: WORK_STOPPED,
}
"""The problem type each error that can reach a request is answered with."""

NOT_SERVED: Final[Mapping[type[Exception], str]] = {
    NotFromHere: "the rules answer it as `TransitionNotAllowed`",
    PolicyError: "the region policy is read at start-up; cardflow does not start on one it "
    "cannot use",
    PersonNotFound: "only `cardflow person erase` looks a person up",
    StillHolder: "only `cardflow person erase` raises it",
    LedgerError: "raised as itself only opening a store cardflow cannot use as it is (the "
    "schema missing, a writer role owning tables), at start-up or by a command",
    VersionConflict: "the use cases answer it as `StaleVersion`, or retry",
    DuplicateRequest: "the use cases answer it with the first request's result",
    SubjectTaken: "the use cases answer it as `PersonHoldsCard`",
    SubjectHeld: "only `cardflow person erase` raises it",
    ErasureUnnoted: "only `cardflow person erase` raises it",
    NotHeld: "only `cardflow person erase` raises it",
    ErasedAndWritten: "only `cardflow person erase` erases, and it writes no person",
    KeyRepeated: "the use cases give each draft of an append its own key (`<key>/<i>`)",
    SubjectChanged: "the use cases draft every step for the subject the card's head names",
    NoRoles: "only `cardflow grant-writer` grants",
    ReadOnly: "only search, history and the feed are served from the read-only database, "
    "and they write nothing",
    DatabaseRefused: "only the commands tell the database's refusals in its own words",
    NoDatabase: "only `cardflow audit fsck` opens a database without making one",
    UnknownKey: "keys are revoked by `cardflow keys revoke` only",
    ReadNotGrantable: "keys are made by `cardflow keys create` only",
    SchemaMismatch: "raised opening the database, at start-up or by a command",
    NoteError: "keys and notes are parsed at start-up and by commands; the API only signs",
    MapError: "the ledger gives the card map only SHA-256 digests (card keys, entry hashes)",
    BundleError: "bundles are checked by `cardflow audit verify-bundle` only",
    CosignatureError: "a witness's answer is checked off the request path, and bundles by "
    "`cardflow audit verify-bundle`; a route only reads the cosignatures kept",
    WitnessUnreachable: "witnesses are asked off the request path (a witness down is logged "
    "and asked again), and read by `cardflow audit fsck --witness`",
    ApiError: "a root, raised only as one of its kinds",
    ConfigurationError: "the environment is read at start-up and by commands",
    KeyMissing: "keys are read, and compared with the database's, at start-up",
    KeysDisagree: "keys are read, and compared with the database's, at start-up",
}
"""Every other error class, and why it never reaches a request: one that does anyway is a
bug, answered like any other (500, logged with its traceback)."""


def problem_type(error: Exception) -> ProblemType | None:
    """The problem type ``error`` is answered with; ``None`` for one never served."""
    for kind in type(error).__mro__:
        if kind in SERVED:
            return SERVED[kind]
        if kind in NOT_SERVED:
            return None
    return None


def refusal_problem(
    error: WorkflowError, request_id: str, *, names_holder: bool = False
) -> Problem:
    """The problem a refusal by cardflow's rules becomes; one never served is re-raised.

    The live card a duplicate application's person holds is named (``holder``, and in
    ``detail``) only if ``names_holder``: the caller's key may find any person's card
    (``api.access``); anyone else is told a live card exists and which channels carry its
    next steps.
    """
    kind = problem_type(error)
    if kind is None:
        raise error
    detail = error.detail
    if isinstance(error, PersonHoldsCard) and not names_holder:
        detail = error.unnamed
    said = _Said(detail=detail, request_id=request_id)
    match error:
        case InvalidEvidence():
            return EvidenceProblem(
                **head(kind),
                **said,
                event=error.event,
                channel=error.channel,
                missing=list(error.missing),
                unknown=list(error.unknown),
                unrecognised=error.unrecognised,
                malformed=list(error.malformed),
            )
        case NotPermitted():
            return PermissionProblem(
                **head(kind),
                **said,
                channel=error.channel,
                permitted_channels=list(error.permitted),
            )
        case UnknownName():
            return UnknownNameProblem(**head(kind), **said, valid=list(error.valid))
        case InvalidIdentity():
            return IdentityProblem(**head(kind), **said, check=error.check)
        case ChannelNotAllowed():
            return ChannelProblem(
                **head(kind),
                **said,
                event=error.event,
                channel=error.channel,
                allowed_channels=list(error.allowed),
            )
        case TransitionNotAllowed():
            return TransitionProblem(
                **head(kind),
                **said,
                card_id=error.card_id,
                state=error.state,
                event=error.event,
                channel=error.channel,
                allowed_events=_offer(error),
            )
        case PersonHoldsCard():
            return ConditionProblem(
                **head(kind),
                **said,
                card_id=None,
                state=None,
                event=error.event,
                condition=error.condition,
                holder=error.holder if names_holder else None,
                allowed_events=AllowedEventOut.listing(error.holder_state, error.allowed),
            )
        case ConditionNotMet():
            return ConditionProblem(
                **head(kind),
                **said,
                card_id=error.card_id,
                state=error.state,
                event=error.event,
                condition=error.condition,
                allowed_events=_offer(error),
            )
        case StaleVersion():
            return StaleProblem(
                **head(kind),
                **said,
                card_id=error.card_id,
                expected_version=error.expected if error.expected <= error.actual else None,
                current_version=error.actual,
                state=error.state,
                allowed_events=AllowedEventOut.listing(error.state, error.allowed),
            )
        case _:
            return Problem(**head(kind), **said)


def _offer(error: TransitionNotAllowed | ConditionNotMet) -> list[AllowedEventOut]:
    """What the refusal offers instead: as the rules worked it out for the presenter,
    or, for a refusal made without one, every channel of each event allowed now."""
    if error.offered is not None:
        return AllowedEventOut.offer(error.offered)
    return AllowedEventOut.listing(error.state, error.allowed)


def validation_problem(
    error: RequestValidationError,
    request_id: str,
    *,
    known: Callable[[str], bool] = lambda _name: True,
    content_type: str | None = None,
) -> ValidationProblem:
    """The problem a request that does not fit the schema becomes; no input is echoed.

    A place is named by the contract's own names only: a key the caller made up (an
    unknown field, an evidence key) may be anything, personal data among it, so it is
    shown as ``?``. Malformed JSON is placed by line and column; a body sent with a
    content type other than JSON is told so.
    """
    issues = [_issue(item, error.body, known, content_type) for item in error.errors()]
    return ValidationProblem(
        **head(VALIDATION_ERROR),
        detail="; ".join(f"{_where(issue.loc)}: {issue.msg}" for issue in issues),
        request_id=request_id,
        errors=issues,
    )


_UNNAMED: Final = "?"
"""How a place is shown whose name the caller made up."""


def _issue(
    item: Mapping[str, Any], body: Any, known: Callable[[str], bool], content_type: str | None
) -> ValidationIssue:
    loc = [part if isinstance(part, int) or known(str(part)) else _UNNAMED for part in item["loc"]]
    kind, msg = str(item["type"]), str(item["msg"])
    if kind == "json_invalid" and isinstance(body, str) and len(item["loc"]) == 2:
        at = item["loc"][1]
        line = body.count("\n", 0, at) + 1
        column = at - (body.rfind("\n", 0, at) + 1) + 1
        reason = item.get("ctx", {}).get("error", "")
        loc, msg = ["body"], f"the JSON is malformed at line {line}, column {column}: {reason}"
    elif item["loc"] == ("body",) and content_type is not None and not _is_json(content_type):
        loc, kind = ["header", "content-type"], "content_type"
        msg = (
            "the body is read as JSON only when sent with 'Content-Type: application/json'; "
            "this request named another media type"
        )
    return ValidationIssue(loc=loc, msg=msg, type=kind)


def _is_json(content_type: str) -> bool:
    """Whether ``content_type`` is one FastAPI reads a body as JSON under."""
    media = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def unreadable_body(request_id: str) -> ValidationProblem:
    """The problem a body that cannot be decoded as JSON text becomes."""
    issue = ValidationIssue(loc=["body"], msg="the body is not JSON text", type="json_invalid")
    return ValidationProblem(
        **head(VALIDATION_ERROR),
        detail="body: the body is not JSON text",
        request_id=request_id,
        errors=[issue],
    )


def unkept_text(request_id: str, where: list[str | int]) -> Response:
    """The answer to a path or query holding text cardflow cannot keep (a NUL, a lone
    surrogate), before any handler sees it; the text itself is never echoed."""
    msg = UNKEPT_SAID
    issue = ValidationIssue(loc=where, msg=msg, type="value_error")
    return problem_response(
        ValidationProblem(
            **head(VALIDATION_ERROR),
            detail=f"{'.'.join(str(part) for part in where)}: {msg}",
            request_id=request_id,
            errors=[issue],
        )
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
    return Problem(**head(kind), detail=detail, request_id=request_id)


def too_large(request_id: str, limit: int) -> Response:
    """The answer to a body over ``limit`` bytes, before any of it is read."""
    return problem_response(
        Problem(
            **head(PAYLOAD_TOO_LARGE),
            detail=f"the body is larger than {limit:,} bytes",
            request_id=request_id,
        )
    )


def internal_error(request_id: str) -> Response:
    """The answer to a bug: nothing of the failure leaks, the request id finds the log line."""
    return problem_response(
        Problem(
            **head(INTERNAL_ERROR),
            detail=f"cardflow failed to handle this request; quote request id {request_id}",
            request_id=request_id,
        )
    )


def request_id_of(request: Request) -> str:
    """The id the request-context middleware gave this request."""
    return str(request.state.request_id)


def names_holder(request: Request) -> bool:
    """Whether the request's key may be told which card a person holds (``api.access``)."""
    key = getattr(request.state, "key", None)
    return key is not None and permits(key.role, key.reads, Capability.SEARCH)


async def _on_refusal(request: Request, error: Exception) -> Response:
    assert isinstance(error, WorkflowError)
    return problem_response(
        refusal_problem(error, request_id_of(request), names_holder=names_holder(request))
    )


async def _on_ledger(request: Request, error: Exception) -> Response:
    assert isinstance(error, LedgerError)
    kind = problem_type(error)
    if kind is None:
        raise error
    request_id = request_id_of(request)
    detail = str(error)
    if kind is INTEGRITY_FAILURE:
        # What disagreed is a count, a size or a node's place: never personal data.
        log.critical(
            "ledger integrity failure",
            request_id=request_id,
            method=request.method,
            path=request.url.path,
            error=type(error).__name__,
            what=detail,
        )
        detail = f"{detail}; quote request id {request_id}"
    return problem_response(Problem(**head(kind), detail=detail, request_id=request_id))


async def _on_api(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    if isinstance(error, KeyNotPermitted):
        return problem_response(
            PermissionProblem(
                **head(NOT_PERMITTED),
                detail=error.detail,
                request_id=request_id_of(request),
                channel=None,
                permitted_channels=list(error.permitted_channels),
                capability=error.capability,
                may_read=list(error.may_read),
            )
        )
    if isinstance(error, RateLimited | WorkStopped):
        kind = RATE_LIMITED if isinstance(error, RateLimited) else WORK_STOPPED
        return problem_response(
            Problem(**head(kind), detail=error.detail, request_id=request_id_of(request)),
            headers={"Retry-After": str(error.retry_after)},
        )
    if not isinstance(error, Unauthenticated):
        raise error
    return problem_response(
        Problem(**head(UNAUTHENTICATED), detail=error.detail, request_id=request_id_of(request)),
        headers={"WWW-Authenticate": 'Bearer realm="cardflow"'},
    )


async def _on_invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return problem_response(
        validation_problem(
            error,
            request_id_of(request),
            known=contract_names(request.app).__contains__,
            content_type=request.headers.get("content-type"),
        )
    )


def contract_names(app: Any) -> frozenset[str]:
    """Every name the API's contract gives a place: each field of each schema, each
    parameter, each evidence key, and where they go. Read from the OpenAPI document once
    per app, so a name cardflow adds is known without anyone listing it."""
    cached: frozenset[str] | None = getattr(app.state, "contract_names", None)
    if cached is None:
        document = app.openapi()
        names = {"body", "query", "path", "header", "cookie", *EVIDENCE}
        for schema in document.get("components", {}).get("schemas", {}).values():
            names |= set(schema.get("properties", {}))
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict):
                    names |= {p["name"] for p in operation.get("parameters", [])}
                    names |= {p["name"].lower() for p in operation.get("parameters", [])}
        cached = app.state.contract_names = frozenset(names | _TYPE_TAGS)
    return cached


_TYPE_TAGS: Final = frozenset({"bool", "str", "int", "float", "list", "dict", "none"})
"""The tags pydantic puts in a place to say which member of a union failed."""


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
    OperationalError: on_database,
    InterfaceError: on_database,
    WorkflowError: _on_refusal,
    LedgerError: _on_ledger,
    ApiError: _on_api,
    RequestValidationError: _on_invalid,
    HTTPException: _on_http,
}
"""What ``create_app`` registers; an exception not covered here is a bug (500)."""


class _Said(TypedDict):
    detail: str
    request_id: str


def _where(loc: list[str | int]) -> str:
    return ".".join(str(part) for part in loc)


def _explain(status: int, request: Request) -> str:
    if status == 404:
        return "cardflow has nothing at the path requested; its routes are under /v1 (see /docs)"
    if status == 405:
        route = getattr(request.scope.get("route"), "path", "this path")
        method = request.method if request.method in _METHODS else "the method sent"
        return f"{route} does not take {method}"
    return HTTPStatus(status).description or HTTPStatus(status).phrase


_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
"""The methods a refusal may name: any other is whatever the caller wrote."""
