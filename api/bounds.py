"""How long one request may keep cardflow working: a deadline, and its client still there.

Every page cardflow serves is bounded (a history page, a search page, the feed), so no
request can ask for unbounded work; a long read still checks, between its stages, that
it is inside the server's deadline for one request (``CARDFLOW_REQUEST_SECONDS``) and
that its client has not gone, and stops if not: past the deadline with a 503
``work-stopped`` and ``Retry-After``, a client gone with nothing more done. The
whole-ledger check runs as a job, not in a request (``api.ledger.runs``).
"""

from __future__ import annotations

import math
import time

import anyio.from_thread
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ClientGone, PastDeadline


class RequestDeadline:
    """Give each request the moment its work must be done by: ``seconds`` from now."""

    def __init__(self, app: ASGIApp, *, seconds: float | None) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.seconds is not None:
            state = scope.setdefault("state", {})
            state["deadline"] = (time.monotonic() + self.seconds, self.seconds)
        await self.app(scope, receive, send)


def keep_going(request: Request) -> None:
    """Raise ``PastDeadline`` if the request is past its deadline, ``ClientGone`` if its
    client closed the connection; called from a handler's worker thread between stages."""
    deadline = request.scope.get("state", {}).get("deadline")
    if deadline is not None and time.monotonic() > deadline[0]:
        seconds = deadline[1]
        raise PastDeadline(
            f"the request ran past the server's {seconds:g} s for one request and was "
            "stopped: ask for a smaller page",
            retry_after=max(1, math.ceil(seconds)),
        )
    try:
        gone = anyio.from_thread.run(request.is_disconnected)
    except RuntimeError:  # not in a worker thread: no one to ask
        return
    if gone:
        raise ClientGone("the client closed the connection", retry_after=1)
