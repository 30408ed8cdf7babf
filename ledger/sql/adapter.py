"""The SQLAlchemy ledger: SQLite in a file by default, PostgreSQL by URL, the same code.

An append is a load, a plan and a write (``ledger.append`` decides; this adapter only
reads what a plan needs and writes what it says), in one transaction. Writers serialise
on the single ``ledger_tip`` row -- ``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR
UPDATE`` on PostgreSQL -- so sequence numbers are gapless, the chain never forks, and
entries become visible in sequence order: a follower of ``entries_after`` can never see
seq N+1 before seq N has committed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, Exists, and_, bindparam, exists, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ledger.append import Request, plan_many
from ledger.cardmap import MapNode
from ledger.entry import REFUSAL, TRANSITION, Draft, Entry
from ledger.errors import LedgerError
from ledger.group import DEFAULT_LINGER, DEFAULT_MOST, GroupCommit, Outcome
from ledger.merkle import Node
from ledger.sql.codec import (
    checkpoint_of,
    entry_of,
    entry_of_values,
    hash_bytes,
    head_of,
    map_node_of,
    map_node_row,
    raw_columns,
    stored_frontier,
)
from ledger.sql.engine import BUSY_TIMEOUT, make_engine
from ledger.sql.hashed import checked_receipts
from ledger.sql.migrate import (
    Revision,
    Standing,
    Upgraded,
    migrate,
    require_head,
    restore_triggers,
    revision_of,
    upgrade,
)
from ledger.sql.schema import (
    bound_keys_table,
    checkpoints_table,
    cosignatures_table,
    entries_table,
    heads_table,
    map_nodes_table,
    normalise_url,
    permission_denied,
    persons_table,
    receipts_table,
    schema_complete,
    schema_transaction,
    tip_table,
    tree_table,
)
from ledger.sql.writes import (
    cards_of,
    insert_ignoring,
    insert_ignoring_many,
    live_receipts,
    load_snapshot,
    write_plan,
)
from ledger.store import (
    RECEIPT_WINDOW,
    BoundKey,
    CardQuery,
    Head,
    KeptCosignature,
    Move,
    Person,
    Receipt,
    SignedCheckpoint,
    Tip,
    Unreadable,
)

_IN_LIST: Final = 500
"""The most values one ``IN`` list carries: well inside every driver's parameter limit."""
_SCAN_PAGE: Final = 5000
"""Entry rows fetched at a time by a scan."""
_HEAD: Final = select(heads_table).where(heads_table.c.card_id == bindparam("card_id"))


def _now() -> datetime:
    return datetime.now(UTC)


