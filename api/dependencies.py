"""What every handler is handed: the use cases, the audit, who asks, the request's headers.

Every dependency here is a coroutine that does no blocking I/O, so FastAPI runs it on
the event loop instead of handing it to the thread pool; the one read that may block, an
API key not remembered (``api.keys``), goes to a worker thread itself. Each endpoint is
a plain function that blocks, run in one worker thread by ``in_worker_thread``, so a
request costs one hand-off, or two when its key must be read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, ParamSpec, TypeVar

from fastapi import Depends, Header, Request, Security, params
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.access import ACCESS, Capability, check
from api.errors import Unauthenticated as Unauthenticated
from api.keys import ASK_THE_DATABASE, ApiKey, Keys
from api.limits import Limiter, client_bucket, kind_of
from ledger.audit import Audit
from ledger.store import MAX_KEY_LENGTH
from workflow.errors import InvalidRequest, loggable_card_id
from workflow.service import Actor, CardService

_VERSION_TAG: Final = re.compile(r'\s*(?:"(\d{1,18})"|(\d{1,18}))\s*')
_SCHEMES: Final = {
    name.lower(): name
    for name in (
        "Basic",
        "Digest",
        "DPoP",
        "GNAP",
        "HOBA",
        "Mutual",
        "Negotiate",
        "NTLM",
        "OAuth",
        "PrivateToken",
        "SCRAM-SHA-1",
        "SCRAM-SHA-256",
        "vapid",
        "Token",
        "ApiKey",
    )
}
"""The HTTP authentication schemes a refusal may name (IANA's registry, and two that API
clients often send)."""


P = ParamSpec("P")
R = TypeVar("R")


def in_worker_thread(endpoint: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``endpoint``, which blocks, run in one worker thread as a coroutine FastAPI awaits.

    FastAPI hands a plain endpoint to the thread pool, then its answer again to be
    checked against the response model; as a coroutine, the answer (a model the endpoint
    made) is checked and written on the event loop, where that costs no hand-off. The
    signature, the docstring and the name FastAPI documents are ``endpoint``'s own.
    """

    @functools.wraps(endpoint)
    async def in_a_thread(*args: P.args, **kwargs: P.kwargs) -> R:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return in_a_thread


async def card_service(request: Request) -> CardService:
    """The service ``create_app`` was given: one per app, shared by every request."""
    service: CardService = request.app.state.service
    return service


READ_FROM_HEADER: Final = "X-Cardflow-Read-From"
READ_SIZE_HEADER: Final = "X-Cardflow-Read-Size"
READ_HEADERS: Final[dict[str, dict[str, Any]]] = {
    READ_FROM_HEADER: {
        "description": "Where the answer was read: `primary`, or `replica` (the read-only "
        "database, which may lag the primary by its replication delay).",
        "schema": {"type": "string", "enum": ["primary", "replica"]},
    },
    READ_SIZE_HEADER: {
        "description": "Sent with `replica` only: how many entries the replica held just "
        "before the answer was read; the answer reflects at least every one of them.",
        "schema": {"type": "integer"},
    },
}
"""The headers search, history and the feed say where they were read with."""


@dataclass(frozen=True, slots=True)
class Reads:
    """Where a read that may lag is served from: the reader ``create_app`` was given (a
    replica's), else the primary; ``use`` says which in the answer's headers, a refusal
    (a card the replica has not seen yet: 404) among them."""

    primary: CardService
    replica: CardService | None
    request: Request

    def use(self, *, primary: bool = False) -> CardService:
        """The service to read through, the primary's if ``primary`` (a read that must
        agree with what only the primary serves, as proofs against its checkpoint)."""
        said = answer_headers(self.request)
        if self.replica is None or primary:
            said[READ_FROM_HEADER] = "primary"
            return self.primary
        said[READ_FROM_HEADER] = "replica"
        said[READ_SIZE_HEADER] = str(self.replica.ledger.tip().size)
        return self.replica


async def reads(request: Request) -> Reads:
    """Search, history and the feed read through this (see ``Reads``)."""
    return Reads(await card_service(request), request.app.state.reader, request)


def answer_headers(request: Request) -> dict[str, str]:
    """Headers the answer to ``request`` carries, whatever it is (``api.app``'s request
    context sends them, on a problem too)."""
    said: dict[str, str] = request.scope.setdefault("state", {}).setdefault("answer_headers", {})
    return said


async def audit_facade(request: Request) -> Audit:
    """The proofs, checkpoints and checks ``create_app`` was given, one per app."""
    audit: Audit = request.app.state.audit
    return audit


BEARER: Final = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="cf_…",
    description="An API key made with `cardflow keys create`, sent as `Authorization: "
    "Bearer cf_…`.",
    auto_error=False,
)
"""The security scheme the OpenAPI document declares on every authenticated operation;
the header itself is read by ``current_key``, so its refusals stay cardflow's own."""


