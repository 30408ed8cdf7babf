"""The latest result of each scenario, read from the cucumber JSON that pytest-bdd writes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from livedocs.features import DocScenario, Key


class Outcome(StrEnum):
    """The latest result of a scenario."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_RUN = "not run"

    @property
    def css(self) -> str:
        """The class the site colours this result with."""
        return self.value.replace(" ", "-")


@dataclass(frozen=True, slots=True)
class StepResult:
    """How one step went, as the cucumber JSON tells it."""

    status: str
    error: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    """How a scenario went on its latest run."""

    outcome: Outcome
    steps: tuple[StepResult, ...] = ()


NOT_RUN: Final = Result(Outcome.NOT_RUN)


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"not a cucumber JSON report: {what} is not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"not a cucumber JSON report: {what} is not a list")
    return value


def _step_result(step: Any) -> StepResult:
    result = _mapping(_mapping(step, "a step").get("result", {}), "a step's result")
    return StepResult(str(result.get("status", "")), str(result.get("error_message", "")))


_OUTCOMES: Final[Mapping[str, Outcome]] = {"passed": Outcome.PASSED, "failed": Outcome.FAILED}


def step_outcome(status: str) -> Outcome:
    """Passed and failed as they are; skipped, pending, undefined and the like as skipped."""
    return _OUTCOMES.get(status, Outcome.SKIPPED)


def _result(element: Mapping[str, Any]) -> Result:
    """A scenario failed if a step failed, passed if every step passed, else was skipped."""
    steps = tuple(
        _step_result(step) for step in _list(element.get("steps", []), "a scenario's steps")
    )
    outcomes = {step_outcome(step.status) for step in steps}
    if Outcome.FAILED in outcomes:
        return Result(Outcome.FAILED, steps)
    if outcomes == {Outcome.PASSED}:
        return Result(Outcome.PASSED, steps)
    return Result(Outcome.SKIPPED, steps)


def _known_uri(reported: str, uris: Iterable[str]) -> str | None:
    """The feature file a reported ``uri`` names: the longest known path it ends with."""
    reported = reported.replace("\\", "/")
    ends = [uri for uri in uris if reported == uri or reported.endswith(f"/{uri}")]
    return max(ends, key=len, default=None)


def _param_id(test_id: str) -> str:
    """The example values pytest put between brackets in a test's id."""
    _, bracket, tail = test_id.partition("[")
    return tail[:-1] if bracket and tail.endswith("]") else ""


class _Matcher:
    """Finds the scenario a reported element ran: by file and name, then line, steps, row."""

    def __init__(self, scenarios: Sequence[DocScenario]) -> None:
        self.uris = {scenario.uri for scenario in scenarios}
        self.by_name: dict[tuple[str, str], list[DocScenario]] = {}
        for scenario in scenarios:
            self.by_name.setdefault((scenario.uri, scenario.name), []).append(scenario)
        self.seen: Counter[tuple[Key, ...]] = Counter()

    def scenario(self, uri: str | None, element: Mapping[str, Any]) -> DocScenario | None:
        candidates = self.by_name.get((uri or "", str(element.get("name", ""))), [])
        steps = tuple(
            str(_mapping(step, "a step").get("name", ""))
            for step in _list(element.get("steps", []), "a scenario's steps")
        )
        row_id = _param_id(str(element.get("id", "")))
        keeps: tuple[Callable[[DocScenario], bool], ...] = (
            lambda scenario: scenario.line == element.get("line"),
            lambda scenario: scenario.steps == steps,
            lambda scenario: "-".join(value for _, value in scenario.example) == row_id,
        )
        for keep in keeps:
            candidates = [scenario for scenario in candidates if keep(scenario)] or candidates
        if not candidates:
            return None
        group = tuple(scenario.key for scenario in candidates)
        chosen = candidates[self.seen[group] % len(candidates)]
        self.seen[group] += 1
        return chosen


@dataclass(frozen=True, slots=True)
class Results:
    """The latest result of each scenario, and how many reported results match none."""

    by_key: Mapping[Key, Result]
    unmatched: int

    def of(self, scenario: DocScenario) -> Result:
        """The latest result of ``scenario``: not run if the report does not tell it."""
        return self.by_key.get(scenario.key, NOT_RUN)


def read_results(path: Path | None, scenarios: Sequence[DocScenario]) -> Results:
    """The latest result of each scenario in the cucumber JSON at ``path``."""
    if path is None:
        return Results({}, 0)
    report = _list(json.loads(path.read_text(encoding="utf-8")), "the report")
    matcher = _Matcher(scenarios)
    found: dict[Key, Result] = {}
    unmatched = 0
    for feature in (_mapping(item, "a feature") for item in report):
        uri = _known_uri(str(feature.get("uri", "")), matcher.uris)
        for element in _list(feature.get("elements", []), "a feature's elements"):
            scenario = matcher.scenario(uri, _mapping(element, "a scenario"))
            if scenario is None:
                unmatched += 1
            else:
                found[scenario.key] = _result(element)
    return Results(found, unmatched)


def tally(outcomes: Iterable[Outcome]) -> Counter[Outcome]:
    """How many of each outcome."""
    return Counter(outcomes)


def tally_text(counted: Counter[Outcome]) -> str:
    """Each outcome that happened, counted, in ``Outcome`` order: "2 passed, 1 failed"."""
    return ", ".join(f"{counted[outcome]} {outcome}" for outcome in Outcome if counted[outcome])


def overall(counted: Counter[Outcome]) -> Outcome:
    """The colour of a group: red if any failed, then amber, then grey, else green."""
    for outcome in (Outcome.FAILED, Outcome.SKIPPED, Outcome.NOT_RUN):
        if counted[outcome]:
            return outcome
    return Outcome.PASSED
