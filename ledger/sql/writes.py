"""An append's two halves on SQL: read the snapshot a plan needs, write the plan it made.

Both run in the writer's transaction, after the tip row is locked, so nothing read here
can change before the commit. Nothing here decides: ``ledger.append`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Final, TypeVar

from sqlalchemy import Table, bindparam, delete, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from ledger.append import Plan, Request, Snapshot, needs
from ledger.sql.codec import entry_row, head_of, person_row
from ledger.sql.hashed import check_heads, checked_receipts, checked_tip, hashed_heads
from ledger.sql.schema import (
    entries_table,
    heads_table,
    persons_table,
    receipts_table,
    tip_table,
    tree_table,
)
from ledger.store import Head, Receipt

_CHUNK: Final = 500
"""Values bound in one IN list: well under every database's limit on parameters."""

_T = TypeVar("_T")

_LOCK_TIP: Final = (
    select(tip_table.c.size, tip_table.c.hash, tip_table.c.root, tip_table.c.frontier)
    .where(tip_table.c.id == 1)
    .with_for_update()
)
_HEADS_WANTED: Final = select(heads_table).where(
    or_(
        heads_table.c.card_id.in_(bindparam("cards", expanding=True)),
        heads_table.c.subject.in_(bindparam("subjects", expanding=True)) & heads_table.c.exclusive,
        heads_table.c.subject.in_(bindparam("erased", expanding=True)),
    )
)
"""The heads an append needs: its cards', the holders of its subjects, and every head
of a subject it erases."""
_INSERT_ENTRIES: Final = insert(entries_table)
_INSERT_HEADS: Final = insert(heads_table)
_INSERT_RECEIPTS: Final = insert(receipts_table)
_INSERT_NODES: Final = insert(tree_table)
_MOVE_TIP: Final = (
    update(tip_table)
    .where(tip_table.c.id == 1)
    .values(
        size=bindparam("size"),
        hash=bindparam("hash"),
        root=bindparam("root"),
        frontier=bindparam("frontier"),
    )
)
_MOVE_HEAD: Final = (
    update(heads_table)
    .where(heads_table.c.card_id == bindparam("moved_card"))
    .values(
        {
            column: bindparam(column)
            for column in heads_table.c.keys()  # noqa: SIM118
            if column not in ("card_id", "opened_seq", "opened_at")
        }
    )
)


def load_snapshot(
    conn: Connection,
    requests: Sequence[Request],
    clock: Callable[[], datetime],
    window: timedelta,
) -> Snapshot:
    """Lock the tip and read what ``requests`` need -- the heads they touch, the holders
    of their subjects, every card of a subject to erase, live receipts, persons held --
    from the hashed entries and the tree, each cache checked against them
    (``ledger.sql.hashed``): ``CacheDisagrees`` if one was edited underneath.

    The clock is read once the lock is held, so recorded times rise with the sequence.
    """
    row = conn.execute(_LOCK_TIP).one()
    now = clock()
    wanted = needs(requests)
    tip, frontier = checked_tip(conn, row)
    facts = hashed_heads(conn, wanted)
    cached: dict[str, Head] = {}
    cards, subjects, erased = (
        list(_chunks(sorted(asked)))
        for asked in (wanted.cards | facts.heads.keys(), wanted.subjects, wanted.erased)
    )
    for turn in range(max(len(cards), len(subjects), len(erased))):
        rows = conn.execute(
            _HEADS_WANTED,
            {
                "cards": cards[turn] if turn < len(cards) else [],
                "subjects": subjects[turn] if turn < len(subjects) else [],
                "erased": erased[turn] if turn < len(erased) else [],
            },
        )
        cached.update((row.card_id, head_of(row)) for row in rows)
    check_heads(cached, facts.heads)
    persons: set[str] = set()
    for refs in erased:
        statement = select(persons_table.c.ref).where(persons_table.c.ref.in_(refs))
        persons.update(conn.execute(statement).scalars())
    cutoff = now - window
    return Snapshot(
        tip=tip,
        frontier=frontier,
        now=now,
        heads=facts.heads,
        latest=facts.latest,
        persons=frozenset(persons),
        receipts=checked_receipts(
            conn, wanted.keys, cutoff, live_receipts(conn, wanted.keys, cutoff)
        ),
    )


