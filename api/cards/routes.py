"""``/v1/cards``: apply for a card, read it, move it one step, read its history."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request, Response

from api.access import Capability
from api.bounds import keep_going
from api.cards.schemas import (
    ApplicationIn,
    CardOut,
    FoundOut,
    HistoryOut,
    SearchOut,
    TransitionIn,
)
from api.cards.search import SearchCriteria, cursor
from api.dependencies import (
    ALLOWED,
    READ_HEADERS,
    Auditing,
    CurrentActor,
    IdempotencyKey,
    IfMatchVersion,
    Reading,
    Service,
    current_actor,
    for_the_log,
    in_worker_thread,
)
from api.problems import documented
from workflow.errors import InvalidRequest
from workflow.states import Event

router = APIRouter(
    prefix="/v1/cards",
    tags=["cards"],
    dependencies=[Depends(current_actor)],
    responses=documented(401, 429, 500),
)

HISTORY_LIMIT: Final = 100
HISTORY_LIMIT_MAX: Final = 1000
_LARGEST_SEQ: Final = 2**63 - 1

_ETAG: Final[dict[str, Any]] = {
    "description": 'The card\'s version, quoted (`"3"`): send it back as `If-Match`.',
    "schema": {"type": "string"},
}


@router.post(
    "",
    status_code=201,
    summary="Apply for a card",
    dependencies=[ALLOWED[Capability.ACT]],
    responses={
        201: {
            "description": "The card, opened in `applied`.",
            "headers": {
                "Location": {"description": "The card's URL.", "schema": {"type": "string"}},
                "ETag": _ETAG,
            },
        },
        **documented(403, 409, 413, 422),
    },
)
@in_worker_thread
def apply(
    body: ApplicationIn,
    request: Request,
    response: Response,
    service: Service,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> CardOut:
    """Open a card in `applied`. The applicant's personal data is kept apart from the
    ledger and never returned: every response names the card only. A person holds one
    live card at most: applying for someone who holds one is refused (409,
    `condition-not-met`, with that card's `allowed_events`; `holder` names the card only to
    keys that may search every card); a lost card is replaced by `reissue`."""
    for_the_log(request, transition=Event.APPLY, channel=body.channel)
    card = service.apply(body.applicant.to_applicant(), body.to_step(actor, idempotency_key))
    for_the_log(request, card_id=card.card_id)
    response.headers["Location"] = f"{router.prefix}/{card.card_id}"
    response.headers["ETag"] = _etag(card.version)
    return CardOut.of(card)


@router.get(
    "",
    summary="Search cards",
    dependencies=[ALLOWED[Capability.SEARCH]],
    responses={200: {"headers": READ_HEADERS}, **documented(403, 422)},
)
@in_worker_thread
def search_cards(reads: Reading, criteria: SearchCriteria) -> SearchOut:
    """Supervisors' search (supervisor and admin keys): cards by state, channel, region,
    financial function and dates, oldest opened first. Pages are stable: a card opened
    while you page appears on a later page, never twice and never out of order. Served
    from the read-only database if there is one (`X-Cardflow-Read-From`)."""
    page = reads.use().search(criteria)
    return SearchOut(
        cards=[FoundOut.found(found) for found in page.found],
        next_cursor=None if page.after is None else cursor(page.after),
    )


@router.get(
    "/{card_id}",
    summary="Read a card",
    dependencies=[ALLOWED[Capability.CARD]],
    responses={200: {"headers": {"ETag": _ETAG}}, **documented(404)},
)
@in_worker_thread
def read_card(card_id: str, request: Request, response: Response, service: Service) -> CardOut:
    """The card's state and version, and the events allowed now with the channels that
    may carry each."""
    for_the_log(request, card_id=card_id)
    card = service.card(card_id)
    response.headers["ETag"] = _etag(card.version)
    return CardOut.of(card)


@router.post(
    "/{card_id}/transitions",
    summary="Move a card one step",
    dependencies=[ALLOWED[Capability.ACT]],
    responses={200: {"headers": {"ETag": _ETAG}}, **documented(403, 404, 409, 413, 422)},
)
@in_worker_thread
def move_card(
    card_id: str,
    body: TransitionIn,
    request: Request,
    response: Response,
    service: Service,
    actor: CurrentActor,
    if_match: IfMatchVersion,
    idempotency_key: IdempotencyKey = None,
) -> CardOut:
    """Apply one event through one channel with its evidence. With `expected_version`
    (or `If-Match`) the step happens only if the card is still at that version."""
    for_the_log(request, card_id=card_id, transition=body.event, channel=body.channel)
    card = service.transition(
        card_id,
        body.to_step(actor, idempotency_key),
        expected_version=_agreed_version(body.expected_version, if_match),
    )
    response.headers["ETag"] = _etag(card.version)
    return CardOut.of(card)


@router.get(
    "/{card_id}/history",
    summary="Read a card's history",
    dependencies=[ALLOWED[Capability.HISTORY]],
    responses={200: {"headers": READ_HEADERS}, **documented(403, 404, 503)},
)
@in_worker_thread
def read_history(
    card_id: str,
    request: Request,
    response: Response,
    reads: Reading,
    audit: Auditing,
    include_refusals: Annotated[
        bool,
        Query(
            description="Also show refused attempts (entries of kind `refusal`): who tried "
            "what, through which channel, and why it was refused."
        ),
    ] = False,
    proofs: Annotated[
        bool,
        Query(
            description="Also give a signed checkpoint covering every entry, and each "
            "entry's inclusion proof against it: the history checks out offline."
        ),
    ] = False,
    limit: Annotated[
        int,
        Query(ge=1, le=HISTORY_LIMIT_MAX, description="At most this many entries a page."),
    ] = HISTORY_LIMIT,
    after: Annotated[
        int,
        Query(
            ge=0,
            le=_LARGEST_SEQ,
            description="Entries after this sequence number: `next_after` of the previous page.",
        ),
    ] = 0,
) -> HistoryOut:
    """The card's ledger entries, oldest first, every field as hashed, a page at a time
    (follow `next`, or the `Link` header, to the end); with `proofs=true`, a signed
    checkpoint and each entry's Merkle inclusion proof. Served from the read-only
    database if there is one (`X-Cardflow-Read-From`), except with `proofs=true`: the
    entries and their proofs then come from the primary, which signs the checkpoint."""
    for_the_log(request, card_id=card_id)
    found = reads.use(primary=proofs).history_page(
        card_id, refusals=include_refusals, after=after, limit=limit + 1
    )
    entries, more = found[:limit], len(found) > limit
    next_page = None
    if more:
        last = entries[-1].seq
        following = request.url.include_query_params(after=last)
        url = f"{following.path}?{following.query}"
        next_page = (last, url)
        response.headers["Link"] = f'<{url}>; rel="next"'
    if not proofs:
        return HistoryOut.of(card_id, entries, next_page=next_page)
    keep_going(request)
    signed, paths = audit.prove(entries)
    keep_going(request)
    return HistoryOut.of(card_id, entries, checkpoint=signed, proofs=paths, next_page=next_page)


def _etag(version: int) -> str:
    return f'"{version}"'


def _agreed_version(in_body: int | None, in_header: int | None) -> int | None:
    if in_body is not None and in_header is not None and in_body != in_header:
        raise InvalidRequest(
            "expected_version and If-Match name different versions; send one of them"
        )
    return in_body if in_body is not None else in_header
