"""What every benchmark shares: interleaved rounds, medians, ratios, one JSON file.

A benchmark measures cardflow and its baselines in the same run, round by round, each
round running every contender once (the order turning round by round, so that neither
always runs first on a warm or a cold machine), and reports the median of each and
their ratio. Every figure goes into one JSON file (``bench/results.json`` unless told),
from which the README's figures are made (``python -m bench.readme``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

RESULTS: Final = Path(__file__).with_name("results.json")


def interleaved(
    rounds: int, contenders: Mapping[str, Callable[[], float]]
) -> dict[str, list[float]]:
    """Run each contender once a round for ``rounds`` rounds, the starting contender
    turning each round; each call returns what it measured (seconds an operation, say)."""
    names = list(contenders)
    seen: dict[str, list[float]] = {name: [] for name in names}
    for turn in range(rounds):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            seen[name].append(contenders[name]())
    return seen


def timed(work: Callable[[], object]) -> float:
    """Seconds ``work`` took."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass(frozen=True)
class Figure:
    """One measured figure, its baseline measured in the same run, and the target."""

    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None
    note: str | None = None


@dataclass
class Report:
    """The figures of one benchmark, written into the results file under its name."""

    bench: str
    command: str
    figures: list[Figure] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        line = f"{figure.name}: {figure.value:,.4g} {figure.unit}"
        if figure.ratio is not None:
            line += f" = {figure.ratio:.3f} of {figure.baseline} ({figure.baseline_value:,.4g})"
        if figure.target is not None:
            line += f"; target {figure.target}: {'met' if figure.met else 'MISSED'}"
        print(line, flush=True)
        return figure

    def ratio(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        baseline: str,
        baseline_value: float,
        at_least: float | None = None,
        at_most: float | None = None,
        note: str | None = None,
    ) -> Figure:
        """A figure with its ratio to a baseline (value / baseline_value) and, when
        given, the bound the ratio must keep."""
        ratio = value / baseline_value if baseline_value else float("nan")
        target, met = None, None
        if at_least is not None:
            target, met = f"ratio >= {at_least}", ratio >= at_least
        if at_most is not None:
            target, met = f"ratio <= {at_most}", ratio <= at_most
        return self.add(
            Figure(name, value, unit, baseline, baseline_value, ratio, target, met, note)
        )

    def write(self, path: Path = RESULTS) -> None:
        """Put this benchmark's figures into ``path``, keeping the other benchmarks'."""
        kept: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        kept[self.bench] = {
            "command": self.command,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "context": self.context,
            "figures": [asdict(figure) for figure in self.figures],
        }
        path.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
    }
