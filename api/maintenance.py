"""The wiring of the commands that inspect or maintain a database without serving it:
``verify`` and ``fsck`` (an existing ledger opened to read, no key needed), ``db upgrade``
and ``db current``, and ``grant-writer``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError

from api.config import refuse_missing_file
from api.ledger.runs import SqlRuns, record
from ledger import grants
from ledger.audit import Audit
from ledger.sql import SqlLedger
from ledger.sql.migrate import Revision, Upgraded
from ledger.sql.migrate import Standing as Standing
from ledger.verify import Report


@dataclass(frozen=True, slots=True)
class Inspection:
    """An existing ledger opened to be checked: its audit, which signs nothing, and how
    many entries it held when opened (what a progress bar counts up to)."""

    audit: Audit
    entries: int
    runs: SqlRuns
    """Where whole-ledger checks are kept (``fsck --record`` writes its own there)."""

    def keep(self, report: Report, started_at: datetime, seconds: float) -> None:
        """Keep ``report``, a check begun at ``started_at`` that took ``seconds``, as the
        last whole-ledger check; ``NotKept`` if the database refuses (a role that only
        reads)."""
        try:
            record(self.runs, report, started_at, seconds)
        except DBAPIError as refused:
            raise NotKept(f"the database refused to keep the result ({refused.orig})") from None


class NotKept(Exception):
    """A check's result the database would not keep."""


@contextmanager
def inspection_for_command(url: str) -> Iterator[Inspection]:
    """The ledger at ``url`` opened to read for one command's lifetime: nothing is
    created, not even a file, and no key is read or made (an auditor's machine holds
    none); ``NoDatabase`` if there is no SQLite file there."""
    refuse_missing_file(url)
    ledger = SqlLedger(url)
    try:
        ledger.check_schema()
        yield Inspection(Audit(ledger), ledger.tip().size, SqlRuns(ledger.engine))
    finally:
        ledger.dispose()


def upgrade_schema(url: str) -> Upgraded:
    """``cardflow db upgrade``: the schema of the database at ``url`` brought to this
    cardflow's head, made whole on an empty one (a new SQLite file among them); no key is
    read or made."""
    ledger = SqlLedger(url)
    try:
        return ledger.upgrade_schema()
    finally:
        ledger.dispose()


def schema_revision(url: str) -> Revision:
    """``cardflow db current``: where the schema at ``url`` stands, nothing changed;
    ``NoDatabase`` if there is no SQLite file there."""
    refuse_missing_file(url)
    ledger = SqlLedger(url)
    try:
        return ledger.revision()
    finally:
        ledger.dispose()


def make_writer(url: str, role: str, *, dry_run: bool = False) -> list[str]:
    """Give ``role`` what cardflow needs on the database at ``url`` and no more (the
    ledger's tables and the API keys'), creating the schema first if it is missing; with
    ``dry_run``, only the statements, nothing created or run. See ``grants.grant_writer``
    for the refusals."""
    return grants.grant_writer(url, role, run=not dry_run)
