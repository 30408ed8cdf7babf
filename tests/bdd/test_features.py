"""Binds every feature in ``features/``, and checks that together they state every rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pytest_bdd import scenarios

from livedocs import refusals_untold, scenarios_of, tried
from tests.bdd.conftest import evidence_from
from workflow.definition import RULES
from workflow.states import Channel, Event

FEATURES = Path(__file__).resolve().parents[2] / "features"

scenarios(".")


def _steps_tried() -> Iterator[tuple[str, set[str], Event, Channel]]:
    """Each step that tries an event through a channel: scenario, its tags, event, channel."""
    for scenario in scenarios_of(FEATURES):
        for step in scenario.steps:
            pair = tried(step)
            if pair is None:
                continue
            _, _, evidence = step.rpartition(" channel with ")
            evidence_from(evidence)
            yield scenario.name, set(scenario.tags), *pair


def test_every_rule_is_stated_by_some_scenario() -> None:
    """Each allowed (event, channel) pair appears in at least one scenario."""
    told = {(event, channel) for _, _, event, channel in _steps_tried()}
    untold = [
        (str(rule.event), str(rule.channel))
        for rule in RULES
        if (rule.event, rule.channel) not in told
    ]
    assert untold == []


def test_every_step_through_a_channel_is_tagged_with_it() -> None:
    """Selecting a channel's tag picks out every scenario that tries a step through it."""
    untagged = [
        (name, str(channel)) for name, tags, _, channel in _steps_tried() if channel not in tags
    ]
    assert untagged == []


def test_every_refusal_rule_is_stated_by_some_scenario() -> None:
    """Each refusal the definition implies is stated: every pair's missing evidence, every
    pair where no agent may stand in or that some states do not reach, every event from a
    wrong state, every channel carrying what it never carries, every condition, and
    everything an applicant's circumstance adds."""
    assert [str(rule) for rule in refusals_untold(scenarios_of(FEATURES))] == []


def test_each_event_has_a_feature_of_its_own() -> None:
    """``features/<event>.feature`` for every event, so a reader finds each rule by name."""
    files = {path.stem for path in FEATURES.glob("*.feature")}
    assert sorted(str(event) for event in Event if str(event) not in files) == []