def live_receipts(
    conn: Connection, keys: Iterable[tuple[str, str]], cutoff: datetime
) -> dict[tuple[str, str], Receipt]:
    """The newest receipt of each (actor, key) recorded at or after ``cutoff``."""
    found: dict[tuple[str, str], Receipt] = {}
    receipts = receipts_table.c
    for chunk in _chunks(keys):
        statement = (
            select(receipts_table)
            .where(tuple_(receipts.actor, receipts.key).in_(chunk), receipts.recorded_at >= cutoff)
            .order_by(receipts.seq)
        )
        found.update(
            ((row.actor, row.key), Receipt(**row._mapping)) for row in conn.execute(statement)
        )
    return found


def write_plan(conn: Connection, written: Plan) -> None:
    """Write what ``written`` says, in the order that keeps every constraint true."""
    dialect = conn.dialect.name
    if written.purge_before is not None:
        conn.execute(
            delete(receipts_table).where(receipts_table.c.recorded_at < written.purge_before)
        )
    if written.persons:
        _keep_persons(conn, dialect, written)
    for chunk in _chunks(written.erased):
        conn.execute(delete(persons_table).where(persons_table.c.ref.in_(chunk)))
    if not written.entries:
        return
    conn.execute(_INSERT_ENTRIES, [entry_row(entry) for entry in written.entries])
    if written.moved:
        conn.execute(_MOVE_HEAD, [_head_values(head) for head in written.moved])
    if written.opened:
        conn.execute(_INSERT_HEADS, [_values(head) for head in written.opened])
    if written.receipts:
        conn.execute(_INSERT_RECEIPTS, [_values(receipt) for receipt in written.receipts])
    conn.execute(
        _INSERT_NODES,
        [
            {"level": level, "idx": index, "hash": digest.hex()}
            for level, index, digest in written.nodes
        ],
    )
    conn.execute(
        _MOVE_TIP,
        {
            "size": written.tip.size,
            "hash": written.tip.hash,
            "root": written.tip.root,
            "frontier": json.dumps([root.hex() for root in written.frontier.roots]),
        },
    )


def cards_of(conn: Connection, subject: str) -> list[Head]:
    """The head of every card ``subject`` was ever the holder of, oldest first."""
    query = (
        select(heads_table)
        .where(heads_table.c.subject == subject)
        .order_by(heads_table.c.opened_seq)
    )
    return [head_of(row) for row in conn.execute(query)]


def insert_ignoring(dialect: str, table: Table, row: dict[str, Any], *key: str) -> Any:
    """An INSERT of ``row`` that does nothing if a row with its ``key`` columns exists."""
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    return make(table).values(**row).on_conflict_do_nothing(index_elements=list(key))


def insert_ignoring_many(dialect: str, table: Table, *key: str) -> Any:
    """An INSERT of many rows (given at execution) that skips those whose ``key`` columns
    are stored already."""
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    return make(table).on_conflict_do_nothing(index_elements=list(key))


def _keep_persons(conn: Connection, dialect: str, written: Plan) -> None:
    """Write each person's data, replacing what was held under the same reference."""
    conn.execute(
        _replacing_persons(dialect),
        [person_row(person, written.recorded_at) for person in written.persons],
    )


@cache
def _replacing_persons(dialect: str) -> Any:
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = make(persons_table)
    return statement.on_conflict_do_update(
        index_elements=["ref"],
        set_={
            "id_number": statement.excluded.id_number,
            "name": statement.excluded.name,
            "details": statement.excluded.details,
        },
    )


def _values(record: Head | Receipt) -> dict[str, Any]:
    """A head's or a receipt's fields by name, as its row's columns are (its fields are
    all plain values: no need of ``asdict``'s deep copies)."""
    names = _HEAD_FIELDS if isinstance(record, Head) else _RECEIPT_FIELDS
    return {name: getattr(record, name) for name in names}


_HEAD_FIELDS: Final = tuple(f.name for f in fields(Head))
_RECEIPT_FIELDS: Final = tuple(f.name for f in fields(Receipt))


def _head_values(head: Head) -> dict[str, Any]:
    values = _values(head)
    values["moved_card"] = values.pop("card_id")
    del values["opened_seq"], values["opened_at"]
    return values


def _chunks(items: Iterable[_T], size: int = _CHUNK) -> Iterator[list[_T]]:
    batch = list(items)
    for start in range(0, len(batch), size):
        yield batch[start : start + size]
