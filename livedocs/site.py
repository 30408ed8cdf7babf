"""The site itself: the features, results, coverage and seeds, written out through the templates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from livedocs.coverage import pairs_untold, refusal_rules, refusals_untold, trying
from livedocs.features import DocFeature, DocRule, DocScenario, DocStep, features_of
from livedocs.results import (
    Outcome,
    Result,
    Results,
    StepResult,
    overall,
    read_results,
    step_outcome,
    tally,
    tally_text,
)
from workflow.definition import DEFINITION_VERSION, RULES_BY_PAIR
from workflow.diagram import mermaid
from workflow.states import Channel, Event


@dataclass(frozen=True, slots=True)
class SiteSummary:
    """What ``build_site`` wrote, counted."""

    features: int
    scenarios: int
    """Every scenario, each row of an outline counted on its own."""
    passed: int
    failed: int
    skipped: int
    not_run: int
    out: Path
    untold: int = 0
    """Allowed (event, channel) pairs that no scenario tries."""
    unmatched: int = 0
    """Results in the cucumber JSON that match no scenario of the features."""
    refusals_untold: int = 0
    """Refusal rules of the definition that no scenario states."""

    def __str__(self) -> str:
        return (
            f"{self.features} features, {self.scenarios} scenarios: {self.passed} passed, "
            f"{self.failed} failed, {self.skipped} skipped, {self.not_run} not run; "
            f"{self.untold} allowed pairs untold, {self.refusals_untold} refusal rules "
            f"untold, {self.unmatched} results unmatched; "
            f"site at {self.out / 'index.html'}"
        )


@dataclass(frozen=True, slots=True)
class _Section:
    """A scenario on its feature's page, with the rule heading shown above it, if any."""

    scenario: DocScenario
    result: Result
    steps: tuple[tuple[DocStep, StepResult | None], ...]
    rule: DocRule | None = None


def href(*parts: str, anchor: str = "") -> str:
    """A link to a page of the site, each part of its path quoted."""
    link = "/".join(quote(part) for part in parts)
    return f"{link}#{quote(anchor)}" if anchor else link


def _seed_files(seeds: Path | None) -> dict[str, Path]:
    """The seed documents by number: ``001`` for ``001_052d563ec5a06a21.txt``."""
    if seeds is None:
        return {}
    if not seeds.is_dir():
        raise FileNotFoundError(f"no seeds folder at {seeds}")
    found: dict[str, Path] = {}
    for path in sorted(seeds.iterdir()):
        match = re.match(r"(\d+)_", path.name)
        if match is not None and path.is_file():
            found.setdefault(match[1], path)
    return found


_SEED_MENTION: Final = re.compile(r"\bseed (\d+)\b")


def _citing(seeds: Mapping[str, Path]) -> object:
    def cited(source: str) -> list[tuple[str, str | None]]:
        """A source text in pieces, each ``seed NNN`` with a link to that seed's page."""
        pieces: list[tuple[str, str | None]] = []
        last = 0
        for match in _SEED_MENTION.finditer(source):
            pieces.append((source[last : match.start()], None))
            seed = seeds.get(match[1])
            pieces.append((match[0], None if seed is None else href("seeds", f"{seed.stem}.html")))
            last = match.end()
        pieces.append((source[last:], None))
        return pieces

    return cited


def _step_class(step: DocStep, result: StepResult | None) -> str:
    classes = ["background"] if step.background else []
    if result is not None:
        classes.append(step_outcome(result.status).css)
    return " ".join(classes)


