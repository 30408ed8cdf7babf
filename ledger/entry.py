"""Ledger entries, their canonical encoding, and the hash that chains them.

Encoding ``cardflow.entry/2`` -- the bytes an entry's hash and its Merkle leaf are
computed over (``spec/audit-bundle.md`` section 1 defines it for auditors):

* a JSON object holding every field of ``Entry`` except ``hash``, plus
  ``"format": "cardflow.entry/2"``;
* keys sorted by code point, no insignificant white space (``","`` and ``":"``),
  non-ASCII characters written as themselves, the whole encoded as UTF-8;
* timestamps as UTC in RFC 3339 with exactly six fractional digits and a ``Z``
  (``2026-11-23T01:12:37.123456Z``);
* ``null`` for an absent ``from_state``, ``due_at``, ``idempotency_key``, ``batch_id``
  or ``fingerprint``;
* evidence values are strings or booleans only: no floats, so no two encoders can
  disagree on a number.

``hash`` is the lowercase hex SHA-256 of those bytes; ``prev_hash`` is the hash of the
entry with the previous sequence number, or 64 zeros for the first entry; ``card_prev``
the hash of the previous entry of the same card, or 64 zeros for the card's first, so
that a card's entries chain among themselves and none can be dropped from its history
unseen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Final

ENCODING: Final = "cardflow.entry/2"
GENESIS_HASH: Final = "0" * 64

TRANSITION: Final = "transition"
"""The kind of entry that moves its card: it creates the card's next version."""
REFUSAL: Final = "refusal"
"""An entry that notes a refused attempt at the card's current version and moves nothing."""
ERASURE: Final = "erasure"
"""An entry that notes, at the card's current version, that its holder's personal data
was erased; it moves nothing."""

EvidenceValue = str | bool


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry as a writer asks for it; the ledger adds sequence, time and hashes.

    A ``transition`` draft names the card version it creates: 1 for the entry that
    opens a card, one more than the current version after that. Any other kind names
    the card's current version and moves nothing. The ledger refuses a draft whose
    version is not exactly that.
    """

    card_id: str
    version: int
    kind: str
    event: str
    from_state: str | None
    to_state: str
    channel: str
    actor: str
    role: str
    presenter: str
    subject: str
    occurred_at: datetime
    evidence: Mapping[str, EvidenceValue]
    definition_version: str
    region: str
    policy: str
    due_at: datetime | None = None
    """When the card's next deadline falls, as the rules set it with this step."""
    exclusive: bool = False
    """Whether the card, after this step, is the one card its subject may hold."""
    idempotency_key: str | None = None
    batch_id: str | None = None
    fingerprint: str | None = None
    """A digest of the request behind an idempotent draft; kept in its entry and receipt."""

    @property
    def moves(self) -> bool:
        return self.kind == TRANSITION

    def expected_version(self) -> int:
        """The card version the ledger must hold for this draft to be written."""
        return self.version - 1 if self.moves else self.version


MAX_KEY_LENGTH: Final = 255
"""The longest idempotency key the ledger keeps."""


def _kept(width: int | None = None, doc: str = "") -> Any:
    """An entry field: ``width`` is the most characters a text field holds (``None``:
    no bound, or not text), ``doc`` what it means to a reader of the API."""
    return field(metadata={"width": width, "doc": doc})


