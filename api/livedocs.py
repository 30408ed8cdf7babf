"""The living documentation: the features, their latest results and the rules they cover, as HTML.

``build_site`` reads the Gherkin files in ``features/`` (and, when given, the cucumber JSON
that ``pytest --cucumber-json=PATH`` writes and the seed documents the features cite) and
writes a small static site that a supervisor can read without running anything:

* ``index.html`` -- the definition version, the totals, the features, the lifecycle as
  Mermaid source, and which scenarios try each (event, channel) pair;
* ``<feature>.html`` -- each scenario (each row of an outline on its own), its steps, tags,
  cited sources and latest result;
* ``seeds/<seed>.html`` -- the text of each seed document, and what cites it.

The same reading of the features serves the coverage test: ``scenarios_of`` lists every
scenario as the site shows it, and ``tried`` tells which (event, channel) a step tries.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from workflow.definition import (
    ADJUSTMENTS,
    DEFINITION_VERSION,
    EVIDENCE,
    RULES,
    RULES_BY_PAIR,
    Circumstance,
)
from workflow.diagram import mermaid
from workflow.errors import Condition
from workflow.machine import LIFECYCLE
from workflow.states import SAID, Channel, Event, State

if TYPE_CHECKING:
    from pytest_bdd.parser import Feature, ScenarioTemplate, Step

Pair = tuple[Event, Channel]
Key = tuple[str, int, int]

# -- which (event, channel) a step tries -------------------------------------------------


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_SAID_EVENTS: Final[Mapping[str, Event]] = {said: event for event, said in SAID.items()}

_TRIED: Final = re.compile(
    r"(?:the applicant (?P<applies>applies)|an agent (?P<agent_applies>applies) for the applicant"
    rf"|the card is (?P<said>{_alternatives(_SAID_EVENTS)})"
    r"(?: by (?:an agent|a supervisor|the \w+ clerk))?)"
    rf" through the (?P<channel>{_alternatives(Channel)}) channel with (?P<evidence>.+)"
)


def tried(step_text: str) -> Pair | None:
    """The (event, channel) a step tries, or ``None`` for a step that tries nothing.

    Understands "the applicant applies through the X channel with ...", "an agent applies
    for the applicant through the X channel with ..." and "the card is <said> [by an agent |
    by a supervisor | by the <channel> clerk] through the X channel with ...", where <said>
    is how ``workflow.states.SAID`` words an event ("reported lost").
    """
    match = _TRIED.fullmatch(step_text.strip())
    if match is None:
        return None
    applies = match["applies"] or match["agent_applies"]
    event = Event.APPLY if applies else _SAID_EVENTS[match["said"]]
    return event, Channel(match["channel"])


# -- the features, as the site shows them ------------------------------------------------


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
_RULE_LINE: Final = re.compile(r"\s*Rule:\s*(?P<name>.*?)\s*")


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


def _rule_lines(lines: Sequence[str]) -> dict[str, int]:
    """The 1-based line of each ``Rule:`` heading, by the rule's name."""
    found: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        match = _RULE_LINE.fullmatch(text)
        if match is not None:
            found.setdefault(match["name"], number)
    return found


def _doc_step(step: Step, *, background: bool) -> DocStep:
    table: tuple[tuple[str, ...], ...] = ()
    if step.datatable is not None:
        table = tuple(tuple(cell.value for cell in row.cells) for row in step.datatable.rows)
    return DocStep(step.keyword, step.name, step.line_number, background, table, step.docstring)


