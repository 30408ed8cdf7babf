"""``/v1/cards``: applying, reading, moving a card, its history, and every refusal."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import datetime, timedelta

import pytest

from ledger.entry import Entry
from tests.api.conftest import (
    APPLICATION,
    BAD_CHECK_ID_NUMBER,
    HAPPY_PATH,
    allowed_now,
    problem,
)
from workflow.definition import DEFINITION_VERSION, EVIDENCE, channels_for
from workflow.states import Channel, Event, Presenter, State

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
CARD_FIELDS = {
    "card_id",
    "state",
    "version",
    "last_seq",
    "allowed_events",
    "due_at",
    "replaced_by",
}
AGENT = {"agent_id_documents": True, "insured_id_documents": True}


class TestApply:
    """Applying opens a card in applied and answers with the card only."""

    def test_opens_a_card_in_applied(self, cards):
        response = cards.apply()
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == CARD_FIELDS
        assert (body["state"], body["version"], body["last_seq"]) == ("applied", 1, 1)
        assert body["allowed_events"] == allowed_now(State.APPLIED)
        assert (body["due_at"], body["replaced_by"]) == (None, None)

    def test_location_names_the_new_card(self, cards, client):
        response = cards.apply()
        card_id = response.json()["card_id"]
        assert response.headers["location"] == f"/v1/cards/{card_id}"
        assert client.get(response.headers["location"]).json() == response.json()

    def test_etag_is_the_version(self, cards):
        assert cards.apply().headers["etag"] == '"1"'

    def test_the_entry_records_the_channel_the_actor_and_the_evidence(self, cards, client):
        card_id = cards.new()
        (entry,) = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        assert (entry["event"], entry["from_state"], entry["to_state"]) == (
            "apply",
            None,
            "applied",
        )
        assert (entry["channel"], entry["role"]) == ("card_center", "admin")
        assert entry["actor"].startswith("tests-admin#")
        assert (entry["presenter"], entry["evidence"]) == ("self", APPLICATION)

    def test_an_agent_shows_both_ids(self, cards, client):
        letter = {"authorisation_letter": True}
        body = problem(
            cards.apply(presenter="agent", evidence={**APPLICATION, **AGENT}),
            422,
            "invalid-evidence",
        )
        assert body["missing"] == ["the insured person's letter authorising the agent"]
        response = cards.apply(presenter="agent", evidence={**APPLICATION, **AGENT, **letter})
        assert response.status_code == 201, response.text
        history = client.get(f"/v1/cards/{response.json()['card_id']}/history").json()
        assert history["entries"][0]["presenter"] == Presenter.AGENT

    def test_an_employer_batch_needs_the_units_papers(self, cards):
        unit = {"unit_letter": "letter_of_introduction", "unit_seal": True}
        body = problem(
            cards.apply(channel="employer", evidence={**APPLICATION, **unit}),
            422,
            "invalid-evidence",
        )
        assert body["missing"] == [EVIDENCE["person_in_charge_id"].says]
        ok = cards.apply(
            channel="employer",
            evidence={**APPLICATION, **unit, "person_in_charge_id": True},
        )
        assert ok.status_code == 201, ok.text

    def test_occurred_at_is_recorded_in_utc(self, cards, client):
        response = cards.apply(occurred_at="2026-03-02T09:15:00+08:00")
        history = client.get(f"/v1/cards/{response.json()['card_id']}/history").json()
        assert history["entries"][0]["occurred_at"] == "2026-03-02T01:15:00.000000Z"

    def test_the_idempotency_key_is_recorded(self, cards, client):
        response = client.post(
            "/v1/cards",
            json={
                "applicant": {"name": "Han Meimei", "id_number": "11010519491231002X"},
                "channel": "bank_outlet",
                "evidence": dict(APPLICATION),
            },
            headers={"Idempotency-Key": "outlet-3-0001"},
        )
        history = client.get(f"/v1/cards/{response.json()['card_id']}/history").json()
        assert history["entries"][0]["idempotency_key"] == "outlet-3-0001"

    def test_an_id_number_failing_its_check_is_refused(self, cards):
        before = cards.snapshot()
        response = cards.apply(applicant={"name": "Li Lei", "id_number": BAD_CHECK_ID_NUMBER})
        body = problem(response, 422, "invalid-identity")
        assert body["check"] == "check_character"
        assert BAD_CHECK_ID_NUMBER not in response.text
        assert cards.snapshot() == before

    @pytest.mark.parametrize(
        ("document", "id_number", "looks"),
        [
            ("resident_id_card", "810000199001010019", "Hong Kong resident's residence permit"),
            ("passport", "11010519491231002X", "a citizen ID number"),
            ("hk_macao_travel_permit", "830000199001010012", "Taiwan resident's"),
        ],
    )
    def test_a_document_that_does_not_carry_the_number_is_refused(
        self, cards, document, id_number, looks
    ):
        before = cards.snapshot()
        response = cards.apply(
            applicant={"name": "Lin Yi", "id_number": id_number},
            evidence={**APPLICATION, "identity_document": document},
        )
        body = problem(response, 422, "invalid-identity")
        assert body["check"] == "document"
        assert f"({document}) carries" in body["detail"]
        assert looks in body["detail"]
        assert id_number not in response.text
        assert cards.snapshot() == before

    def test_a_blank_name_is_refused(self, cards):
        before = cards.snapshot()
        problem(
            cards.apply(applicant={"name": "   ", "id_number": "11010519491231002X"}),
            422,
            "invalid-request",
        )
        assert cards.snapshot() == before

    def test_a_channel_that_never_takes_applications_is_refused(self, cards):
        before = cards.snapshot()
        body = problem(cards.apply(channel="hospital"), 422, "channel-not-allowed")
        assert body["allowed_channels"] == list(channels_for(Event.APPLY))
        assert (body["event"], body["channel"]) == ("apply", "hospital")
        assert cards.snapshot() == before

    @pytest.mark.parametrize(
        ("overrides", "where"),
        [
            ({"applicant": {"name": "Li Lei"}}, ["body", "applicant", "id_number"]),
            (
                {"applicant": {"name": "Li", "id_number": "11010519491231002X", "age": 3}},
                ["body", "applicant", "?"],
            ),
            ({"event": "apply"}, ["body", "event"]),
            ({"channel": "post_office"}, ["body", "channel"]),
            ({"presenter": "proxy"}, ["body", "presenter"]),
            ({"occurred_at": "2026-03-02T09:15:00"}, ["body", "occurred_at"]),
            ({"evidence": {"photo": 1}}, ["body", "evidence", "photo", "bool"]),
        ],
        ids=[
            "no-id-number",
            "unknown-field",
            "event-field",
            "channel",
            "presenter",
            "naive-time",
            "number",
        ],
    )
    def test_a_body_outside_the_contract_is_refused(self, cards, overrides, where):
        before = cards.snapshot()
        body = problem(cards.apply(**overrides), 422, "validation-error")
        assert where in [error["loc"] for error in body["errors"]]
        assert cards.snapshot() == before


class TestReadCard:
    """A card reads as its state, version and the events allowed now, with their channels."""

    @pytest.mark.parametrize("state", list(State))
    def test_lists_the_events_allowed_in_each_state(self, cards, client, state):
        card_id = cards.in_state(state)
        body = client.get(f"/v1/cards/{card_id}").json()
        assert body["state"] == state
        assert body["allowed_events"] == allowed_now(state)

    def test_a_running_deadline_is_shown_until_the_bank_activates(self, cards, client, clock):
        produced = client.get(f"/v1/cards/{cards.in_state(State.PRODUCED)}").json()
        assert datetime.fromisoformat(produced["due_at"]) == clock.now + timedelta(days=180)
        activated = client.get(f"/v1/cards/{cards.in_state(State.ACTIVATED)}").json()
        assert activated["due_at"] is None

    def test_etag_follows_the_version(self, cards, client):
        card_id = cards.in_state(State.PRODUCED)
        response = client.get(f"/v1/cards/{card_id}")
        assert response.json()["version"] == 3
        assert response.headers["etag"] == '"3"'

    def test_an_unknown_card_is_404(self, client):
        body = problem(client.get("/v1/cards/no-such-card"), 404, "card-not-found")
        assert "no-such-card" not in body["detail"]


class TestLifecycle:
    """A card goes through every state over HTTP, and its history tells the whole story."""

    def test_through_every_state(self, cards, client):
        card_id = cards.new()
        for version, (event, channel, evidence, reached) in enumerate(HAPPY_PATH, start=2):
            response = cards.step(card_id, event, channel, evidence)
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["state"], body["version"]) == (reached, version)
            assert body["allowed_events"] == allowed_now(reached)
            assert response.headers["etag"] == f'"{version}"'
        assert body["allowed_events"] == allowed_now(State.REPORTED_LOST)
        history = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        assert [entry["event"] for entry in history] == ["apply"] + [s[0] for s in HAPPY_PATH]
        assert [entry["to_state"] for entry in history] == ["applied"] + [s[3] for s in HAPPY_PATH]

    def test_rejected_then_resubmitted(self, cards, client):
        card_id = cards.new()
        rejected = cards.step(
            card_id, "reject", "card_center", {"rejection_reason": "form_incomplete"}
        )
        assert rejected.json()["state"] == "rejected"
        assert rejected.json()["allowed_events"] == allowed_now(State.REJECTED)
        resubmitted = cards.step(card_id, "resubmit", "community", {"corrections_made": True})
        assert (resubmitted.json()["state"], resubmitted.json()["version"]) == ("applied", 3)
        reviewed = cards.step(card_id, "review", "card_center", {"information_checked": True})
        assert reviewed.json()["state"] == "reviewed"
        history = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        assert [(e["from_state"], e["to_state"]) for e in history] == [
            (None, "applied"),
            ("applied", "rejected"),
            ("rejected", "applied"),
            ("applied", "reviewed"),
        ]

    def test_history_entries_carry_every_field_oldest_first(self, cards, client):
        card_id = cards.in_state(State.REVIEWED)
        body = client.get(f"/v1/cards/{card_id}/history").json()
        assert body["card_id"] == card_id
        first, second = body["entries"]
        assert set(first) == {field.name for field in fields(Entry)}
        assert (first["seq"], first["version"], second["version"]) == (1, 1, 2)
        assert second["prev_hash"] == first["hash"]
        for entry in (first, second):
            assert TIMESTAMP.fullmatch(entry["occurred_at"])
            assert TIMESTAMP.fullmatch(entry["recorded_at"])
            assert entry["definition_version"] == DEFINITION_VERSION
            assert entry["kind"] == "transition"

    def test_history_matches_the_ledger(self, cards, client, service):
        card_id = cards.in_state(State.COLLECTED)
        served = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        stored = service.ledger.entries_for(card_id)
        assert [(e["seq"], e["hash"]) for e in served] == [(e.seq, e.hash) for e in stored]

    def test_review_issues_a_payment_slip(self, cards, client):
        card_id = cards.in_state(State.REVIEWED)
        history = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        assert history[-1]["evidence"]["payment_slip"].startswith("PS-")

    def test_a_transition_records_its_idempotency_key(self, cards, client):
        card_id = cards.new()
        cards.step(
            card_id,
            "review",
            "card_center",
            {"information_checked": True},
            headers={"Idempotency-Key": "center-1-77"},
        )
        history = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        assert history[-1]["idempotency_key"] == "center-1-77"

    def test_history_of_an_unknown_card_is_404(self, client):
        problem(client.get("/v1/cards/no-such-card/history"), 404, "card-not-found")


REFUSALS = [
    pytest.param(
        {"event": "activate", "channel": "bank_outlet", "evidence": {}},
        409,
        "transition-not-allowed",
        id="not-allowed-now",
    ),
    pytest.param(
        {"event": "fly", "channel": "card_center", "evidence": {}},
        422,
        "validation-error",
        id="unknown-event",
    ),
    pytest.param(
        {"event": "review", "channel": "post_office", "evidence": {}},
        422,
        "validation-error",
        id="unknown-channel",
    ),
    pytest.param(
        {"event": "review", "channel": "bank_outlet", "evidence": {"information_checked": True}},
        422,
        "channel-not-allowed",
        id="channel-never-carries-it",
    ),
    pytest.param(
        {
            "event": "review",
            "channel": "card_center",
            "presenter": "agent",
            "evidence": {"information_checked": True, **AGENT},
        },
        422,
        "channel-not-allowed",
        id="no-agent-here",
    ),
    pytest.param(
        {"event": "review", "channel": "card_center", "evidence": {"photo": True}},
        422,
        "invalid-evidence",
        id="evidence",
    ),
    pytest.param(
        {"event": "review", "channel": "card_center", "evidence": {"information_checked": 1}},
        422,
        "validation-error",
        id="evidence-a-number",
    ),
    pytest.param(
        {
            "event": "review",
            "channel": "card_center",
            "evidence": {"information_checked": True},
            "comment": "urgent",
        },
        422,
        "validation-error",
        id="unknown-field",
    ),
    pytest.param(
        {
            "event": "review",
            "channel": "card_center",
            "evidence": {"information_checked": True},
            "occurred_at": "2026-03-02T09:15:00",
        },
        422,
        "validation-error",
        id="naive-occurred-at",
    ),
    pytest.param(
        {
            "event": "review",
            "channel": "card_center",
            "evidence": {"information_checked": True},
            "occurred_at": "2030-01-01T00:00:00Z",
        },
        422,
        "invalid-request",
        id="occurred-in-the-future",
    ),
    pytest.param(
        {
            "event": "review",
            "channel": "card_center",
            "evidence": {"information_checked": True},
            "expected_version": 7,
        },
        409,
        "stale-version",
        id="stale",
    ),
    pytest.param(b'{"event": "review", ', 422, "validation-error", id="malformed-json"),
    pytest.param(b"", 422, "validation-error", id="no-body"),
]


class TestRefusedTransitions:
    """A refused transition says why, and leaves the card and the ledger exactly as they were."""

    @pytest.mark.parametrize(("body", "status", "slug"), REFUSALS)
    def test_refusal_changes_nothing(self, cards, client, body, status, slug):
        card_id = cards.new()
        before = cards.snapshot(card_id)
        path = f"/v1/cards/{card_id}/transitions"
        if isinstance(body, bytes):
            response = client.post(path, content=body, headers={"content-type": "application/json"})
        else:
            response = client.post(path, json=body)
        problem(response, status, slug)
        assert cards.snapshot(card_id) == before
        assert client.get(f"/v1/cards/{card_id}").json()["version"] == 1

    def test_an_unknown_card_is_404_and_writes_nothing(self, cards):
        cards.new()
        before = cards.snapshot()
        response = cards.step(
            "no-such-card", "review", "card_center", {"information_checked": True}
        )
        problem(response, 404, "card-not-found")
        assert cards.snapshot() == before

    def test_not_allowed_now_names_the_state_and_the_events_allowed(self, cards):
        card_id = cards.in_state(State.REVIEWED)
        body = problem(
            cards.step(card_id, "collect", "card_center", {}), 409, "transition-not-allowed"
        )
        assert body["card_id"] == card_id
        assert (body["state"], body["event"], body["channel"]) == (
            "reviewed",
            "collect",
            "card_center",
        )
        assert body["allowed_events"] == allowed_now(State.REVIEWED)

    @pytest.mark.parametrize("state", [State.REPLACED, State.CANCELLED])
    def test_an_ended_card_allows_nothing(self, cards, state):
        card_id = cards.in_state(state)
        body = problem(
            cards.step(card_id, "activate", "hotline_12333", {"operator_identity_check": True}),
            409,
            "transition-not-allowed",
        )
        assert (body["state"], body["allowed_events"]) == (state, [])

    def test_an_unknown_event_is_answered_with_the_valid_ones(self, cards):
        body = problem(cards.step(cards.new(), "fly", "card_center", {}), 422, "validation-error")
        (error,) = body["errors"]
        assert error["loc"] == ["body", "event"]
        assert all(f"'{event}'" in error["msg"] for event in Event)

    def test_an_unknown_channel_is_answered_with_the_valid_ones(self, cards):
        body = problem(cards.step(cards.new(), "review", "fax", {}), 422, "validation-error")
        (error,) = body["errors"]
        assert error["loc"] == ["body", "channel"]
        assert all(f"'{channel}'" in error["msg"] for channel in Channel)
        assert all(channel in body["detail"] for channel in Channel)

    def test_a_channel_that_never_carries_the_event_names_those_that_may(self, cards):
        card_id = cards.in_state(State.REVIEWED)
        body = problem(
            cards.step(card_id, "produce", "card_center", {"production_batch": "B1"}),
            422,
            "channel-not-allowed",
        )
        assert body["allowed_channels"] == list(channels_for(Event.PRODUCE))

    def test_evidence_gaps_are_each_named(self, cards):
        card_id = cards.in_state(State.COLLECTED)
        evidence = {
            "card_presented": True,
            "initial_pin_changed": "yes",
            "selfie": True,
            "photo": True,
        }
        body = problem(
            cards.step(card_id, "activate", "bank_outlet", evidence), 422, "invalid-evidence"
        )
        assert body["missing"] == [EVIDENCE["original_id"].says]
        assert (body["unknown"], body["unrecognised"]) == (["photo"], 1)
        assert "selfie" not in body["detail"]
        assert len(body["malformed"]) == 1
        assert EVIDENCE["initial_pin_changed"].says in body["malformed"][0]
        assert (body["event"], body["channel"]) == ("activate", "bank_outlet")

    def test_malformed_json_is_422(self, cards, client):
        response = client.post(
            f"/v1/cards/{cards.new()}/transitions",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        body = problem(response, 422, "validation-error")
        assert body["errors"][0]["type"] == "json_invalid"


COLLECT_EVIDENCE = {"collection_notice": "acceptance_receipt", "valid_id": True}


class TestRefusalsThatHelp:
    """A refusal says what would be taken instead, and calls each mistake what it is."""

    def test_malformed_json_is_placed_by_line_and_column(self, cards, client):
        text = '{\n  "event": "review",\n  "channel": card_center\n}'
        response = client.post(
            f"/v1/cards/{cards.new()}/transitions",
            content=text,
            headers={"content-type": "application/json"},
        )
        body = problem(response, 422, "validation-error")
        assert body["errors"] == [
            {
                "loc": ["body"],
                "msg": "the JSON is malformed at line 3, column 14: Expecting value",
                "type": "json_invalid",
            }
        ]

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", "text/json"]
    )
    def test_a_json_body_sent_as_another_type_is_told_so(self, cards, client, content_type):
        card_id = cards.new()
        before = cards.snapshot(card_id)
        body = json.dumps(
            {"event": "review", "channel": "card_center", "evidence": {"information_checked": True}}
        )
        response = client.post(
            f"/v1/cards/{card_id}/transitions", content=body, headers={"content-type": content_type}
        )
        found = problem(response, 422, "validation-error")
        (issue,) = found["errors"]
        assert (issue["loc"], issue["type"]) == (["header", "content-type"], "content_type")
        assert "Content-Type: application/json" in found["detail"]
        assert content_type not in found["detail"]
        assert cards.snapshot(card_id) == before

    def test_false_where_evidence_must_be_true_is_wrong_not_missing(self, cards):
        body = problem(
            cards.step(cards.new(), "review", "card_center", {"information_checked": False}),
            422,
            "invalid-evidence",
        )
        assert body["missing"] == []
        (wrong,) = body["malformed"]
        assert wrong.startswith(EVIDENCE["information_checked"].says)
        assert "false, where it must be confirmed with true" in wrong

    @pytest.mark.parametrize("key", ["11010519491231002X", "Li Lei", "photo_of_li_lei"])
    def test_an_unknown_evidence_key_is_counted_never_echoed(self, cards, key):
        card_id = cards.new()
        evidence = {"information_checked": True, key: True, "11010519491231002X-2": "x"}
        response = cards.step(card_id, "review", "card_center", evidence)
        body = problem(response, 422, "invalid-evidence")
        assert (body["unknown"], body["unrecognised"]) == ([], 2)
        assert "2 evidence keys cardflow does not know" in body["detail"]
        assert key not in response.text
        history = cards.client.get(
            f"/v1/cards/{card_id}/history", params={"include_refusals": True}
        )
        assert key not in history.text

    def test_an_unknown_field_or_key_is_never_echoed_in_a_validation_problem(self, cards):
        key = "11010519491231002X"
        response = cards.step(
            cards.new(), "review", "card_center", {key: 5}, **{"Li Lei 13800000000": 1}
        )
        body = problem(response, 422, "validation-error")
        assert key not in response.text
        assert "Li Lei" not in response.text
        assert ["body", "?"] in [error["loc"] for error in body["errors"]]
        assert ["body", "evidence", "?", "bool"] in [error["loc"] for error in body["errors"]]

    def test_an_unknown_card_or_path_is_never_echoed(self, client):
        for path in ("/v1/cards/11010519491231002X", "/v1/nothing/11010519491231002X"):
            response = client.get(path)
            assert response.status_code == 404
            assert "11010519491231002X" not in response.text
        wrong_method = client.delete("/v1/cards/11010519491231002X")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["detail"] == "/v1/cards/{card_id} does not take DELETE"
        unkept = client.get("/v1/cards", params={"11010519491231002X": "\x00"})
        assert unkept.status_code == 422
        assert "11010519491231002X" not in unkept.text
        assert client.get("/v1/cards", params={"state": "\x00"}).json()["errors"][0]["loc"] == [
            "query",
            "state",
        ]

    def test_the_channels_offered_to_an_agent_are_those_that_take_an_agent(self, cards):
        """Review is the card center's, and no agent may stand in for it: none is offered."""
        body = problem(
            cards.step(cards.new(), "review", "card_center", {}, presenter="agent"),
            422,
            "channel-not-allowed",
        )
        assert body["allowed_channels"] == []
        assert body["detail"].endswith("channels that would carry it now: none")

    def test_the_channels_offered_are_those_that_carry_it_from_here(self, cards):
        """A returned card is collected only at the card center: not the employer's."""
        card_id = cards.in_state(State.RETURNED)
        body = problem(
            cards.step(card_id, "collect", "employer", COLLECT_EVIDENCE),
            409,
            "transition-not-allowed",
        )
        offered = {item["event"]: item["channels"] for item in body["allowed_events"]}
        assert offered["collect"] == ["card_center"]
        assert "collect (only through card_center)" in body["detail"]

    def test_a_refusal_never_offers_the_refused_step(self, cards, clock):
        """Reported lost by the system before the window ran out: the system's report is
        not offered, the card center's and the bank's are."""
        card_id = cards.in_state(State.COLLECTED)
        body = problem(
            cards.step(card_id, "report_lost", "system", {"deadline_expired": "activation_window"}),
            409,
            "condition-not-met",
        )
        offered = {item["event"]: item["channels"] for item in body["allowed_events"]}
        assert offered["report_lost"] == ["card_center", "bank_outlet"]

    def test_a_step_a_condition_refuses_everywhere_is_not_offered(self, cards):
        card_id = cards.in_state(State.ACTIVATED)
        bank = {"card_presented": True, "original_id": True, "initial_pin_changed": True}
        body = problem(
            cards.step(card_id, "activate_financial", "bank_outlet", bank),
            409,
            "condition-not-met",
        )
        assert "activate_financial" not in [item["event"] for item in body["allowed_events"]]


