"""The witness over HTTP: ``POST /add-checkpoint`` as ``tlog-witness`` specifies it, the
latest checkpoint cosigned for each log, and a health check.

Every refusal is a plain-text line with the status the protocol gives it; a 409 for an
old size that is not the one held is ``text/x.tlog.size``, the size held and a newline,
so a log can send again from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ledger.witnessing import SIZE_TYPE
from witness.core import Witness
from witness.errors import (
    BadProof,
    Malformed,
    RootConflict,
    SizeConflict,
    UnknownLog,
    Unverified,
    WitnessError,
)

TEXT: Final = "text/plain; charset=utf-8"
MOST_BODY_BYTES: Final = 64 * 1024
"""The largest request taken: a checkpoint, a few signatures and 63 proof lines fit."""
STATUS: Final[Mapping[type[WitnessError], int]] = {
    Malformed: 400,
    Unverified: 403,
    UnknownLog: 404,
    SizeConflict: 409,
    RootConflict: 409,
    BadProof: 422,
}
"""Each refusal's status, as ``tlog-witness`` gives it."""


def refusal(error: WitnessError) -> Response:
    """The response that tells a log why its checkpoint was not cosigned."""
    if isinstance(error, SizeConflict):
        # Exactly the type the protocol names: Starlette would add a charset to text/*.
        return Response(f"{error.held}\n", 409, headers={"Content-Type": SIZE_TYPE})
    status = next(code for kind, code in STATUS.items() if isinstance(error, kind))
    return Response(f"{error}\n", status_code=status, media_type=TEXT)


def create_witness_app(witness: Witness) -> FastAPI:
    """The HTTP face of ``witness``."""
    app = FastAPI(
        title="cardflow witness",
        version="1",
        description="A C2SP tlog-witness: cosigns checkpoints of the logs it follows.",
        docs_url=None,
        redoc_url=None,
    )

    @app.post("/add-checkpoint", response_class=Response)
    async def add_checkpoint(request: Request) -> Response:
        """Cosign a checkpoint grown from the one last cosigned for its log."""
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MOST_BODY_BYTES:
                return Response(
                    f"a request is at most {MOST_BODY_BYTES} bytes\n",
                    status_code=413,
                    media_type=TEXT,
                )
        try:
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except WitnessError as refused:
            return refusal(refused)
        return Response(line, media_type=TEXT)

    @app.get("/checkpoints/{origin:path}", response_class=Response)
    def latest(origin: str) -> Response:
        """The latest checkpoint cosigned for the log ``origin``, with the cosignature."""
        note = witness.latest(origin)
        if note is None:
            return Response("no checkpoint is held for that log\n", 404, media_type=TEXT)
        return Response(note, media_type=TEXT)

    @app.get("/healthz", response_class=Response)
    def healthz() -> Response:
        """Whether the witness answers, and the logs it follows."""
        return Response("ok\n" + "".join(f"{o}\n" for o in witness.origins), media_type=TEXT)

    return app