async def current_key(request: Request, _declared: Annotated[object, Security(BEARER)]) -> ApiKey:
    """The live key behind the request's bearer token; every card route depends on it.
    Read from the database in a worker thread unless read less than
    ``api.keys.KEY_CACHE_SECONDS`` ago."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        raise Unauthenticated("send an API key as 'Authorization: Bearer cf_…'")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated(_not_bearer(scheme))
    if not token.strip():
        raise Unauthenticated("the Bearer credential is empty: send 'Authorization: Bearer cf_…'")
    keys: Keys = request.app.state.keys
    recalled = keys.recall(token.strip())
    key = (
        await run_in_threadpool(keys.authenticate, token.strip())
        if recalled is ASK_THE_DATABASE
        else recalled
    )
    if key is None:
        raise Unauthenticated("the API key is unknown or revoked")
    request.state.principal = key.actor.name
    request.state.key = key
    _count(request, key.key_id, "this key")
    return key


async def current_actor(key: Annotated[ApiKey, Depends(current_key)]) -> Actor:
    """The principal the key stands for, recorded on every entry it writes."""
    return key.actor


Guard = Callable[..., Awaitable[None]]
"""A capability's check: a coroutine, since it reads nothing but the key."""


def _guard(capability: Capability) -> Guard:
    if ACCESS[capability].keyless:

        async def published(request: Request) -> None:
            """No key is asked for, and none is read: the caller is counted by its client
            address, whether it sent a key or not."""
            client = request.client
            _count(request, client_bucket(client.host if client else None), "this client")

        published.__name__ = f"anyone_may_{capability}"
        return published

    async def guard(key: Annotated[ApiKey, Depends(current_key)]) -> None:
        actor = key.actor
        check(actor.name, key.role, key.reads, capability, sorted(actor.permitted()))

    guard.__name__ = f"may_{capability}"
    return guard


GUARDS: Final[Mapping[Capability, Callable[..., Awaitable[None]]]] = {
    c: _guard(c) for c in Capability
}
"""The dependency that checks each capability against ``api.access.ACCESS``."""

ALLOWED: Final[Mapping[Capability, params.Depends]] = {
    c: Depends(guard) for c, guard in GUARDS.items()
}
"""What a route puts in its ``dependencies``: the one capability it needs."""


def capability_of(dependencies: Iterable[params.Depends]) -> Capability | None:
    """The capability a route's ``dependencies`` guard it with, if one does."""
    found = [c for c, guard in GUARDS.items() for d in dependencies if d.dependency is guard]
    return found[0] if len(found) == 1 else None


def _count(request: Request, bucket: str, who: str) -> None:
    """Draw the request from its caller's bucket (a key id, or a client address), if it
    is of a kind that is counted."""
    limiter: Limiter | None = getattr(request.app.state, "limiter", None)
    route = getattr(request.scope.get("route"), "path", request.url.path)
    kind = kind_of(request.method, route, request.query_params)
    if limiter is not None and kind is not None:
        limiter.take(bucket, kind, who=who)


def _not_bearer(scheme: str) -> str:
    """Why a credential of another scheme is refused, naming the scheme only if it is a
    registered one (what a caller wrote there may be anything, a password among it)."""
    if scheme.startswith("cf_"):
        return "the API key needs its scheme: send 'Authorization: Bearer cf_…'"
    named = _SCHEMES.get(scheme.lower())
    given = f"a {named} credential" if named else "a credential of another scheme"
    return f"cardflow takes an API key as 'Authorization: Bearer cf_…', not {given}"


def for_the_log(request: Request, **fields: str | int) -> None:
    """Add ``fields`` to the request's log line: card id, transition, channel, a batch's
    counts -- never personal data. The step counters read them too (``api.vitals``)."""
    logged: dict[str, str | int] = request.scope.setdefault("state", {}).setdefault("logged", {})
    if "card_id" in fields:
        fields["card_id"] = loggable_card_id(str(fields["card_id"]))
    logged.update(fields)


async def if_match_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The card version the caller last read, as its ETag (`"3"`) or bare '
            "(`3`); the transition is refused with 409 if the card has moved on.",
            examples=['"1"'],
        ),
    ] = None,
) -> int | None:
    """The version an ``If-Match`` header names; ``*`` (any version) names none."""
    if if_match is None or if_match.strip() == "*":
        return None
    tagged = _VERSION_TAG.fullmatch(if_match)
    if tagged is None:
        raise InvalidRequest(
            'If-Match takes one card version, as the ETag cardflow sent ("3") or bare (3)'
        )
    return int(tagged.group(1) or tagged.group(2))


Service = Annotated[CardService, Depends(card_service)]
Auditing = Annotated[Audit, Depends(audit_facade)]
Reading = Annotated[Reads, Depends(reads)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentKey = Annotated[ApiKey, Depends(current_key)]
IfMatchVersion = Annotated[int | None, Depends(if_match_version)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Makes the write safe to retry: a retry with the same key (from the same "
        "API key, within a day) returns the first result and writes nothing; the same key "
        "with a different request is refused with 422. Recorded on the ledger entry.",
        examples=["counter-7-2026-03-02-0042"],
    ),
]