SEALED: Final = frozenset({"seq", "recorded_at", "card_prev", "prev_hash", "hash"})
"""The fields the ledger adds when it seals a draft; every other field is the draft's."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A written ledger entry: immutable, hashed, linked to the one before it.

    These fields are the one definition of an entry: the encoding, the draft it is
    sealed from, its table's columns, its codec and the API's model are derived from
    them (``dataclasses.fields``), and tests fail if any of those drift.
    """

    seq: int = _kept()
    card_id: str = _kept(64)
    version: int = _kept()
    kind: str = _kept(32)
    event: str = _kept(32)
    from_state: str | None = _kept(32)
    to_state: str = _kept(32)
    channel: str = _kept(32)
    actor: str = _kept(128)
    role: str = _kept(32)
    presenter: str = _kept(16)
    subject: str = _kept(64)
    occurred_at: datetime = _kept()
    recorded_at: datetime = _kept()
    evidence: Mapping[str, EvidenceValue] = _kept()
    definition_version: str = _kept(64)
    region: str = _kept(64, "The region the card is kept under, whose policy decided.")
    policy: str = _kept(
        128, "The label of the region policy the step was decided under: region/version+digest."
    )
    due_at: datetime | None = _kept(
        doc="When the card's next deadline falls after this step (collection, financial "
        "activation, or the lapse of a temporary loss report); null: none runs."
    )
    exclusive: bool = _kept(
        doc="Whether, after this step, this is the one live card of its person."
    )
    idempotency_key: str | None = _kept(MAX_KEY_LENGTH)
    batch_id: str | None = _kept(64, "The batch that wrote the entry, if one did.")
    fingerprint: str | None = _kept(
        64,
        "A digest of the request an idempotent entry was written for (keyed where the "
        "request carried personal data): a retry with its key must match it.",
    )
    card_prev: str = _kept(
        64, "The hash of the card's previous entry; 64 zeros for the card's first entry."
    )
    prev_hash: str = _kept(64)
    hash: str = _kept(64)

    @classmethod
    def seal(
        cls,
        draft: Draft,
        *,
        seq: int,
        recorded_at: datetime,
        prev_hash: str,
        card_prev: str = GENESIS_HASH,
    ) -> Entry:
        """Place ``draft`` at ``seq`` after ``prev_hash``, and after ``card_prev`` among its
        card's entries, and compute its hash."""
        drafted = {name: getattr(draft, name) for name in DRAFTED}
        unsealed = cls(
            **drafted,
            seq=seq,
            recorded_at=utc(recorded_at),
            occurred_at=utc(draft.occurred_at),
            due_at=None if draft.due_at is None else utc(draft.due_at),
            evidence=dict(draft.evidence),
            card_prev=card_prev,
            prev_hash=prev_hash,
            hash="",
        )
        return replace(unsealed, hash=unsealed.computed_hash())

    @property
    def moves(self) -> bool:
        return self.kind == TRANSITION

    def encode(self) -> bytes:
        """The canonical bytes of this entry (see the module docstring)."""
        return canonical(self.unhashed())

    def computed_hash(self) -> str:
        """The hash these fields deserve; differs from ``hash`` if anything was altered."""
        return entry_hash(self.encode())

    def document(self) -> dict[str, Any]:
        """Every field, ``hash`` included, as JSON values written the encoding's way:
        what the API and the command line show of an entry."""
        return {**canonical_fields(self.unhashed()), "hash": self.hash}

    def unhashed(self) -> dict[str, Any]:
        """Every field but ``hash``, as the encoding sees them."""
        return {
            field.name: getattr(self, field.name) for field in fields(self) if field.name != "hash"
        }


def entry_hash(encoded: bytes) -> str:
    """The hash of an entry whose canonical bytes are ``encoded``."""
    return hashlib.sha256(encoded).hexdigest()


def canonical_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Entry fields as the JSON values ``cardflow.entry/2`` writes them."""
    document = {name: _plain(value) for name, value in fields.items()}
    if "evidence" in fields:
        document["evidence"] = _evidence(fields["evidence"])
    return document


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Encode entry fields as ``cardflow.entry/2`` bytes."""
    document = {**canonical_fields(fields), "format": ENCODING}
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is refused rather than guessed at."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must carry a time zone")
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339, UTC, microseconds, ``Z``: the one way cardflow writes a time."""
    return utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _evidence(evidence: Any) -> dict[str, EvidenceValue]:
    """Evidence as the encoding allows it: an object of strings and booleans, nothing else."""
    if not isinstance(evidence, Mapping):
        raise TypeError(f"evidence is a {type(evidence).__name__}, not an object")
    for key, value in evidence.items():
        if not isinstance(key, str) or not isinstance(value, str | bool):
            raise TypeError(
                f"evidence {key!r} is a {type(value).__name__}: only strings and booleans "
                "have a canonical encoding"
            )
    return dict(evidence)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    raise TypeError(f"{type(value).__name__} has no canonical encoding")


_ENCODED: Final = tuple(f.name for f in fields(Entry) if f.name != "hash")
_VALUES: Final = attrgetter(*_ENCODED)
_TIMES: Final = tuple(
    place for place, name in enumerate(_ENCODED) if name in {"occurred_at", "recorded_at", "due_at"}
)
_EVIDENCE: Final = _ENCODED.index("evidence")
_SCALARS: Final = frozenset({str, int, bool, type(None)})
_KEYS: Final = frozenset({str})
_EVIDENCE_VALUES: Final = frozenset({str, bool})


def encode_entry(entry: Entry) -> bytes:
    """``entry.encode()``, the same bytes, made with one pass of the C encoder: the whole
    check re-encodes every entry. An entry holding a value of any type but those the
    strict readers give (strings, ints, booleans, aware datetimes, ``None``, evidence a
    dict of strings and booleans) is left to ``Entry.encode``, which decides what it
    makes of it."""
    values = list(_VALUES(entry))
    evidence = values[_EVIDENCE]
    if (
        type(evidence) is not dict
        or not set(map(type, evidence)) <= _KEYS
        or not set(map(type, evidence.values())) <= _EVIDENCE_VALUES
    ):
        return entry.encode()
    for place in _TIMES:
        moment = values[place]
        if type(moment) is datetime and moment.tzinfo is not None:
            values[place] = (
                moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
                if moment.tzinfo is UTC
                else format_timestamp(moment)
            )
    values[_EVIDENCE] = None
    if not set(map(type, values)) <= _SCALARS:
        return entry.encode()
    values[_EVIDENCE] = evidence
    document = dict(zip(_ENCODED, values, strict=True))
    document["format"] = ENCODING
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


DRAFTED: Final = tuple(
    f.name for f in fields(Entry) if f.name not in SEALED | {"occurred_at", "due_at", "evidence"}
)
"""The draft's fields an entry copies as they are (times and evidence are normalised)."""
