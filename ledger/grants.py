"""The ledger's owner makes a PostgreSQL role cardflow's writer, and no more; the
database's refusals are told in its own words (``DatabaseRefused``), so no caller digs
in driver errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ledger.errors import DatabaseRefused, NoRoles
from ledger.sql import WRITER_PRIVILEGES, SqlLedger, normalise_url, writer_grants


def database_said(error: DBAPIError) -> str:
    """The database's own first line about ``error``, without the statement or its data."""
    return (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]


@contextmanager
def refusals_told() -> Iterator[None]:
    """Turn a refusal from the database into ``DatabaseRefused``: callers print it
    without knowing which driver, or which library, said no."""
    try:
        yield
    except DBAPIError as refused:
        raise DatabaseRefused(database_said(refused)) from refused


def grant_writer(url: str, role: str, *, run: bool = True) -> list[str]:
    """The statements that leave ``role`` what cardflow's writer needs on the database at
    ``url`` (``WRITER_PRIVILEGES``). With ``run``, the schema is created first if it is
    missing, then the statements run as the connected owner; without, nothing is
    created or run.

    ``NoRoles`` on SQLite; ``LedgerError`` if ``role`` owns the ledger or is connected;
    ``DatabaseRefused`` if the database says no (an unknown role, say).
    """
    if make_url(normalise_url(url)).get_backend_name() != "postgresql":
        raise NoRoles()
    ledger = SqlLedger(url)
    try:
        with refusals_told():
            if run:
                ledger.create_schema()
            with ledger.engine.begin() as conn:
                statements = writer_grants(conn, role, WRITER_PRIVILEGES)
                for statement in statements if run else ():
                    conn.execute(text(statement))
    finally:
        ledger.dispose()
    return statements
