"""The living documentation site: what it shows of the features, their results and sources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from livedocs import (
    Outcome,
    SiteSummary,
    build_site,
    refusal_rules,
    refusals_told,
    scenarios_of,
    tried,
)
from workflow.definition import RULES, RULES_BY_PAIR
from workflow.states import SAID, Channel, Event

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"

TINY = """\
# Source: seed 001 (the one about activation), DESIGN.md
@tiny
Feature: A tiny feature
  It says <b>very little</b>.

  Background:
    Given a card that has been collected

  # Source: seed 001 — activation at a bank outlet
  @bank_outlet
  Scenario: Activated at the bank <script>alert(1)</script>
    When the card is activated through the bank_outlet channel with the card
    Then the card is activated

  # Source: seed 002 — the first use activates the card
  Scenario Outline: Activated by its first use at <channel>
    When the card is activated through the <channel> channel with <evidence>
    Then the card is activated

    @hospital
    Examples: at a hospital
      | channel  | evidence                |
      | hospital | the first hospital stay |

    @pharmacy
    Examples: at a pharmacy
      | channel  | evidence               |
      | pharmacy | the first purchase     |

  @hotline_12333
  Scenario: Nobody ran this one
    When the card is reported lost temporarily through the hotline_12333 channel with a phone call
    Then nothing more may happen to the card
