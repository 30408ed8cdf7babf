"""What cardflow counts as it serves, for Prometheus: steps, requests, refusals, sweeps.

The counters are the process's own (as ``prometheus_client`` keeps them), shared by every
app it serves; with ``PROMETHEUS_MULTIPROC_DIR`` set (``serve --workers N``, see
``api.vitals.multiprocess``) each worker writes them to a file there and a scrape of any
worker adds them all up (``api.vitals.scrape``). Their labels are names from cardflow's
own tables (events, channels, route templates, problem types), never what a caller sent:
no card id, person or key is ever a label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPMethod
from typing import Final

from prometheus_client import Counter, Histogram, disable_created_metrics

from workflow.service import MAX_SWEEP, CardService, SweepReport

# Every counter's ``_created`` series doubles what a scrape carries and is not shown in
# multiprocess mode: leave it out in both, so one dashboard reads either. (The library
# leaves this function, and the multiprocess collector, unannotated.)
disable_created_metrics()  # type: ignore[no-untyped-call]

TRANSITIONS: Final = Counter(
    "cardflow_transitions",
    "Applications, transitions and batch items the API handled, by event, channel and "
    "outcome (done, refused, error).",
    ("event", "channel", "outcome"),
    registry=None,
)
REQUEST_SECONDS: Final = Histogram(
    "cardflow_request_seconds",
    "Seconds from a request's arrival to its answer, by route template, method and status "
    "class (2xx, 4xx, 5xx).",
    ("route", "method", "status"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=None,
)
REFUSALS: Final = Counter(
    "cardflow_refusals",
    "Problems (application/problem+json) answered, by problem type.",
    ("kind",),
    registry=None,
)
SWEEP_RUNS: Final = Counter(
    "cardflow_sweep_runs",
    "Deadline sweeps run, by what started them (schedule, request) and their outcome "
    "(done, failed).",
    ("trigger", "outcome"),
    registry=None,
)
SWEEP_STEPS: Final = Counter(
    "cardflow_sweep_steps",
    "Steps the deadline sweeps took on cards past a deadline, by event.",
    ("event",),
    registry=None,
)
SWEEP_PASSED: Final = Counter(
    "cardflow_sweep_passed",
    "Cards a sweep found due and left: another sweep had moved them (done_elsewhere), or "
    "they moved on before it could (moved_on).",
    ("why",),
    registry=None,
)
COUNTED: Final = (TRANSITIONS, REQUEST_SECONDS, REFUSALS, SWEEP_RUNS, SWEEP_STEPS, SWEEP_PASSED)
"""Every metric this module keeps, as a scrape of one process collects them."""

BATCH_ACCEPTED: Final = "accepted"
BATCH_REFUSED: Final = "refused"
"""What a batch adds to its request's log line: how many items were accepted and refused."""


def outcome_of(status: int) -> str:
    """A step's outcome from the status it was answered with."""
    if status < 400:
        return "done"
    return "refused" if status < 500 else "error"


def answered(
    method: str, route: str, status: int, seconds: float, logged: Mapping[str, object]
) -> None:
    """Count one answered request: its time, under its route template (``api.app``
    passes the declared route, never the path sent), and the step its log line names
    (``api.dependencies.for_the_log``): a batch counts each item, one refused on its
    own as refused, unless the whole batch failed, which counts once."""
    said = method if method in HTTPMethod.__members__ else "other"
    REQUEST_SECONDS.labels(route=route, method=said, status=f"{status // 100}xx").observe(seconds)
    event, channel = logged.get("transition"), logged.get("channel")
    if event is None or channel is None:
        return
    accepted, refused = logged.get(BATCH_ACCEPTED), logged.get(BATCH_REFUSED)
    if isinstance(accepted, int) and isinstance(refused, int):
        TRANSITIONS.labels(str(event), str(channel), "done").inc(accepted)
        TRANSITIONS.labels(str(event), str(channel), "refused").inc(refused)
        return
    TRANSITIONS.labels(str(event), str(channel), outcome_of(status)).inc()


def refused(kind: str) -> None:
    """Count one problem answered, by its problem type's name."""
    REFUSALS.labels(kind=kind).inc()


def counted_sweep(service: CardService, *, trigger: str, limit: int = MAX_SWEEP) -> SweepReport:
    """``service.sweep``, its run and its results counted under ``trigger``."""
    try:
        report = service.sweep(limit=limit)
    except Exception:
        SWEEP_RUNS.labels(trigger=trigger, outcome="failed").inc()
        raise
    SWEEP_RUNS.labels(trigger=trigger, outcome="done").inc()
    for step in report.swept:
        SWEEP_STEPS.labels(event=str(step.event)).inc()
    SWEEP_PASSED.labels(why="done_elsewhere").inc(report.done_elsewhere)
    SWEEP_PASSED.labels(why="moved_on").inc(report.moved_on)
    return report


def scheduled_sweep(service: CardService) -> Callable[[], SweepReport]:
    """The sweep ``serve --sweep-every`` runs on its schedule, counted as such."""

    def sweep() -> SweepReport:
        return counted_sweep(service, trigger="schedule")

    return sweep
