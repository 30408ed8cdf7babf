"""Deciding a step: channel first, then state, then evidence."""

from __future__ import annotations

import pytest

from workflow.definition import (
    AGENT_EVIDENCE,
    DEFINITION_VERSION,
    EVIDENCE,
    RULES,
    Kind,
    channels_for,
    events_for,
)
from workflow.errors import ChannelNotAllowed, InvalidEvidence, TransitionNotAllowed
from workflow.rules import allowed_events, decide
from workflow.states import Channel, Event, Presenter, State

DESIGN_CHANNEL_TABLE = {
    # DESIGN.md, "Channels"; resubmit goes wherever an application may go.
    Channel.EMPLOYER: {Event.APPLY, Event.RESUBMIT, Event.COLLECT},
    Channel.COMMUNITY: {Event.APPLY, Event.RESUBMIT, Event.COLLECT},
    Channel.CARD_CENTER: {
        Event.APPLY,
        Event.RESUBMIT,
        Event.REVIEW,
        Event.REJECT,
        Event.COLLECT,
        Event.ACTIVATE,
        Event.REPORT_LOST,
    },
    Channel.BANK_OUTLET: {
        Event.APPLY,
        Event.RESUBMIT,
        Event.COLLECT,
        Event.ACTIVATE,
        Event.REPORT_LOST,
    },
    Channel.ISSUING_BANK: {Event.PRODUCE},
    Channel.HOTLINE_12333: {Event.ACTIVATE, Event.REPORT_LOST},
    Channel.HOSPITAL: {Event.ACTIVATE},
    Channel.PHARMACY: {Event.ACTIVATE},
    Channel.SYSTEM: {Event.REPORT_LOST},
}

SOURCE = {  # a state each event can start from
    Event.APPLY: None,
    Event.REVIEW: State.APPLIED,
    Event.REJECT: State.APPLIED,
    Event.RESUBMIT: State.REJECTED,
    Event.PRODUCE: State.REVIEWED,
    Event.COLLECT: State.PRODUCED,
    Event.ACTIVATE: State.COLLECTED,
    Event.REPORT_LOST: State.COLLECTED,
}


def sample(key: str) -> object:
    proof = EVIDENCE[key]
    if proof.kind is Kind.CHOICE:
        return proof.choices[0]
    if proof.kind is Kind.REFERENCE:
        return "REF-2026/001"
    return True


def full_evidence(rule, presenter=Presenter.SELF) -> dict[str, object]:
    keys = rule.requires + (AGENT_EVIDENCE if presenter is Presenter.AGENT else ())
    return {key: sample(key) for key in keys}


def attempt(event, channel, state, evidence, presenter=Presenter.SELF):
    return decide(
        card_id="card-1",
        state=state,
        event=event,
        channel=channel,
        presenter=presenter,
        evidence=evidence,
    )


class TestChannelTable:
    """The rules table says what DESIGN.md's channel table says."""

    def test_matches_design(self):
        assert {channel: set(events_for(channel)) for channel in Channel} == DESIGN_CHANNEL_TABLE

    def test_every_required_key_is_in_the_catalogue(self):
        for rule in RULES:
            assert set(rule.requires) <= set(EVIDENCE)
            assert set(rule.issues) <= set(EVIDENCE)

    def test_definition_version_names_the_table(self):
        assert DEFINITION_VERSION.startswith("1+")
        assert len(DEFINITION_VERSION) == 14


class TestAccepted:
    """Every allowed pair, with its evidence, is accepted and recorded as shown."""

    @pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.event}-{r.channel}")
    def test_every_rule(self, rule):
        evidence = full_evidence(rule)
        decision = attempt(rule.event, rule.channel, SOURCE[rule.event], evidence)
        assert decision.evidence == evidence
        assert decision.issues == rule.issues

    @pytest.mark.parametrize(
        "rule", [r for r in RULES if r.agent_allowed], ids=lambda r: f"{r.event}-{r.channel}"
    )
    def test_an_agent_with_both_ids(self, rule):
        evidence = full_evidence(rule, Presenter.AGENT)
        decision = attempt(rule.event, rule.channel, SOURCE[rule.event], evidence, Presenter.AGENT)
        assert set(AGENT_EVIDENCE) <= set(decision.evidence)


class TestRefused:
    """Each refusal names its reason, most general first."""

    @pytest.mark.parametrize(
        ("event", "channel"),
        [(e, c) for e in Event for c in Channel if c not in channels_for(e)],
        ids=str,
    )
    def test_a_channel_that_never_carries_the_event(self, event, channel):
        with pytest.raises(ChannelNotAllowed) as refused:
            attempt(event, channel, SOURCE[event], {})
        assert refused.value.allowed == channels_for(event)

    def test_an_agent_where_none_may_stand_in(self):
        with pytest.raises(ChannelNotAllowed, match="agent"):
            attempt(Event.ACTIVATE, Channel.PHARMACY, State.COLLECTED, {}, Presenter.AGENT)

    @pytest.mark.parametrize("event", list(Event))
    def test_nothing_after_reported_lost(self, event):
        channel = channels_for(event)[0]
        with pytest.raises(TransitionNotAllowed) as refused:
            attempt(event, channel, State.REPORTED_LOST, {})
        assert refused.value.state is State.REPORTED_LOST
        assert refused.value.allowed == ()

    def test_state_is_checked_before_evidence(self):
        with pytest.raises(TransitionNotAllowed) as refused:
            attempt(Event.ACTIVATE, Channel.BANK_OUTLET, State.PRODUCED, {})
        assert refused.value.allowed == (Event.COLLECT,)

    def test_the_system_reports_only_an_unactivated_card(self):
        with pytest.raises(TransitionNotAllowed):
            attempt(
                Event.REPORT_LOST,
                Channel.SYSTEM,
                State.ACTIVATED,
                {"deadline_expired": "activation_window"},
            )

    def test_missing_evidence_is_listed_in_a_clerks_words(self):
        with pytest.raises(InvalidEvidence) as refused:
            attempt(
                Event.ACTIVATE,
                Channel.BANK_OUTLET,
                State.COLLECTED,
                {"card_presented": True, "original_id": True},
            )
        assert refused.value.missing == ("the initial PIN (123456) changed",)

    def test_unknown_and_malformed_evidence_is_named(self):
        with pytest.raises(InvalidEvidence) as refused:
            attempt(
                Event.COLLECT,
                Channel.CARD_CENTER,
                State.PRODUCED,
                {"collection_notice": "a letter", "valid_id": "yes", "name": "Li Lei"},
            )
        assert refused.value.unknown == ("name",)
        assert len(refused.value.malformed) == 2

    @pytest.mark.parametrize("reference", ["110105194912310021", "x" * 65, "has space", ""])
    def test_a_reference_is_never_personal_data(self, reference):
        with pytest.raises(InvalidEvidence):
            attempt(
                Event.PRODUCE,
                Channel.ISSUING_BANK,
                State.REVIEWED,
                {"production_batch": reference},
            )


class TestAllowedEvents:
    """The events allowed now exclude those no channel can carry from here."""

    def test_collected(self):
        assert allowed_events(State.COLLECTED) == (Event.ACTIVATE, Event.REPORT_LOST)

    def test_activated(self):
        assert allowed_events(State.ACTIVATED) == (Event.REPORT_LOST,)