"""


def _step(keyword: str, name: str, line: int, status: str, error: str = "") -> dict[str, object]:
    result: dict[str, object] = {"status": status, "duration": 1000}
    if error:
        result["error_message"] = error
    return {
        "keyword": keyword,
        "name": name,
        "line": line,
        "match": {"location": ""},
        "result": result,
    }


def _element(
    name: str, line: int, test_id: str, steps: list[dict[str, object]]
) -> dict[str, object]:
    return {
        "keyword": "Scenario",
        "id": test_id,
        "name": name,
        "line": line,
        "description": "",
        "tags": [],
        "type": "scenario",
        "steps": steps,
    }


BACKGROUND = ("Given", "a card that has been collected", 7)
PHARMACY_STEP = "the card is activated through the pharmacy channel with"


def _report() -> list[dict[str, object]]:
    """What pytest-bdd would write: bank passed, pharmacy row failed, hospital row skipped."""
    first_use = "Activated by its first use at"
    return [
        {
            "keyword": "Feature",
            "uri": "features/tiny.feature",
            "name": "A tiny feature",
            "id": "features/tiny.feature",
            "line": 3,
            "description": "",
            "language": "en",
            "tags": [],
            "elements": [
                _element(
                    f"{first_use} pharmacy",
                    16,
                    "test_activated_by_its_first_use_at_channel[pharmacy-the first purchase]",
                    [
                        _step(*BACKGROUND, "passed"),
                        _step(
                            "When",
                            f"{PHARMACY_STEP} the first purchase",
                            17,
                            "failed",
                            "AssertionError: <refused>",
                        ),
                        _step("Then", "the card is activated", 18, "failed"),
                    ],
                ),
                _element(
                    "Activated at the bank <script>alert(1)</script>",
                    11,
                    "test_activated_at_the_bank_scriptalert1script",
                    [
                        _step(*BACKGROUND, "passed"),
                        _step(
                            "When",
                            "the card is activated through the bank_outlet channel with the card",
                            12,
                            "passed",
                        ),
                        _step("Then", "the card is activated", 13, "passed"),
                    ],
                ),
                _element(
                    f"{first_use} hospital",
                    16,
                    "test_activated_by_its_first_use_at_channel[hospital-the first hospital stay]",
                    [
                        _step(*BACKGROUND, "passed"),
                        _step(
                            "When",
                            "the card is activated through the hospital channel with "
                            "the first hospital stay",
                            17,
                            "passed",
                        ),
                        _step("Then", "the card is activated", 18, "skipped"),
                    ],
                ),
                _element("A scenario that was since removed", 99, "test_gone", []),
            ],
        }
    ]


def _section(page: str, name: str) -> str:
    """The part of a feature page that shows the scenario called ``name``."""
    sections = [part for part in page.split("<section")[1:] if f"{name} <span" in part]
    assert len(sections) == 1, name
    return sections[0].split("</section>")[0]


@pytest.fixture
def tiny_site(tmp_path: Path) -> tuple[Path, SiteSummary]:
    features = tmp_path / "features"
    features.mkdir()
    (features / "tiny.feature").write_text(TINY, encoding="utf-8")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "001_abc.txt").write_text("Activate <at> the bank & pay.\n", encoding="utf-8")
    (seeds / "002_def.txt").write_text("First use activates.\n", encoding="utf-8")
    results = tmp_path / "cucumber.json"
    results.write_text(json.dumps(_report()), encoding="utf-8")
    out = tmp_path / "site" / "docs"
    summary = build_site(features=features, out=out, results=results, seeds=seeds)
    return out, summary


def test_a_tiny_feature_shows_each_result_each_row_and_its_sources(tiny_site) -> None:
    out, summary = tiny_site
    assert (summary.features, summary.scenarios) == (1, 4)
    assert (summary.passed, summary.failed, summary.skipped, summary.not_run) == (1, 1, 1, 1)
    assert (summary.unmatched, summary.out) == (1, out)
    page = (out / "tiny.html").read_text(encoding="utf-8")

    assert "<script>" not in page
    bank = _section(page, "Activated at the bank &lt;script&gt;alert(1)&lt;/script&gt;")
    assert 'class="scenario passed"' in bank
    assert '<a href="seeds/001_abc.html">seed 001</a> — activation at a bank outlet' in bank

    pharmacy = _section(page, "Activated by its first use at pharmacy")
    assert 'class="scenario failed"' in pharmacy
    assert f"{PHARMACY_STEP} the first purchase" in pharmacy
    assert "AssertionError: &lt;refused&gt;" in pharmacy
    assert "@pharmacy" in pharmacy
    assert "@hospital" not in pharmacy

    hospital = _section(page, "Activated by its first use at hospital")
    assert 'class="scenario skipped"' in hospital
    assert '<a href="seeds/002_def.html">seed 002</a>' in hospital

    nobody = _section(page, "Nobody ran this one")
    assert 'class="scenario not-run"' in nobody
    assert ">not run</span>" in nobody

    assert "&lt;b&gt;very little&lt;/b&gt;" in page
    assert '<a href="seeds/001_abc.html">seed 001</a> (the one about activation), DESIGN.md' in page
    seed = (out / "seeds" / "001_abc.html").read_text(encoding="utf-8")
    assert "<pre>Activate &lt;at&gt; the bank &amp; pay.\n</pre>" in seed
    assert 'href="../tiny.html#line-11"' in seed


def test_the_index_counts_each_pair_and_marks_the_untold_and_the_forbidden(tiny_site) -> None:
    out, _ = tiny_site
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="tiny.html">A tiny feature</a>' in index
    assert '<pre class="mermaid">stateDiagram-v2' in index
    assert "<script" not in index
    cells = re.findall(r"<tr><th>(\w+)</th>(.*?)</tr>", index, flags=re.DOTALL)
    matrix = {
        (Event(event), channel): cell
        for event, row in cells
        for channel, cell in zip(Channel, re.findall(r"<td.*?</td>", row, re.DOTALL), strict=True)
    }
    assert len(matrix) == len(Event) * len(Channel)
    for pair, cell in matrix.items():
        if pair not in RULES_BY_PAIR:
            assert cell.startswith('<td class="not-allowed">not allowed'), pair
    assert matrix[Event.ACTIVATE, Channel.BANK_OUTLET].startswith('<td class="passed">')
    assert matrix[Event.ACTIVATE, Channel.PHARMACY].startswith('<td class="failed">')
    assert 'href="tiny.html#line-16-2"' in matrix[Event.ACTIVATE, Channel.PHARMACY]
    assert matrix[Event.REPORT_TEMPORARY_LOSS, Channel.HOTLINE_12333].startswith(
        '<td class="not-run">'
    )
    assert (
        matrix[Event.APPLY, Channel.CARD_CENTER] == '<td class="untold">allowed, no scenario</td>'
    )


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path, tiny_site) -> None:
    out, _ = tiny_site
    again = tmp_path / "again"
    build_site(
        features=tmp_path / "features",
        out=again,
        results=tmp_path / "cucumber.json",
        seeds=tmp_path / "seeds",
    )
    written = sorted(path.relative_to(out) for path in out.rglob("*.html"))
    assert written == sorted(path.relative_to(again) for path in again.rglob("*.html"))
    for name in written:
        assert (out / name).read_bytes() == (again / name).read_bytes()


def test_the_real_features_tell_every_allowed_pair(tmp_path: Path) -> None:
    features = ROOT / "features"
    seeds = SEEDS if SEEDS.is_dir() else None
    summary = build_site(features=features, out=tmp_path, seeds=seeds)

    for feature in features.glob("*.feature"):
        assert (tmp_path / f"{feature.stem}.html").is_file(), feature.name
    assert summary.not_run == summary.scenarios > 0
    assert summary.untold == 0
    told = {pair for scenario in scenarios_of(features) for pair in scenario.pairs}
    assert [(str(r.event), str(r.channel)) for r in RULES if (r.event, r.channel) not in told] == []
    assert 'class="untold"' not in (tmp_path / "index.html").read_text(encoding="utf-8")
    if seeds is not None:
        for seed in seeds.glob("[0-9]*_*"):
            assert (tmp_path / "seeds" / f"{seed.stem}.html").is_file(), seed.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "the applicant applies through the card_center channel with a passport",
            (Event.APPLY, Channel.CARD_CENTER),
        ),
        (
            "an agent applies for the applicant through the employer channel with both IDs",
            (Event.APPLY, Channel.EMPLOYER),
        ),
        (
            f"the card is {SAID[Event.REPORT_LOST]} by a supervisor through the "
            "hotline_12333 channel with identity verified by the 12333 operator",
            (Event.REPORT_LOST, Channel.HOTLINE_12333),
        ),
        (
            f"the card is {SAID[Event.COLLECT]} by the bank_outlet clerk through the "
            "bank_outlet channel with the acceptance receipt",
            (Event.COLLECT, Channel.BANK_OUTLET),
        ),
        (
            f"the card is {SAID[Event.ACTIVATE]} by an agent through the card_center channel "
            "with the social security card itself",
            (Event.ACTIVATE, Channel.CARD_CENTER),
        ),
        (f"the card is {SAID[Event.ACTIVATE]}", None),
        ("the card is frobbed through the card_center channel with nothing", None),
        ("the applicant applies through the moon channel with a passport", None),
        ("a card that has been collected", None),
    ],
)
def test_tried_names_the_event_and_channel_a_step_tries(
    text: str, expected: tuple[Event, Channel] | None
) -> None:
    assert tried(text) == expected


def test_tried_knows_every_event_through_every_channel() -> None:
    for event, said in SAID.items():
        for channel in Channel:
            step = f"the card is {said} through the {channel} channel with nothing"
            assert tried(step) == (event, channel)


def test_outcomes_are_worded_for_the_reader() -> None:
    assert [str(outcome) for outcome in Outcome] == ["passed", "failed", "skipped", "not run"]


def test_the_index_lists_the_refusal_rules_no_scenario_states(tiny_site) -> None:
    out, summary = tiny_site
    index = (out / "index.html").read_text(encoding="utf-8")
    untold = re.findall(r'<li class="untold">(.*?)</li>', index)
    assert summary.refusals_untold == len(untold) == len(refusal_rules())
    assert "evidence: apply through card_center" in untold
    assert "refusal rules untold" in str(summary)


def test_a_refusal_is_read_against_the_step_it_refuses(tmp_path: Path) -> None:
    features = tmp_path / "features"
    features.mkdir()
    (features / "refused.feature").write_text(
        """Feature: Refused
  Scenario: Without the operator's check
    Given a card that has been collected
    When the card is activated by an agent through the hotline_12333 channel with nothing
    Then it is refused because no agent may stand in through the hotline_12333 channel
    When the card is activated through the hotline_12333 channel with nothing
    Then it is refused because "identity verified by the 12333 operator" is missing
    When the card is reported lost through the system channel with nothing
    Then it is refused because the card is collected
""",
        encoding="utf-8",
    )
    (scenario,) = scenarios_of(features)
    assert {str(rule) for rule in refusals_told(scenario)} == {
        "agent: activate through hotline_12333",
        "evidence: activate through hotline_12333",
        "state: report_lost",
    }
