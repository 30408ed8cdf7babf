"""What every desk page shares: the desk's own state, the supervisor's language, the
session a page is read in, and the one way a page (or a refusal) becomes HTML.

A page is rendered in the language ``negotiate`` picks (the switch's cookie, else
``Accept-Language``), with the ``Words`` of that language for states, events and
channels, and times in the desk's zone. Every page is sent with a policy that lets it
load nothing but cardflow's own stylesheet and run no script at all, so text a caller put
in the ledger can never act in a supervisor's browser even if escaping failed.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.config import DEFAULT_DESK_TIME_ZONE
from api.desk.language import LANGUAGE_COOKIE, LANGUAGES, environment, html_lang, negotiate
from api.desk.sessions import Ended, Session, Sessions
from api.desk.words import Words
from api.errors import RateLimited
from api.limits import Kind, Limiter, Rate
from api.vitals.metrics import refused

PREFIX: Final = "/ui"
SESSION_COOKIE: Final = "cardflow_desk"
PAGE_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
"""Sent with every desk answer: no script runs, nothing loads from elsewhere, no page
frames the desk (a click-jacking site could otherwise post its forms)."""
SIGN_IN_RATE: Final = Rate(per_minute=10, burst=10)
"""Sign-in attempts one client address may make: a person mistyping a key, not a script."""


@dataclass(frozen=True, slots=True)
class Desk:
    """The desk's own state, one per app: its sessions, the supervisor's time zone, and
    the sign-in attempts each client address has left."""

    sessions: Sessions
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_DESK_TIME_ZONE))
    sign_ins: Limiter = field(default_factory=lambda: Limiter({Kind.WRITE: SIGN_IN_RATE}))


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def language_of(request: Request) -> str:
    """The language the page is read in."""
    return negotiate(request.headers.get("accept-language"), request.cookies.get(LANGUAGE_COOKIE))


def words_of(request: Request) -> Words:
    """The domain's words, and the page's, in the language the page is read in."""
    return Words(language_of(request), desk_of(request).zone)


def here(request: Request) -> str:
    """The page's own path and query, to come back to (after signing in, or switching
    language)."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def back_to(asked: str | None) -> str:
    """``asked`` if it is a desk page of this server, else the card search: a link may
    send a supervisor back only within the desk, never to another site."""
    if (
        asked is None
        or len(asked) > 2048
        or not (asked == PREFIX or asked.startswith(f"{PREFIX}/") or asked.startswith(f"{PREFIX}?"))
        or "//" in asked
        or "\\" in asked
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in asked)
    ):
        return f"{PREFIX}/cards"
    return asked


def render(
    request: Request,
    template: str,
    *,
    session: Session | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` in the page's language, as the answer."""
    lang = language_of(request)
    words = words_of(request)
    other = next(code for code in LANGUAGES if code != lang)
    page = environment(lang).get_template(template)
    html = page.render(
        lang=lang,
        html_lang=html_lang(lang),
        words=words,
        session=session,
        here=here(request),
        switch_to=other,
        switch_name=LANGUAGES[other],
        switch_href=f"{PREFIX}/language?{urlencode({'to': other, 'back': here(request)})}",
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


class Trouble(Exception):
    """A page that cannot be shown as asked: answered with ``status`` and a page saying
    ``what`` went wrong, in the supervisor's language (``what`` names one of the
    ``problem.html`` template's cases, ``said`` fills it in)."""

    def __init__(self, status: int, what: str, **said: str | int) -> None:
        super().__init__(what)
        self.status = status
        self.what = what
        self.said: Mapping[str, str | int] = said


class SignInFirst(Exception):
    """The page needs a session and has none: back to the sign-in page, and back here
    after it."""

    def __init__(self, after: str, ended: Ended) -> None:
        super().__init__(after)
        self.after = after
        self.ended = ended


async def trouble_page(request: Request, trouble: Exception) -> Response:
    """A ``Trouble`` as its page (an app exception handler)."""
    assert isinstance(trouble, Trouble)
    refused(f"desk-{trouble.what}")
    session = request.scope.get("state", {}).get("desk_session")
    return render(
        request,
        "problem.html",
        session=session,
        status=trouble.status,
        what=trouble.what,
        said=trouble.said,
    )


Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def in_the_desk(handler: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    """``handler``, an app's answer to an exception as a problem (JSON), answered as a
    page in the supervisor's language instead when the request was for a desk page; its
    status and ``Retry-After`` kept."""

    async def answer(request: Request, error: Exception) -> Response:
        said = handler(request, error)
        problem = await said if inspect.isawaitable(said) else said
        path = request.url.path
        if path != PREFIX and not path.startswith(f"{PREFIX}/"):
            return problem
        page = render(
            request,
            "problem.html",
            session=request.scope.get("state", {}).get("desk_session"),
            status=problem.status_code,
            what="status",
            said={"status": problem.status_code},
        )
        if "retry-after" in problem.headers:
            page.headers["Retry-After"] = problem.headers["retry-after"]
        return page

    return answer


async def to_sign_in(request: Request, missing: Exception) -> Response:
    """A ``SignInFirst`` as the redirect to the sign-in page (an app exception handler);
    an ended session's cookie is dropped."""
    assert isinstance(missing, SignInFirst)
    query = {"next": missing.after}
    if missing.ended is not Ended.UNKNOWN:
        query["expired" if missing.ended is Ended.EXPIRED else "revoked"] = "1"
    answer = RedirectResponse(f"{PREFIX}/sign-in?{urlencode(query, quote_via=quote)}", 303)
    answer.headers.update(PAGE_HEADERS)
    if request.cookies.get(SESSION_COOKIE) is not None:
        forget_session(answer, request)
    return answer


def keep_session(answer: Response, request: Request, session: Session) -> None:
    """Set the cookie that carries ``session``: read by the desk alone, never by a
    script, never sent from another site, and only over HTTPS when the desk is served so."""
    answer.set_cookie(
        SESSION_COOKIE,
        session.token,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_session(answer: Response, request: Request) -> None:
    answer.delete_cookie(
        SESSION_COOKIE,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


async def signed_in(request: Request) -> Session:
    """The session the page is read in (a dependency of every page but sign-in); its key
    read again, in a worker thread. ``SignInFirst`` if there is none."""
    token = request.cookies.get(SESSION_COOKIE)
    if token is None:
        raise SignInFirst(here(request), Ended.UNKNOWN)
    found = await run_in_threadpool(desk_of(request).sessions.resume, token)
    if isinstance(found, Ended):
        raise SignInFirst(here(request), found)
    request.scope.setdefault("state", {})["desk_session"] = found
    request.scope["state"]["principal"] = found.key.key_id
    return found


SignedIn = Annotated[Session, Depends(signed_in)]
"""A page's session."""


def draw(request: Request, session: Session) -> None:
    """Count a page that reads much (a search, a timeline, an export) against the key's
    expensive reads, as the API counts them; ``Trouble`` 429 when they are used up."""
    limiter: Limiter | None = request.app.state.limiter
    if limiter is None:
        return
    try:
        limiter.take(session.key.key_id, Kind.EXPENSIVE)
    except RateLimited as spent:
        raise Trouble(429, "rate", seconds=spent.retry_after) from None
