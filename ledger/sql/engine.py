"""Engines for the ledger: SQLite with WAL and writers that say BEGIN IMMEDIATE, or
PostgreSQL, parameters always hidden from error messages; and read-only engines, for a
replica, on which no write is begun and whose database refuses one anyway."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url

from ledger.errors import ReadOnly

# Engines hide bound parameters from error messages: an apply's parameters carry a
# person's name and ID number, which must never reach a log line.

BUSY_TIMEOUT: Final = 30.0
"""Seconds a SQLite connection waits for a lock before it gives up."""
FILE_MODE: Final = 0o600
"""A SQLite file holds names and ID numbers: only its owner reads it. SQLite makes the
WAL and shared-memory files with the database file's own mode."""


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine on ``url``; with ``read_only``, one that refuses to begin a write
    (``ReadOnly``, before any statement is sent) and whose every session the database
    itself holds to reading (PostgreSQL's ``READ ONLY`` transactions, SQLite's
    ``query_only``), and that makes no SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
        if read_only:
            _only_reads(engine, url)
        return engine
    if (
        not read_only
        and parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        _create_owner_only(Path(parsed.database).expanduser())
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT, "check_same_thread": False},
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; take it over so that
        # writers can say BEGIN IMMEDIATE and readers keep WAL's non-blocking reads.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not read_only:  # a reader leaves the file's journal as its writer made it
            _into_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        # Freed space is zeroed, so erased personal data leaves no bytes in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    if read_only:
        _only_reads(engine, url)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("cardflow_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _only_reads(engine: Engine, url: str) -> None:
    """Refuse every write begun on ``engine`` (cardflow begins each with the
    ``cardflow_write`` option), and on PostgreSQL make each session read-only."""
    shown = make_url(url).render_as_string(hide_password=True)

    @event.listens_for(engine, "begin")
    def _refuse_writes(conn: Connection) -> None:
        if conn.get_execution_options().get("cardflow_write", False):
            raise ReadOnly(f"{shown} is opened to read only: cardflow writes to its primary")

    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _read_only_session(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        dbapi_connection.commit()


def _create_owner_only(path: Path) -> None:
    """Make the database file, readable by its owner alone, before SQLite opens it (SQLite
    would make it with the process's umask, commonly world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return


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
