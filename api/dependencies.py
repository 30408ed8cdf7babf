"""What every handler is handed: the service, who is asking, and the request's headers."""

from __future__ import annotations

import re
from typing import Annotated, Final

from fastapi import Depends, Header, Request

from workflow.errors import InvalidRequest
from workflow.service import Actor, CardService
from workflow.states import Role

API_ACTOR: Final = Actor("api", Role.CLERK)

_VERSION_TAG: Final = re.compile(r'\s*(?:"(\d{1,18})"|(\d{1,18}))\s*')


def card_service(request: Request) -> CardService:
    """The service ``create_app`` was given: one per app, shared by every request."""
    service: CardService = request.app.state.service
    return service


def current_actor() -> Actor:
    """Who is asking: for now, every caller is the clerk ``api``.

    Authentication arrives with API keys, and this dependency is where it will land:
    it will resolve the caller's credentials to a principal with a role and the
    channels it may act through. Every write handler already takes its actor from
    here, so that change reshapes no endpoint.
    """
    return API_ACTOR


def if_match_version(
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
CurrentActor = Annotated[Actor, Depends(current_actor)]
IfMatchVersion = Annotated[int | None, Depends(if_match_version)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Recorded on the ledger entry; a retry with the same key will return the "
        "first result.",
        examples=["counter-7-2026-03-02-0042"],
    ),
]
