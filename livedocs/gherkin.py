"""A reader of the Gherkin the features are written in, so the docs build without test tools.

It knows what ``features/`` uses, in English: ``Feature``, ``Rule``, ``Background``,
``Scenario`` (``Example``), ``Scenario Outline`` (``Scenario Template``) with ``Examples``
(``Scenarios``), tags, comments, descriptions, steps with data tables and doc strings. A
test reads every feature file with it and with pytest-bdd, so the two cannot drift.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

STEP_KEYWORDS: Final = ("Given", "When", "Then", "And", "But", "*")
_HEADINGS: Final = {
    "Feature": "Feature",
    "Rule": "Rule",
    "Background": "Background",
    "Scenario": "Scenario",
    "Example": "Scenario",
    "Scenario Outline": "Scenario",
    "Scenario Template": "Scenario",
    "Examples": "Examples",
    "Scenarios": "Examples",
}
_HEADING: Final = re.compile(
    rf"(?P<keyword>{'|'.join(sorted(_HEADINGS, key=len, reverse=True))}):\s*(?P<name>.*)"
)
_STEP: Final = re.compile(rf"(?P<keyword>{'|'.join(map(re.escape, STEP_KEYWORDS))})\s+(?P<text>.+)")
_LANGUAGE: Final = re.compile(r"#\s*language\s*:\s*(?P<language>\S+)")
_CELL_ESCAPES: Final = {"\\|": "|", "\\\\": "\\", "\\n": "\n"}

Table = tuple[tuple[str, ...], ...]


class GherkinError(ValueError):
    """A feature file this reader cannot read."""


@dataclass(frozen=True, slots=True)
class Step:
    """A step as written: its keyword, its text, and any data table or doc string."""

    keyword: str
    text: str
    line: int
    table: Table = ()
    docstring: str | None = None


@dataclass(frozen=True, slots=True)
class Examples:
    """An ``Examples:`` table of an outline."""

    name: str
    tags: frozenset[str]
    line: int
    header: tuple[str, ...]
    rows: Table


@dataclass(frozen=True, slots=True)
class Rule:
    """A ``Rule:`` block; its background runs after the feature's."""

    name: str
    description: str
    tags: frozenset[str]
    line: int
    background: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """A scenario or an outline as written, before any example is filled in."""

    keyword: str
    name: str
    line: int
    tags: frozenset[str]
    description: str
    background: tuple[Step, ...]
    """The feature's background steps, then its rule's."""
    steps: tuple[Step, ...]
    examples: tuple[Examples, ...] = ()
    rule: Rule | None = None


@dataclass(frozen=True, slots=True)
class Feature:
    """A feature file: its heading and its scenarios in file order."""

    name: str
    description: str
    tags: frozenset[str]
    line: int
    scenarios: tuple[Scenario, ...]


@dataclass(slots=True)
class _Block:
    """A heading being read: what it is, and what has been read under it so far."""

    kind: str
    keyword: str
    name: str
    line: int
    tags: frozenset[str]
    description: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    examples: list[_Block] = field(default_factory=list)
    rows: list[tuple[str, ...]] = field(default_factory=list)
    children: list[_Block] = field(default_factory=list)


def _cells(text: str, where: str) -> tuple[str, ...]:
    if not text.endswith("|") or len(text) < 2:
        raise GherkinError(f"{where}: a table row must end with '|'")
    cells = re.split(r"(?<!\\)\|", text[1:-1].replace("\\\\", "\0"))
    return tuple(
        re.sub(r"\\[|n]", lambda m: _CELL_ESCAPES[m[0]], cell.strip()).replace("\0", "\\")
        for cell in cells
    )


