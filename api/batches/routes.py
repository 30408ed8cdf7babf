"""``/v1/batches``: many cards, one event, one channel; every item answered on its own."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Depends, Request

from api.access import Capability
from api.batches.schemas import BatchIn, BatchOut
from api.dependencies import (
    ALLOWED,
    CurrentActor,
    IdempotencyKey,
    Service,
    current_actor,
    for_the_log,
    in_worker_thread,
)
from api.problems import documented, names_holder, refusal_problem, request_id_of
from workflow.service import MAX_BATCH

router = APIRouter(
    prefix="/v1/batches",
    tags=["batches"],
    dependencies=[Depends(current_actor)],
    responses=documented(401, 429, 500),
)

_DESCRIPTION: Final = f"""
An employer's or a community office's applications (`apply`), or an issuing bank's produced
cards (`produce`): 1 to {MAX_BATCH:,} items. Each item is accepted or refused on its own, with
the status and problem it would have had as a request alone; a refused item on an existing
card is noted on its record. The batch's `evidence` is shown once and recorded on every
item's entry, and the `batch_id` is on every entry the batch wrote.

With `Idempotency-Key: K`, item *i* is written under the key `K/i`: a retry (after a
timeout, say) writes only what the first attempt did not and answers for the rest as it
did, under the same `batch_id`. The whole batch is refused (403, 422) only when its channel
is not the caller's or not one that sends batches.
"""


@router.post(
    "",
    summary="Send a batch",
    dependencies=[ALLOWED[Capability.ACT]],
    description=_DESCRIPTION,
    responses={
        200: {"description": "Every item's outcome, in item order."},
        **documented(403, 413, 422),
    },
)
@in_worker_thread
def send_batch(
    body: BatchIn,
    request: Request,
    service: Service,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> BatchOut:
    for_the_log(request, transition=body.event, channel=body.channel)
    batch = body.to_batch(actor, idempotency_key)
    result = service.batch(batch)
    accepted = result.accepted
    for_the_log(
        request,
        batch_id=result.batch_id,
        accepted=accepted,
        refused=len(result.outcomes) - accepted,
    )
    request_id = request_id_of(request)
    named = names_holder(request)
    return BatchOut.of(
        batch, result, lambda refused: refusal_problem(refused, request_id, names_holder=named)
    )
