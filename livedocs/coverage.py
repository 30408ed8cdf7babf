"""What the scenarios tell of the definition: the (event, channel) pairs tried, the refusals stated.

Both are read from the steps through ``livedocs.grammar``, the wording the step
definitions are registered with, so a scenario counts only for what its steps run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from livedocs import grammar
from livedocs.features import DocScenario
from livedocs.grammar import Pair, fields, tried
from workflow.definition import ADJUSTMENTS, EVIDENCE, RULES, RULES_BY_PAIR, Circumstance
from workflow.errors import Condition
from workflow.machine import LIFECYCLE
from workflow.states import Channel, Event


def trying(scenarios: Iterable[DocScenario]) -> dict[Pair, list[DocScenario]]:
    """The scenarios that try each (event, channel) pair, in order."""
    found: dict[Pair, list[DocScenario]] = {}
    for scenario in scenarios:
        for pair in scenario.pairs:
            found.setdefault(pair, []).append(scenario)
    return found


def pairs_untold(scenarios: Iterable[DocScenario]) -> list[Pair]:
    """The allowed (event, channel) pairs that no scenario tries."""
    told = {pair for scenario in scenarios for pair in scenario.pairs}
    return [pair for pair in RULES_BY_PAIR if pair not in told]


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


CONDITIONS: Final[Mapping[str, Condition]] = {
    grammar.REFUSED_WINDOW_OPEN: Condition.DEADLINE_NOT_REACHED,
    grammar.REFUSED_NO_DEADLINE: Condition.DEADLINE_NOT_RUNNING,
    grammar.REFUSED_FINANCIAL_ACTIVE: Condition.FINANCIAL_FUNCTION_ACTIVE,
    grammar.REFUSED_HOLDS_CARD: Condition.ONE_LIVE_CARD,
}
"""The refusal steps that state a condition, and the condition each states."""

READ: Final[tuple[str, ...]] = (
    *grammar.TRIES,
    grammar.REFUSED_STATE,
    grammar.REFUSED_CHANNEL,
    grammar.REFUSED_AGENT,
    grammar.REFUSED_MISSING,
    grammar.REFUSED_WANTING,
    *CONDITIONS,
)
"""Every step wording the coverage reads; each is one a step definition is registered with."""

_ADDED_BY: Final[Mapping[str, Circumstance]] = {
    EVIDENCE[key].says: a.circumstance for a in ADJUSTMENTS for key in a.adds
}


def _missing(text: str, table: Sequence[Sequence[str]]) -> list[str]:
    """What a refusal step says is missing: its quoted proof, or each row of its table."""
    if fields(grammar.REFUSED_WANTING, text) is not None:
        return [row[0] for row in table]
    said = fields(grammar.REFUSED_MISSING, text)
    return [] if said is None else [said["says"]]


def _refused(pair: Pair, text: str, table: Sequence[Sequence[str]]) -> set[RefusalRule]:
    """The refusal rules one refusal step states of the ``pair`` tried before it."""
    event, channel = pair
    named = f"{event} through {channel}"
    told: set[RefusalRule] = set()
    if missing := _missing(text, table):
        told.add(RefusalRule(RefusalKind.EVIDENCE, named))
        told |= {
            RefusalRule(RefusalKind.CIRCUMSTANCE, str(_ADDED_BY[says]))
            for says in missing
            if says in _ADDED_BY
        }
    if fields(grammar.REFUSED_AGENT, text) is not None:
        told.add(RefusalRule(RefusalKind.AGENT, named))
    if fields(grammar.REFUSED_CHANNEL, text) is not None:
        told.add(RefusalRule(RefusalKind.CHANNEL, str(channel)))
    if state := fields(grammar.REFUSED_STATE, text):
        told.add(RefusalRule(RefusalKind.STATE, str(event)))
        rule = RULES_BY_PAIR.get(pair)
        here = state["state"]
        if (
            rule is not None
            and rule.only_from is not None
            and here not in rule.only_from
            and event in LIFECYCLE.allowed(here)
        ):
            told.add(RefusalRule(RefusalKind.REACH, named))
    told |= {
        RefusalRule(RefusalKind.CONDITION, str(condition))
        for wording, condition in CONDITIONS.items()
        if fields(wording, text) is not None
    }
    return told


def refusals_told(scenario: DocScenario) -> set[RefusalRule]:
    """The refusal rules ``scenario`` states: each refusal step, read against the step that
    tried what it refuses."""
    told: set[RefusalRule] = set()
    pair: Pair | None = None
    for step in scenario.details:
        pair = tried(step.text) or pair
        if pair is not None:
            told |= _refused(pair, step.text, step.table)
    return told


def refusals_untold(scenarios: Sequence[DocScenario]) -> list[RefusalRule]:
    """The refusal rules of the definition that no scenario states."""
    told = set().union(*(refusals_told(scenario) for scenario in scenarios))
    return [rule for rule in refusal_rules() if rule not in told]
