"""The ledger's tables, the append-only triggers that guard them, and the writer role.

The database refuses UPDATE and DELETE on ``ledger_entries``, ``ledger_tree``,
``ledger_checkpoints``, ``ledger_keys``, ``ledger_cosignatures`` and ``ledger_map_nodes``
(and TRUNCATE on PostgreSQL) with triggers, so even a careless
administrator's statement fails; an owner who drops the triggers first is caught by
``ledger.verify``.

The schema is made and changed by the migrations in ``ledger/sql/migrations/``; the
tables here are what the code reads and writes, and the tests check that the
migrations' head makes exactly them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, Final, get_args, get_type_hints

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from ledger.entry import Entry
from ledger.errors import LedgerError, SchemaMismatch
from ledger.store import MAX_KEY_LENGTH

SCHEMA_VERSION: Final = 7
"""What the tip row's ``schema_version`` says at the migrations' head. The revision in
``alembic_version`` says which schema a database holds (``ledger.sql.migrate``); this is
kept in the tip, and checked, as cardflow did before migrations."""
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
        return None if value is None else as_utc(value)


metadata = MetaData()


def entry_columns() -> list[Column[Any]]:
    """The entries' columns, one per field of ``Entry``, typed from its hints: text of
    its width, times in UTC, the evidence as JSON text, ``None`` where it may be."""
    hints = get_type_hints(Entry)
    columns: list[Column[Any]] = []
    for kept in fields(Entry):
        hint = hints[kept.name]
        optional = type(None) in get_args(hint)
        kind = next((arg for arg in get_args(hint) if arg is not type(None)), hint)
        column_type: Any
        if kept.name == "seq":
            column_type = BigInteger().with_variant(Integer, "sqlite")
        elif kind is datetime:
            column_type = UtcDateTime
        elif kind is bool:
            column_type = Boolean
        elif kind is int:
            column_type = Integer
        elif kind is str and kept.metadata["width"] is not None:
            column_type = String(kept.metadata["width"])
        else:
            column_type = Text
        columns.append(
            Column(
                kept.name,
                column_type,
                nullable=optional,
                primary_key=kept.name == "seq",
                autoincrement=False,
            )
        )
    return columns


entries_table = Table(
    "ledger_entries",
    metadata,
    *entry_columns(),
    Index(
        "ledger_entries_card_version",
        "card_id",
        "version",
        unique=True,
        sqlite_where=text("kind = 'transition'"),
        postgresql_where=text("kind = 'transition'"),
    ),
    Index("ledger_entries_card", "card_id", "seq"),
    Index("ledger_entries_subject", "subject", "card_id"),
    Index(
        "ledger_entries_key",
        "actor",
        "idempotency_key",
        sqlite_where=text("idempotency_key IS NOT NULL"),
        postgresql_where=text("idempotency_key IS NOT NULL"),
    ),
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

cosignatures_table = Table(
    "ledger_cosignatures",
    metadata,
    Column("witness", String(300), primary_key=True),
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("line", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
)
"""The witnesses' cosignatures of the checkpoints, one per witness key and size."""

map_nodes_table = Table(
    "ledger_map_nodes",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("left", String(64)),
    Column("right", String(64)),
    Column("key", String(64)),
    Column("value", String(64)),
)
"""The card map's nodes (``ledger.cardmap``), each kept under its own hash: an internal
node's ``left`` and ``right``, or a leaf's ``key`` and ``value``. Only ever added."""

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

keys_table = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("channels", Text),
    Column("reads", Text, nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)
"""The API keys: who may call, never a usable token (``api.keys`` makes and reads them)."""

bound_keys_table = Table(
    "ledger_keys",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("first_size", BigInteger, primary_key=True, autoincrement=False),
    Column("value", Text, nullable=False),
    Column("bound_at", UtcDateTime, nullable=False),
)
"""The keys the database is bound to (``ledger.binding``): the log keys' public halves
and the person key's check value, never a secret; written by the owner only."""

