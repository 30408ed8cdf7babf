"""The SQLAlchemy ledger: SQLite in a file by default, PostgreSQL by URL, the same code.

One append path (``SqlLedger.append``) writes entries, heads and persons in one
transaction. Writers serialise on the single ``ledger_tip`` row -- ``BEGIN IMMEDIATE``
on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL -- so sequence numbers are gapless,
the chain never forks, and entries become visible in sequence order: a follower of
``entries_after`` can never see seq N+1 before seq N has committed.

The database refuses UPDATE and DELETE on ``ledger_entries`` (and TRUNCATE on
PostgreSQL) with triggers, so even a careless administrator's statement fails; an
owner who drops the triggers first is caught by ``ledger.verify``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Dialect,
    Exists,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    exists,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from ledger.entry import GENESIS_HASH, TRANSITION, Draft, Entry
from ledger.errors import DuplicateRequest, LedgerError, NotHeld, SchemaMismatch, VersionConflict
from ledger.merkle import EMPTY_ROOT, Frontier, Node
from ledger.store import (
    MAX_KEY_LENGTH,
    RECEIPT_WINDOW,
    CardQuery,
    Head,
    Move,
    Person,
    Receipt,
    SignedCheckpoint,
    Tip,
    Unreadable,
    check_erasure,
    grow,
    hold,
)

# Engines hide bound parameters from error messages: an apply's parameters carry a
# person's name and ID number, which must never reach a log line.

SCHEMA_VERSION: Final = 5
_BUSY_TIMEOUT: Final = 30.0
"""Seconds a SQLite connection waits for a lock before it gives up."""


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)


metadata = MetaData()

entries_table = Table(
    "ledger_entries",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("card_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("event", String(32), nullable=False),
    Column("from_state", String(32)),
    Column("to_state", String(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("presenter", String(16), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("definition_version", String(64), nullable=False),
    Column("region", String(64), nullable=False),
    Column("policy", String(128), nullable=False),
    Column("due_at", UtcDateTime),
    Column("exclusive", Boolean, nullable=False),
    Column("idempotency_key", String(MAX_KEY_LENGTH)),
    Column("batch_id", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(
        "ledger_entries_card_version",
        "card_id",
        "version",
        unique=True,
        sqlite_where=text("kind = 'transition'"),
        postgresql_where=text("kind = 'transition'"),
    ),
    Index("ledger_entries_card", "card_id", "seq"),
    Index("ledger_entries_batch", "batch_id", "seq"),
)

heads_table = Table(
    "ledger_heads",
    metadata,
    Column("card_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("state", String(32), nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("subject", String(64), nullable=False),
    Column("region", String(64), nullable=False),
    Column("opened_seq", BigInteger, nullable=False, unique=True),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime),
    Column("exclusive", Boolean, nullable=False),
    Index("ledger_heads_state", "state", "opened_seq"),
    Index("ledger_heads_subject", "subject", "opened_seq"),
    Index("ledger_heads_region", "region", "opened_seq"),
    Index(
        "ledger_heads_due",
        "due_at",
        "card_id",
        sqlite_where=text("due_at IS NOT NULL"),
        postgresql_where=text("due_at IS NOT NULL"),
    ),
    Index(
        "ledger_heads_holder",
        "subject",
        unique=True,
        sqlite_where=text("exclusive"),
        postgresql_where=text("exclusive"),
    ),
)

tip_table = Table(
    "ledger_tip",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("root", String(64), nullable=False),
    Column("frontier", Text, nullable=False),
)

tree_table = Table(
    "ledger_tree",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
)
"""The ledger's Merkle tree: every perfect subtree, written as appends complete it."""

checkpoints_table = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
)
"""Every checkpoint signed, one per size."""

