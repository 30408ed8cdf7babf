"""Deciding a step: channel first, then state, then evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflow.definition import (
    AGENT_EVIDENCE,
    DEFINITION_VERSION,
    EVIDENCE,
    RULES,
    RULES_BY_PAIR,
    Circumstance,
    Kind,
    channels_for,
    circumstances_of,
    events_for,
    required_evidence,
)
from workflow.errors import (
    ChannelNotAllowed,
    ConditionNotMet,
    InvalidEvidence,
    TransitionNotAllowed,
)
from workflow.rules import Standing, allowed_events, check_evidence, decide
from workflow.states import Channel, Event, Presenter, State

DESIGN_CHANNEL_TABLE = {
    # DESIGN.md, "Channels", with the events issue 3 adds (return, the financial
    # function, temporary loss, reissue, cancellation). Resubmit goes wherever an
    # application may go. The hotline's loss report is the temporary kind: a formal
    # report needs the counter or the bank, and cannot be made by phone.
    Channel.EMPLOYER: {Event.APPLY, Event.RESUBMIT, Event.COLLECT},
    Channel.COMMUNITY: {Event.APPLY, Event.RESUBMIT, Event.COLLECT},
    Channel.CARD_CENTER: {
        Event.APPLY,
        Event.RESUBMIT,
        Event.REVIEW,
        Event.REJECT,
        Event.COLLECT,
        Event.ACTIVATE,
        Event.REPORT_TEMPORARY_LOSS,
        Event.LIFT_LOSS,
        Event.REPORT_LOST,
        Event.REISSUE,
        Event.CANCEL,
    },
    Channel.BANK_OUTLET: {
        Event.APPLY,
        Event.RESUBMIT,
        Event.COLLECT,
        Event.ACTIVATE,
        Event.ACTIVATE_FINANCIAL,
        Event.REPORT_LOST,
        Event.REISSUE,
    },
    Channel.ISSUING_BANK: {Event.PRODUCE},
    Channel.HOTLINE_12333: {Event.ACTIVATE, Event.REPORT_TEMPORARY_LOSS, Event.LIFT_LOSS},
    Channel.HOSPITAL: {Event.ACTIVATE},
    Channel.PHARMACY: {Event.ACTIVATE},
    Channel.SYSTEM: {Event.RETURN, Event.LIFT_LOSS, Event.REPORT_LOST},
}

SOURCE = {  # a state each event can start from
    Event.APPLY: None,
    Event.REVIEW: State.APPLIED,
    Event.REJECT: State.APPLIED,
    Event.RESUBMIT: State.REJECTED,
    Event.PRODUCE: State.REVIEWED,
    Event.RETURN: State.PRODUCED,
    Event.COLLECT: State.PRODUCED,
    Event.ACTIVATE: State.COLLECTED,
    Event.ACTIVATE_FINANCIAL: State.ACTIVATED,
    Event.REPORT_TEMPORARY_LOSS: State.COLLECTED,
    Event.LIFT_LOSS: State.TEMPORARILY_LOST,
    Event.REPORT_LOST: State.COLLECTED,
    Event.REISSUE: State.REPORTED_LOST,
    Event.CANCEL: State.APPLIED,
}

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSED = NOW - timedelta(days=1)


def sample(key: str) -> object:
    proof = EVIDENCE[key]
    if proof.kind is Kind.CHOICE:
        return proof.choices[0]
    if proof.kind is Kind.REFERENCE:
        return "REF-2026/001"
    return True


def full_evidence(rule, presenter=Presenter.SELF) -> dict[str, object]:
    keys = rule.requires + (AGENT_EVIDENCE if presenter is Presenter.AGENT else ())
    evidence = {key: sample(key) for key in keys}
    if rule.due is not None:
        evidence["deadline_expired"] = str(rule.due)
    return evidence


def attempt(event, channel, state, evidence, presenter=Presenter.SELF, **standing):
    """Decide the step now for a card in ``state`` whose deadline has passed, and which
    came from ``collected`` if it is temporarily lost (``standing`` overrides either)."""
    standing.setdefault("due_at", PASSED)
    if state is State.TEMPORARILY_LOST:
        standing.setdefault("came_from", State.COLLECTED)
    return decide(
        card_id="card-1",
        standing=Standing(state, **standing),
        event=event,
        channel=channel,
        presenter=presenter,
        evidence=evidence,
        now=NOW,
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

    @pytest.mark.parametrize(
        "event", [e for e in Event if e not in (Event.REISSUE, Event.CANCEL)], ids=str
    )
    def test_a_formal_loss_report_is_never_lifted(self, event):
        channel = channels_for(event)[0]
        with pytest.raises(TransitionNotAllowed) as refused:
            attempt(event, channel, State.REPORTED_LOST, {})
        assert refused.value.state is State.REPORTED_LOST
        assert refused.value.allowed == (Event.REISSUE, Event.CANCEL)

    @pytest.mark.parametrize("state", [State.REPLACED, State.CANCELLED], ids=str)
    @pytest.mark.parametrize("event", list(Event), ids=str)
    def test_nothing_after_the_end(self, state, event):
        with pytest.raises(TransitionNotAllowed) as refused:
            attempt(event, channels_for(event)[0], state, {})
        assert refused.value.allowed == ()

    def test_state_is_checked_before_evidence(self):
        with pytest.raises(TransitionNotAllowed) as refused:
            attempt(Event.ACTIVATE, Channel.BANK_OUTLET, State.PRODUCED, {})
        assert refused.value.allowed == (Event.RETURN, Event.COLLECT, Event.CANCEL)

    def test_the_system_reports_only_a_card_whose_deadline_runs(self):
        # A card whose financial function is active has no deadline left.
        with pytest.raises(ConditionNotMet) as refused:
            attempt(
                Event.REPORT_LOST,
                Channel.SYSTEM,
                State.ACTIVATED,
                {"deadline_expired": "activation_window"},
                due_at=None,
            )
        assert refused.value.condition == "deadline_not_running"

    def test_the_system_waits_for_the_deadline(self):
        with pytest.raises(ConditionNotMet) as refused:
            attempt(
                Event.RETURN,
                Channel.SYSTEM,
                State.PRODUCED,
                {"deadline_expired": "collection_window"},
                due_at=NOW + timedelta(seconds=1),
            )
        assert refused.value.condition == "deadline_not_reached"
        assert "collection_window (180 days" in refused.value.reason

    def test_the_system_names_the_deadline_of_its_step(self):
        with pytest.raises(InvalidEvidence) as refused:
            attempt(
                Event.RETURN,
                Channel.SYSTEM,
                State.PRODUCED,
                {"deadline_expired": "activation_window"},
            )
        assert refused.value.malformed == (
            "the deadline that expired: collection_window for return",
        )

    def test_the_financial_function_is_activated_once(self):
        rule = RULES_BY_PAIR[Event.ACTIVATE_FINANCIAL, Channel.BANK_OUTLET]
        with pytest.raises(ConditionNotMet) as refused:
            attempt(rule.event, rule.channel, State.ACTIVATED, full_evidence(rule), financial=True)
        assert refused.value.condition == "financial_function_active"

    def test_a_lifted_loss_goes_back_where_it_came_from(self):
        rule = RULES_BY_PAIR[Event.LIFT_LOSS, Channel.CARD_CENTER]
        before = NOW + timedelta(days=30)
        decision = attempt(
            rule.event,
            rule.channel,
            State.TEMPORARILY_LOST,
            full_evidence(rule),
            came_from=State.ACTIVATED,
            came_from_due=before,
        )
        assert (decision.to_state, decision.due_at) == (State.ACTIVATED, before)

    def test_missing_evidence_is_listed_in_a_clerks_words(self):
        with pytest.raises(InvalidEvidence) as refused:
            attempt(
                Event.ACTIVATE,
                Channel.BANK_OUTLET,
                State.COLLECTED,
                {"card_presented": True, "original_id": True},
            )
        assert refused.value.missing == ("the initial PIN changed",)

    def test_unknown_and_malformed_evidence_is_named(self):
        with pytest.raises(InvalidEvidence) as refused:
            attempt(
                Event.COLLECT,
                Channel.CARD_CENTER,
                State.PRODUCED,
                {"collection_notice": "a letter", "valid_id": "yes", "photo": True},
            )
        assert refused.value.unknown == ("photo",)
        assert len(refused.value.malformed) == 2

    @pytest.mark.parametrize("key", ["11010519491231002X", "Li Lei", "name", "valid_ID"])
    def test_a_key_outside_cardflows_vocabulary_is_counted_never_repeated(self, key):
        """A caller may put anything in a key, an ID number or a name among them."""
        with pytest.raises(InvalidEvidence) as refused:
            attempt(
                Event.COLLECT,
                Channel.CARD_CENTER,
                State.PRODUCED,
                {"collection_notice": "phone_notice", "valid_id": True, key: True, "x": 1},
            )
        assert (refused.value.unknown, refused.value.unrecognised) == ((), 2)
        assert key not in refused.value.detail
        assert "2 evidence keys cardflow does not know" in refused.value.detail

    @pytest.mark.parametrize(("value", "called"), [(False, "false, where"), ("", "a reference")])
    def test_false_or_empty_where_evidence_must_be_shown_is_wrong_not_missing(self, value, called):
        proof = "information_checked" if value is False else "production_batch"
        event, channel, state = (
            (Event.REVIEW, Channel.CARD_CENTER, State.APPLIED)
            if value is False
            else (Event.PRODUCE, Channel.ISSUING_BANK, State.REVIEWED)
        )
        with pytest.raises(InvalidEvidence) as refused:
            attempt(event, channel, state, {proof: value})
        assert refused.value.missing == ()
        (wrong,) = refused.value.malformed
        assert called in wrong
        assert refused.value.detail.count("malformed: ") == 1

    def test_null_is_missing(self):
        with pytest.raises(InvalidEvidence) as refused:
            attempt(Event.REVIEW, Channel.CARD_CENTER, State.APPLIED, {"information_checked": None})
        assert refused.value.missing == ("staff checked the registration information",)

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
        assert allowed_events(State.COLLECTED) == (
            Event.ACTIVATE,
            Event.REPORT_TEMPORARY_LOSS,
            Event.REPORT_LOST,
            Event.CANCEL,
        )

    def test_activated(self):
        assert allowed_events(State.ACTIVATED) == (
            Event.ACTIVATE_FINANCIAL,
            Event.REPORT_TEMPORARY_LOSS,
            Event.REPORT_LOST,
            Event.CANCEL,
        )


class TestCircumstances:
    """The applicant's circumstances change what an application must show, and only that."""

    APPLY = RULES_BY_PAIR[Event.APPLY, Channel.CARD_CENTER]

    def keys(self, presenter=Presenter.SELF, *circumstances):
        return [p.key for p in required_evidence(self.APPLY, presenter, frozenset(circumstances))]

    @pytest.mark.parametrize(
        ("age", "foreigner", "presenter", "expected"),
        [
            (30, False, Presenter.SELF, set()),
            (30, False, Presenter.AGENT, {Circumstance.REPRESENTED}),
            (15, False, Presenter.AGENT, {Circumstance.CHILD}),
            (7, False, Presenter.AGENT, {Circumstance.CHILD}),
            (6, False, Presenter.AGENT, {Circumstance.CHILD, Circumstance.YOUNG_CHILD}),
            (16, True, Presenter.SELF, {Circumstance.FOREIGNER}),
        ],
    )
    def test_read_from_age_nationality_and_presenter(self, age, foreigner, presenter, expected):
        assert circumstances_of(age, foreigner=foreigner, presenter=presenter) == expected

    def test_a_young_child_needs_no_photo_but_a_guardians_link(self):
        keys = self.keys(Presenter.AGENT, Circumstance.CHILD, Circumstance.YOUNG_CHILD)
        assert "photo" not in keys
        assert {"guardian_link", *AGENT_EVIDENCE} <= set(keys)
        assert "authorisation_letter" not in keys

    def test_a_photo_shown_anyway_is_recorded_and_a_photo_withheld_is_no_gap(self):
        young = frozenset({Circumstance.CHILD, Circumstance.YOUNG_CHILD})
        evidence = {
            **full_evidence(self.APPLY, Presenter.AGENT),
            "guardian_link": "birth_certificate",
        }
        shown = check_evidence(self.APPLY, Presenter.AGENT, evidence, circumstances=young)
        assert shown["photo"] is True
        withheld = check_evidence(
            self.APPLY, Presenter.AGENT, {**evidence, "photo": False}, circumstances=young
        )
        assert "photo" not in withheld

    def test_only_an_application_changes(self):
        collect = RULES_BY_PAIR[Event.COLLECT, Channel.CARD_CENTER]
        everything = frozenset(Circumstance)
        assert required_evidence(collect, Presenter.SELF, everything) == required_evidence(
            collect, Presenter.SELF
        )

    def test_a_foreign_worker_shows_proof_of_work(self):
        with pytest.raises(InvalidEvidence) as refused:
            check_evidence(
                self.APPLY,
                Presenter.SELF,
                full_evidence(self.APPLY),
                circumstances=frozenset({Circumstance.FOREIGNER}),
            )
        assert refused.value.missing == ("the relevant proof of work",)
