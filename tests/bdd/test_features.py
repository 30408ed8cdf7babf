"""Binds every feature in ``features/``, and checks that together they state every rule."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pytest_bdd import scenarios
from pytest_bdd.parser import FeatureParser, Scenario

from tests.bdd.conftest import EVENT_WORDS, evidence_from
from workflow.definition import RULES
from workflow.states import Channel, Event

FEATURES = Path(__file__).resolve().parents[2] / "features"

scenarios(".")

_STEP = re.compile(
    r"^(?:the applicant (?P<applies>applies)|an agent (?P<agent_applies>applies) for the applicant"
    r"|the card is (?P<event>.+?)(?: by (?:an agent|a supervisor|the \w+ clerk))?)"
    r" through the (?P<channel>\w+) channel with (?P<evidence>.+)$"
)


def _rendered() -> Iterator[tuple[set[str], Scenario]]:
    """Every scenario, and every row of every outline, with the tags it carries."""
    for path in sorted(FEATURES.glob("*.feature")):
        feature = FeatureParser(str(FEATURES), path.name).parse()
        for template in feature.scenarios.values():
            tags = template.tags | feature.tags
            rows = [
                (examples.tags, context)
                for examples in template.examples
                for context in examples.as_contexts()
            ]
            for example_tags, context in rows or [(set(), {})]:
                yield tags | example_tags, template.render(context)


def _steps_tried() -> Iterator[tuple[str, set[str], Event, Channel]]:
    """Each step that tries an event through a channel: scenario, its tags, event, channel."""
    for tags, scenario in _rendered():
        for step in scenario.steps:
            match = _STEP.match(step.name)
            if match is None:
                continue
            applies = match["applies"] or match["agent_applies"]
            event = Event.APPLY if applies else EVENT_WORDS[match["event"]]
            evidence_from(match["evidence"])
            yield scenario.name, tags, event, Channel(match["channel"])


def test_every_rule_is_stated_by_some_scenario() -> None:
    """Each allowed (event, channel) pair appears in at least one scenario."""
    tried = {(event, channel) for _, _, event, channel in _steps_tried()}
    untold = [
        (str(rule.event), str(rule.channel))
        for rule in RULES
        if (rule.event, rule.channel) not in tried
    ]
    assert untold == []


def test_every_step_through_a_channel_is_tagged_with_it() -> None:
    """Selecting a channel's tag picks out every scenario that tries a step through it."""
    untagged = [
        (name, str(channel)) for name, tags, _, channel in _steps_tried() if channel not in tags
    ]
    assert untagged == []
