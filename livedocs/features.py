"""The features as the site shows them: each outline row a scenario of its own, sources cited."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from livedocs import gherkin
from livedocs.grammar import Pair, tried

Key = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class DocStep:
    """One step as the reader sees it, outline values already filled in."""

    keyword: str
    text: str
    line: int
    background: bool = False
    table: tuple[tuple[str, ...], ...] = ()
    docstring: str | None = None


@dataclass(frozen=True, slots=True)
class DocScenario:
    """One scenario, or one row of a scenario outline, with everything the site says of it."""

    feature: str
    """The stem of its feature file (``activate`` for ``activate.feature``)."""
    uri: str
    """Its feature file, relative to the features folder."""
    keyword: str
    name: str
    line: int
    tags: tuple[str, ...]
    """Every tag that applies: the feature's, the rule's, its own and its examples'."""
    steps: tuple[str, ...]
    """The text of each step, background first, outline values filled in."""
    details: tuple[DocStep, ...]
    sources: tuple[str, ...]
    """What follows ``# Source:`` in the comments right above the scenario."""
    example: tuple[tuple[str, str], ...] = ()
    """The outline row's (column, value) pairs; empty for a plain scenario."""
    examples_name: str = ""
    row: int = 0
    """Which row of the outline this is, from 1; 0 for a plain scenario."""
    rule: str | None = None
    description: str = ""

    @property
    def key(self) -> Key:
        """Tells this scenario apart from every other in the same features folder."""
        return self.uri, self.line, self.row

    @property
    def anchor(self) -> str:
        """The fragment that points at this scenario on its feature's page."""
        return f"line-{self.line}-{self.row}" if self.row else f"line-{self.line}"

    @property
    def pairs(self) -> tuple[Pair, ...]:
        """The (event, channel) pairs its steps try, in order, each once."""
        found = (tried(step) for step in self.steps)
        return tuple(dict.fromkeys(pair for pair in found if pair is not None))


@dataclass(frozen=True, slots=True)
class DocRule:
    """A ``Rule:`` block of a feature."""

    name: str
    description: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocFeature:
    """A feature file: its heading, its sources and its scenarios in file order."""

    stem: str
    uri: str
    name: str
    description: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    scenarios: tuple[DocScenario, ...]
    rules: tuple[DocRule, ...]


_SOURCE: Final = re.compile(r"#\s*Source:\s*(?P<text>.*?)\s*")
_PARAMETER: Final = re.compile(r"<(.+?)>")


def _sources_above(lines: Sequence[str], line: int) -> tuple[str, ...]:
    """The ``# Source:`` comments right above 1-based ``line``, tag lines allowed between."""
    found: list[str] = []
    for text in (lines[index].strip() for index in range(line - 2, -1, -1)):
        match = _SOURCE.fullmatch(text)
        if match is not None:
            found.append(match["text"])
        elif not text.startswith(("@", "#")):
            break
    return tuple(reversed(found))


def _filled(text: str, example: Mapping[str, str]) -> str:
    """``text`` with each ``<column>`` of the example replaced by its value, others kept."""
    return _PARAMETER.sub(lambda name: example.get(name[1], name[0]), text)


def _doc_step(step: gherkin.Step, example: Mapping[str, str], *, background: bool) -> DocStep:
    return DocStep(
        keyword=step.keyword,
        text=_filled(step.text, example),
        line=step.line,
        background=background,
        table=tuple(tuple(_filled(cell, example) for cell in row) for row in step.table),
        docstring=None if step.docstring is None else _filled(step.docstring, example),
    )


def _expanded(
    feature: gherkin.Feature,
    scenario: gherkin.Scenario,
    stem: str,
    uri: str,
    lines: Sequence[str],
) -> Iterator[DocScenario]:
    """The scenario, or each row of the outline, as the site shows it."""
    rule_tags = scenario.rule.tags if scenario.rule is not None else frozenset()
    tags = scenario.tags | feature.tags | rule_tags
    rows = [
        (examples.name, examples.tags, dict(zip(examples.header, row, strict=True)))
        for examples in scenario.examples
        for row in examples.rows
    ]
    plain: list[tuple[str, frozenset[str], dict[str, str]]] = [("", frozenset(), {})]
    for row, (examples_name, example_tags, example) in enumerate(rows or plain):
        details = (
            *(_doc_step(step, example, background=True) for step in scenario.background),
            *(_doc_step(step, example, background=False) for step in scenario.steps),
        )
        yield DocScenario(
            feature=stem,
            uri=uri,
            keyword=scenario.keyword,
            name=_filled(scenario.name, example),
            line=scenario.line,
            tags=tuple(sorted(tags | example_tags)),
            steps=tuple(step.text for step in details),
            details=details,
            sources=_sources_above(lines, scenario.line),
            example=tuple(example.items()),
            examples_name=examples_name,
            row=row + 1 if rows else 0,
            rule=scenario.rule.name if scenario.rule is not None else None,
            description=scenario.description,
        )


def _rules(scenarios: Iterable[gherkin.Scenario], lines: Sequence[str]) -> tuple[DocRule, ...]:
    found: dict[str, DocRule] = {}
    for scenario in scenarios:
        rule = scenario.rule
        if rule is None or rule.name in found:
            continue
        found[rule.name] = DocRule(
            name=rule.name,
            description=rule.description,
            tags=tuple(sorted(rule.tags)),
            sources=_sources_above(lines, rule.line),
        )
    return tuple(found.values())


def _feature(features: Path, path: Path) -> DocFeature:
    uri = path.relative_to(features).as_posix()
    text = path.read_text(encoding="utf-8")
    read = gherkin.parse_feature(text, uri)
    lines = text.splitlines()
    return DocFeature(
        stem=path.stem,
        uri=uri,
        name=read.name,
        description=read.description,
        tags=tuple(sorted(read.tags)),
        sources=_sources_above(lines, read.line),
        scenarios=tuple(
            scenario
            for template in read.scenarios
            for scenario in _expanded(read, template, path.stem, uri, lines)
        ),
        rules=_rules(read.scenarios, lines),
    )


def features_of(features: Path) -> list[DocFeature]:
    """Every ``*.feature`` file in the folder ``features``, by file name."""
    if not features.is_dir():
        raise FileNotFoundError(f"no features folder at {features}")
    return [_feature(features, path) for path in sorted(features.glob("*.feature"))]


def scenarios_of(features: Path) -> list[DocScenario]:
    """Every scenario in ``features``, each outline row on its own, in file order."""
    return [scenario for feature in features_of(features) for scenario in feature.scenarios]
