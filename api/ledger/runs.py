"""The whole-ledger check as a background job: started on request, its last result kept.

A full check reads every entry, so no request waits for one: ``POST /v1/ledger/verify``
starts a run if this process has none under way, and ``GET /v1/ledger/verify`` serves
the last result from the runs table (``ledger_verify_runs``), which every worker reads.
A run is a report about the ledger, not a fact of it: nothing hashes, signs or decides
from it. ``cardflow verify`` still checks the ledger directly, with no job.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import structlog
from sqlalchemy import Row, select, update
from sqlalchemy.engine import Engine

from ledger.audit import Audit
from ledger.sql import verify_runs_table
from ledger.verify import Problem, Report

log = structlog.get_logger()

KEPT_PROBLEMS: Final = 20
"""The most problems a run keeps: the first ones say where to look, ``fsck`` says all."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Run:
    """One whole-ledger check: under way while ``finished_at`` is ``None``; then its
    ``report``, or why it ``stopped`` short of one."""

    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    seconds: float | None = None
    report: Report | None = None
    stopped: str | None = None


class Runs(Protocol):
    """Where runs are kept, for every worker to read."""

    def begin(self, run: Run) -> None: ...

    def finish(self, run: Run) -> None: ...

    def last_finished(self) -> Run | None: ...

    def last_started(self) -> Run | None: ...


class MemoryRuns:
    """Runs in a dict, for tests and a single process."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def begin(self, run: Run) -> None:
        with self._lock:
            self._runs[run.run_id] = run

    def finish(self, run: Run) -> None:
        self.begin(run)

    def last_finished(self) -> Run | None:
        done = [run for run in self._runs.values() if run.finished_at is not None]
        return max(done, key=lambda run: run.started_at, default=None)

    def last_started(self) -> Run | None:
        return max(self._runs.values(), key=lambda run: run.started_at, default=None)


class SqlRuns:
    """Runs in the ledger's database, beside the ledger (``ledger_verify_runs``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def begin(self, run: Run) -> None:
        with self._engine.begin() as conn:
            conn.execute(verify_runs_table.insert().values(_row(run)))

    def finish(self, run: Run) -> None:
        runs = verify_runs_table.c
        with self._engine.begin() as conn:
            conn.execute(
                update(verify_runs_table).where(runs.run_id == run.run_id).values(_row(run))
            )

    def last_finished(self) -> Run | None:
        runs = verify_runs_table.c
        return self._first(select(verify_runs_table).where(runs.finished_at.is_not(None)))

    def last_started(self) -> Run | None:
        return self._first(select(verify_runs_table))

    def _first(self, query: Any) -> Run | None:
        query = query.order_by(verify_runs_table.c.started_at.desc()).limit(1)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _run(row)


def _row(run: Run) -> dict[str, Any]:
    report = run.report
    return {
        "run_id": run.run_id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "seconds": run.seconds,
        "ok": None if report is None else report.ok,
        "entries": None if report is None else report.entries,
        "cards": None if report is None else report.cards,
        "checkpoints": None if report is None else report.checkpoints,
        "first_bad_seq": None if report is None else report.first_bad_seq,
        "problems": None
        if report is None
        else json.dumps([[p.seq, p.what] for p in report.problems[:KEPT_PROBLEMS]]),
        "stopped": run.stopped,
    }


def _run(row: Row[Any]) -> Run:
    report = None
    if row.entries is not None:
        problems = tuple(Problem(seq, what) for seq, what in json.loads(row.problems or "[]"))
        report = Report(row.entries, row.cards, problems, row.checkpoints)
    return Run(row.run_id, row.started_at, row.finished_at, row.seconds, report, row.stopped)


def record(runs: Runs, report: Report, started_at: datetime, seconds: float) -> Run:
    """Keep a check made elsewhere (``cardflow audit fsck --record``) as a finished run,
    so the server's answers and the supervisor's desk show it as the last check."""
    run = Run(str(uuid.uuid4()), started_at, _now(), round(seconds, 3), report)
    runs.begin(run)
    return run


class _Stopped(Exception):
    """The run was told to stop (the server is stopping)."""


def _in_a_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="cardflow-verify", daemon=True).start()


class VerifyJob:
    """Runs the whole-ledger check one at a time in this process, keeping each run."""

    def __init__(
        self,
        audit: Audit,
        runs: Runs,
        *,
        clock: Callable[[], datetime] = _now,
        spawn: Callable[[Callable[[], None]], None] = _in_a_thread,
    ) -> None:
        self._audit = audit
        self.runs = runs
        self._clock = clock
        self._spawn = spawn
        self._lock = threading.Lock()
        self._current: Run | None = None
        self._stopping = threading.Event()

    def start(self) -> tuple[Run, bool]:
        """The run under way in this process, or a new one started; whether it is new."""
        with self._lock:
            if self._current is not None:
                return self._current, False
            run = Run(str(uuid.uuid4()), self._clock())
            self.runs.begin(run)
            self._current = run
        self._spawn(lambda: self._check(run))
        return run, True

    def stop(self) -> None:
        """Stop the run under way at its next entry: the server is stopping."""
        self._stopping.set()

    def _check(self, run: Run) -> None:
        began = time.perf_counter()

        def watch(_count: int) -> None:
            if self._stopping.is_set():
                raise _Stopped()

        try:
            report: Report | None = self._audit.verify(progress=watch)
            stopped = None
        except _Stopped:
            report, stopped = None, "the server stopped before the check was done"
        except Exception as failed:
            log.exception("verify run failed", run_id=run.run_id)
            report, stopped = None, f"the check could not be run ({type(failed).__name__})"
        finally:
            with self._lock:
                self._current = None
        self.runs.finish(
            replace(
                run,
                finished_at=self._clock(),
                seconds=round(time.perf_counter() - began, 3),
                report=report,
                stopped=stopped,
            )
        )
