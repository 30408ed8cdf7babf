"""The ledger's schema, kept by the Alembic migrations in ``ledger/sql/migrations/``.

Where a database stands (``revision_of``): empty, made by a cardflow from before
migrations (its tables, no ``alembic_version``), at this cardflow's head, behind it, or
at a revision these scripts do not hold. ``upgrade`` brings it to the head under the
schema lock (``schema_transaction``), in one transaction; a database from before
migrations is first checked against revision 1's tables and stamped at it. A process
opens only a schema at the head (``require_head``), and says what to run otherwise.

Alembic is configured here, in code: no ``alembic.ini`` is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ledger.errors import LedgerError, SchemaMismatch
from ledger.sql.migrations.versions import r0001_schema_7 as first
from ledger.sql.schema import (
    metadata,
    permission_denied,
    schema_transaction,
    tip_table,
    triggers,
)

MIGRATIONS: Final = Path(__file__).with_name("migrations")
VERSION_TABLE: Final = "alembic_version"
"""Where Alembic keeps the revision a database is at, beside the ledger's tables."""
UPGRADE: Final = "cardflow db upgrade"


class Standing(StrEnum):
    """Where a database's schema stands against this cardflow's migrations."""

    EMPTY = "empty"
    UNVERSIONED = "unversioned"
    BEHIND = "behind"
    HEAD = "head"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Revision:
    """A database's revision (``None`` if it holds none) and this cardflow's head."""

    standing: Standing
    found: str | None
    head: str

    def told(self) -> str:
        """One line for ``cardflow db current``."""
        if self.standing is Standing.HEAD:
            return f"{self.found} (head)"
        if self.standing is Standing.BEHIND:
            return f"{self.found} (behind the head, {self.head}): run `{UPGRADE}`"
        return f"{self.found or 'no revision'}: {self.refusal()}"

    def refusal(self) -> str:
        """Why a process will not open this schema, and what to run."""
        if self.standing is Standing.EMPTY:
            return (
                f"the database holds no cardflow schema: `{UPGRADE}` (or `cardflow init`) makes it"
            )
        if self.standing is Standing.UNVERSIONED:
            return (
                "the database's cardflow schema was made before cardflow kept it by "
                f"migrations: run `{UPGRADE}` as the database's owner, which checks it, "
                f"stamps it and upgrades it to revision {self.head}"
            )
        if self.standing is Standing.BEHIND:
            return (
                f"the database's cardflow schema is at revision {self.found}, behind this "
                f"cardflow's {self.head}: run `{UPGRADE}` as the database's owner"
            )
        if self.standing is Standing.UNKNOWN:
            return (
                f"the database's cardflow schema is at revision {self.found}, which this "
                f"cardflow does not know (its newest is {self.head}): run the cardflow "
                "that made it, or a newer one"
            )
        return f"the database's cardflow schema is at this cardflow's revision {self.head}"


@dataclass(frozen=True, slots=True)
class Upgraded:
    """What ``upgrade`` found, whether it stamped a database from before migrations, the
    revision it upgraded from (``None`` from nothing) and the one it left."""

    before: Revision
    stamped: bool
    start: str | None
    after: str


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision these migrations hold."""
    found = scripts().get_current_head()
    if found is None:  # only a broken install ships no revision
        raise LedgerError(f"cardflow's migrations are missing from {MIGRATIONS}")
    return found


def _cardflow_table(name: str | None, kind: str, _parents: Any) -> bool:
    """Only the ledger's own tables count: others may share the database."""
    return kind != "table" or name in first.SCHEMA.tables or name in metadata.tables


