"""The docs' own Gherkin reader reads every feature as pytest-bdd does, so the two cannot drift."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser
from pytest_bdd.parser import Step as BddStep

from livedocs import gherkin
from tests.cli.test_livedocs import TINY

FEATURES = Path(__file__).resolve().parents[2] / "features"

RULED = '''\
# Source: seed 003
@ruled
Feature: With rules
    A description
      indented further.

    And a second paragraph.

  Background:
    Given a card that has been collected

  # Source: seed 001
  @first_rule @more # a comment after the tags
  Rule: The first rule
    It has words & <marks>.

    Background:
      Given 3 days pass

    @pharmacy
    Scenario: Refused for want of things
      Scenario words here.
      When the card is activated through the pharmacy channel with nothing
      Then it is refused for want of:
        | the original medical insurance card inserted first |
        | a \\| pipe, a \\\\ backslash |
      And the card's history tells, in order:
        | step    | channel     |
        | applied | card_center |

    Example: A docstring
      When the card is reported lost through the card_center channel with nothing
      Then it is refused because the card is collected
        """
        some <b>text</b>
          indented
        """

  Rule: The second rule

    Scenario Outline: Outline in a rule <channel>
      When the card is activated through the <channel> channel with <evidence>
      Then it is refused because "<says>" is missing
      * the card is activated
      But nothing more may happen to the card

      @hospital
      Examples:
        | channel  | evidence | says                  |
        | hospital | nothing  | the <first> settlement |

      Scenarios: empty
        | channel | evidence | says |
'''


def _steps(steps: list[BddStep]) -> tuple[gherkin.Step, ...]:
    return tuple(
        gherkin.Step(
            keyword=step.keyword,
            text=step.name,
            line=step.line_number,
            table=()
            if step.datatable is None
            else tuple(tuple(cell.value for cell in row.cells) for row in step.datatable.rows),
            docstring=step.docstring,
        )
        for step in steps
    )


def _as_pytest_bdd_reads_it(path: Path) -> gherkin.Feature:
    """The feature at ``path`` as pytest-bdd's parser reads it, in the docs reader's records."""
    parsed = FeatureParser(str(path.parent), path.name).parse()
    lines = path.read_text(encoding="utf-8").splitlines()
    rule_lines = {
        text.strip().partition(":")[2].strip(): number
        for number, text in reversed(list(enumerate(lines, start=1)))
        if text.strip().startswith("Rule:")
    }
    scenarios = []
    for template in sorted(parsed.scenarios.values(), key=lambda t: t.line_number):
        rule = None
        if template.rule is not None:
            rule = gherkin.Rule(
                name=template.rule.name,
                description=textwrap.dedent(template.rule.description).strip(),
                tags=frozenset(template.rule.tags),
                line=rule_lines[template.rule.name],
                background=()
                if template.rule.background is None
                else _steps(template.rule.background.steps),
            )
        examples = tuple(
            gherkin.Examples(
                name=examples.name or "",
                tags=frozenset(examples.tags),
                line=examples.line_number or 0,
                header=tuple(examples.example_params),
                rows=tuple(tuple(row) for row in examples.examples),
            )
            for examples in template.examples
        )
        scenarios.append(
            gherkin.Scenario(
                keyword=template.keyword,
                name=template.name,
                line=template.line_number,
                tags=frozenset(template.tags),
                description=template.description.strip(),
                background=_steps(template.all_background_steps),
                steps=_steps(template._steps),
                examples=examples,
                rule=rule,
            )
        )
    return gherkin.Feature(
        name=parsed.name,
        description=parsed.description.strip(),
        tags=frozenset(parsed.tags),
        line=parsed.line_number,
        scenarios=tuple(scenarios),
    )


def _written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestTheReaderReadsAsPytestBddDoes:
    """Feature by feature, the docs' reader and pytest-bdd's parser agree on every detail."""

    @pytest.mark.parametrize("path", sorted(FEATURES.glob("*.feature")), ids=lambda p: p.name)
    def test_every_feature_of_the_repository(self, path: Path) -> None:
        assert gherkin.read_feature(path) == _as_pytest_bdd_reads_it(path)

    @pytest.mark.parametrize(("name", "text"), [("tiny.feature", TINY), ("ruled.feature", RULED)])
    def test_rules_outlines_tables_and_doc_strings(
        self, tmp_path: Path, name: str, text: str
    ) -> None:
        path = _written(tmp_path, name, text)
        read = gherkin.read_feature(path)
        assert read == _as_pytest_bdd_reads_it(path)
        assert read.scenarios


class TestWhatTheReaderRefuses:
    """A file it cannot read is an error that names the line, never a silent guess."""

    @pytest.mark.parametrize(
        "text",
        [
            "Given a step before any feature\n",
            "Feature: F\n  # the description ends here\n  Given a step outside a scenario\n",
            "Feature: F\n  Scenario: S\n    Given a step\n  Examples:\n    | a |\n    Given more\n",
            "Feature: F\n  Scenario: S\n    | a table under no step |\n",
            'Feature: F\n  Scenario: S\n    Given a step\n    """\n    never closed\n',
            "# language: fr\nFonctionnalité: F\n",
            "Feature: F\nFeature: G\n",
        ],
    )
    def test_it_refuses(self, text: str) -> None:
        with pytest.raises(gherkin.GherkinError):
            gherkin.parse_feature(text)
