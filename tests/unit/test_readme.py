"""The README tells the truth: its generated section and its two commands."""

from __future__ import annotations

import json
from pathlib import Path

from api import access
from api.app import access_section, with_access_section
from bench import readme as bench_readme
from workflow.diagram import END_MARKER, START_MARKER, readme_section, with_generated_section
from workflow.states import Role

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL_AND_DEMO = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/cardflow demo"
)
TEST_COMMAND = ".venv/bin/pytest"


class TestGeneratedSection:
    """The diagram and rules in the README are the definition's."""

    def test_matches_the_definition(self):
        section = README.split(START_MARKER, 1)[1].split(END_MARKER, 1)[0]
        assert section.strip() == readme_section().strip(), (
            "README is stale: run `cardflow describe --readme README.md`"
        )

    def test_regenerating_is_stable(self):
        assert with_generated_section(README) == README


class TestAccessSection:
    """Who may call what, in the README, is the table the guards enforce."""

    def test_matches_the_table(self):
        section = README.split(access.START_MARKER, 1)[1].split(access.END_MARKER, 1)[0]
        assert section.strip() == access_section().strip(), (
            "README is stale: run `cardflow describe --readme README.md`"
        )

    def test_regenerating_is_stable(self):
        assert with_access_section(README) == README

    def test_a_change_to_the_table_shows(self, monkeypatch):
        monkeypatch.setitem(
            access.ACCESS,
            access.Capability.VERIFY,
            access.Access("verify the whole ledger", frozenset(Role)),
        )
        assert with_access_section(README) != README


class TestCommands:
    """The two commands are in the README, and CI runs them as written."""

    def test_in_the_readme(self):
        assert f"\n{INSTALL_AND_DEMO}\n" in README
        assert f"\n{TEST_COMMAND}\n" in README

    def test_ci_runs_them(self):
        ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
        assert INSTALL_AND_DEMO in ci
        assert f"\n{TEST_COMMAND}\n" in ci


class TestBenchSection:
    """The README's benchmark figures are those ``bench/results.json`` holds."""

    def test_matches_the_results_file(self):
        results = json.loads((ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
        assert bench_readme.with_section(README, bench_readme.section(results)) == README, (
            "README is stale: run `.venv/bin/python -m bench.readme`"
        )

    def test_every_figure_shows_its_ratio_and_target(self):
        results = json.loads((ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
        made = bench_readme.section(results)
        for bench in results.values():
            for figure in bench["figures"]:
                if figure["target"]:
                    assert figure["target"] in made
                    assert ("met" if figure["met"] else "**missed**") in made