receipts_table = Table(
    "ledger_receipts",
    metadata,
    Column("actor", String(128), nullable=False),
    Column("key", String(MAX_KEY_LENGTH), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("card_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ledger_receipts_actor_key", "actor", "key"),
    Index("ledger_receipts_recorded_at", "recorded_at"),
)

persons_table = Table(
    "persons",
    metadata,
    Column("ref", String(64), primary_key=True),
    Column("id_number", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("details", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

_APPEND_ONLY: Final = ("ledger_entries", "ledger_tree", "ledger_checkpoints")

_SQLITE_TRIGGERS: Final = tuple(
    f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()}
        BEFORE {op} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"""
    for table in _APPEND_ONLY
    for op in ("UPDATE", "DELETE")
)

_POSTGRES_TRIGGERS: Final = (
    """CREATE OR REPLACE FUNCTION cardflow_refuse_change() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION '%% is append-only: %% refused', TG_TABLE_NAME, TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END $$""",
    *(
        statement
        for table in _APPEND_ONLY
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
               FOR EACH ROW EXECUTE FUNCTION cardflow_refuse_change()""",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
               FOR EACH STATEMENT EXECUTE FUNCTION cardflow_refuse_change()""",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_change",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate",
        )
    ),
)


def _triggers(dialect: str) -> tuple[str, ...]:
    return _SQLITE_TRIGGERS if dialect == "sqlite" else _POSTGRES_TRIGGERS


def _trigger_names(dialect: str) -> set[str]:
    """The append-only triggers the schema must hold, each in force."""
    kinds = ("no_update", "no_delete") if dialect == "sqlite" else ("no_change", "no_truncate")
    return {f"{table}_{kind}" for table in _APPEND_ONLY for kind in kinds}


def _schema_complete(conn: Connection) -> bool:
    """Whether every table, the tip row and every append-only trigger are in place;
    ``SchemaMismatch`` if the tip says another cardflow made them."""
    if not set(metadata.tables) <= set(inspect(conn).get_table_names()):
        return False
    found = conn.execute(select(tip_table.c.schema_version)).scalar_one_or_none()
    if found is None:
        return False
    if found != SCHEMA_VERSION:
        raise SchemaMismatch(
            f"the database holds cardflow schema {found}; this cardflow uses {SCHEMA_VERSION}"
        )
    if conn.dialect.name == "sqlite":
        held = text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:  # in force whatever the session's replication role: ENABLE ALWAYS
        held = text(
            "SELECT tgname FROM pg_trigger WHERE tgenabled = 'A' "
            "AND tgrelid = ANY(CAST(:tables AS regclass[]))"
        ).bindparams(tables=list(_APPEND_ONLY))
    names = set(conn.execute(held).scalars())
    return _trigger_names(conn.dialect.name) <= names


def _permission_denied(error: DBAPIError) -> bool:
    """Whether the database refused ``error``'s statement for want of a privilege."""
    return getattr(error.orig, "sqlstate", None) == "42501"


WRITER_PRIVILEGES: Final = {
    "ledger_entries": ("SELECT", "INSERT"),
    "ledger_tree": ("SELECT", "INSERT"),
    "ledger_checkpoints": ("SELECT", "INSERT"),
    "ledger_tip": ("SELECT", "UPDATE"),
    "ledger_heads": ("SELECT", "INSERT", "UPDATE"),
    "ledger_receipts": ("SELECT", "INSERT", "DELETE"),
    "persons": ("SELECT", "INSERT", "UPDATE", "DELETE"),
}
"""What cardflow's writer role may do to each table, and nothing more: the ledger's own
tables take INSERT and SELECT only; the tip, the heads, the receipts and the persons
are state kept beside them, which appends move and erasure removes."""


def writer_grants(
    conn: Connection, role: str, privileges: Mapping[str, Sequence[str]]
) -> list[str]:
    """The statements that leave ``role`` exactly ``privileges`` on the tables of the
    schema ``conn`` works in, and the use of that schema. ``LedgerError`` if ``role`` is
    the one connected or owns the ledger: an owner keeps every power over its tables."""
    owner = conn.execute(
        text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = :table"
        ),
        {"table": entries_table.name},
    ).scalar_one_or_none()
    if role in (owner, conn.execute(text("SELECT current_user")).scalar_one()):
        raise LedgerError(
            f"{role} owns the ledger's tables or is the role connected: the writer must be "
            "another role, one that owns nothing"
        )
    quote = conn.dialect.identifier_preparer.quote
    schema = quote(conn.execute(text("SELECT current_schema()")).scalar_one())
    grantee = quote(role)
    tables = ", ".join(f"{schema}.{quote(table)}" for table in privileges)
    return [
        f"REVOKE ALL ON {tables} FROM {grantee}",
        f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
        *(
            f"GRANT {', '.join(allowed)} ON {schema}.{quote(table)} TO {grantee}"
            for table, allowed in privileges.items()
        ),
    ]


@contextmanager
def schema_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction in which to create tables, one process at a time: the write lock
    on SQLite, an advisory lock on PostgreSQL. Checking for a table and creating it is
    not atomic, so two processes starting together would otherwise both create it."""
    with engine.execution_options(cardflow_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7263311)"))
        yield conn


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _now() -> datetime:
    return datetime.now(UTC)


class SqlLedger:
    """A ledger in a relational database, reached through SQLAlchemy Core."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = _now,
        receipt_window: timedelta = RECEIPT_WINDOW,
    ) -> None:
        self.url = normalise_url(url)
        self._clock = clock
        self._receipt_window = receipt_window
        self.engine = _engine(self.url)
        self._writer = self.engine.execution_options(cardflow_write=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_schema(self) -> None:
        """Create what is missing -- tables, indexes, the append-only triggers (re-made
        at each start), the tip -- safely from several processes at once.

        A role that may not (the writer role, see ``writer_grants``) opens a schema only
        if every table, the tip and every append-only trigger are there and in force.
        """
        try:
            with schema_transaction(self.engine) as conn:
                metadata.create_all(conn, checkfirst=True)
                for table in metadata.sorted_tables:  # indexes added to existing tables
                    for index in table.indexes:
                        index.create(conn, checkfirst=True)
                for statement in _triggers(self.dialect):
                    conn.exec_driver_sql(statement)
                first = {
                    "id": 1,
                    "size": 0,
                    "hash": GENESIS_HASH,
                    "schema_version": SCHEMA_VERSION,
                    "root": EMPTY_ROOT.hex(),
                    "frontier": "[]",
                }
                conn.execute(_insert_ignoring_conflict(self.dialect, first))
        except DBAPIError as refused:
            if not _permission_denied(refused):
                raise
        with self.engine.connect() as conn:
            if not _schema_complete(conn):
                raise LedgerError(
                    "the database's cardflow schema is missing, or its append-only triggers "
                    "are, and this role may not create them: run cardflow once as the "
                    "database's owner"
                )

    def dispose(self) -> None:
        self.engine.dispose()

    def append(
        self,
        drafts: Sequence[Draft],
        *,
        persons: Sequence[Person] = (),
        erase: Sequence[str] = (),
    ) -> list[Entry]:
        if not drafts and not persons and not erase:
            return []
        with self._writer.begin() as conn:
            tip = conn.execute(
                select(tip_table.c.size, tip_table.c.hash, tip_table.c.frontier)
                .where(tip_table.c.id == 1)
                .with_for_update()
            ).one()
            now = self._clock()
            self._refuse_duplicates(conn, drafts, now)
            current = _versions(conn, {draft.card_id for draft in drafts})
            sealed = _seal(drafts, current, seq=tip.size, prev_hash=tip.hash, now=now)
            _check_holders(conn, sealed)
            recorded_at = now
            receipts = [
                Receipt.of(d, e) for d, e in zip(drafts, sealed, strict=True) if d.idempotency_key
            ]
            if persons:
                _keep_persons(conn, self.dialect, persons, recorded_at)
            if erase:
                check_erasure(erase, sealed, lambda subject: _cards_of(conn, subject))
                gone = conn.execute(delete(persons_table).where(persons_table.c.ref.in_(erase)))
                if gone.rowcount != len(set(erase)):
                    raise NotHeld()
            if sealed:
                conn.execute(insert(entries_table), [_entry_row(entry) for entry in sealed])
                _move_heads(conn, sealed, current)
                if receipts:
                    conn.execute(insert(receipts_table), [asdict(r) for r in receipts])
                frontier, completed = grow(_frontier(tip.size, tip.frontier), sealed)
                conn.execute(
                    insert(tree_table),
                    [{"level": lv, "idx": i, "hash": h.hex()} for lv, i, h in completed],
                )
                conn.execute(
                    update(tip_table)
                    .where(tip_table.c.id == 1)
                    .values(
                        size=sealed[-1].seq,
                        hash=sealed[-1].hash,
                        root=frontier.root().hex(),
                        frontier=json.dumps([r.hex() for r in frontier.roots]),
                    )
                )
        return sealed

    def clear_journal(self, *, wait: float = _BUSY_TIMEOUT) -> bool:
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
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT * 1000)}")
        return not busy

    def cards_of(self, subject: str) -> list[Head]:
        with self.engine.connect() as conn:
            return _cards_of(conn, subject)

    def head(self, card_id: str) -> Head | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(heads_table).where(heads_table.c.card_id == card_id)).first()
        return None if row is None else _head(row)

    def entries_for(self, card_id: str) -> list[Entry]:
        query = (
            select(entries_table)
            .where(entries_table.c.card_id == card_id)
            .order_by(entries_table.c.seq)
        )
        with self.engine.connect() as conn:
            return [_entry(row._mapping) for row in conn.execute(query)]

    def entries_after(self, seq: int, limit: int) -> list[Entry]:
        query = (
            select(entries_table)
            .where(entries_table.c.seq > seq)
            .order_by(entries_table.c.seq)
            .limit(max(limit, 0))
        )
        with self.engine.connect() as conn:
            return [_entry(row._mapping) for row in conn.execute(query)]

    def scan(self) -> Iterator[Entry | Unreadable]:
        query = select(*_raw_columns(self.dialect)).order_by(entries_table.c.seq)
        with (
            self.engine.connect() as conn,
            conn.execution_options(yield_per=1000).execute(query) as rows,
        ):
            for row in rows:
                try:
                    yield _entry(row._mapping)
                except (ValueError, TypeError, KeyError) as damage:
                    yield Unreadable(int(row.seq), str(damage))

    def heads(self) -> Iterator[Head]:
        query = select(heads_table).order_by(heads_table.c.card_id)
        with (
            self.engine.connect() as conn,
            conn.execution_options(yield_per=1000).execute(query) as rows,
        ):
            for row in rows:
                yield _head(row)

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
            return [_head(row) for row in conn.execute(statement)]

    def due(self, by: datetime, limit: int) -> list[Head]:
        heads = heads_table.c
        statement = (
            select(heads_table)
            .where(heads.due_at.is_not(None), heads.due_at <= by)
            .order_by(heads.due_at, heads.card_id)
            .limit(max(limit, 0))
        )
        with self.engine.connect() as conn:
            return [_head(row) for row in conn.execute(statement)]

    def holder(self, subject: str) -> Head | None:
        statement = select(heads_table).where(
            heads_table.c.subject == subject, heads_table.c.exclusive
        )
        with self.engine.connect() as conn:
            row = conn.execute(statement).first()
        return None if row is None else _head(row)

    def tip(self) -> Tip:
        with self.engine.connect() as conn:
            row = conn.execute(select(tip_table.c.size, tip_table.c.hash, tip_table.c.root)).one()
        return Tip(row.size, row.hash, row.root)

    def keep_checkpoint(self, checkpoint: SignedCheckpoint) -> SignedCheckpoint:
        row = {
            "size": checkpoint.size,
            "root": checkpoint.root.hex(),
            "note": checkpoint.note,
            "signed_at": checkpoint.signed_at,
        }
        make = pg_insert if self.dialect == "postgresql" else sqlite_insert
        with self._writer.begin() as conn:
            conn.execute(make(checkpoints_table).values(**row).on_conflict_do_nothing())
            kept = conn.execute(
                select(checkpoints_table).where(checkpoints_table.c.size == checkpoint.size)
            ).one()
        return _checkpoint(kept)

    def checkpoints(self) -> list[SignedCheckpoint]:
        query = select(checkpoints_table).order_by(checkpoints_table.c.size)
        with self.engine.connect() as conn:
            return [_checkpoint(row) for row in conn.execute(query)]

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        query = select(checkpoints_table).order_by(checkpoints_table.c.size.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _checkpoint(row)

    def tree_node(self, level: int, index: int) -> bytes | None:
        query = select(tree_table.c.hash).where(
            tree_table.c.level == level, tree_table.c.idx == index
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return None if found is None else _hash_bytes(found)

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
                yield int(row.level), int(row.idx), _hash_bytes(row.hash)

    def receipt(self, actor: str, key: str) -> Receipt | None:
        with self.engine.connect() as conn:
            return self._live_receipt(conn, actor, key, self._clock())

    def _live_receipt(
        self, conn: Connection, actor: str, key: str, now: datetime
    ) -> Receipt | None:
        row = conn.execute(
            select(receipts_table)
            .where(
                receipts_table.c.actor == actor,
                receipts_table.c.key == key,
                receipts_table.c.recorded_at >= now - self._receipt_window,
            )
            .order_by(receipts_table.c.seq.desc())
            .limit(1)
        ).first()
        return None if row is None else Receipt(**row._mapping)

    def _refuse_duplicates(self, conn: Connection, drafts: Sequence[Draft], now: datetime) -> None:
        """Raise ``DuplicateRequest`` if an idempotent draft's key is already held.

        Runs under the tip lock and before the version check, so of concurrent retries
        the first writes and every other hears of its receipt, never of a conflict.
        Receipts past the window are cleared on the way.
        """
        keyed = [(d.actor, d.idempotency_key) for d in drafts if d.idempotency_key is not None]
        if not keyed:
            return
        conn.execute(
            delete(receipts_table).where(receipts_table.c.recorded_at < now - self._receipt_window)
        )
        for actor, key in keyed:
            held = self._live_receipt(conn, actor, key, now)
            if held is not None:
                raise DuplicateRequest(held)
        if len(set(keyed)) < len(keyed):
            raise LedgerError("one idempotency key used twice in one append")

    def person(self, ref: str) -> Person | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(persons_table).where(persons_table.c.ref == ref)).first()
        if row is None:
            return None
        return Person(row.ref, row.id_number, row.name, json.loads(row.details))


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": _BUSY_TIMEOUT, "check_same_thread": False},
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; take it over so that
        # writers can say BEGIN IMMEDIATE and readers keep WAL's non-blocking reads.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _into_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        # Freed space is zeroed, so erased personal data leaves no bytes in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("cardflow_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _into_wal(cursor: Any) -> None:
    """Switch the file to WAL. The switch takes an exclusive lock and, unlike other
    statements, answers "locked" at once instead of waiting, so a new file opened by
    several processes together needs a few tries; once in WAL, a file stays so."""
    for _attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as busy:
            if "locked" not in str(busy):
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA journal_mode=WAL")


def _checkpoint(row: Any) -> SignedCheckpoint:
    return SignedCheckpoint(row.size, bytes.fromhex(row.root), row.note, row.signed_at)


def _hash_bytes(stored: str) -> bytes:
    """A stored hex hash; a damaged one as no bytes, which no hash equals."""
    try:
        return bytes.fromhex(stored)
    except (TypeError, ValueError):
        return b""


def _frontier(size: int, stored: str) -> Frontier:
    """The frontier the tip row keeps, as the JSON list of its roots' hex."""
    return Frontier(size, tuple(bytes.fromhex(root) for root in json.loads(stored)))


def _keep_persons(conn: Connection, dialect: str, persons: Sequence[Person], at: datetime) -> None:
    """Write each person's data, replacing what was held under the same reference."""
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    latest = {person.ref: person for person in persons}
    statement = make(persons_table)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["ref"],
            set_={
                "id_number": statement.excluded.id_number,
                "name": statement.excluded.name,
                "details": statement.excluded.details,
            },
        ),
        [_person_row(person, at) for person in latest.values()],
    )


