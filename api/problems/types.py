"""The kinds of problem cardflow answers with: stable URIs, never renamed, only added to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, TypedDict

PROBLEM_JSON: Final = "application/problem+json"
PROBLEM_BASE: Final = "https://cardflow.dev/problems/"


@dataclass(frozen=True, slots=True)
class ProblemType:
    """A kind of problem: a URI that never changes, its status, and when it is given."""

    slug: str
    status: int
    title: str
    when: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


UNAUTHENTICATED: Final = ProblemType(
    "unauthenticated",
    401,
    "Unauthenticated",
    "No `Authorization: Bearer cf_…` header, or a key that is unknown or revoked.",
)
NOT_PERMITTED: Final = ProblemType(
    "not-permitted",
    403,
    "Not permitted",
    "The key's role only reads (supervisors), the channel is not one the key may act "
    "through (`permitted_channels` lists those it may), or the route reads what the key's "
    "role or reads do not cover (`capability` names what it needs, `may_read` what the key "
    "reads; asked before anything is looked up, so it never says whether a card exists).",
)
CARD_NOT_FOUND: Final = ProblemType(
    "card-not-found", 404, "Card not found", "No card has the id in the path."
)
TRANSITION_NOT_ALLOWED: Final = ProblemType(
    "transition-not-allowed",
    409,
    "Transition not allowed now",
    "The event is not allowed in the card's current state; `state` and `allowed_events` "
    "say what is.",
)
CONDITION_NOT_MET: Final = ProblemType(
    "condition-not-met",
    409,
    "Condition not met",
    "The card's state allows the event, but a condition of the step fails: `condition` "
    "names it (a deadline not yet passed, a financial function already active, a person "
    "who already holds a live card: `allowed_events` are that card's, and `holder` names it "
    "to supervisor and admin keys only).",
)
STALE_VERSION: Final = ProblemType(
    "stale-version",
    409,
    "Stale version",
    "The card moved past `expected_version` (or `If-Match`); read it again, then decide.",
)
CONFLICT: Final = ProblemType(
    "conflict", 409, "Conflict", "The card is not where the request assumes it is."
)
INVALID_EVIDENCE: Final = ProblemType(
    "invalid-evidence",
    422,
    "Evidence missing or malformed",
    "`missing`, `unknown` and `malformed` name every gap in the evidence, in a clerk's words; "
    "`unrecognised` counts the keys cardflow does not know, never repeating them.",
)
CHANNEL_NOT_ALLOWED: Final = ProblemType(
    "channel-not-allowed",
    422,
    "Channel not allowed",
    "The channel never carries the event, or an agent may not act through it; "
    "`allowed_channels` lists the channels that may.",
)
UNKNOWN_NAME: Final = ProblemType(
    "unknown-name",
    422,
    "Unknown name",
    "A name cardflow does not know; `valid` lists those it does.",
)
INVALID_IDENTITY: Final = ProblemType(
    "invalid-identity",
    422,
    "Invalid identity number",
    "The ID number fails a GB 11643-1999 check; `check` names which. The number is never repeated.",
)
KEY_REUSED: Final = ProblemType(
    "idempotency-key-reused",
    422,
    "Idempotency key reused",
    "The `Idempotency-Key` already stands for a different request from this key's holder; "
    "a retry must repeat the request exactly, a new request needs a new key.",
)
INVALID_REQUEST: Final = ProblemType(
    "invalid-request",
    422,
    "Invalid request",
    "The request fits the schema but cannot stand as it is, e.g. `occurred_at` in the future "
    "or further back than the region policy's `backdating_hours` (72 unless the region sets "
    "it), or `If-Match` disagreeing with `expected_version`.",
)
VALIDATION_ERROR: Final = ProblemType(
    "validation-error",
    422,
    "Request does not fit the contract",
    "Malformed JSON, a wrong type, an unknown field, or an unknown event, channel or "
    "presenter; `errors` lists each with its location and the values allowed.",
)
PAYLOAD_TOO_LARGE: Final = ProblemType(
    "payload-too-large",
    413,
    "Request body too large",
    "The body is larger than the server takes (8 MiB unless configured otherwise); send a "
    "large batch in parts.",
)
RATE_LIMITED: Final = ProblemType(
    "rate-limited",
    429,
    "Too many requests",
    "The key has used up its writes or its expensive reads (search, feed, proofs, a history "
    "with proofs, the ledger's check) for now; `Retry-After` says in how many seconds to try "
    "again. Nothing was done.",
)
WORK_STOPPED: Final = ProblemType(
    "work-stopped",
    503,
    "Stopped before it was done",
    "A long read ran past the server's deadline for one request "
    "(`CARDFLOW_REQUEST_SECONDS`) and was stopped; nothing was changed. Ask for less (a "
    "smaller page), or try again after `Retry-After` seconds.",
)
NOT_FOUND: Final = ProblemType("not-found", 404, "Not found", "No route has that path.")
METHOD_NOT_ALLOWED: Final = ProblemType(
    "method-not-allowed",
    405,
    "Method not allowed",
    "The route does not take that method; the `Allow` header lists those it does.",
)
INTEGRITY_FAILURE: Final = ProblemType(
    "integrity-failure",
    503,
    "The ledger failed an integrity check",
    "A check cardflow makes while serving found the stored ledger disagreeing with itself "
    "(its Merkle tree with the tip or with a signed checkpoint, a node a proof needs gone, "
    "a card map node that does not hash to its own hash, or a cache -- a card's head, "
    "the tip, a receipt -- not what the hashed entries say): the stored ledger was changed "
    "underneath cardflow. `detail` says what disagreed; "
    "nothing is signed over it, the failure is logged at `critical`, and `cardflow audit "
    "fsck` names every altered entry.",
)
DATABASE_UNAVAILABLE: Final = ProblemType(
    "database-unavailable",
    503,
    "The database cannot be reached",
    "cardflow could not reach its database (or the read-only one), or the database broke "
    "the connection or stayed locked past its wait (30 s on SQLite). Nothing was written, "
    "unless the failure came as a write committed: retry after `Retry-After` seconds with "
    "the same `Idempotency-Key`, which answers a write that landed with its first result.",
)
INTERNAL_ERROR: Final = ProblemType(
    "internal-error",
    500,
    "Internal error",
    "A bug in cardflow, logged with its traceback; quote `request_id` when reporting it.",
)

PROBLEM_TYPES: Final[tuple[ProblemType, ...]] = (
    UNAUTHENTICATED,
    NOT_PERMITTED,
    CARD_NOT_FOUND,
    TRANSITION_NOT_ALLOWED,
    CONDITION_NOT_MET,
    STALE_VERSION,
    CONFLICT,
    INVALID_EVIDENCE,
    CHANNEL_NOT_ALLOWED,
    UNKNOWN_NAME,
    INVALID_IDENTITY,
    KEY_REUSED,
    INVALID_REQUEST,
    VALIDATION_ERROR,
    PAYLOAD_TOO_LARGE,
    RATE_LIMITED,
    WORK_STOPPED,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    INTEGRITY_FAILURE,
    DATABASE_UNAVAILABLE,
    INTERNAL_ERROR,
)
"""Every ``type`` cardflow answers with; any other HTTP error is ``about:blank``."""


def problem_types_markdown() -> str:
    """The table of problem types, for the API's description."""
    rows = ["| status | type | when |", "| --- | --- | --- |"]
    rows += [f"| {kind.status} | `{kind.uri}` | {kind.when} |" for kind in PROBLEM_TYPES]
    return "\n".join(rows) + "\n"


class Head(TypedDict):
    """What every problem of one kind says alike."""

    type: str
    title: str
    status: int


def head(kind: ProblemType) -> Head:
    """The members of a problem that its kind decides."""
    return Head(type=kind.uri, title=kind.title, status=kind.status)


def example(kind: ProblemType, detail: str, request_id: str, **members: Any) -> dict[str, Any]:
    """A problem of ``kind`` as JSON, for the OpenAPI document."""
    return {**head(kind), "detail": detail, "request_id": request_id, **members}