def _expanded(
    feature: Feature, template: ScenarioTemplate, stem: str, uri: str, lines: Sequence[str]
) -> Iterator[DocScenario]:
    """The scenario, or each row of the outline, as the site shows it."""
    rule_tags = template.rule.tags if template.rule is not None else set()
    tags = template.tags | feature.tags | rule_tags
    background = len(template.all_background_steps)
    rows = [
        (examples.name or "", examples.tags, context)
        for examples in template.examples
        for context in examples.as_contexts()
    ]
    for row, (examples_name, example_tags, context) in enumerate(rows or [("", set(), {})]):
        scenario = template.render(context)
        details = tuple(
            _doc_step(step, background=index < background)
            for index, step in enumerate(scenario.steps)
        )
        yield DocScenario(
            feature=stem,
            uri=uri,
            keyword=template.keyword,
            name=scenario.name,
            line=template.line_number,
            tags=tuple(sorted(tags | example_tags)),
            steps=tuple(step.text for step in details),
            details=details,
            sources=_sources_above(lines, template.line_number),
            example=tuple(context.items()),
            examples_name=examples_name,
            row=row + 1 if rows else 0,
            rule=template.rule.name if template.rule is not None else None,
            description=textwrap.dedent(template.description).strip(),
        )


def _rules(templates: Iterable[ScenarioTemplate], lines: Sequence[str]) -> tuple[DocRule, ...]:
    at = _rule_lines(lines)
    found: dict[str, DocRule] = {}
    for template in templates:
        rule = template.rule
        if rule is None or rule.name in found:
            continue
        found[rule.name] = DocRule(
            name=rule.name,
            description=textwrap.dedent(rule.description).strip(),
            tags=tuple(sorted(rule.tags)),
            sources=_sources_above(lines, at[rule.name]) if rule.name in at else (),
        )
    return tuple(found.values())


def _feature(features: Path, path: Path) -> DocFeature:
    from pytest_bdd.parser import FeatureParser

    uri = path.relative_to(features).as_posix()
    parsed = FeatureParser(str(features), uri).parse()
    lines = path.read_text(encoding="utf-8").splitlines()
    templates = sorted(parsed.scenarios.values(), key=lambda template: template.line_number)
    return DocFeature(
        stem=path.stem,
        uri=uri,
        name=parsed.name,
        description=parsed.description.strip(),
        tags=tuple(sorted(parsed.tags)),
        sources=_sources_above(lines, parsed.line_number),
        scenarios=tuple(
            scenario
            for template in templates
            for scenario in _expanded(parsed, template, path.stem, uri, lines)
        ),
        rules=_rules(templates, lines),
    )


def features_of(features: Path) -> list[DocFeature]:
    """Every ``*.feature`` file in the folder ``features``, by file name."""
    if not features.is_dir():
        raise FileNotFoundError(f"no features folder at {features}")
    return [_feature(features, path) for path in sorted(features.glob("*.feature"))]


def scenarios_of(features: Path) -> list[DocScenario]:
    """Every scenario in ``features``, each outline row on its own, in file order."""
    return [scenario for feature in features_of(features) for scenario in feature.scenarios]


# -- which refusal rules the scenarios state ----------------------------------------------


class RefusalKind(StrEnum):
    """A kind of rule by which cardflow refuses a step."""

    EVIDENCE = "evidence"
    """An (event, channel) pair refused for missing evidence."""
    AGENT = "agent"
    """An (event, channel) pair where no agent may stand in."""
    REACH = "reach"
    """An (event, channel) pair refused from a state other channels carry the event from."""
    STATE = "state"
    """An event refused in a state it cannot happen in."""
    CHANNEL = "channel"
    """A channel refusing an event it never carries."""
    CONDITION = "condition"
    """A condition of a step (a deadline, a function already active, a live card)."""
    CIRCUMSTANCE = "circumstance"
    """What an applicant's circumstance adds to an application, missing."""


@dataclass(frozen=True, slots=True, order=True)
class RefusalRule:
    """One rule by which cardflow refuses, named by its kind and what it is about."""

    kind: RefusalKind
    about: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.about}"