def _insert_ignoring_conflict(dialect: str, row: dict[str, Any]) -> Any:
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    return make(tip_table).values(**row).on_conflict_do_nothing(index_elements=["id"])


def _cards_of(conn: Connection, subject: str) -> list[Head]:
    query = (
        select(heads_table)
        .where(heads_table.c.subject == subject)
        .order_by(heads_table.c.opened_seq)
    )
    return [_head(row) for row in conn.execute(query)]


def _versions(conn: Connection, card_ids: set[str]) -> dict[str, int]:
    if not card_ids:
        return {}
    found: dict[str, int] = {}
    ids = sorted(card_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(heads_table.c.card_id, heads_table.c.version).where(
            heads_table.c.card_id.in_(chunk)
        )
        found.update((row.card_id, row.version) for row in conn.execute(query))
    return found


def _seal(
    drafts: Sequence[Draft], current: dict[str, int], *, seq: int, prev_hash: str, now: datetime
) -> list[Entry]:
    versions = dict(current)
    sealed: list[Entry] = []
    for draft in drafts:
        actual = versions.get(draft.card_id, 0)
        if draft.expected_version() != actual or draft.version < 1:
            raise VersionConflict(draft.card_id, expected=draft.expected_version(), actual=actual)
        seq += 1
        entry = Entry.seal(draft, seq=seq, recorded_at=now, prev_hash=prev_hash)
        sealed.append(entry)
        versions[draft.card_id] = draft.version
        prev_hash = entry.hash
    return sealed


def _check_holders(conn: Connection, sealed: Sequence[Entry]) -> None:
    """Raise ``SubjectTaken`` unless every exclusive entry's subject is free for its card.

    Writers hold the tip lock, so what is read here cannot change before the commit;
    the partial unique index on the heads is the backstop.
    """
    moving = [entry for entry in sealed if entry.moves]
    subjects = sorted({entry.subject for entry in moving if entry.exclusive})
    if not subjects:
        return
    holders: dict[str, str] = {}
    for start in range(0, len(subjects), 500):
        query = select(heads_table.c.subject, heads_table.c.card_id).where(
            heads_table.c.subject.in_(subjects[start : start + 500]), heads_table.c.exclusive
        )
        holders.update((row.subject, row.card_id) for row in conn.execute(query))
    for entry in moving:
        hold(holders, entry)


def _move_heads(conn: Connection, sealed: Sequence[Entry], current: dict[str, int]) -> None:
    """Move existing heads, then insert new ones: a card giving up its subject does so
    before the card taking it over appears."""
    last = {entry.card_id: entry for entry in sealed if entry.moves}
    opened = {e.card_id: e for e in reversed(sealed) if e.moves and e.card_id not in current}
    for card_id, e in last.items():
        if card_id in current:
            conn.execute(
                update(heads_table)
                .where(heads_table.c.card_id == card_id)
                .values(
                    version=e.version,
                    state=e.to_state,
                    last_seq=e.seq,
                    subject=e.subject,
                    region=e.region,
                    updated_at=e.recorded_at,
                    occurred_at=e.occurred_at,
                    due_at=e.due_at,
                    exclusive=e.exclusive,
                )
            )
    if opened:
        rows = [asdict(Head.opened(e).moved(last[card_id])) for card_id, e in opened.items()]
        conn.execute(insert(heads_table), rows)


def _entry_row(entry: Entry) -> dict[str, Any]:
    row = {name: getattr(entry, name) for name in entries_table.c.keys()}  # noqa: SIM118
    row["evidence"] = json.dumps(dict(entry.evidence), sort_keys=True, ensure_ascii=False)
    return row


def _person_row(person: Person, created_at: datetime) -> dict[str, Any]:
    return {
        "ref": person.ref,
        "id_number": person.id_number,
        "name": person.name,
        "details": json.dumps(dict(person.details), sort_keys=True, ensure_ascii=False),
        "created_at": created_at,
    }


def _raw_columns(dialect: str) -> list[Any]:
    """Entry columns, timestamps read as stored text on SQLite (which types nothing), so
    that one damaged value is reported by ``verify`` instead of stopping the scan."""
    if dialect != "sqlite":
        return list(entries_table.c)
    return [
        column.cast(Text).label(column.name) if isinstance(column.type, UtcDateTime) else column
        for column in entries_table.c
    ]


def _entry(row: Any) -> Entry:
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
        occurred_at=_moment(row["occurred_at"]),
        recorded_at=_moment(row["recorded_at"]),
        evidence=evidence,
        definition_version=str(row["definition_version"]),
        region=str(row["region"]),
        policy=str(row["policy"]),
        due_at=None if row["due_at"] is None else _moment(row["due_at"]),
        exclusive=_flag(row["exclusive"]),
        idempotency_key=None if row["idempotency_key"] is None else str(row["idempotency_key"]),
        batch_id=None if row["batch_id"] is None else str(row["batch_id"]),
        prev_hash=str(row["prev_hash"]),
        hash=str(row["hash"]),
    )


def _head(row: Any) -> Head:
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


def _flag(value: Any) -> bool:
    """A stored boolean, strictly: SQLite hands back 0 or 1, damage anything else."""
    if isinstance(value, bool):
        return value
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise ValueError(f"{value!r} is not a stored boolean")


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _as_utc(value)
    return _as_utc(datetime.fromisoformat(str(value)))


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
