"""``/v1/sweeps``: cardflow's own steps on cards whose deadline has passed, on request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.access import Capability
from api.dependencies import ALLOWED, CurrentActor, Service, in_worker_thread
from api.problems import documented
from api.problems.models import ValidationProblem
from api.sweeps.schemas import SweepOut
from api.vitals.metrics import counted_sweep
from workflow.service import MAX_SWEEP
from workflow.states import Channel

router = APIRouter(prefix="/v1/sweeps", tags=["deadlines"], responses=documented(401, 429, 500))


@router.post(
    "",
    summary="Sweep the deadlines",
    dependencies=[ALLOWED[Capability.SWEEP]],
    responses=documented(403, 422, invalid=ValidationProblem),
)
@in_worker_thread
def sweep(
    service: Service,
    actor: CurrentActor,
    limit: Annotated[
        int, Query(ge=1, le=MAX_SWEEP, description="Take at most this many steps.")
    ] = MAX_SWEEP,
) -> SweepOut:
    """Take cardflow's own step on every card whose deadline has passed: a produced card
    not collected within the collection window is returned, a collected card whose
    financial function is not active within the activation window is reported lost, a
    temporary loss report past its validity lapses. Only a key that may act through the
    `system` channel (roles `system`, `admin`) may ask. Safe to call from several places
    at once and to retry: each step is taken once, whoever asks."""
    actor.authorise(Channel.SYSTEM)
    return SweepOut.of(counted_sweep(service, trigger="request", limit=limit))
