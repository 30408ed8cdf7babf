"""Binds every feature in ``features/``, and checks that together they state every rule."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_bdd import scenarios
from pytest_bdd.parser import FeatureParser

from tests.bdd.conftest import EVENT_WORDS, evidence_from
from workflow.definition import RULES
from workflow.states import Channel, Event

FEATURES = Path(__file__).resolve().parents[2] / "features"

scenarios(".")

_STEP = re.compile(
    r"^(?:the applicant (?P<applies>applies)|an agent (?P<agent_applies>applies) for the applicant"
    r"|the card is (?P<event>.+?)(?: by an agent)?)"
    r" through the (?P<channel>\w+) channel with (?P<evidence>.+)$"
)


def _steps_tried() -> set[tuple[Event, Channel]]:
    """Every (event, channel) some scenario, or some row of an outline, tries."""
    tried: set[tuple[Event, Channel]] = set()
    for path in sorted(FEATURES.glob("*.feature")):
        feature = FeatureParser(str(FEATURES), path.name).parse()
        for template in feature.scenarios.values():
            contexts = [ctx for examples in template.examples for ctx in examples.as_contexts()]
            for context in contexts or [{}]:
                for step in template.render(context).steps:
                    match = _STEP.match(step.name)
                    if match is None:
                        continue
                    applies = match["applies"] or match["agent_applies"]
                    event = Event.APPLY if applies else EVENT_WORDS[match["event"]]
                    evidence_from(match["evidence"])
                    tried.add((event, Channel(match["channel"])))
    return tried


def test_every_rule_is_stated_by_some_scenario() -> None:
    """Each allowed (event, channel) pair appears in at least one scenario."""
    tried = _steps_tried()
    untold = [
        (str(rule.event), str(rule.channel))
        for rule in RULES
        if (rule.event, rule.channel) not in tried
    ]
    assert untold == []
