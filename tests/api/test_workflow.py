"""``/v1/workflow``: the definition tables, served as they are."""

from __future__ import annotations

import pytest

from tests.api.conftest import MEMORY_ONLY
from workflow.definition import (
    ADJUSTMENTS,
    AGENT_EVIDENCE,
    DEFINITION_VERSION,
    DOCUMENTS,
    EVIDENCE,
    RULES,
    TRANSITIONS,
    Proof,
    events_for,
)
from workflow.diagram import mermaid
from workflow.identity import NumberShape
from workflow.states import Channel, Event, Presenter, State


def proof(evidence: Proof) -> dict[str, object]:
    return {
        "key": evidence.key,
        "says": evidence.says,
        "kind": evidence.kind,
        "choices": list(evidence.choices),
    }


@pytest.fixture
def described(client) -> dict:
    response = client.get("/v1/workflow")
    assert response.status_code == 200
    return response.json()


@MEMORY_ONLY
class TestWorkflow:
    """Everything served comes from workflow/definition.py; nothing is written by hand."""

    def test_names_the_definition_version(self, described):
        assert described["definition_version"] == DEFINITION_VERSION

    def test_states_events_and_presenters(self, described):
        assert described["states"] == list(State)
        assert described["events"] == list(Event)
        assert described["presenters"] == list(Presenter)

    def test_channels_with_the_events_each_may_carry(self, described):
        assert described["channels"] == [
            {"channel": channel, "events": list(events_for(channel))} for channel in Channel
        ]

    def test_transitions(self, described):
        assert described["transitions"] == [
            {"event": t.event, "source": t.source, "dest": t.dest} for t in TRANSITIONS
        ]

    def test_rules_with_their_evidence_in_a_clerks_words(self, described):
        assert described["rules"] == [
            {
                "event": rule.event,
                "channel": rule.channel,
                "requires": [proof(EVIDENCE[key]) for key in rule.requires],
                "agent_allowed": rule.agent_allowed,
                "only_from": None if rule.only_from is None else sorted(rule.only_from),
                "issues": [proof(EVIDENCE[key]) for key in rule.issues],
                "cites": rule.cites,
                "batch": rule.batch,
                "financial": rule.financial,
                "due": rule.due,
            }
            for rule in RULES
        ]

    def test_the_applicant_circumstances_an_application_reads(self, described):
        assert [c["circumstance"] for c in described["applicant_circumstances"]] == [
            a.circumstance for a in ADJUSTMENTS
        ]
        young = described["applicant_circumstances"][1]
        assert (young["says"], young["waives"]) == ("a child of 6 or under", ["photo"])

    def test_which_pairs_come_in_batches_and_which_activate_the_bank_function(self, described):
        batched = {(r["event"], r["channel"]) for r in described["rules"] if r["batch"]}
        assert batched == {
            ("apply", "employer"),
            ("apply", "community"),
            ("produce", "issuing_bank"),
        }
        financial = [(r["event"], r["channel"]) for r in described["rules"] if r["financial"]]
        assert financial == [("activate", "bank_outlet"), ("activate_financial", "bank_outlet")]

    def test_agent_evidence_and_the_evidence_catalogue(self, described):
        assert described["agent_evidence"] == [proof(EVIDENCE[key]) for key in AGENT_EVIDENCE]
        assert described["evidence"] == [proof(evidence) for evidence in EVIDENCE.values()]

    def test_the_numbers_each_identity_document_carries(self, described):
        carried = {d["key"]: d["carries"] for d in described["identity_documents"]}
        assert carried == {
            key: [shape for shape in NumberShape if shape in document.carries]
            for key, document in DOCUMENTS.items()
        }
        assert carried["resident_id_card"] == ["citizen"]
        assert "citizen" not in carried["passport"]

    def test_the_mermaid_diagram(self, described):
        assert described["mermaid"] == mermaid()
        assert described["mermaid"].startswith("stateDiagram-v2")

    def test_the_region_policy_steps_are_decided_under(self, described, service):
        policy = described["policy"]
        assert policy["label"] == service.policy.label
        assert policy["windows"]["activation_window"] == 300
        assert policy["pin"] == {"initial": "123456", "must_change": True}

    def test_reading_it_writes_nothing(self, client, service):
        client.get("/v1/workflow")
        assert service.ledger.tip().size == 0
