"""``api.ledger.runs``: the whole-ledger check kept as runs every worker reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from api.ledger.runs import MemoryRuns, Runs, SqlRuns, VerifyJob
from ledger.audit import Audit
from ledger.memory import MemoryLedger
from ledger.sql import SqlLedger
from tests.conftest import SIGNER
from tests.people import citizen_id
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role


@pytest.fixture
def sql_ledger(database_url, clock):
    ledger = SqlLedger(database_url, clock=clock)
    ledger.create_schema()
    yield ledger
    ledger.dispose()


def inline(work: Callable[[], None]) -> None:
    work()


class TestRunsKept:
    """A run finished in one process is the last result another reads."""

    def test_another_worker_reads_the_last_run(self, sql_ledger, clock):
        audit = Audit(sql_ledger, signer=SIGNER, clock=clock)
        job = VerifyJob(audit, SqlRuns(sql_ledger.engine), clock=clock, spawn=inline)
        run, new = job.start()
        assert new
        other: Runs = SqlRuns(sql_ledger.engine)
        last = other.last_finished()
        assert last is not None
        assert (last.run_id, last.started_at, last.stopped) == (run.run_id, run.started_at, None)
        assert last.report is not None
        assert last.report.ok
        assert other.last_started() == last

    def test_a_run_under_way_shows_as_started_not_finished(self, sql_ledger, clock):
        audit = Audit(sql_ledger, signer=SIGNER, clock=clock)
        pending: list[Callable[[], None]] = []
        job = VerifyJob(audit, SqlRuns(sql_ledger.engine), clock=clock, spawn=pending.append)
        run, _ = job.start()
        again, new = job.start()
        assert (again, new) == (run, False)
        runs = SqlRuns(sql_ledger.engine)
        started = runs.last_started()
        assert started is not None
        assert (started.run_id, started.finished_at, runs.last_finished()) == (
            run.run_id,
            None,
            None,
        )
        pending.pop()()
        assert runs.last_finished() is not None


class TestStopping:
    """A server that stops stops its check, and says so in the run."""

    def test_a_stopped_run_says_why(self, clock):
        ledger = MemoryLedger(clock=clock)
        audit = Audit(ledger, signer=SIGNER, clock=clock)
        CardService(ledger, clock=clock).apply(
            Applicant("Li Lei", citizen_id()),
            Step(
                Event.APPLY,
                Channel.CARD_CENTER,
                Actor("clerk", Role.ADMIN),
                evidence={
                    "identity_document": "resident_id_card",
                    "registration_form": True,
                    "photo": True,
                    "applicant_signature": True,
                },
            ),
        )
        runs = MemoryRuns()
        pending: list[Callable[[], None]] = []
        job = VerifyJob(audit, runs, clock=clock, spawn=pending.append)
        job.start()
        job.stop()
        pending.pop()()
        last = runs.last_finished()
        assert last is not None
        assert last.report is None
        assert last.stopped == "the server stopped before the check was done"