def revision_of(conn: Connection) -> Revision:
    """Where the schema ``conn`` reaches stands. ``LedgerError`` if this role may not
    read the revision (a writer granted before migrations)."""
    newest = head()
    names = set(inspect(conn).get_table_names())
    ours = names & (set(first.SCHEMA.tables) | set(metadata.tables))
    found: Sequence[str] = ()
    if VERSION_TABLE in names:
        try:
            found = MigrationContext.configure(conn).get_current_heads()
        except DBAPIError as refused:
            if not permission_denied(refused):
                raise
            raise LedgerError(
                f"this role may not read {VERSION_TABLE}, where the schema's revision is "
                "kept: the database's owner runs `cardflow grant-writer ROLE` again"
            ) from None
    if not found:
        return Revision(Standing.UNVERSIONED if ours else Standing.EMPTY, None, newest)
    if len(found) > 1:
        return Revision(Standing.UNKNOWN, ", ".join(found), newest)
    (at,) = found
    if at == newest:
        return Revision(Standing.HEAD, at, newest)
    known = {script.revision for script in scripts().walk_revisions()}
    return Revision(Standing.BEHIND if at in known else Standing.UNKNOWN, at, newest)


def require_head(conn: Connection) -> None:
    """``SchemaMismatch`` saying what to run unless the schema is at this cardflow's head."""
    found = revision_of(conn)
    if found.standing is not Standing.HEAD:
        raise SchemaMismatch(found.refusal())


def differences(conn: Connection, target: Any) -> list[Any]:
    """How the ledger's tables ``conn`` reaches differ from ``target`` (a ``MetaData``),
    as Alembic's autogenerate compares them: none if they are the same."""
    context = MigrationContext.configure(conn, opts={"include_name": _cardflow_table})
    return list(compare_metadata(context, target))


def _described(diffs: Iterable[Any]) -> str:
    said = [str(diff[0] if isinstance(diff, list) else diff) for diff in diffs]
    more = f" and {len(said) - 3} more" if len(said) > 3 else ""
    return "; ".join(said[:3]) + more


def _check_unversioned(conn: Connection) -> None:
    """``SchemaMismatch`` unless the tables are those revision 1 makes, the tip saying
    the schema version of before migrations."""
    diffs = differences(conn, first.SCHEMA)
    if diffs:
        raise SchemaMismatch(
            "the database's tables are not those of cardflow schema "
            f"{first.SCHEMA_VERSION}, which `{UPGRADE}` recognises: {_described(diffs)}"
        )
    version = conn.execute(text("SELECT schema_version FROM ledger_tip")).scalar_one_or_none()
    if version != first.SCHEMA_VERSION:
        raise SchemaMismatch(
            f"the database holds cardflow schema {version}, made before migrations; "
            f"`{UPGRADE}` recognises schema {first.SCHEMA_VERSION} only: upgrade it first "
            "with the cardflow that made it"
        )


def migrate(conn: Connection) -> None:
    """Run the migrations to the head on ``conn``, inside the transaction it holds."""
    command.upgrade(_config(conn), "head")


def restore_triggers(conn: Connection) -> None:
    """Make again the append-only triggers the head's schema holds, where an owner
    dropped them. Writers lock the tip row before any other table: so does this, before
    re-making the triggers (which locks each append-only table whole)."""
    conn.execute(select(tip_table.c.id).where(tip_table.c.id == 1).with_for_update())
    for statement in triggers(conn.dialect.name):
        conn.exec_driver_sql(statement)


def upgrade(engine: Engine) -> Upgraded:
    """Bring the schema to the head, one process at a time and all or nothing: an empty
    database gets the whole schema, one from before migrations is checked and stamped at
    revision 1 first; the append-only triggers are made again. ``SchemaMismatch`` for a
    revision these migrations do not hold, or tables that are not cardflow's."""
    with schema_transaction(engine) as conn:
        before = revision_of(conn)
        if before.standing is Standing.UNKNOWN:
            raise SchemaMismatch(before.refusal())
        start = before.found
        stamped = before.standing is Standing.UNVERSIONED
        if stamped:
            _check_unversioned(conn)
            command.stamp(_config(conn), first.revision)
            start = first.revision
        migrate(conn)
        restore_triggers(conn)
        after = revision_of(conn)
    return Upgraded(before, stamped, start, after.found or "")