def _environment(seeds: Mapping[str, Path]) -> Environment:
    environment = Environment(
        loader=PackageLoader("livedocs", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    environment.globals.update(
        href=href, cited=_citing(seeds), step_class=_step_class, allowed=RULES_BY_PAIR
    )
    return environment


def _sections(feature: DocFeature, results: Results) -> list[_Section]:
    rules = {rule.name: rule for rule in feature.rules}
    sections: list[_Section] = []
    current: str | None = None
    for scenario in feature.scenarios:
        result = results.of(scenario)
        steps = tuple(
            (step, result.steps[index] if index < len(result.steps) else None)
            for index, step in enumerate(scenario.details)
        )
        heading = scenario.rule is not None and scenario.rule != current
        rule = rules.get(scenario.rule) if heading and scenario.rule is not None else None
        sections.append(_Section(scenario, result, steps, rule))
        current = scenario.rule
    return sections


def _citers(number: str, features: Sequence[DocFeature]) -> list[tuple[str, str]]:
    """Every feature and scenario that cites seed ``number``, each outline once, linked."""
    mention = re.compile(rf"\bseed {re.escape(number)}\b")
    found: list[tuple[str, str]] = []
    for feature in features:
        if any(mention.search(source) for source in feature.sources):
            found.append((f"Feature: {feature.name}", href(f"{feature.stem}.html")))
        lines: set[int] = set()
        for scenario in feature.scenarios:
            if scenario.line in lines or not any(mention.search(s) for s in scenario.sources):
                continue
            lines.add(scenario.line)
            found.append((scenario.name, href(f"{scenario.feature}.html", anchor=scenario.anchor)))
    return found


class _Writer:
    """Renders each page of the site into ``out``."""

    def __init__(self, out: Path, results: Results, seeds: Mapping[str, Path]) -> None:
        self.out = out
        self.results = results
        self.seeds = seeds
        self.environment = _environment(seeds)

    def write(self, name: str, template: str, **context: object) -> None:
        page = self.environment.get_template(template).render(context)
        (self.out / name).write_bytes(page.encode("utf-8"))

    def told(self, scenarios: Iterable[DocScenario]) -> str:
        return tally_text(tally(self.results.of(scenario).outcome for scenario in scenarios))

    def colour(self, scenarios: Iterable[DocScenario]) -> Outcome:
        return overall(tally(self.results.of(scenario).outcome for scenario in scenarios))

    def index(self, features: Sequence[DocFeature], scenarios: Sequence[DocScenario]) -> None:
        self.write(
            "index.html",
            "index.html.j2",
            title="cardflow: living documentation",
            version=DEFINITION_VERSION,
            features=features,
            scenarios=scenarios,
            results=self.results,
            outcomes=list(Outcome),
            totals=tally(self.results.of(scenario).outcome for scenario in scenarios),
            told=self.told,
            colour=self.colour,
            mermaid=mermaid(),
            events=list(Event),
            channels=list(Channel),
            matrix=trying(scenarios),
            rules=refusal_rules(),
            untold=refusals_untold(scenarios),
            seeds=self.seeds,
        )

    def feature(self, feature: DocFeature) -> None:
        self.write(
            f"{feature.stem}.html",
            "feature.html.j2",
            title=f"Feature: {feature.name}",
            feature=feature,
            tally=self.told(feature.scenarios),
            sections=_sections(feature, self.results),
        )

    def seed(self, number: str, path: Path, features: Sequence[DocFeature]) -> None:
        self.write(
            f"seeds/{path.stem}.html",
            "seed.html.j2",
            title=f"Seed {number}",
            number=number,
            path=path,
            citers=_citers(number, features),
            text=path.read_text(encoding="utf-8", errors="replace"),
        )


def build_site(
    *, features: Path, out: Path, results: Path | None = None, seeds: Path | None = None
) -> SiteSummary:
    """Write the living documentation of ``features`` into ``out`` and count what it shows.

    ``results`` is a cucumber JSON report (``pytest --cucumber-json=PATH``); without it
    every scenario is "not run". ``seeds`` is the folder of seed documents the features
    cite; with it, each ``seed NNN`` links to a page showing that seed's text.
    """
    documented = features_of(features)
    if any(feature.stem == "index" for feature in documented):
        raise ValueError("a feature file named index.feature would replace the index page")
    scenarios = [scenario for feature in documented for scenario in feature.scenarios]
    known = read_results(results, scenarios)
    seed_files = _seed_files(seeds)
    out.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out, known, seed_files)
    writer.index(documented, scenarios)
    for feature in documented:
        writer.feature(feature)
    if seed_files:
        (out / "seeds").mkdir(exist_ok=True)
    for number, path in seed_files.items():
        writer.seed(number, path, documented)
    counted = tally(known.of(scenario).outcome for scenario in scenarios)
    return SiteSummary(
        features=len(documented),
        scenarios=len(scenarios),
        passed=counted[Outcome.PASSED],
        failed=counted[Outcome.FAILED],
        skipped=counted[Outcome.SKIPPED],
        not_run=counted[Outcome.NOT_RUN],
        out=out,
        untold=len(pairs_untold(scenarios)),
        unmatched=known.unmatched,
        refusals_untold=len(refusals_untold(scenarios)),
    )