def _description(lines: list[str]) -> str:
    return textwrap.dedent("\n".join(line.rstrip() for line in lines)).strip()


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source
        self.index = 0
        self.tags: set[str] = set()
        self.feature: _Block | None = None
        self.rule: _Block | None = None
        self.current: _Block | None = None
        self.describing = False

    def where(self) -> str:
        return f"{self.source}:{self.index + 1}"

    def read(self) -> _Block:
        while self.index < len(self.lines):
            raw = self.lines[self.index]
            self.line(raw, raw.strip())
            self.index += 1
        if self.feature is None:
            raise GherkinError(f"{self.source}: no Feature")
        return self.feature

    def line(self, raw: str, text: str) -> None:
        if self.describing and text and self.current is not None and self._describes(text):
            self.current.description.append(raw)
            return
        if not text:
            if self.describing and self.current is not None and self.current.description:
                self.current.description.append("")
            return
        self.describing = False
        if text.startswith("#"):
            language = _LANGUAGE.fullmatch(text)
            if language is not None and language["language"] != "en":
                raise GherkinError(f"{self.where()}: only English Gherkin is read")
        elif text.startswith("@"):
            words = text.split()
            ending = next((at for at, word in enumerate(words) if word.startswith("#")), None)
            self.tags |= {tag.removeprefix("@") for tag in words[:ending]}
        elif text.startswith("|"):
            self.row(_cells(text, self.where()))
        elif text.startswith(('"""', "```")):
            self.docstring(raw, text[:3])
        elif heading := _HEADING.fullmatch(text):
            self.heading(heading["keyword"], heading["name"].strip())
        elif step := _STEP.fullmatch(text):
            self.step(step["keyword"], step["text"].strip())
        else:
            raise GherkinError(f"{self.where()}: not Gherkin this reader knows: {text!r}")

    def _describes(self, text: str) -> bool:
        """Whether a line under a heading is more of its description, not the next thing: a
        feature or a rule has no steps of its own, so words like "And" describe it."""
        assert self.current is not None
        if text.startswith(("#", "@", "|", '"""', "```")) or _HEADING.fullmatch(text):
            return False
        return self.current.kind in ("Feature", "Rule") or _STEP.fullmatch(text) is None

    def heading(self, keyword: str, name: str) -> None:
        kind = _HEADINGS[keyword]
        block = _Block(kind, keyword, name, self.index + 1, frozenset(self.tags))
        self.tags = set()
        self.describing = kind != "Examples"
        if kind == "Feature":
            if self.feature is not None:
                raise GherkinError(f"{self.where()}: a second Feature")
            self.feature = block
        elif self.feature is None:
            raise GherkinError(f"{self.where()}: {keyword} before the Feature")
        elif kind == "Rule":
            self.rule = block
            self.feature.children.append(block)
        elif kind == "Examples":
            if self.current is None or self.current.kind != "Scenario":
                raise GherkinError(f"{self.where()}: Examples outside a scenario")
            self.current.examples.append(block)
            return
        else:
            (self.rule or self.feature).children.append(block)
        self.current = block

    def step(self, keyword: str, text: str) -> None:
        if self.current is None or self.current.kind not in ("Background", "Scenario"):
            raise GherkinError(f"{self.where()}: a step outside a scenario or background")
        if self.current.examples:
            raise GherkinError(f"{self.where()}: a step after the Examples")
        self.current.steps.append(Step(keyword, text, self.index + 1))

    def row(self, cells: tuple[str, ...]) -> None:
        if self.current is not None and self.current.examples:
            self.current.examples[-1].rows.append(cells)
        elif self.current is not None and self.current.steps:
            last = self.current.steps[-1]
            self.current.steps[-1] = Step(
                last.keyword, last.text, last.line, (*last.table, cells), last.docstring
            )
        else:
            raise GherkinError(f"{self.where()}: a table row belongs to no step or Examples")

    def docstring(self, raw: str, fence: str) -> None:
        if self.current is None or not self.current.steps:
            raise GherkinError(f"{self.where()}: a doc string belongs to no step")
        indent = len(raw) - len(raw.lstrip())
        content: list[str] = []
        self.index += 1
        while self.index < len(self.lines) and self.lines[self.index].strip() != fence:
            line = self.lines[self.index]
            content.append(line[min(indent, len(line) - len(line.lstrip())) :])
            self.index += 1
        if self.index == len(self.lines):
            raise GherkinError(f"{self.source}: a doc string is never closed")
        last = self.current.steps[-1]
        self.current.steps[-1] = Step(
            last.keyword, last.text, last.line, last.table, "\n".join(content)
        )


def _background(blocks: list[_Block]) -> tuple[Step, ...]:
    return tuple(step for block in blocks if block.kind == "Background" for step in block.steps)


def _examples(block: _Block) -> Examples | None:
    """An examples table, or ``None`` for one without even a header row."""
    if not block.rows:
        return None
    header, *rows = block.rows
    for row in rows:
        if len(row) != len(header):
            raise GherkinError(f"line {block.line}: an example row unlike its header")
    return Examples(block.name, block.tags, block.line, header, tuple(rows))


def _scenario(block: _Block, background: tuple[Step, ...], rule: Rule | None) -> Scenario:
    examples = (_examples(examples) for examples in block.examples)
    return Scenario(
        keyword=block.keyword,
        name=block.name,
        line=block.line,
        tags=block.tags,
        description=_description(block.description),
        background=background,
        steps=tuple(block.steps),
        examples=tuple(found for found in examples if found is not None),
        rule=rule,
    )


def _scenarios(feature: _Block) -> tuple[Scenario, ...]:
    background = _background(feature.children)
    found: list[Scenario] = []
    for child in feature.children:
        if child.kind == "Scenario":
            found.append(_scenario(child, background, None))
        elif child.kind == "Rule":
            ruled = _background(child.children)
            rule = Rule(child.name, _description(child.description), child.tags, child.line, ruled)
            found += (
                _scenario(scenario, background + ruled, rule)
                for scenario in child.children
                if scenario.kind == "Scenario"
            )
    return tuple(found)


def parse_feature(text: str, source: str = "<feature>") -> Feature:
    """The feature written in ``text``; ``source`` names it in errors."""
    feature = _Reader(text, source).read()
    return Feature(
        name=feature.name,
        description=_description(feature.description),
        tags=feature.tags,
        line=feature.line,
        scenarios=_scenarios(feature),
    )


def read_feature(path: Path) -> Feature:
    """The feature in the file at ``path``."""
    return parse_feature(path.read_text(encoding="utf-8"), str(path))
