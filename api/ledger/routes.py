"""``/v1/ledger``: the feed other systems follow, the proofs, and the check supervisors run.

The checkpoint, the log's keys and the proofs (hashes only) are published: anyone may
read them without a key, as a transparency log's are, counted by client address. The
entries themselves (the feed, a card's history) and the check still need a key."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.access import Capability
from api.dependencies import ALLOWED, READ_HEADERS, Auditing, Reading, in_worker_thread
from api.ledger.runs import VerifyJob
from api.ledger.schemas import (
    CheckpointOut,
    ConsistencyOut,
    FeedOut,
    InclusionOut,
    LogKeyOut,
    VerifyRunOut,
)
from api.problems import documented
from api.problems.models import ValidationProblem

FEED_LIMIT: Final = 100
FEED_LIMIT_MAX: Final = 1000
_LARGEST_SEQ: Final = 2**63 - 1

router = APIRouter(prefix="/v1/ledger", tags=["ledger"], responses=documented(429, 500))


@router.get(
    "/entries",
    summary="Follow the ledger",
    dependencies=[ALLOWED[Capability.FEED]],
    responses={
        200: {"headers": READ_HEADERS},
        **documented(401, 403, 422, invalid=ValidationProblem),
    },
)
@in_worker_thread
def feed(
    reads: Reading,
    after: Annotated[
        int,
        Query(ge=0, le=_LARGEST_SEQ, description="Return entries after this sequence number."),
    ] = 0,
    limit: Annotated[
        int, Query(ge=1, le=FEED_LIMIT_MAX, description="At most this many entries.")
    ] = FEED_LIMIT,
) -> FeedOut:
    """Entries in sequence order. Ask again with `after=next_after` to follow the ledger:
    sequence numbers are gapless, so a follower never misses an entry. Served from the
    read-only database if there is one (`X-Cardflow-Read-From`): it may lag the primary,
    never skip an entry."""
    return FeedOut.of(reads.use().feed(after=after, limit=limit), after=after)


@router.get(
    "/entries/{seq}/proof",
    summary="Prove an entry is in the ledger",
    dependencies=[ALLOWED[Capability.PROOFS]],
    responses=documented(422, 503),
)
@in_worker_thread
def inclusion(
    audit: Auditing,
    seq: Annotated[int, Path(ge=1, le=_LARGEST_SEQ, description="The entry's sequence number.")],
    tree_size: Annotated[
        int | None,
        Query(
            ge=1,
            le=_LARGEST_SEQ,
            description="The tree to prove it in: the first `tree_size` entries (default: all).",
        ),
    ] = None,
) -> InclusionOut:
    """The RFC 6962 inclusion proof of entry `seq` in the ledger's Merkle tree of
    `tree_size` entries. A size beyond the ledger, or an entry beyond the size, is a 422
    saying so. Hashes only (the entry's leaf hash, never its contents): no key is needed,
    and each request is counted as an expensive read, by key or client address."""
    return InclusionOut.of(audit.inclusion(seq, tree_size))


@router.get(
    "/consistency",
    summary="Prove the ledger only grew",
    dependencies=[ALLOWED[Capability.PROOFS]],
    responses=documented(422, 503),
)
@in_worker_thread
def consistency(
    audit: Auditing,
    first: Annotated[
        int,
        Query(
            ge=1,
            le=_LARGEST_SEQ,
            description="The size of the earlier tree, at least 1: the empty tree proves nothing.",
        ),
    ],
    second: Annotated[
        int | None,
        Query(ge=0, le=_LARGEST_SEQ, description="The size of the later tree (default: all)."),
    ] = None,
) -> ConsistencyOut:
    """The RFC 6962 consistency proof that the ledger's tree of `first` entries is a
    prefix of its tree of `second`. `first` of 0 (the empty tree, a prefix of every
    tree, proves nothing), `first` greater than `second`, or a size beyond the ledger, is
    a 422 saying so. Hashes only: no key is needed, and each request is counted as an
    expensive read, by key or client address."""
    return ConsistencyOut.of(audit.consistency(first, second))


_TEXT: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "OK"}
}


_CHECKPOINT: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "model": CheckpointOut,
        "content": {"text/plain": {"schema": {"type": "string"}}},
        "description": "The cosigned note (text/plain), or with `Accept: application/json` "
        "the note and which witnesses have cosigned it.",
    }
}


@router.get(
    "/checkpoint",
    summary="The latest signed checkpoint, with the witnesses' cosignatures",
    response_class=Response,
    dependencies=[ALLOWED[Capability.PROOFS]],
    responses={**_CHECKPOINT, **documented(503)},
)
@in_worker_thread
def checkpoint(audit: Auditing, request: Request) -> Response:
    """The ledger's latest checkpoint as a C2SP signed note (`tlog-checkpoint` in a
    `signed-note`, Ed25519): the log's name, its size and the base64 root of its Merkle
    tree, signed with a key kept outside the database, followed by the `cosignature/v1`
    line of each witness that has cosigned it (C2SP `tlog-cosignature`). Check it with the
    key from `/v1/ledger/key` and the witnesses' keys; prove entries and growth against
    it with the proof routes. Ask for `application/json` to learn also which of the
    configured witnesses have cosigned it, and the largest checkpoint each has."""
    witnessed = audit.witnessed()
    if "application/json" in request.headers.get("accept", ""):
        body = CheckpointOut.of(witnessed).model_dump_json()
        return Response(body, media_type="application/json")
    return Response(witnessed.checkpoint.note, media_type="text/plain; charset=utf-8")


@router.get(
    "/key",
    summary="The key checkpoints are signed with",
    response_class=Response,
    dependencies=[ALLOWED[Capability.PROOFS]],
    responses=_TEXT,
)
@in_worker_thread
def key(audit: Auditing) -> Response:
    """The checkpoints' verifier key, `<name>+<key id>+<base64 key>` as the C2SP
    signed-note format writes it."""
    return Response(f"{audit.verifier()}\n", media_type="text/plain; charset=utf-8")


@router.get(
    "/keys",
    summary="Every key checkpoints were signed with",
    dependencies=[ALLOWED[Capability.PROOFS]],
)
@in_worker_thread
def keys(audit: Auditing) -> list[LogKeyOut]:
    """Every log key the database is bound to, oldest first, each with the tree sizes
    it signs: the current key (`last_size` null) and those it replaced, which still check
    the checkpoints and bundles they signed. Trust them from where you got the first key,
    not from this answer alone: whoever runs the database could change it."""
    return LogKeyOut.all_of(audit.log_keys())


_VERIFY_URL: Final = "/v1/ledger/verify"


async def _verifying(request: Request) -> VerifyJob:
    """The verify job this server process runs."""
    job: VerifyJob = request.app.state.verify_job
    return job


Verifying = Annotated[VerifyJob, Depends(_verifying)]


@router.get(
    "/verify",
    summary="The last check of the whole ledger",
    dependencies=[ALLOWED[Capability.VERIFY]],
    responses=documented(401, 403),
)
@in_worker_thread
def verify(job: Verifying) -> VerifyRunOut:
    """What the server's last whole-ledger check found -- when it ran, how long it took,
    `ok` or the first problems -- and whether one is under way; nothing is checked again
    (start a check with `POST`). Supervisor and admin keys only."""
    return _runs_now(job)


@router.post(
    "/verify",
    status_code=202,
    summary="Check the whole ledger",
    dependencies=[ALLOWED[Capability.VERIFY]],
    responses={
        202: {
            "description": "A check is under way (this one, or one already running); "
            "`GET` the `Location` for its result.",
            "headers": {
                "Location": {
                    "description": "Where the result is served.",
                    "schema": {"type": "string"},
                }
            },
        },
        **documented(401, 403),
    },
)
@in_worker_thread
def start_verify(job: Verifying, response: Response) -> VerifyRunOut:
    """Start recomputing every hash and link, the Merkle tree and the checkpoints, and
    comparing every card with a replay of its entries, in the background: one check at
    a time in each server process. Supervisor and admin keys only."""
    job.start()
    response.headers["Location"] = _VERIFY_URL
    return _runs_now(job)


def _runs_now(job: VerifyJob) -> VerifyRunOut:
    last, started = job.runs.last_finished(), job.runs.last_started()
    running = started if started is not None and started.finished_at is None else None
    return VerifyRunOut.of(last, running)
