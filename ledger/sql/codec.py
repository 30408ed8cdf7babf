"""Rows to records and back: how the ledger's values are kept in its tables."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Text

from ledger.entry import Entry
from ledger.merkle import Frontier
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


def frontier_of(size: int, stored: str) -> Frontier:
    """The frontier the tip row keeps, as the JSON list of its roots' hex."""
    return Frontier(size, tuple(bytes.fromhex(root) for root in json.loads(stored)))


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
    evidence = json.loads(row["evidence"])
    if not isinstance(evidence, dict) or not all(
        isinstance(value, str | bool) for value in evidence.values()
    ):
        raise TypeError("evidence is not an object of strings and booleans")
    return Entry(
        seq=int(row["seq"]),
        card_id=str(row["card_id"]),
        version=int(row["version"]),
        kind=str(row["kind"]),
        event=str(row["event"]),
        from_state=None if row["from_state"] is None else str(row["from_state"]),
        to_state=str(row["to_state"]),
        channel=str(row["channel"]),
        actor=str(row["actor"]),
        role=str(row["role"]),
        presenter=str(row["presenter"]),
        subject=str(row["subject"]),
        occurred_at=stored_moment(row["occurred_at"]),
        recorded_at=stored_moment(row["recorded_at"]),
        evidence=evidence,
        definition_version=str(row["definition_version"]),
        region=str(row["region"]),
        policy=str(row["policy"]),
        due_at=None if row["due_at"] is None else stored_moment(row["due_at"]),
        exclusive=stored_flag(row["exclusive"]),
        idempotency_key=None if row["idempotency_key"] is None else str(row["idempotency_key"]),
        batch_id=None if row["batch_id"] is None else str(row["batch_id"]),
        prev_hash=str(row["prev_hash"]),
        hash=str(row["hash"]),
    )


def head_of(row: Any) -> Head:
    return Head(
        card_id=row.card_id,
        version=row.version,
        state=row.state,
        last_seq=row.last_seq,
        subject=row.subject,
        region=row.region,
        opened_seq=row.opened_seq,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        occurred_at=row.occurred_at,
        due_at=row.due_at,
        exclusive=bool(row.exclusive),
    )


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