def refusal_rules() -> tuple[RefusalRule, ...]:
    """Every refusal rule the definition implies, each of which some scenario must state."""
    found = []
    for rule in RULES:
        pair = f"{rule.event} through {rule.channel}"
        found.append(RefusalRule(RefusalKind.EVIDENCE, pair))
        if not rule.agent_allowed:
            found.append(RefusalRule(RefusalKind.AGENT, pair))
        if rule.only_from is not None:
            found.append(RefusalRule(RefusalKind.REACH, pair))
    found += [RefusalRule(RefusalKind.STATE, str(event)) for event in Event]
    found += [RefusalRule(RefusalKind.CHANNEL, str(channel)) for channel in Channel]
    found += [RefusalRule(RefusalKind.CONDITION, str(condition)) for condition in Condition]
    found += [
        RefusalRule(RefusalKind.CIRCUMSTANCE, str(a.circumstance)) for a in ADJUSTMENTS if a.adds
    ]
    return tuple(found)


_STATE_WORDS: Final[Mapping[str, State]] = {str(s).replace("_", " "): s for s in State}
_REFUSED_STATE: Final = re.compile(
    rf"it is refused because the card is (?P<state>{_alternatives(_STATE_WORDS)})"
)
_REFUSED_MISSING: Final = re.compile(r'it is refused because "(?P<says>.+)" is missing')
_CONDITION_WORDS: Final[Mapping[str, Condition]] = {
    "has not run out": Condition.DEADLINE_NOT_REACHED,
    "no deadline runs for the card": Condition.DEADLINE_NOT_RUNNING,
    "its financial function is already active": Condition.FINANCIAL_FUNCTION_ACTIVE,
    "the applicant already holds that card": Condition.ONE_LIVE_CARD,
}
_ADDED_BY: Final[Mapping[str, Circumstance]] = {
    EVIDENCE[key].says: a.circumstance for a in ADJUSTMENTS for key in a.adds
}


def refusals_told(scenario: DocScenario) -> set[RefusalRule]:
    """The refusal rules ``scenario`` states: each "it is refused ..." step, read against
    the step that tried what it refuses."""
    told: set[RefusalRule] = set()
    pair: Pair | None = None
    for step in scenario.details:
        pair = tried(step.text) or pair
        if pair is None or not step.text.startswith("it is refused"):
            continue
        event, channel = pair
        named = f"{event} through {channel}"
        missing = [row[0] for row in step.table]
        if said := _REFUSED_MISSING.fullmatch(step.text):
            missing.append(said["says"])
        if missing:
            told.add(RefusalRule(RefusalKind.EVIDENCE, named))
            told |= {
                RefusalRule(RefusalKind.CIRCUMSTANCE, str(_ADDED_BY[says]))
                for says in missing
                if says in _ADDED_BY
            }
        if "no agent may stand in" in step.text:
            told.add(RefusalRule(RefusalKind.AGENT, named))
        if "that channel never carries that step" in step.text:
            told.add(RefusalRule(RefusalKind.CHANNEL, str(channel)))
        if state := _REFUSED_STATE.fullmatch(step.text):
            told.add(RefusalRule(RefusalKind.STATE, str(event)))
            rule = RULES_BY_PAIR.get(pair)
            here = _STATE_WORDS[state["state"]]
            if (
                rule is not None
                and rule.only_from is not None
                and here not in rule.only_from
                and event in LIFECYCLE.allowed(here)
            ):
                told.add(RefusalRule(RefusalKind.REACH, named))
        told |= {
            RefusalRule(RefusalKind.CONDITION, str(condition))
            for words, condition in _CONDITION_WORDS.items()
            if words in step.text
        }
    return told


# -- results from the cucumber JSON ------------------------------------------------------


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


def _step_outcome(status: str) -> Outcome:
    """Passed and failed as they are; skipped, pending, undefined and the like as skipped."""
    return _OUTCOMES.get(status, Outcome.SKIPPED)


def _result(element: Mapping[str, Any]) -> Result:
    """A scenario failed if a step failed, passed if every step passed, else was skipped."""
    steps = tuple(
        _step_result(step) for step in _list(element.get("steps", []), "a scenario's steps")
    )
    outcomes = {_step_outcome(step.status) for step in steps}
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
class _Results:
    by_key: Mapping[Key, Result]
    unmatched: int

    def of(self, scenario: DocScenario) -> Result:
        return self.by_key.get(scenario.key, NOT_RUN)


