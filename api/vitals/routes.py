"""``/healthz``, ``/readyz`` and ``/metrics``: what operators and their probes ask, no key
needed, answering with counts and checks only (no card, person or key).

Unlike the other routes these are coroutines: each look at the database runs in a
worker thread that the answer does not wait for past its bound (``api.vitals.looks``),
so a probe hears "not ready" in time, never a hang or a 500, whatever the database does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.access import Capability
from api.dependencies import ALLOWED, Auditing, Service
from api.problems import documented
from api.vitals.readiness import readiness
from api.vitals.schemas import HealthOut, ReadyOut
from api.vitals.scrape import exposition, read_figures

router = APIRouter(tags=["vitals"], responses=documented(500))

_TEXT: Final = {"schema": {"type": "string"}}


@router.get("/healthz", summary="Is the process up", dependencies=[ALLOWED[Capability.VITALS]])
async def healthz() -> HealthOut:
    """200 while the process answers; nothing else is looked at (the database neither):
    a liveness probe restarts a process that stops answering, not one whose database
    is away."""
    return HealthOut()


@router.get(
    "/readyz",
    summary="Can the process serve",
    dependencies=[ALLOWED[Capability.VITALS]],
    responses={
        200: {"description": "Every check holds."},
        503: {"model": ReadyOut, "description": "A check fails: each says why. Not an error."},
    },
)
async def readyz(response: Response, service: Service, audit: Auditing) -> ReadyOut:
    """200 when the database answers a query within a second, its schema is
    at this cardflow's migrations' head, and the log key checkpoints are signed with is
    loaded; else 503 with the same body, each check saying what failed."""
    said = await readiness(service.ledger, audit)
    response.status_code = 200 if said.ready else 503
    return ReadyOut.of(said)


@router.get(
    "/metrics",
    summary="Metrics for Prometheus",
    dependencies=[ALLOWED[Capability.VITALS]],
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus' text format (OpenMetrics when the scraper asks for it).",
            "content": {"text/plain": _TEXT, "application/openmetrics-text": _TEXT},
        }
    },
)
async def metrics(request: Request, service: Service) -> Response:
    """Steps by event, channel and outcome; request times by route; problems answered by
    kind; deadline sweeps; and, read now, the ledger's size and its latest checkpoint's
    size and age (left out, with `cardflow_ledger_up 0`, when the ledger cannot be read).
    Under `serve --workers N`, every worker's counts."""
    figures = await read_figures(service.ledger)
    now = datetime.now(UTC)
    body, content_type = await run_in_threadpool(
        exposition, figures, now, request.headers.get("accept")
    )
    return Response(body, media_type=content_type)
