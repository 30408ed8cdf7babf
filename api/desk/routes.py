"""The desk's doors: signing in and out, the language switch, and its one stylesheet.

Signing in takes a supervisor's or an admin's API key in a form (never in a URL, so it is
in no log and no history), and gives the browser a session cookie instead; the key itself
is not kept. The sign-in form is protected from another site's posting by a cookie it
must repeat (a double submit: no session exists yet to hold a token), every other form by
its session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.desk.language import LANGUAGE_COOKIE, LANGUAGES
from api.desk.render import (
    PAGE_HEADERS,
    PREFIX,
    SESSION_COOKIE,
    SignedIn,
    Trouble,
    back_to,
    desk_of,
    forget_session,
    keep_session,
    render,
)
from api.desk.sessions import DESK_ROLES
from api.errors import RateLimited
from api.keys import Keys
from api.limits import Kind, client_bucket

router = APIRouter(prefix=PREFIX, include_in_schema=False)

STATIC: Final = Path(__file__).parent / "static"
FORM_COOKIE: Final = "cardflow_desk_form"
"""The sign-in form's double-submit cookie."""
MOST_FORM_BYTES: Final = 16 * 1024
"""The largest form the desk reads: a key, a token and a path fit in far less."""
LANGUAGE_YEARS: Final = 365 * 24 * 3600


async def form_of(request: Request) -> dict[str, str]:
    """The fields of a posted form (``application/x-www-form-urlencoded``), the first of
    each name; ``Trouble`` 400 for a form that is not one, or is too large."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Trouble(400, "form")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MOST_FORM_BYTES:
            raise Trouble(413, "form")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=16)
    except (UnicodeDecodeError, ValueError):
        raise Trouble(400, "form") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


@router.get("")
async def index() -> Response:
    return RedirectResponse(f"{PREFIX}/cards", 303, headers=PAGE_HEADERS)


@router.get("/sign-in")
async def sign_in_page(
    request: Request,
    next: str | None = None,
    expired: str | None = None,
    revoked: str | None = None,
) -> Response:
    return _sign_in_form(request, next, notice=_notice(expired, revoked))


def _notice(expired: str | None, revoked: str | None) -> str | None:
    if expired is not None:
        return "expired"
    return "revoked" if revoked is not None else None


def _sign_in_form(
    request: Request,
    after: str | None,
    *,
    status: int = 200,
    problem: str | None = None,
    notice: str | None = None,
) -> Response:
    form_token = secrets.token_urlsafe(24)
    answer = render(
        request,
        "sign_in.html",
        session=None,
        status=status,
        after=back_to(after),
        form_token=form_token,
        problem=problem,
        notice=notice,
    )
    answer.set_cookie(
        FORM_COOKIE,
        form_token,
        path=f"{PREFIX}/sign-in",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return answer


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Trade the key for a session; a wrong key is 401, a key that may not sign in 403,
    a form without its cookie's token 403; 429 after too many attempts from one address."""
    desk = desk_of(request)
    try:
        desk.sign_ins.take(client_bucket(request.client and request.client.host), Kind.WRITE)
    except RateLimited as spent:
        raise Trouble(429, "rate", seconds=spent.retry_after) from None
    fields = await form_of(request)
    after = fields.get("next")
    expected = request.cookies.get(FORM_COOKIE)
    offered = fields.get("csrf", "")
    if expected is None or not hmac.compare_digest(expected.encode(), offered.encode()):
        return _sign_in_form(request, after, status=403, problem="form")
    keys: Keys = request.app.state.keys
    token = fields.get("key", "").strip()
    key = await run_in_threadpool(keys.authenticate, token) if token else None
    if key is None:
        return _sign_in_form(request, after, status=401, problem="key")
    if key.role not in DESK_ROLES:
        return _sign_in_form(request, after, status=403, problem="role")
    session = await run_in_threadpool(desk.sessions.open, key)
    answer = RedirectResponse(back_to(after), 303, headers=PAGE_HEADERS)
    keep_session(answer, request, session)
    answer.delete_cookie(FORM_COOKIE, path=f"{PREFIX}/sign-in")
    return answer


@router.post("/sign-out")
async def sign_out(request: Request, session: SignedIn) -> Response:
    """End the session (its form's CSRF token checked) and drop its cookie."""
    fields = await form_of(request)
    if not session.takes(fields.get("csrf")):
        raise Trouble(403, "csrf")
    await run_in_threadpool(desk_of(request).sessions.close, session.token)
    answer = RedirectResponse(f"{PREFIX}/sign-in", 303, headers=PAGE_HEADERS)
    forget_session(answer, request)
    return answer


@router.get("/language")
async def switch_language(request: Request, to: str = "", back: str | None = None) -> Response:
    """Read the desk in ``to`` from now on, and go ``back`` (a desk page). A choice of
    how to read changes nothing on the server, so it needs no session and no form."""
    if to not in LANGUAGES:
        raise Trouble(400, "language", given=to[:32])
    answer = RedirectResponse(back_to(back), 303, headers=PAGE_HEADERS)
    answer.set_cookie(
        LANGUAGE_COOKIE,
        to,
        max_age=LANGUAGE_YEARS,
        path=PREFIX,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return answer


@router.get("/static/desk.css")
async def stylesheet() -> Response:
    return FileResponse(STATIC / "desk.css", media_type="text/css", headers=PAGE_HEADERS)


__all__ = ["SESSION_COOKIE", "router"]
