"""The SQLAlchemy ledger: SQLite in a file by default, PostgreSQL by URL, the same code."""

from __future__ import annotations

from ledger.errors import SchemaMismatch
from ledger.sql.adapter import SqlLedger
from ledger.sql.schema import (
    SCHEMA_VERSION,
    WRITER_PRIVILEGES,
    UtcDateTime,
    desk_sessions_table,
    entries_table,
    keys_table,
    metadata,
    normalise_url,
    schema_transaction,
    verify_runs_table,
    writer_grants,
)

__all__ = [
    "SCHEMA_VERSION",
    "WRITER_PRIVILEGES",
    "SchemaMismatch",
    "SqlLedger",
    "UtcDateTime",
    "desk_sessions_table",
    "entries_table",
    "keys_table",
    "metadata",
    "normalise_url",
    "schema_transaction",
    "verify_runs_table",
    "writer_grants",
]