def _read_results(path: Path | None, scenarios: Sequence[DocScenario]) -> _Results:
    """The latest result of each scenario in the cucumber JSON at ``path``."""
    if path is None:
        return _Results({}, 0)
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
    return _Results(found, unmatched)


# -- the site ----------------------------------------------------------------------------


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


_STYLE: Final = """
body { font-family: system-ui, sans-serif; color: #1f2328; line-height: 1.45;
  max-width: 80rem; margin: 2rem auto; padding: 0 1rem; }
a { color: #0b5cad; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { background: #f6f8fa; padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; }
.description { white-space: pre-line; }
.tag { display: inline-block; background: #eef1f4; border-radius: 0.6rem;
  padding: 0 0.5rem; margin-right: 0.25rem; font-size: 0.85em; }
.badge { display: inline-block; border-radius: 0.3rem; padding: 0 0.4rem; font-size: 0.85em; }
.passed { background: #dafbe1; color: #116329; }
.failed { background: #ffebe9; color: #a40e26; }
.skipped { background: #fff8c5; color: #7d4e00; }
.not-run { background: #eaeef2; color: #57606a; }
section.scenario { border-left: 0.4rem solid #d0d7de; background: none; color: inherit;
  padding: 0.25rem 1rem; margin: 1rem 0; }
section.scenario.passed { border-color: #2da44e; }
section.scenario.failed { border-color: #cf222e; }
section.scenario.skipped { border-color: #d4a72c; }
section.scenario.not-run { border-color: #8c959f; }
ol.steps { list-style: none; padding-left: 0; }
ol.steps li { padding: 0.1rem 0.4rem; margin: 0.1rem 0; border-radius: 0.2rem; }
ol.steps li.background { font-style: italic; }
.keyword { font-weight: 600; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.5rem; vertical-align: top; }
table.matrix td { font-size: 0.85em; min-width: 7rem; }
td.not-allowed { background: repeating-linear-gradient(45deg, #f6f8fa, #f6f8fa 6px,
  #eaeef2 6px, #eaeef2 12px); color: #57606a; }
td.untold { background: #ffebe9; color: #a40e26; font-weight: 700;
  outline: 2px dashed #cf222e; outline-offset: -4px; }
pre.error { background: #ffebe9; color: #a40e26; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{body}</body>\n</html>\n"
    )


def _href(*parts: str, anchor: str = "") -> str:
    link = "/".join(quote(part) for part in parts)
    return _e(f"{link}#{quote(anchor)}" if anchor else link)


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


def _cited(source: str, seeds: Mapping[str, Path]) -> str:
    """A source text, escaped, with each ``seed NNN`` linking to that seed's page."""
    out: list[str] = []
    last = 0
    for match in _SEED_MENTION.finditer(source):
        out.append(_e(source[last : match.start()]))
        seed = seeds.get(match[1])
        if seed is None:
            out.append(_e(match[0]))
        else:
            out.append(f'<a href="{_href("seeds", f"{seed.stem}.html")}">{_e(match[0])}</a>')
        last = match.end()
    out.append(_e(source[last:]))
    return "".join(out)


def _tags(tags: Iterable[str]) -> str:
    shown = "".join(f'<span class="tag">@{_e(tag)}</span>' for tag in tags)
    return f'<p class="tags">{shown}</p>\n' if shown else ""


def _sources(sources: Sequence[str], seeds: Mapping[str, Path]) -> str:
    if not sources:
        return ""
    items = "".join(f"<li>Source: {_cited(source, seeds)}</li>\n" for source in sources)
    return f'<ul class="sources">\n{items}</ul>\n'


def _badge(outcome: Outcome) -> str:
    return f'<span class="badge {outcome.css}">{_e(outcome)}</span>'


def _tally(outcomes: Iterable[Outcome]) -> Counter[Outcome]:
    return Counter(outcomes)


def _tally_text(tally: Counter[Outcome]) -> str:
    return ", ".join(f"{tally[outcome]} {outcome}" for outcome in Outcome if tally[outcome])