class _Unwritten(Exception):
    """A write failed before its commit: nothing of it was written."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class SqlLedger:
    """A ledger in a relational database, reached through SQLAlchemy Core; with
    ``read_only`` (a streaming replica's, say), one that only reads: every write it is
    asked for is ``ReadOnly`` before a statement is sent, and the database is told to
    refuse one too (see ``make_engine``)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = _now,
        receipt_window: timedelta = RECEIPT_WINDOW,
        group_most: int = DEFAULT_MOST,
        group_linger: float = DEFAULT_LINGER,
        read_only: bool = False,
    ) -> None:
        self.url = normalise_url(url)
        self._clock = clock
        self._receipt_window = receipt_window
        self.read_only = read_only
        self.engine = make_engine(self.url, read_only=read_only)
        self._writer = self.engine.execution_options(cardflow_write=True)
        self._group = GroupCommit(self._commit_group, most=group_most, linger=group_linger)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_schema(self) -> None:
        """Open the schema, safely from several processes at once: on an empty database
        the migrations make it (``ledger.sql.migrate``), on one at this cardflow's head
        the append-only triggers are made again where they were dropped.

        ``SchemaMismatch`` saying what to run (``cardflow db upgrade``) for a schema
        behind the head, from before migrations, or at a revision this cardflow does not
        know: nothing is upgraded here. A role that may not run DDL (the writer role,
        see ``writer_grants``) opens a schema only if it is at the head and every table,
        the tip and every append-only trigger are there and in force.
        """
        try:
            with schema_transaction(self.engine) as conn:
                found = revision_of(conn)
                if found.standing is Standing.EMPTY:
                    migrate(conn)
                elif found.standing is Standing.HEAD:
                    restore_triggers(conn)
        except DBAPIError as refused:
            if not permission_denied(refused):
                raise
        with self.engine.connect() as conn:
            require_head(conn)
            if not schema_complete(conn):
                raise LedgerError(
                    "the database's cardflow schema is missing, or its append-only triggers "
                    "are, and this role may not create them: run cardflow once as the "
                    "database's owner"
                )

    def check_schema(self) -> None:
        """``SchemaMismatch`` saying what to run unless the schema is at this cardflow's
        head; reads only, so that a ledger whose triggers were dropped can still be
        checked."""
        with self.engine.connect() as conn:
            require_head(conn)

    def upgrade_schema(self) -> Upgraded:
        """Bring the schema to this cardflow's head (``ledger.sql.migrate.upgrade``)."""
        return upgrade(self.engine)

    def revision(self) -> Revision:
        """Where the schema stands against this cardflow's migrations."""
        with self.engine.connect() as conn:
            return revision_of(conn)

    def dispose(self) -> None:
        self.engine.dispose()

    def _snapshot(self) -> Connection:
        """A connection whose reads all see one moment, so that a cache and the facts it
        is checked against are read as they stood together (on PostgreSQL, REPEATABLE
        READ; a SQLite read transaction is one snapshot already)."""
        if self.dialect == "postgresql":
            return self.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        return self.engine.connect()

    def append(
        self,
        drafts: Sequence[Draft],
        *,
        persons: Sequence[Person] = (),
        erase: Sequence[str] = (),
    ) -> list[Entry]:
        request = Request(drafts, persons, erase)
        if not request:
            return []
        return self._group.append(request)

    def append_many(self, requests: Sequence[Request]) -> list[list[Entry] | LedgerError]:
        """Append each of ``requests`` in one transaction, each failing on its own: what
        each wrote, or why it wrote nothing. One lock, one tree update, one commit."""
        try:
            return self._write(requests)
        except _Unwritten as unwritten:
            raise unwritten.cause from None

    def _write(self, requests: Sequence[Request]) -> list[list[Entry] | LedgerError]:
        """Load, plan and write ``requests`` in one transaction; ``_Unwritten`` if it
        failed before its commit (so nothing was written), the error itself if the commit
        did (and whether it took is unknown)."""
        planned = False
        try:
            with self._writer.begin() as conn:
                snapshot = load_snapshot(conn, requests, self._clock, self._receipt_window)
                written, outcomes = plan_many(
                    snapshot, requests, receipt_window=self._receipt_window
                )
                write_plan(conn, written)
                planned = True
        except Exception as failed:
            if planned:
                raise
            raise _Unwritten(failed) from failed
        return [list(o) if isinstance(o, tuple) else o for o in outcomes]

    def _commit_group(self, requests: Sequence[Request]) -> list[Outcome]:
        """A group's batch: together if it can be; if it failed before its commit, each
        request again on its own, so that one request's failure is its own."""
        try:
            return list(self._write(requests))
        except _Unwritten as unwritten:
            if len(requests) == 1:
                raise unwritten.cause from None
        outcomes: list[Outcome] = []
        for request in requests:
            try:
                outcomes += self._write([request])
            except _Unwritten as unwritten:
                outcomes.append(unwritten.cause)
            except Exception as failed:
                outcomes.append(failed)
        return outcomes

    def clear_journal(self, *, wait: float = BUSY_TIMEOUT) -> bool:
        """On SQLite, copy the write-ahead log into the file and empty it, so that the
        pages it still held from before an erasure go with it; ``False`` if readers kept
        it busy for ``wait`` seconds. Elsewhere there is nothing cardflow can clear."""
        if self.dialect != "sqlite":
            return True
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            try:
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        return not busy

    def cards_of(self, subject: str) -> list[Head]:
        with self.engine.connect() as conn:
            return cards_of(conn, subject)

    def head(self, card_id: str) -> Head | None:
        with self.engine.connect() as conn:
            row = conn.execute(_HEAD, {"card_id": card_id}).first()
        return None if row is None else head_of(row)

    def entries_for(self, card_id: str) -> list[Entry]:
        query = (
            select(entries_table)
            .where(entries_table.c.card_id == card_id)
            .order_by(entries_table.c.seq)
        )
        with self.engine.connect() as conn:
            return [entry_of(row._mapping) for row in conn.execute(query)]

    def entries_after(self, seq: int, limit: int) -> list[Entry]:
        query = (
            select(entries_table)
            .where(entries_table.c.seq > seq)
            .order_by(entries_table.c.seq)
            .limit(max(limit, 0))
        )
        with self.engine.connect() as conn:
            return [entry_of(row._mapping) for row in conn.execute(query)]

    def card_page(self, card_id: str, *, after: int, limit: int, refusals: bool) -> list[Entry]:
        entries = entries_table.c
        query = select(entries_table).where(entries.card_id == card_id, entries.seq > after)
        if not refusals:
            query = query.where(entries.kind != REFUSAL)
        query = query.order_by(entries.seq).limit(max(limit, 0))
        with self.engine.connect() as conn:
            return [entry_of(row._mapping) for row in conn.execute(query)]

    def scan(self) -> Iterator[Entry | Unreadable]:
        return self.scan_range(None, None)

    def scan_range(self, after: int | None, through: int | None) -> Iterator[Entry | Unreadable]:
        """``scan`` of the entries whose ``seq`` is past ``after`` and at most ``through``
        (``None``: no bound), read in pages of raw columns: the whole check reads the
        ledger in such ranges, one a worker."""
        seq = entries_table.c.seq
        query = select(*raw_columns(self.dialect)).order_by(seq)
        if after is not None:
            query = query.where(seq > after)
        if through is not None:
            query = query.where(seq <= through)
        place = entries_table.c.keys().index("seq")
        with (
            self.engine.connect() as conn,
            conn.execution_options(yield_per=_SCAN_PAGE).execute(query) as rows,
        ):
            for page in rows.partitions():
                for row in page:
                    try:
                        yield entry_of_values(row)
                    except (ValueError, TypeError, KeyError) as damage:
                        yield Unreadable(int(row[place]), str(damage))

    def heads(self) -> Iterator[Head]:
        query = select(heads_table).order_by(heads_table.c.card_id)
        with (
            self.engine.connect() as conn,
            conn.execution_options(yield_per=1000).execute(query) as rows,
        ):
            for row in rows:
                yield head_of(row)

    def search(self, query: CardQuery) -> list[Head]:
        heads, entries = heads_table.c, entries_table.c

        def moved(*conditions: ColumnElement[bool]) -> Exists:
            return exists().where(
                entries.card_id == heads.card_id, entries.kind == TRANSITION, *conditions
            )

        def among(moves: frozenset[Move]) -> ColumnElement[bool]:
            return or_(*(and_(entries.event == e, entries.channel == c) for e, c in moves))

        wanted: list[ColumnElement[bool]] = [heads.opened_seq > query.after]
        if query.states:
            wanted.append(heads.state.in_(sorted(query.states)))
        if query.regions:
            wanted.append(heads.region.in_(sorted(query.regions)))
        if query.channels:
            wanted.append(moved(entries.channel.in_(sorted(query.channels))))
        if query.having:
            wanted.append(moved(among(query.having)))
        if query.lacking:
            wanted.append(~moved(among(query.lacking)))
        for column, start, end in (
            (heads.opened_at, query.opened_from, query.opened_before),
            (heads.updated_at, query.updated_from, query.updated_before),
        ):
            if start is not None:
                wanted.append(column >= start)
            if end is not None:
                wanted.append(column < end)
        statement = (
            select(heads_table).where(*wanted).order_by(heads.opened_seq).limit(max(query.limit, 0))
        )
        with self.engine.connect() as conn:
            return [head_of(row) for row in conn.execute(statement)]

    def due(self, by: datetime, limit: int) -> list[Head]:
        heads = heads_table.c
        statement = (
            select(heads_table)
            .where(heads.due_at.is_not(None), heads.due_at <= by)
            .order_by(heads.due_at, heads.card_id)
            .limit(max(limit, 0))
        )
        with self.engine.connect() as conn:
            return [head_of(row) for row in conn.execute(statement)]

    def holder(self, subject: str) -> Head | None:
        statement = select(heads_table).where(
            heads_table.c.subject == subject, heads_table.c.exclusive
        )
        with self.engine.connect() as conn:
            row = conn.execute(statement).first()
        return None if row is None else head_of(row)

    def tip(self) -> Tip:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(tip_table.c.size, tip_table.c.hash, tip_table.c.root, tip_table.c.frontier)
            ).one()
        return Tip(row.size, row.hash, row.root, stored_frontier(row.frontier))

    def keep_checkpoint(
        self, checkpoint: SignedCheckpoint, map_nodes: Sequence[MapNode] = ()
    ) -> SignedCheckpoint:
        row = {
            "size": checkpoint.size,
            "root": checkpoint.root.hex(),
            "note": checkpoint.note,
            "signed_at": checkpoint.signed_at,
        }
        with self._writer.begin() as conn:
            rows = [map_node_row(node) for node in {node.hash: node for node in map_nodes}.values()]
            for start in range(0, len(rows), _IN_LIST):
                conn.execute(
                    insert_ignoring_many(conn.dialect.name, map_nodes_table, "hash"),
                    rows[start : start + _IN_LIST],
                )
            conn.execute(insert_ignoring(conn.dialect.name, checkpoints_table, row, "size"))
            kept = conn.execute(
                select(checkpoints_table).where(checkpoints_table.c.size == checkpoint.size)
            ).one()
        return checkpoint_of(kept)

    def map_nodes(self, hashes: Collection[bytes]) -> dict[bytes, MapNode]:
        wanted = sorted({digest.hex() for digest in hashes})
        found: dict[bytes, MapNode] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _IN_LIST):
                query = select(map_nodes_table).where(
                    map_nodes_table.c.hash.in_(wanted[start : start + _IN_LIST])
                )
                for row in conn.execute(query):
                    node = map_node_of(row)
                    found[node.hash] = node
        return found

    def checkpoints(self) -> list[SignedCheckpoint]:
        query = select(checkpoints_table).order_by(checkpoints_table.c.size)
        with self.engine.connect() as conn:
            return [checkpoint_of(row) for row in conn.execute(query)]

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        query = select(checkpoints_table).order_by(checkpoints_table.c.size.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else checkpoint_of(row)

    def keep_cosignature(self, cosignature: KeptCosignature) -> None:
        row = {
            "witness": cosignature.witness,
            "size": cosignature.size,
            "line": cosignature.line,
            "received_at": cosignature.received_at,
        }
        with self._writer.begin() as conn:
            conn.execute(
                insert_ignoring(conn.dialect.name, cosignatures_table, row, "witness", "size")
            )

    def cosignatures(self, size: int) -> list[KeptCosignature]:
        table = cosignatures_table
        query = select(table).where(table.c.size == size).order_by(table.c.witness)
        with self.engine.connect() as conn:
            return [
                KeptCosignature(row.witness, row.size, row.line, row.received_at)
                for row in conn.execute(query)
            ]

    def last_cosigned(self) -> dict[str, int]:
        table = cosignatures_table
        query = select(table.c.witness, func.max(table.c.size)).group_by(table.c.witness)
        with self.engine.connect() as conn:
            return {witness: int(size) for witness, size in conn.execute(query)}

    def bound_keys(self) -> list[BoundKey]:
        table = bound_keys_table
        query = select(table).order_by(table.c.first_size, table.c.kind)
        with self.engine.connect() as conn:
            return [
                BoundKey(row.kind, row.value, row.first_size, row.bound_at)
                for row in conn.execute(query)
            ]

    def bind_key(self, key: BoundKey) -> None:
        row = {
            "kind": key.kind,
            "first_size": key.first_size,
            "value": key.value,
            "bound_at": key.bound_at,
        }
        with self._writer.begin() as conn:
            conn.execute(
                insert_ignoring(conn.dialect.name, bound_keys_table, row, "kind", "first_size")
            )

    def tree_node(self, level: int, index: int) -> bytes | None:
        query = select(tree_table.c.hash).where(
            tree_table.c.level == level, tree_table.c.idx == index
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return None if found is None else hash_bytes(found)

    def tree_nodes_at(self, wanted: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        by_level: dict[int, list[int]] = {}
        for level, index in wanted:
            by_level.setdefault(level, []).append(index)
        nodes = tree_table.c
        query = select(nodes.idx, nodes.hash).where(
            nodes.level == bindparam("level"), nodes.idx.in_(bindparam("indexes", expanding=True))
        )
        found: dict[tuple[int, int], bytes] = {}
        with self.engine.connect() as conn:
            for level, indexes in sorted(by_level.items()):
                for start in range(0, len(indexes), _IN_LIST):
                    chunk = sorted(set(indexes[start : start + _IN_LIST]))
                    for row in conn.execute(query, {"level": level, "indexes": chunk}):
                        found[level, int(row.idx)] = hash_bytes(row.hash)
        return found

    def tree_nodes(self) -> Iterator[Node]:
        nodes = tree_table.c
        query = select(nodes.level, nodes.idx, nodes.hash).order_by(
            (nodes.idx + 1).op("<<")(nodes.level), nodes.level
        )
        with (
            self.engine.connect() as conn,
            conn.execution_options(yield_per=1000).execute(query) as rows,
        ):
            for row in rows:
                yield int(row.level), int(row.idx), hash_bytes(row.hash)

    def receipts(self) -> Iterator[Receipt]:
        query = select(receipts_table).order_by(receipts_table.c.seq)
        with (
            self.engine.connect() as conn,
            conn.execution_options(yield_per=1000).execute(query) as rows,
        ):
            for row in rows:
                yield Receipt(**row._mapping)

    def receipt(self, actor: str, key: str) -> Receipt | None:
        cutoff = self._clock() - self._receipt_window
        with self._snapshot() as conn:
            live = live_receipts(conn, {(actor, key)}, cutoff)
            return checked_receipts(conn, {(actor, key)}, cutoff, live).get((actor, key))

    def person(self, ref: str) -> Person | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(persons_table).where(persons_table.c.ref == ref)).first()
        if row is None:
            return None
        return Person(row.ref, row.id_number, row.name, json.loads(row.details))
