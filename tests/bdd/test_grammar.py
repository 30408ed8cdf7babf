"""The docs read the steps in the wording the step definitions are registered with, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd import parsers
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

import tests.bdd.conftest  # noqa: F401 -- registers the step definitions
from livedocs import grammar, scenarios_of
from livedocs.coverage import READ

FEATURES = Path(__file__).resolve().parents[2] / "features"


def _registered() -> dict[str, StepFunctionContext]:
    """Each step definition of ``tests/bdd``, by the pattern it is registered with."""
    return {context.parser.name: context for context in step_function_context_registry.values()}


def _step_texts() -> list[str]:
    return sorted({step for scenario in scenarios_of(FEATURES) for step in scenario.steps})


class TestOneGrammar:
    """Every wording the docs read is a step definition's, read with the same vocabulary."""

    def test_every_pattern_the_docs_read_is_a_registered_step(self) -> None:
        registered = _registered()
        assert [pattern for pattern in READ if pattern not in registered] == []

    def test_a_pattern_with_fields_is_registered_with_the_grammars_vocabulary(self) -> None:
        registered = _registered()
        for pattern in (*grammar.TRIES, *grammar.REFUSALS):
            parser = registered[pattern].parser
            if "{" in pattern:
                assert isinstance(parser, parsers.parse), pattern
                assert parser.parser._extra_types == dict(grammar.TYPES), pattern
            else:
                assert isinstance(parser, parsers.string), pattern

    def test_every_refusal_and_every_try_is_worded_by_the_grammar(self) -> None:
        """A new way to refuse or to try a step cannot pass unseen by the docs."""
        registered = set(_registered())
        assert sorted(p for p in registered if p.startswith("it is refused")) == sorted(
            grammar.REFUSALS
        )
        assert sorted(p for p in registered if " channel with {evidence}" in p) == sorted(
            grammar.TRIES
        )


class TestTheDocsMatchAsPytestBddDoes:
    """On every step of the features, the docs' reading of a pattern is pytest-bdd's."""

    @pytest.mark.parametrize("pattern", READ)
    def test_the_same_steps_match_with_the_same_values(self, pattern: str) -> None:
        parser = _registered()[pattern].parser
        matched = 0
        for text in _step_texts():
            expected = parser.parse_arguments(text) if parser.is_matching(text) else None
            assert grammar.fields(pattern, text) == expected, text
            matched += expected is not None
        assert matched > 0, f"no step of the features is worded {pattern!r}"