class TestOptimisticConcurrency:
    """expected_version or If-Match makes a transition conditional; a stale caller gets 409."""

    REVIEW = ("review", "card_center", {"information_checked": True})

    def test_the_expected_version_lets_the_step_through(self, cards):
        response = cards.step(cards.new(), *self.REVIEW, expected_version=1)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"2"'

    def test_a_stale_expected_version_is_409(self, cards):
        card_id = cards.in_state(State.REVIEWED)
        before = cards.snapshot(card_id)
        body = problem(
            cards.step(
                card_id, "produce", "issuing_bank", {"production_batch": "B1"}, expected_version=1
            ),
            409,
            "stale-version",
        )
        assert (body["card_id"], body["expected_version"], body["current_version"]) == (
            card_id,
            1,
            2,
        )
        assert body["state"] == "reviewed"
        assert body["allowed_events"] == allowed_now(State.REVIEWED)
        assert cards.snapshot(card_id) == before

    @pytest.mark.parametrize("how", ["body", "if-match"])
    def test_a_version_the_card_never_had_is_not_repeated(self, cards, how):
        """An 18-digit number where the version goes (an ID number, say) is neither
        echoed nor written to the refusal's note."""
        number = 110105194912310021
        card_id = cards.new()
        extra = (
            {"expected_version": number}
            if how == "body"
            else {"headers": {"If-Match": f'"{number}"'}}
        )
        response = cards.step(card_id, *self.REVIEW, **extra)
        body = problem(response, 409, "stale-version")
        assert (body["expected_version"], body["current_version"]) == (None, 1)
        assert str(number) not in response.text
        history = cards.client.get(
            f"/v1/cards/{card_id}/history", params={"include_refusals": True}
        )
        assert str(number) not in history.text

    @pytest.mark.parametrize("tag", ['"1"', "1", ' "1" '])
    def test_if_match_names_the_version_expected(self, cards, tag):
        card_id = cards.new()
        cards.step(card_id, *self.REVIEW)
        before = cards.snapshot(card_id)
        response = cards.step(
            card_id,
            "produce",
            "issuing_bank",
            {"production_batch": "B1"},
            headers={"If-Match": tag},
        )
        assert problem(response, 409, "stale-version")["expected_version"] == 1
        assert cards.snapshot(card_id) == before

    @pytest.mark.parametrize("tag", ['"1"', "*"])
    def test_a_current_if_match_lets_the_step_through(self, cards, tag):
        response = cards.step(cards.new(), *self.REVIEW, headers={"If-Match": tag})
        assert response.status_code == 200, response.text

    def test_the_etag_read_is_the_if_match_to_send(self, cards, client):
        card_id = cards.new()
        etag = client.get(f"/v1/cards/{card_id}").headers["etag"]
        assert cards.step(card_id, *self.REVIEW, headers={"If-Match": etag}).status_code == 200
        assert (
            cards.step(
                card_id,
                "produce",
                "issuing_bank",
                {"production_batch": "B1"},
                headers={"If-Match": etag},
            ).status_code
            == 409
        )

    def test_if_match_and_expected_version_agreeing(self, cards):
        response = cards.step(
            cards.new(), *self.REVIEW, expected_version=1, headers={"If-Match": '"1"'}
        )
        assert response.status_code == 200, response.text

    def test_if_match_and_expected_version_disagreeing_is_422(self, cards):
        card_id = cards.new()
        before = cards.snapshot(card_id)
        response = cards.step(
            card_id, *self.REVIEW, expected_version=1, headers={"If-Match": '"110105194912310021"'}
        )
        detail = problem(response, 422, "invalid-request")["detail"]
        assert "different versions" in detail
        assert "110105194912310021" not in detail
        assert cards.snapshot(card_id) == before

    @pytest.mark.parametrize("tag", ['W/"1"', "one", '"1", "2"', '"1'])
    def test_an_if_match_that_is_not_a_version_is_422(self, cards, tag):
        card_id = cards.new()
        before = cards.snapshot(card_id)
        problem(
            cards.step(card_id, *self.REVIEW, headers={"If-Match": tag}), 422, "invalid-request"
        )
        assert cards.snapshot(card_id) == before

    def test_expected_version_below_one_is_422(self, cards):
        problem(cards.step(cards.new(), *self.REVIEW, expected_version=0), 422, "validation-error")
