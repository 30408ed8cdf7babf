"""Whether this process can serve: its database answers, the schema is the one its code
writes, and it holds the key checkpoints are signed with. Each is checked on every ask,
within a bound, and a check that cannot be made says why instead of failing the ask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import structlog
from sqlalchemy import text

from api.vitals.looks import within
from ledger.audit import Audit
from ledger.errors import LedgerError, NoSigner
from ledger.sql import SqlLedger
from ledger.sql.migrate import Revision, Standing, revision_of
from ledger.store import Ledger

log = structlog.get_logger()

PROBE_SECONDS: Final = 1.0
"""How long the database has to answer a readiness check."""


@dataclass(frozen=True, slots=True)
class Check:
    """One condition of readiness: its name, whether it holds, and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Readiness:
    """Every check made, in order; ready when all of them hold."""

    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)


async def readiness(ledger: Ledger, audit: Audit, *, seconds: float = PROBE_SECONDS) -> Readiness:
    """The database and schema checks of ``ledger`` (one in memory has neither to fail)
    and the signer check of ``audit``."""
    database, schema = await _database(ledger, seconds)
    return Readiness((database, schema, _signer(audit)))


def _look(ledger: SqlLedger) -> Revision | LedgerError:
    """On one connection: a query that costs the database nothing, then where its schema
    stands (or why this role may not read that)."""
    with ledger.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        try:
            return revision_of(conn)
        except LedgerError as unread:
            return unread


async def _database(ledger: Ledger, seconds: float) -> tuple[Check, Check]:
    if not isinstance(ledger, SqlLedger):
        return (
            Check("database", True, "the ledger is held in memory"),
            Check("schema", True, "a ledger in memory has no schema to keep"),
        )
    try:
        found = await within(seconds, lambda: _look(ledger))
    except TimeoutError:
        why = f"the database did not answer within {seconds:g} s"
    except Exception as failed:
        kind = type(getattr(failed, "orig", failed)).__name__
        log.warning("not ready: the database cannot be reached", error=kind)
        why = f"the database cannot be reached ({kind})"
    else:
        reached = Check("database", True, "the database answered")
        if isinstance(found, LedgerError):
            return reached, Check("schema", False, str(found))
        if found.standing is not Standing.HEAD:
            return reached, Check("schema", False, found.refusal())
        return reached, Check("schema", True, f"at revision {found.told()}")
    return Check("database", False, why), Check("schema", False, "not read: no database")


def _signer(audit: Audit) -> Check:
    try:
        verifier = audit.verifier()
    except NoSigner:
        return Check(
            "signer",
            False,
            "no log key is loaded: checkpoints cannot be signed (CARDFLOW_LOG_KEY_FILE)",
        )
    return Check("signer", True, f"checkpoints are signed as {verifier.name}")
