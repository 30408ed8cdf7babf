"""The benchmarks stay runnable: their modules import, and the harness's rounds and
ratios, fed fake contenders, say what they measured (no real benchmark runs here)."""

from __future__ import annotations

import importlib
import json
from itertools import count

import pytest

from bench import batch, lifecycle, postgres
from bench.__main__ import BENCHES
from bench.harness import Report, interleaved, median

MINE = ("lifecycle", "postgres", "batch")


class TestModules:
    """Each benchmark is a module the runner can find, with run() and a docstring."""

    @pytest.mark.parametrize("name", MINE)
    def test_the_runner_knows_it(self, name: str) -> None:
        module = importlib.import_module(f"bench.{name}")
        assert name in BENCHES
        assert callable(module.run)
        assert module.__doc__
        assert "baseline" in module.__doc__.lower()


class TestHarness:
    """interleaved turns the starting contender each round; ratio states the target."""

    def test_interleaved_turns_the_order_and_keeps_each_contenders_figures(self) -> None:
        calls: list[str] = []
        clock = count(1)

        def contender(name: str) -> float:
            calls.append(name)
            return float(next(clock))

        seen = interleaved(
            3,
            {"a": lambda: contender("a"), "b": lambda: contender("b"), "c": lambda: contender("c")},
        )
        assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
        assert seen == {"a": [1.0, 6.0, 8.0], "b": [2.0, 4.0, 9.0], "c": [3.0, 5.0, 7.0]}
        assert median(seen["a"]) == 6.0

    def test_ratio_is_met_or_missed(self, tmp_path) -> None:
        report = Report("fake", "python -m bench.fake")
        fast = report.ratio(
            "ours", 30.0, "ops/s", baseline="raw", baseline_value=50.0, at_least=0.5
        )
        slow = report.ratio(
            "ours", 20.0, "ops/s", baseline="raw", baseline_value=50.0, at_least=0.5
        )
        assert (fast.ratio, fast.met) == (0.6, True)
        assert (slow.ratio, slow.met) == (0.4, False)
        out = tmp_path / "results.json"
        out.write_text(json.dumps({"other": {"figures": []}}))
        report.write(out)
        written = json.loads(out.read_text())
        assert set(written) == {"other", "fake"}
        assert [figure["met"] for figure in written["fake"]["figures"]] == [True, False]


class TestPieces:
    """The parts of the benchmarks that decide what counts, tried without a database."""

    def test_the_threads_each_run_once_and_an_error_is_raised(self) -> None:
        ran: list[int] = []
        assert postgres.in_threads(4, ran.append) >= 0
        assert sorted(ran) == [0, 1, 2, 3]

        def fails(index: int) -> None:
            if index == 2:
                raise ValueError("thread 2")

        with pytest.raises(ValueError, match="thread 2"):
            postgres.in_threads(3, fails)

    def test_the_eventsourcing_card_refuses_a_step_out_of_order(self) -> None:
        card = lifecycle.EsCard("subject", "card_center", {})
        with pytest.raises(ValueError, match="produce is not allowed from applied"):
            card.step("produce", "issuing_bank", {})
        for event_, channel, evidence in lifecycle.LIFECYCLE[1:]:
            card.step(event_, channel, evidence)
        assert card.state == "activated"
        assert card.version == lifecycle.STEPS

    def test_commits_are_counted_among_statements(self) -> None:
        counted = lifecycle.Counted()
        for sql in ("BEGIN IMMEDIATE", "UPDATE cards SET x = 1", "COMMIT"):
            counted.seen(sql)
        assert (counted.statements, counted.commits) == (3, 1)

    def test_a_batch_names_new_applicants(self) -> None:
        made = batch.applications(3)
        numbers = [item.applicant.id_number for item in made.items if item.applicant]
        assert len(set(numbers)) == 3