def _overall(tally: Counter[Outcome]) -> Outcome:
    """The colour of a group: red if any failed, then amber, then grey, else green."""
    for outcome in (Outcome.FAILED, Outcome.SKIPPED, Outcome.NOT_RUN):
        if tally[outcome]:
            return outcome
    return Outcome.PASSED


def _table(rows: Sequence[Sequence[str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{_e(cell)}</th>" for cell in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>\n" for row in rows[1:]
    )
    return f"<table>\n<tr>{head}</tr>\n{body}</table>\n"


def _step(step: DocStep, result: StepResult | None) -> str:
    classes = ["background"] if step.background else []
    if result is not None:
        classes.append(_step_outcome(result.status).css)
    extra = _table(step.table)
    if step.docstring is not None:
        extra += f"<pre>{_e(step.docstring)}</pre>\n"
    if result is not None and result.error:
        extra += f'<pre class="error">{_e(result.error)}</pre>\n'
    attribute = f' class="{" ".join(classes)}"' if classes else ""
    return (
        f'<li{attribute}><span class="keyword">{_e(step.keyword)}</span> {_e(step.text)}'
        f"{extra}</li>\n"
    )


def _pair_text(pair: Pair) -> str:
    event, channel = pair
    allowed = "allowed" if pair in RULES_BY_PAIR else "not allowed"
    return f"{_e(event)} through {_e(channel)} ({allowed})"


def _scenario(scenario: DocScenario, result: Result, seeds: Mapping[str, Path]) -> str:
    outcome = result.outcome
    parts = [
        f'<section class="scenario {outcome.css}" id="{_e(scenario.anchor)}">\n',
        f"<h3>{_e(scenario.keyword)}: {_e(scenario.name)} {_badge(outcome)}</h3>\n",
        f"<p><code>{_e(scenario.uri)}:{scenario.line}</code></p>\n",
    ]
    if scenario.row:
        named = f" {_e(scenario.examples_name)}" if scenario.examples_name else ""
        parts.append(f"<p>Example {scenario.row}:{named}</p>\n")
        parts.append(
            _table([[key for key, _ in scenario.example], [v for _, v in scenario.example]])
        )
    parts.append(_tags(scenario.tags))
    parts.append(_sources(scenario.sources, seeds))
    if scenario.description:
        parts.append(f'<p class="description">{_e(scenario.description)}</p>\n')
    if scenario.pairs:
        parts.append(f"<p>Tries: {'; '.join(_pair_text(pair) for pair in scenario.pairs)}</p>\n")
    steps = "".join(
        _step(step, result.steps[index] if index < len(result.steps) else None)
        for index, step in enumerate(scenario.details)
    )
    parts.append(f'<ol class="steps">\n{steps}</ol>\n</section>\n')
    return "".join(parts)


def _rule(rule: DocRule, seeds: Mapping[str, Path]) -> str:
    description = f'<p class="description">{_e(rule.description)}</p>\n' if rule.description else ""
    heading = f"<h2>Rule: {_e(rule.name)}</h2>\n"
    return f"{heading}{_tags(rule.tags)}{_sources(rule.sources, seeds)}{description}"


def _feature_page(feature: DocFeature, results: _Results, seeds: Mapping[str, Path]) -> str:
    tally = _tally(results.of(scenario).outcome for scenario in feature.scenarios)
    rules = {rule.name: rule for rule in feature.rules}
    parts = [
        '<p><a href="index.html">All features</a></p>\n',
        f"<h1>Feature: {_e(feature.name)}</h1>\n",
        f"<p><code>{_e(feature.uri)}</code></p>\n",
        _tags(feature.tags),
        _sources(feature.sources, seeds),
        f'<p class="description">{_e(feature.description)}</p>\n' if feature.description else "",
        f"<p>{len(feature.scenarios)} scenarios: {_e(_tally_text(tally))}</p>\n",
    ]
    current: str | None = None
    for scenario in feature.scenarios:
        if scenario.rule is not None and scenario.rule != current and scenario.rule in rules:
            parts.append(_rule(rules[scenario.rule], seeds))
        current = scenario.rule
        parts.append(_scenario(scenario, results.of(scenario), seeds))
    return _page(f"Feature: {feature.name}", "".join(parts))


def _scenario_link(scenario: DocScenario, outcome: Outcome) -> str:
    href = _href(f"{scenario.feature}.html", anchor=scenario.anchor)
    return f'<li><a href="{href}">{_e(scenario.name)}</a> {_badge(outcome)}</li>\n'


def _listing(summary: str, links: str) -> str:
    return f"<details><summary>{summary}</summary>\n<ul>\n{links}</ul>\n</details>"


def _cell(pair: Pair, scenarios: Sequence[DocScenario], results: _Results) -> str:
    tally = _tally(results.of(scenario).outcome for scenario in scenarios)
    links = "".join(_scenario_link(s, results.of(s).outcome) for s in scenarios)
    if pair not in RULES_BY_PAIR:
        if not scenarios:
            return '<td class="not-allowed">not allowed</td>'
        summary = f"not allowed; refused in {len(scenarios)}: {_e(_tally_text(tally))}"
        return f'<td class="not-allowed">{_listing(summary, links)}</td>'
    if not scenarios:
        return '<td class="untold">allowed, no scenario</td>'
    summary = f"{len(scenarios)} scenarios: {_e(_tally_text(tally))}"
    return f'<td class="{_overall(tally).css}">{_listing(summary, links)}</td>'


def _matrix(scenarios: Sequence[DocScenario], results: _Results) -> str:
    trying: dict[Pair, list[DocScenario]] = {}
    for scenario in scenarios:
        for pair in scenario.pairs:
            trying.setdefault(pair, []).append(scenario)
    head = "".join(f"<th>{_e(channel)}</th>" for channel in Channel)
    rows = "".join(
        f"<tr><th>{_e(event)}</th>"
        + "".join(
            _cell((event, channel), trying.get((event, channel), []), results)
            for channel in Channel
        )
        + "</tr>\n"
        for event in Event
    )
    return f'<table class="matrix">\n<tr><th>event \\ channel</th>{head}</tr>\n{rows}</table>\n'


def _untold(scenarios: Sequence[DocScenario]) -> int:
    told = {pair for scenario in scenarios for pair in scenario.pairs}
    return sum(pair not in told for pair in RULES_BY_PAIR)


def _index_page(
    features: Sequence[DocFeature],
    results: _Results,
    seeds: Mapping[str, Path],
) -> str:
    scenarios = [scenario for feature in features for scenario in feature.scenarios]
    tally = _tally(results.of(scenario).outcome for scenario in scenarios)
    totals = "".join(
        f'<li><span class="badge {outcome.css}">{tally[outcome]} {_e(outcome)}</span></li>\n'
        for outcome in Outcome
    )
    listed = "".join(
        f'<li><a href="{_href(f"{feature.stem}.html")}">{_e(feature.name)}</a> '
        f"<code>{_e(feature.uri)}</code>: {len(feature.scenarios)} scenarios, "
        f"{_e(_tally_text(_tally(results.of(s).outcome for s in feature.scenarios)))}</li>\n"
        for feature in features
    )
    parts = [
        "<h1>cardflow: living documentation</h1>\n",
        f"<p>Definition version: <code>{_e(DEFINITION_VERSION)}</code></p>\n",
        f"<h2>Totals</h2>\n<p>{len(features)} features, {len(scenarios)} scenarios</p>\n",
        f'<ul class="totals">\n{totals}</ul>\n',
    ]
    if results.unmatched:
        parts.append(f"<p>{results.unmatched} results in the report match no scenario.</p>\n")
    parts += [
        f"<h2>Features</h2>\n<ul>\n{listed}</ul>\n",
        "<h2>Lifecycle</h2>\n",
        f'<pre class="mermaid">{_e(mermaid())}</pre>\n',
        "<h2>Events by channel</h2>\n",
        "<p>Each allowed (event, channel) pair, and the scenarios that try it; "
        "a pair no scenario tries is marked.</p>\n",
        _matrix(scenarios, results),
        "<h2>Refusals</h2>\n",
        _refusals(scenarios),
    ]
    if seeds:
        items = "".join(
            f'<li><a href="{_href("seeds", f"{path.stem}.html")}">seed {_e(number)}</a> '
            f"<code>{_e(path.name)}</code></li>\n"
            for number, path in seeds.items()
        )
        parts.append(f"<h2>Seeds</h2>\n<ul>\n{items}</ul>\n")
    return _page("cardflow: living documentation", "".join(parts))


def refusals_untold(scenarios: Sequence[DocScenario]) -> list[RefusalRule]:
    """The refusal rules of the definition that no scenario states."""
    told = set().union(*(refusals_told(scenario) for scenario in scenarios))
    return [rule for rule in refusal_rules() if rule not in told]


def _refusals(scenarios: Sequence[DocScenario]) -> str:
    """How many refusal rules the scenarios state, and those they do not."""
    rules = refusal_rules()
    untold = refusals_untold(scenarios)
    said = (
        f"<p>{len(rules) - len(untold)} of the {len(rules)} refusal rules the definition "
        "implies (missing evidence for each pair, agents, states, channels, conditions, "
        "applicant circumstances) are stated by some scenario.</p>\n"
    )
    if not untold:
        return said
    items = "".join(f'<li class="untold">{_e(str(rule))}</li>\n' for rule in untold)
    return f"{said}<p>Stated by no scenario:</p>\n<ul>\n{items}</ul>\n"


def _citers(number: str, features: Sequence[DocFeature]) -> str:
    """Links to every feature and scenario that cites seed ``number``, each outline once."""
    mention = re.compile(rf"\bseed {re.escape(number)}\b")
    items: list[str] = []
    for feature in features:
        if any(mention.search(source) for source in feature.sources):
            href = _href(f"{feature.stem}.html")
            items.append(f'<li><a href="../{href}">Feature: {_e(feature.name)}</a></li>\n')
        lines: set[int] = set()
        for scenario in feature.scenarios:
            if scenario.line in lines or not any(mention.search(s) for s in scenario.sources):
                continue
            lines.add(scenario.line)
            href = _href(f"{scenario.feature}.html", anchor=scenario.anchor)
            items.append(f'<li><a href="../{href}">{_e(scenario.name)}</a></li>\n')
    return f"<ul>\n{''.join(items)}</ul>\n" if items else "<p>Nothing cites it yet.</p>\n"


def _seed_page(number: str, path: Path, features: Sequence[DocFeature]) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    body = (
        '<p><a href="../index.html">All features</a></p>\n'
        f"<h1>Seed {_e(number)}</h1>\n<p><code>{_e(path.name)}</code></p>\n"
        f"<h2>Cited by</h2>\n{_citers(number, features)}"
        f"<h2>Text</h2>\n<pre>{_e(text)}</pre>\n"
    )
    return _page(f"Seed {number}", body)


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


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
    known = _read_results(results, scenarios)
    seed_files = _seed_files(seeds)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "index.html", _index_page(documented, known, seed_files))
    for feature in documented:
        _write(out / f"{feature.stem}.html", _feature_page(feature, known, seed_files))
    if seed_files:
        (out / "seeds").mkdir(exist_ok=True)
    for number, path in seed_files.items():
        _write(out / "seeds" / f"{path.stem}.html", _seed_page(number, path, documented))
    tally = _tally(known.of(scenario).outcome for scenario in scenarios)
    return SiteSummary(
        features=len(documented),
        scenarios=len(scenarios),
        passed=tally[Outcome.PASSED],
        failed=tally[Outcome.FAILED],
        skipped=tally[Outcome.SKIPPED],
        not_run=tally[Outcome.NOT_RUN],
        out=out,
        untold=_untold(scenarios),
        unmatched=known.unmatched,
        refusals_untold=len(refusals_untold(scenarios)),
    )