verify_runs_table = Table(
    "ledger_verify_runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("seconds", Float),
    Column("ok", Boolean),
    Column("entries", BigInteger),
    Column("cards", BigInteger),
    Column("checkpoints", BigInteger),
    Column("first_bad_seq", BigInteger),
    Column("problems", Text),
    Column("stopped", Text),
    Index("ledger_verify_runs_started", "started_at"),
)
"""The server's whole-ledger checks, one row a run (``api.ledger.runs``): a report about
the ledger, not one of its facts. Nothing hashes or signs it and nothing decides from it;
any worker reads the last one from here."""

desk_sessions_table = Table(
    "desk_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("csrf_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    Index("desk_sessions_key", "key_id"),
    Index("desk_sessions_seen", "seen_at"),
)
"""The supervisor's desk's sessions (``api.desk.sessions``): which key signed a browser
in, and when it was last seen; never a usable token, only its SHA-256. A session only
reads, so nothing hashes or signs this table and nothing a write decides reads it."""

APPEND_ONLY: Final = (
    "ledger_entries",
    "ledger_tree",
    "ledger_checkpoints",
    "ledger_keys",
    "ledger_cosignatures",
    "ledger_map_nodes",
)
"""The tables the database itself keeps append-only: UPDATE, DELETE (and on PostgreSQL
TRUNCATE) refused by triggers."""

_SQLITE_TRIGGERS: Final = tuple(
    f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()}
        BEFORE {op} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"""
    for table in APPEND_ONLY
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
        for table in APPEND_ONLY
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


def triggers(dialect: str) -> tuple[str, ...]:
    return _SQLITE_TRIGGERS if dialect == "sqlite" else _POSTGRES_TRIGGERS


def _trigger_names(dialect: str) -> set[str]:
    """The append-only triggers the schema must hold, each in force."""
    kinds = ("no_update", "no_delete") if dialect == "sqlite" else ("no_change", "no_truncate")
    return {f"{table}_{kind}" for table in APPEND_ONLY for kind in kinds}


def schema_complete(conn: Connection) -> bool:
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
        ).bindparams(tables=list(APPEND_ONLY))
    names = set(conn.execute(held).scalars())
    return _trigger_names(conn.dialect.name) <= names


def permission_denied(error: DBAPIError) -> bool:
    """Whether the database refused ``error``'s statement for want of a privilege."""
    return getattr(error.orig, "sqlstate", None) == "42501"


WRITER_PRIVILEGES: Final = {
    "ledger_entries": ("SELECT", "INSERT"),
    "ledger_tree": ("SELECT", "INSERT"),
    "ledger_checkpoints": ("SELECT", "INSERT"),
    "ledger_cosignatures": ("SELECT", "INSERT"),
    "ledger_map_nodes": ("SELECT", "INSERT"),
    "ledger_tip": ("SELECT", "UPDATE"),
    "ledger_heads": ("SELECT", "INSERT", "UPDATE"),
    "ledger_receipts": ("SELECT", "INSERT", "DELETE"),
    "persons": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "api_keys": ("SELECT",),
    "ledger_keys": ("SELECT",),
    "ledger_verify_runs": ("SELECT", "INSERT", "UPDATE"),
    "desk_sessions": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "alembic_version": ("SELECT",),
}
"""What cardflow's writer role may do to each table, and nothing more: the ledger's own
tables (the witnesses' cosignatures among them) take INSERT and SELECT only; the tip,
the heads, the receipts and the persons are state kept beside them, which appends move
and erasure removes; the API keys are read, and only the database's owner makes and
revokes them; the verify runs are a report the server writes and finishes; the desk's sessions are
opened, seen and closed by the server; the schema's
revision (Alembic's table, ``ledger.sql.migrate``) is read at each start, and changed by
the owner's ``cardflow db upgrade`` only."""


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


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite keeps them naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
