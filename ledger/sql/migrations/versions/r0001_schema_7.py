"""The ledger's schema as cardflow made it before migrations (schema 7): twelve tables,
their indexes, the append-only triggers and the tip row.

Written out here, not taken from ``ledger.sql.schema``: a later change to ``metadata``
comes with a revision of its own and leaves this one as it was. ``SCHEMA`` is also
what a database made before migrations is checked against before it is stamped at
this revision (``ledger.sql.migrate``).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

revision: Final = "0001"
down_revision: Final = None
branch_labels: Final = None
depends_on: Final = None

SCHEMA_VERSION: Final = 7
"""What the tip row's ``schema_version`` says at this revision."""
GENESIS_HASH: Final = "0" * 64
EMPTY_ROOT: Final = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
"""The empty tree's root, SHA-256 of nothing (RFC 6962)."""

SCHEMA = sa.MetaData()

_TIME = sa.DateTime(timezone=True)
_TRANSITION = sa.text("kind = 'transition'")

sa.Table(
    "ledger_entries",
    SCHEMA,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("card_id", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("from_state", sa.String(32)),
    sa.Column("to_state", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("presenter", sa.String(16), nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("occurred_at", _TIME, nullable=False),
    sa.Column("recorded_at", _TIME, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("definition_version", sa.String(64), nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("policy", sa.String(128), nullable=False),
    sa.Column("due_at", _TIME),
    sa.Column("exclusive", sa.Boolean, nullable=False),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("batch_id", sa.String(64)),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("card_prev", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index(
        "ledger_entries_card_version",
        "card_id",
        "version",
        unique=True,
        sqlite_where=_TRANSITION,
        postgresql_where=_TRANSITION,
    ),
    sa.Index("ledger_entries_card", "card_id", "seq"),
    sa.Index("ledger_entries_subject", "subject", "card_id"),
    sa.Index(
        "ledger_entries_key",
        "actor",
        "idempotency_key",
        sqlite_where=sa.text("idempotency_key IS NOT NULL"),
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    ),
    sa.Index("ledger_entries_batch", "batch_id", "seq"),
)

sa.Table(
    "ledger_heads",
    SCHEMA,
    sa.Column("card_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("opened_seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("opened_at", _TIME, nullable=False),
    sa.Column("updated_at", _TIME, nullable=False),
    sa.Column("occurred_at", _TIME, nullable=False),
    sa.Column("due_at", _TIME),
    sa.Column("exclusive", sa.Boolean, nullable=False),
    sa.Index("ledger_heads_state", "state", "opened_seq"),
    sa.Index("ledger_heads_subject", "subject", "opened_seq"),
    sa.Index("ledger_heads_region", "region", "opened_seq"),
    sa.Index(
        "ledger_heads_due",
        "due_at",
        "card_id",
        sqlite_where=sa.text("due_at IS NOT NULL"),
        postgresql_where=sa.text("due_at IS NOT NULL"),
    ),
    sa.Index(
        "ledger_heads_holder",
        "subject",
        unique=True,
        sqlite_where=sa.text("exclusive"),
        postgresql_where=sa.text("exclusive"),
    ),
)

sa.Table(
    "ledger_tip",
    SCHEMA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("frontier", sa.Text, nullable=False),
)

sa.Table(
    "ledger_tree",
    SCHEMA,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

sa.Table(
    "ledger_checkpoints",
    SCHEMA,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("signed_at", _TIME, nullable=False),
)

sa.Table(
    "ledger_cosignatures",
    SCHEMA,
    sa.Column("witness", sa.String(300), primary_key=True),
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("line", sa.Text, nullable=False),
    sa.Column("received_at", _TIME, nullable=False),
)

sa.Table(
    "ledger_map_nodes",
    SCHEMA,
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("left", sa.String(64)),
    sa.Column("right", sa.String(64)),
    sa.Column("key", sa.String(64)),
    sa.Column("value", sa.String(64)),
)

sa.Table(
    "ledger_receipts",
    SCHEMA,
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("card_id", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("recorded_at", _TIME, nullable=False),
    sa.Index("ledger_receipts_actor_key", "actor", "key"),
    sa.Index("ledger_receipts_recorded_at", "recorded_at"),
)

sa.Table(
    "persons",
    SCHEMA,
    sa.Column("ref", sa.String(64), primary_key=True),
    sa.Column("id_number", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("created_at", _TIME, nullable=False),
)

sa.Table(
    "api_keys",
    SCHEMA,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("channels", sa.Text),
    sa.Column("reads", sa.Text, nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", _TIME, nullable=False),
    sa.Column("revoked_at", _TIME),
)

sa.Table(
    "ledger_keys",
    SCHEMA,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("first_size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("bound_at", _TIME, nullable=False),
)

sa.Table(
    "ledger_verify_runs",
    SCHEMA,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("started_at", _TIME, nullable=False),
    sa.Column("finished_at", _TIME),
    sa.Column("seconds", sa.Float),
    sa.Column("ok", sa.Boolean),
    sa.Column("entries", sa.BigInteger),
    sa.Column("cards", sa.BigInteger),
    sa.Column("checkpoints", sa.BigInteger),
    sa.Column("first_bad_seq", sa.BigInteger),
    sa.Column("problems", sa.Text),
    sa.Column("stopped", sa.Text),
    sa.Index("ledger_verify_runs_started", "started_at"),
)

APPEND_ONLY: Final = (
    "ledger_entries",
    "ledger_tree",
    "ledger_checkpoints",
    "ledger_keys",
    "ledger_cosignatures",
    "ledger_map_nodes",
)
"""The tables whose UPDATE and DELETE (and TRUNCATE, on PostgreSQL) triggers refuse."""

_REFUSE_CHANGE: Final = """CREATE OR REPLACE FUNCTION cardflow_refuse_change() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END $$"""


def _triggers(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            f"""CREATE TRIGGER {table}_no_{op_name.lower()}
        BEFORE {op_name} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op_name} refused'); END"""
            for table in APPEND_ONLY
            for op_name in ("UPDATE", "DELETE")
        ]
    return [
        _REFUSE_CHANGE,
        *(
            statement
            for table in APPEND_ONLY
            for statement in (
                f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
               FOR EACH ROW EXECUTE FUNCTION cardflow_refuse_change()""",
                f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
               FOR EACH STATEMENT EXECUTE FUNCTION cardflow_refuse_change()""",
                f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_change",
                f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate",
            )
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    SCHEMA.create_all(bind, checkfirst=False)
    for statement in _triggers(bind.dialect.name):
        op.execute(statement)
    op.bulk_insert(
        SCHEMA.tables["ledger_tip"],
        [
            {
                "id": 1,
                "size": 0,
                "hash": GENESIS_HASH,
                "schema_version": SCHEMA_VERSION,
                "root": EMPTY_ROOT,
                "frontier": "[]",
            }
        ],
    )


def downgrade() -> None:
    bind = op.get_bind()
    SCHEMA.drop_all(bind, checkfirst=False)  # the triggers go with their tables
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION cardflow_refuse_change()")
