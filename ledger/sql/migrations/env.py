"""Alembic's environment for the ledger: migrations run on the connection
``ledger.sql.migrate`` hands over, inside the transaction it holds (under the schema
lock), so an upgrade is all or nothing and one process at a time makes the schema."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ledger.errors import LedgerError


def run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection) or context.is_offline_mode():
        raise LedgerError(
            "cardflow's migrations run only through `cardflow db upgrade`, on a connection"
        )
    # DDL is transactional on SQLite and PostgreSQL alike: the whole upgrade commits once.
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


# Alembic runs this file inside an EnvironmentContext, which is when ``context`` has a
# config; imported as a module (as a walk over the package does), it does nothing.
if hasattr(context, "config"):
    run()
