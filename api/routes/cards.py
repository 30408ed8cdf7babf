"""``/v1/cards``: apply for a card, read it, move it one step, read its history."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from api.dependencies import (
    Auditing,
    CurrentActor,
    IdempotencyKey,
    IfMatchVersion,
    Service,
    current_actor,
    for_the_log,
)
from api.problems import documented
from api.schemas import ApplicationIn, CardOut, FoundOut, HistoryOut, SearchOut, TransitionIn
from workflow.errors import InvalidRequest
from workflow.service import MAX_PAGE, Search
from workflow.states import Channel, Event, State

router = APIRouter(
    prefix="/v1/cards",
    tags=["cards"],
    dependencies=[Depends(current_actor)],
    responses=documented(401, 500),
)

_CURSOR_PREFIX: Final = "opened:"

_ETAG: Final[dict[str, Any]] = {
    "description": 'The card\'s version, quoted (`"3"`): send it back as `If-Match`.',
    "schema": {"type": "string"},
}


@router.post(
    "",
    status_code=201,
    summary="Apply for a card",
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
    `condition-not-met`, `holder` naming the card); a lost card is replaced by `reissue`."""
    for_the_log(request, transition=Event.APPLY, channel=body.channel)
    card = service.apply(body.applicant.to_applicant(), body.to_step(actor, idempotency_key))
    for_the_log(request, card_id=card.card_id)
    response.headers["Location"] = f"{router.prefix}/{card.card_id}"
    response.headers["ETag"] = _etag(card.version)
    return CardOut.of(card)


@router.get(
    "",
    summary="Search cards",
    responses=documented(403, 422),
)
def search_cards(
    service: Service,
    actor: CurrentActor,
    state: Annotated[list[State], Query(description="Cards in any of these states.")] = [],  # noqa: B006
    channel: Annotated[
        list[Channel], Query(description="Cards moved through any of these channels.")
    ] = [],  # noqa: B006
    region: Annotated[
        list[str], Query(max_length=64, description="Cards kept under any of these regions.")
    ] = [],  # noqa: B006
    financial: Annotated[
        Literal["active", "inactive"] | None,
        Query(description="Cards whose financial (bank) function is active, or is not."),
    ] = None,
    opened_from: Annotated[AwareDatetime | None, Query(description="Opened at or after.")] = None,
    opened_before: Annotated[AwareDatetime | None, Query(description="Opened before.")] = None,
    updated_from: Annotated[
        AwareDatetime | None, Query(description="Last moved at or after.")
    ] = None,
    updated_before: Annotated[AwareDatetime | None, Query(description="Last moved before.")] = None,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Cards per page.")] = 50,
) -> SearchOut:
    """Supervisors' search (supervisor and admin keys): cards by state, channel, region,
    financial function and dates, oldest opened first. Pages are stable: a card opened
    while you page appears on a later page, never twice and never out of order."""
    page = service.search(
        actor,
        Search(
            states=frozenset(state),
            channels=frozenset(channel),
            regions=frozenset(region),
            financial=None if financial is None else financial == "active",
            opened_from=opened_from,
            opened_before=opened_before,
            updated_from=updated_from,
            updated_before=updated_before,
            after=0 if cursor is None else _position(cursor),
            limit=limit,
        ),
    )
    return SearchOut(
        cards=[FoundOut.found(found) for found in page.found],
        next_cursor=None if page.after is None else _cursor(page.after),
    )


@router.get(
    "/{card_id}",
    summary="Read a card",
    responses={200: {"headers": {"ETag": _ETAG}}, **documented(404)},
)
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
    responses={200: {"headers": {"ETag": _ETAG}}, **documented(403, 404, 409, 413, 422)},
)
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


@router.get("/{card_id}/history", summary="Read a card's history", responses=documented(404))
def read_history(
    card_id: str,
    request: Request,
    service: Service,
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
) -> HistoryOut:
    """The card's ledger entries, oldest first, every field as hashed; with
    `proofs=true`, a signed checkpoint and each entry's Merkle inclusion proof."""
    for_the_log(request, card_id=card_id)
    entries = service.history(card_id, refusals=include_refusals)
    if not proofs:
        return HistoryOut.of(card_id, entries)
    signed, paths = audit.prove(entries)
    return HistoryOut.of(card_id, entries, checkpoint=signed, proofs=paths)


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode()


def _position(cursor: str) -> int:
    try:
        said = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError):
        said = ""
    number = said.removeprefix(_CURSOR_PREFIX)
    if not said.startswith(_CURSOR_PREFIX) or not number.isdigit() or len(number) > 18:
        raise InvalidRequest("the cursor is not one cardflow gave: pass next_cursor as it came")
    return int(number)


def _etag(version: int) -> str:
    return f'"{version}"'


def _agreed_version(in_body: int | None, in_header: int | None) -> int | None:
    if in_body is not None and in_header is not None and in_body != in_header:
        raise InvalidRequest(
            f"expected_version {in_body} and If-Match {in_header} disagree; send one of them"
        )
    return in_body if in_body is not None else in_header
