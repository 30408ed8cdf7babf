"""Rows to records and back: how the ledger's values are kept in its tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Final, get_args, get_type_hints

from sqlalchemy import Text

from ledger.cardmap import MapNode
from ledger.entry import Entry
from ledger.sql.schema import UtcDateTime, as_utc, entries_table
from ledger.store import Head, Person, SignedCheckpoint


def checkpoint_of(row: Any) -> SignedCheckpoint:
    return SignedCheckpoint(row.size, bytes.fromhex(row.root), row.note, row.signed_at)


def hash_bytes(stored: str) -> bytes:
    """A stored hex hash; a damaged one as no bytes, which no hash equals."""
    try:
        return bytes.fromhex(stored)
    except (TypeError, ValueError):
        return b""


def stored_frontier(stored: str) -> tuple[bytes, ...]:
    """The frontier the tip row keeps, as a JSON list of its roots' hex; what does not
    decode is left out, so that a damaged frontier is one that disagrees."""
    try:
        roots = json.loads(stored)
    except (TypeError, ValueError):
        return ()
    if not isinstance(roots, list):
        return ()
    return tuple(hash_bytes(root) for root in roots if isinstance(root, str))


def map_node_row(node: MapNode) -> dict[str, str | None]:
    """A card map node as its row: each part as hex, the parts it lacks null."""
    parts = {"left": node.left, "right": node.right, "key": node.key, "value": node.value}
    return {"hash": node.hash.hex()} | {
        name: None if part is None else part.hex() for name, part in parts.items()
    }


def map_node_of(row: Any) -> MapNode:
    """The node a row holds, as stored: ``ledger.cardmap`` re-hashes it before use, so a
    damaged part is read as no bytes, which no hash is made of."""
    left, right, key, value = row.left, row.right, row.key, row.value
    return MapNode(
        hash_bytes(row.hash),
        left=None if left is None else hash_bytes(left),
        right=None if right is None else hash_bytes(right),
        key=None if key is None else hash_bytes(key),
        value=None if value is None else hash_bytes(value),
    )


def entry_row(entry: Entry) -> dict[str, Any]:
    row = {name: getattr(entry, name) for name in entries_table.c.keys()}  # noqa: SIM118
    row["evidence"] = json.dumps(dict(entry.evidence), sort_keys=True, ensure_ascii=False)
    return row


def person_row(person: Person, created_at: datetime) -> dict[str, Any]:
    return {
        "ref": person.ref,
        "id_number": person.id_number,
        "name": person.name,
        "details": json.dumps(dict(person.details), sort_keys=True, ensure_ascii=False),
        "created_at": created_at,
    }


def raw_columns(dialect: str) -> list[Any]:
    """Entry columns, timestamps read as stored text on SQLite (which types nothing), so
    that one damaged value is reported by ``verify`` instead of stopping the scan."""
    if dialect != "sqlite":
        return list(entries_table.c)
    return [
        column.cast(Text).label(column.name) if isinstance(column.type, UtcDateTime) else column
        for column in entries_table.c
    ]


def entry_of(row: Any) -> Entry:
    """The entry a stored row holds; ``ValueError``, ``TypeError`` or ``KeyError`` for a
    row that is not one (which ``verify`` reports as damage)."""
    return Entry(**{name: read(row[name]) for name, read in _READERS.items()})


def entry_of_values(values: Sequence[Any]) -> Entry:
    """``entry_of`` for a row read as ``raw_columns`` orders it, by place rather than by
    name: what the whole check decodes every entry with."""
    return Entry(*[read(values[place]) for read, place in _PLACED])


def _evidence(stored: Any) -> dict[str, str | bool]:
    evidence = json.loads(stored)
    if not isinstance(evidence, dict) or not all(
        isinstance(value, str | bool) for value in evidence.values()
    ):
        raise TypeError("evidence is not an object of strings and booleans")
    return evidence


def _reader(hint: Any) -> Callable[[Any], Any]:
    """How a column typed by ``hint`` is read back, strictly."""
    args = get_args(hint)
    if type(None) in args:
        (kind,) = (arg for arg in args if arg is not type(None))
        inner = _reader(kind)
        return lambda value: None if value is None else inner(value)
    if hint is datetime:
        return stored_moment
    if hint is bool:
        return stored_flag
    if hint is int:
        return int
    if hint is str:
        return str
    return _evidence


def head_of(row: Any) -> Head:
    """The head a row of the heads table holds: its columns are the head's fields."""
    kept = {name: row._mapping[name] for name in _HEAD_FIELDS}
    return Head(**{**kept, "exclusive": bool(kept["exclusive"])})


def stored_flag(value: Any) -> bool:
    """A stored boolean, strictly: SQLite hands back 0 or 1, damage anything else."""
    if isinstance(value, bool):
        return value
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise ValueError(f"{value!r} is not a stored boolean")


def stored_moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))


_READERS: Final = {kept.name: _reader(get_type_hints(Entry)[kept.name]) for kept in fields(Entry)}
_PLACED: Final = tuple(
    (_READERS[kept.name], entries_table.c.keys().index(kept.name)) for kept in fields(Entry)
)
_HEAD_FIELDS: Final = tuple(kept.name for kept in fields(Head))
