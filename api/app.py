"""The HTTP API, wired in one place: the features' routers, problem handlers, request context."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any, Final
from urllib.parse import parse_qsl

import structlog
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import access
from api.access import Capability
from api.batches.routes import router as batches
from api.bounds import RequestDeadline
from api.cards.routes import router as cards
from api.config import (
    DEFAULT_REQUEST_SECONDS,
    database_url,
    desk_sessions,
    desk_time_zone,
    open_runtime,
    rate_limits,
    read_database_url,
    request_seconds,
    sweep_every,
)
from api.dependencies import capability_of
from api.desk import Desk, mount_desk
from api.desk.sessions import MemoryStore, Sessions, SqlStore
from api.docs import mount_docs
from api.keys import Keys
from api.ledger.routes import router as ledger
from api.ledger.runs import MemoryRuns, SqlRuns, VerifyJob
from api.lifeline import bind_to_supervisor
from api.limits import Limiter
from api.logs import configure_logging
from api.problems import (
    EXCEPTION_HANDLERS,
    PROBLEM_JSON,
    contract_names,
    internal_error,
    names_a_problem,
    problem_types_markdown,
    too_large,
    unkept_text,
)
from api.shared import UNKEPT
from api.sweeps.routes import router as sweeps
from api.vitals.metrics import answered, scheduled_sweep
from api.vitals.routes import router as vitals
from api.workflow.routes import router as workflow
from ledger.audit import Audit
from workflow.definition import DEFINITION_VERSION
from workflow.service import CardService

log = structlog.get_logger()

REQUEST_ID_HEADER: Final = "X-Request-ID"
CHECKPOINT_POLL: Final = 1.0
"""Seconds between looks at whether a checkpoint is due (the cadence decides)."""
MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""The largest body taken: a batch of 10,000 applications is about 3 MiB."""
_ACCEPTABLE_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")
RESPONSE_HEADERS: Final = {
    # Card and ledger data must not stay in a browser's or a proxy's cache.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
"""Headers on every response cardflow sends, errors and documentation included."""

_FASTAPI_422: Final = {"$ref": "#/components/schemas/HTTPValidationError"}
_VALIDATION_PROBLEM: Final = {"$ref": "#/components/schemas/ValidationProblem"}

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

DESCRIPTION: Final = f"""
cardflow runs the life of a social security card as an explicit state machine and
writes every step, with the channel it came through, to an append-only, hash-chained
audit ledger.

- **Personal data goes in, never out.** The applicant's name and ID number are taken
  on apply and kept apart from the ledger; every response names the card only.
- **Optimistic concurrency.** Card responses carry `ETag: "<version>"`; a transition
  with `expected_version` (or `If-Match`) is refused with 409 if the card moved on.
- **Writes accept `Idempotency-Key`**: a retry with the same key gets the first
  response and writes nothing; the same key with another request is refused (422).
- **Every request has an id**: the caller's `X-Request-ID`, or a new one, returned
  in the same header and on every log line and problem.
- **No anonymous access to card data.** Send an API key as `Authorization: Bearer
  cf_…` (made with `cardflow keys create`). A key is a principal with a role (`clerk`,
  `system`, `supervisor`, `admin`), the channels it may act through and the reads it was
  made with: supervisors read only, a key is refused (403) on a channel that is not its
  own, and each operation below says which keys may call it (a clerk reads a card's
  state, not its history, the feed, the proofs, the search or the check). Only
  `/v1/workflow`, the published checkpoint, keys and proofs, the vital signs
  (`/healthz`, `/readyz`, `/metrics`) and these docs are public.

The rules served by `/v1/workflow` are definition version `{DEFINITION_VERSION}`.

## Problems

Every error is `{PROBLEM_JSON}` (RFC 9457) with a stable `type`, a `title`, the
`status`, a `detail` for people and the `request_id`. A 500 is always a bug; a 503 is
`integrity-failure` (the stored ledger was found disagreeing with itself),
`work-stopped` or `database-unavailable` (retry after `Retry-After`, with the same
`Idempotency-Key`).

{problem_types_markdown()}"""

TAGS: Final = [
    {"name": "cards", "description": "Apply for a card, read it, move it, read its history."},
    {
        "name": "batches",
        "description": "Many cards at once: applications from a unit, cards from a bank.",
    },
    {"name": "ledger", "description": "Follow the ledger in order, and verify it."},
    {
        "name": "deadlines",
        "description": "cardflow's own steps on cards whose deadline has passed.",
    },
    {"name": "workflow", "description": "The lifecycle and its rules, from the definition."},
    {"name": "vitals", "description": "For operators: alive, ready to serve, and the metrics."},
]


ROUTERS: Final = (cards, batches, ledger, sweeps, workflow, vitals)
"""Every feature's router, in the order the app includes them."""


def routes() -> list[tuple[str, str, Capability | None]]:
    """Every operation the routers serve: method, path and the capability guarding it."""
    return [
        (method, route.path, capability_of(route.dependencies))
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    ]


def access_section() -> str:
    """What the README shows between its access markers: the table ``api.access`` keeps,
    a row per route the app serves (and one for the 409's ``holder``)."""
    rows = [(f"`{method} {path}`", c) for method, path, c in routes() if c is not None]
    rows.append(("`holder` in a duplicate application's 409 (apply, batch)", Capability.SEARCH))
    return access.markdown(rows)


def with_access_section(readme: str) -> str:
    """``readme`` with the text between the access markers regenerated."""
    return access.with_section(readme, access_section())


class CardflowAPI(FastAPI):
    """FastAPI, with every error documented as the problem+json cardflow really sends."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = super().openapi()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        answer = content.get("application/json", {})
                        if status[:1] in ("4", "5") and names_a_problem(answer.get("schema", {})):
                            content[PROBLEM_JSON] = content.pop("application/json")
                            if content[PROBLEM_JSON].get("schema") == _FASTAPI_422:
                                content[PROBLEM_JSON]["schema"] = _VALIDATION_PROBLEM
            for method, path, capability in routes():
                operation = schema["paths"].get(path, {}).get(method.lower())
                if operation is not None and capability is not None:
                    said = operation.get("description", "")
                    operation["description"] = f"{said}\n\n{access.roles_line(capability)}".strip()
            components = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
        return super().openapi()


class RequestContext:
    """Give each request an id, log one line for it, and answer a bug with a 500 problem.

    Plain ASGI rather than ``BaseHTTPMiddleware``: the id is bound with
    ``structlog.contextvars`` here, and the handler (run in a worker thread) inherits
    it, so every log line the request causes carries it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers.update(RESPONSE_HEADERS)
                headers.update(scope["state"].get("answer_headers", {}))
            await send(message)

        began = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("request failed", method=scope["method"], path=_route_of(scope))
                if started:
                    raise
                await internal_error(request_id)(scope, receive, send_with_id)
            finally:
                route, seconds = _route_of(scope), time.perf_counter() - began
                logged = scope["state"].get("logged", {})
                (log.error if status >= 500 else log.info)(
                    "request",
                    method=scope["method"],
                    path=route,
                    principal=scope["state"].get("principal"),
                    **logged,
                    status=status,
                    duration_ms=round(seconds * 1000, 3),
                )
                answered(scope["method"], route, status, seconds, logged)


def _route_of(scope: Scope) -> str:
    """The request's route as the app declares it (``/v1/cards/{card_id}``), never the
    path as sent: a caller may put anything in a path, an ID number among it."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "(no route)"


def _unkept_in_target(scope: Scope) -> list[str | int] | None:
    """Where the request's path or query holds text cardflow cannot keep, if it does."""
    if UNKEPT.search(scope["path"]):
        return ["path"]
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if UNKEPT.search(name) or UNKEPT.search(value):
            return ["query", name if name in contract_names(scope["app"]) else "?"]
    return None


METHODS: Final = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def methods_at(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route takes at the scope's path, and ``OPTIONS``; none if no
    route is there. Asked of each route as the router would ask it, so included
    routers, path converters and mounts answer for themselves."""
    methods: set[str] = set()
    for route in routes:
        taken = {m for m in METHODS if route.matches({**scope, "method": m})[0] is Match.FULL}
        if isinstance(route, Mount) and taken:
            taken = {"GET", "HEAD"}  # the documentation's static files take reads only
        methods |= taken
    return sorted(methods | {"OPTIONS"}) if methods else []


class Methods:
    """Answer ``OPTIONS`` on any path with the methods it takes, and have a 405 name all
    of them (Starlette's names only those of the first route that matched the path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routes = scope["app"].router.routes
        if scope["method"] == "OPTIONS":
            allowed = methods_at(routes, scope)
            if allowed:
                answer = Response(status_code=204, headers={"Allow": ", ".join(allowed)})
                await answer(scope, receive, send)
                return

        async def send_allowed(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                MutableHeaders(scope=message)["Allow"] = ", ".join(methods_at(routes, scope))
            await send(message)

        await self.app(scope, receive, send_allowed)


class BodyLimit:
    """Refuse a request body over ``max_bytes`` with 413, whether declared or streamed,
    and a path or query holding text no field may hold (a NUL, a lone surrogate) with 422.

    A declared ``Content-Length`` over the limit is answered before a byte is read; a
    body sent without one is counted as it arrives and refused once it passes the limit,
    before any handler has seen it -- so nothing is written.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _unkept_in_target(scope)
        if where is not None:
            await unkept_text(scope["state"]["request_id"], where)(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            refusal = too_large(scope["state"]["request_id"], self.max_bytes)
            await refusal(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, f"the body is larger than {self.max_bytes:,} bytes")
            return message

        await self.app(scope, counted, send)


def create_app(
    service: CardService,
    keys: Keys,
    audit: Audit,
    *,
    lifespan: Lifespan | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    limiter: Limiter | None = None,
    verify_job: VerifyJob | None = None,
    request_seconds: float | None = DEFAULT_REQUEST_SECONDS,
    reader: CardService | None = None,
    desk: Desk | None = None,
) -> FastAPI:
    """The API over ``service`` and ``audit``, callers known by ``keys``; ``lifespan``
    runs around the server's life (e.g. to close connections); bodies over
    ``max_body_bytes`` get 413; ``limiter`` counts each key's requests (none: no limit);
    ``verify_job`` runs the whole-ledger check (by default in this process, its runs kept
    in memory); a long read past ``request_seconds`` is stopped (``api.bounds``);
    ``reader``, the use cases over a read-only replica, serves search, history and the
    feed (``api.dependencies.Reads``); ``desk``, the supervisor's desk's sessions and zone
    (by default its sessions kept in memory, their keys read from ``keys``)."""
    app = CardflowAPI(
        title="cardflow",
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.reader = reader
    app.state.keys = keys
    app.state.audit = audit
    app.state.limiter = limiter
    app.state.verify_job = verify_job or VerifyJob(audit, MemoryRuns())
    for error, handler in EXCEPTION_HANDLERS.items():
        app.add_exception_handler(error, handler)
    for router in ROUTERS:
        app.include_router(router)
    mount_docs(app)
    mount_desk(app, desk or Desk(Sessions(MemoryStore(), keys)))
    app.add_middleware(Methods)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(RequestDeadline, seconds=request_seconds)
    app.add_middleware(RequestContext)
    return app


def app_from_environment() -> FastAPI:
    """The app ``cardflow serve`` runs (a uvicorn factory): the ledger at the configured URL.

    Each worker process calls this, so it configures logging itself and closes its
    connections when the server stops.
    """
    configure_logging()
    bind_to_supervisor()
    runtime = open_runtime(database_url(), read_url=read_database_url())
    every = sweep_every()
    job = VerifyJob(runtime.audit, SqlRuns(runtime.ledger.engine))
    schedule: list[tuple[Callable[[], object], float]] = [
        (runtime.audit.checkpoint_if_due, CHECKPOINT_POLL)
    ]
    if runtime.audit.witnessing.witnesses:
        schedule.append((runtime.audit.witness, CHECKPOINT_POLL))
    if every is not None:
        schedule.append((scheduled_sweep(runtime.service), every))

    @asynccontextmanager
    async def running(_app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(on_schedule(job, seconds)) for job, seconds in schedule]
        try:
            yield
        finally:
            job.stop()
            for task in tasks:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            runtime.close()

    return create_app(
        runtime.service,
        runtime.keys,
        runtime.audit,
        lifespan=running,
        limiter=Limiter(rate_limits()),
        verify_job=job,
        request_seconds=request_seconds(),
        reader=runtime.reader,
        desk=Desk(
            Sessions(SqlStore(runtime.ledger.engine), runtime.keys, *desk_sessions()),
            desk_time_zone(),
        ),
    )


async def on_schedule(job: Callable[[], object], every: float) -> None:
    """Run ``job`` every ``every`` seconds, for as long as the server runs: the deadline
    sweep, the checkpoint signer (which signs only when its cadence says so) and the
    witnesses' round (which asks only those that have not cosigned the latest).

    The job runs in a worker thread, so requests go on meanwhile; a run that fails (the
    database briefly gone, say) is logged and the next one tries again. Several workers
    running one job at once take each step, and sign each size, once.
    """
    while True:
        await asyncio.sleep(every)
        try:
            await run_in_threadpool(job)
        except Exception:
            log.exception("scheduled job failed", job=getattr(job, "__name__", str(job)))


def _request_id(offered: str | None) -> str:
    if offered is not None and _ACCEPTABLE_REQUEST_ID.fullmatch(offered):
        return offered
    return str(uuid.uuid4())
