"""What every handler is handed: the use cases, the audit, who asks, the request's headers."""

from __future__ import annotations

import re
from typing import Annotated, Final

from fastapi import Depends, Header, Request

from api.errors import Unauthenticated as Unauthenticated
from api.keys import Keys
from ledger.audit import Audit
from ledger.store import MAX_KEY_LENGTH
from workflow.errors import InvalidRequest
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


def card_service(request: Request) -> CardService:
    """The service ``create_app`` was given: one per app, shared by every request."""
    service: CardService = request.app.state.service
    return service


def audit_facade(request: Request) -> Audit:
    """The proofs, checkpoints and checks ``create_app`` was given, one per app."""
    audit: Audit = request.app.state.audit
    return audit


def current_actor(
    request: Request,
    authorization: Annotated[
        str | None,
        Header(
            description="`Bearer cf_…`: an API key made with `cardflow keys create`.",
            examples=["Bearer cf_3f9a1c2b7d4e_7nQ2xVbKp9LwRt4Ye6Zs"],
        ),
    ] = None,
) -> Actor:
    """The principal behind the request's bearer token; every card route depends on it."""
    if authorization is None:
        raise Unauthenticated("send an API key as 'Authorization: Bearer cf_…'")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated(_not_bearer(scheme))
    if not token.strip():
        raise Unauthenticated("the Bearer credential is empty: send 'Authorization: Bearer cf_…'")
    keys: Keys = request.app.state.keys
    key = keys.authenticate(token.strip())
    if key is None:
        raise Unauthenticated("the API key is unknown or revoked")
    request.state.principal = key.actor.name
    return key.actor


def _not_bearer(scheme: str) -> str:
    """Why a credential of another scheme is refused, naming the scheme only if it is a
    registered one (what a caller wrote there may be anything, a password among it)."""
    if scheme.startswith("cf_"):
        return "the API key needs its scheme: send 'Authorization: Bearer cf_…'"
    named = _SCHEMES.get(scheme.lower())
    given = f"a {named} credential" if named else "a credential of another scheme"
    return f"cardflow takes an API key as 'Authorization: Bearer cf_…', not {given}"


def for_the_log(request: Request, **fields: str) -> None:
    """Add ``fields`` to the request's log line: card id, transition, channel -- never
    personal data."""
    logged: dict[str, str] = request.scope.setdefault("state", {}).setdefault("logged", {})
    logged.update(fields)


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
Auditing = Annotated[Audit, Depends(audit_facade)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
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
