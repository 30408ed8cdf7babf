"""``/v1/ledger``: the feed other systems follow, and the check supervisors run."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query

from api.dependencies import Service, current_actor
from api.problems import documented
from api.schemas import FeedOut, ValidationProblem, VerifyOut

FEED_LIMIT: Final = 100
FEED_LIMIT_MAX: Final = 1000
_LARGEST_SEQ: Final = 2**63 - 1

router = APIRouter(
    prefix="/v1/ledger",
    tags=["ledger"],
    dependencies=[Depends(current_actor)],
    responses=documented(401, 500),
)


@router.get(
    "/entries",
    summary="Follow the ledger",
    responses=documented(422, invalid=ValidationProblem),
)
def feed(
    service: Service,
    after: Annotated[
        int,
        Query(ge=0, le=_LARGEST_SEQ, description="Return entries after this sequence number."),
    ] = 0,
    limit: Annotated[
        int, Query(ge=1, le=FEED_LIMIT_MAX, description="At most this many entries.")
    ] = FEED_LIMIT,
) -> FeedOut:
    """Entries in sequence order. Ask again with `after=next_after` to follow the ledger:
    sequence numbers are gapless, so a follower never misses an entry."""
    return FeedOut.of(service.feed(after=after, limit=limit), after=after)


@router.get("/verify", summary="Verify the ledger")
def verify(service: Service) -> VerifyOut:
    """Recompute every hash and link and compare every card with a replay of its entries.
    The answer is 200 either way: `ok` says whether anything was found wrong."""
    return VerifyOut.of(service.verify())
