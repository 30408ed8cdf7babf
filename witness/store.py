"""The witness's own SQLite file: for each log, the latest checkpoint it cosigned.

Checking a request against the checkpoint held and replacing it happen in one write
transaction (``BEGIN IMMEDIATE``), so two requests racing can never roll a log back:
the second is checked against what the first stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text, select
from sqlalchemy.dialects.sqlite import insert

from ledger.sql.engine import make_engine
from ledger.sql.schema import UtcDateTime

_ORIGIN_WIDTH: Final = 1000

metadata = MetaData()

held_table = Table(
    "witness_checkpoints",
    metadata,
    Column("origin", String(_ORIGIN_WIDTH), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("cosigned_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Held:
    """The latest checkpoint cosigned for the log ``origin``: its size and root, and
    its note with the witness's cosignature on it."""

    origin: str
    size: int
    root: bytes
    note: str
    cosigned_at: datetime


class WitnessStore:
    """The checkpoints held, one per log, in a SQLite file."""

    def __init__(self, path: str) -> None:
        self.engine = make_engine(f"sqlite:///{path}")
        self._writer = self.engine.execution_options(cardflow_write=True)
        with self._writer.begin() as conn:
            metadata.create_all(conn, checkfirst=True)

    def held(self, origin: str) -> Held | None:
        """The latest checkpoint cosigned for ``origin``, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(select(held_table).where(held_table.c.origin == origin)).first()
        return None if row is None else _held_of(row)

    def advance(self, origin: str, decide: Callable[[Held | None], Held]) -> Held:
        """Replace what is held for ``origin`` by what ``decide`` makes of it, both in one
        write transaction; whatever ``decide`` raises leaves it as it was."""
        with self._writer.begin() as conn:
            row = conn.execute(select(held_table).where(held_table.c.origin == origin)).first()
            new = decide(None if row is None else _held_of(row))
            values = {
                "size": new.size,
                "root": new.root.hex(),
                "note": new.note,
                "cosigned_at": new.cosigned_at,
            }
            conn.execute(
                insert(held_table)
                .values(origin=origin, **values)
                .on_conflict_do_update(index_elements=["origin"], set_=values)
            )
        return new

    def dispose(self) -> None:
        self.engine.dispose()


def _held_of(row: Any) -> Held:
    return Held(row.origin, row.size, bytes.fromhex(row.root), row.note, row.cosigned_at)
