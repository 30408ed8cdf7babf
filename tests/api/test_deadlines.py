"""Deadlines, loss, reissue and cancellation over HTTP: ``/v1/sweeps`` and the steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import APPLICATION, problem
from workflow.states import Channel, Role, State

BANK = {"card_presented": True, "original_id": True, "initial_pin_changed": True}


class TestSweeps:
    """``POST /v1/sweeps`` takes the steps whose deadline has passed, each once."""

    def test_a_system_key_sweeps(self, cards, client_as, clock):
        overdue = cards.in_state(State.COLLECTED)
        produced = cards.in_state(State.PRODUCED)
        clock.advance(days=300)
        system = client_as(Role.SYSTEM)
        first = system.post("/v1/sweeps")
        assert first.status_code == 200, first.text
        swept = {(s["card_id"], s["event"], s["to_state"]) for s in first.json()["swept"]}
        assert swept == {
            (overdue, "report_lost", "reported_lost"),
            (produced, "return", "returned"),
        }
        again = system.post("/v1/sweeps").json()
        assert (again["swept"], again["done_elsewhere"], again["moved_on"]) == ([], 0, 0)
        history = cards.client.get(f"/v1/cards/{overdue}/history").json()["entries"]
        assert history[-1]["channel"] == "system"
        assert history[-1]["evidence"] == {"deadline_expired": "activation_window"}

    def test_a_clerk_may_not_sweep(self, cards, client_as, clock):
        card_id = cards.in_state(State.COLLECTED)
        clock.advance(days=300)
        before = cards.snapshot(card_id)
        body = problem(client_as(Role.CLERK).post("/v1/sweeps"), 403, "not-permitted")
        assert "system" in body["detail"]
        assert cards.snapshot(card_id) == before

    def test_a_limit_outside_its_range_is_refused(self, client):
        problem(client.post("/v1/sweeps", params={"limit": 0}), 422, "validation-error")


class TestConditions:
    """A step the state allows but a condition refuses is a 409 naming the condition."""

    def test_the_system_waits_for_the_deadline(self, cards, clock):
        card_id = cards.in_state(State.COLLECTED)
        clock.advance(days=299)
        body = problem(
            cards.step(card_id, "report_lost", "system", {"deadline_expired": "activation_window"}),
            409,
            "condition-not-met",
        )
        assert (body["card_id"], body["condition"], body["state"]) == (
            card_id,
            "deadline_not_reached",
            "collected",
        )
        assert "activation_window (300 days" in body["detail"]

    def test_one_live_card_per_person(self, cards):
        person = {"name": "Li Lei", "id_number": "11010519491231002X"}
        first = cards.apply(applicant=person).json()["card_id"]
        before = cards.snapshot()
        body = problem(cards.apply(applicant=person), 409, "condition-not-met")
        assert (body["condition"], body["holder"], body["card_id"]) == (
            "one_live_card",
            first,
            None,
        )
        assert person["id_number"] not in body["detail"]
        assert cards.snapshot() == before

    def test_the_financial_function_is_activated_once(self, cards):
        card_id = cards.in_state(State.ACTIVATED)
        body = problem(
            cards.step(card_id, "activate_financial", "bank_outlet", BANK),
            409,
            "condition-not-met",
        )
        assert body["condition"] == "financial_function_active"


class TestLossAndReissue:
    """A temporary report lifted, a formal one reissued, a card cancelled, over HTTP."""

    def test_a_lifted_report_goes_back_with_its_deadline(self, cards, clock):
        card_id = cards.in_state(State.COLLECTED)
        due = cards.client.get(f"/v1/cards/{card_id}").json()["due_at"]
        lost = cards.step(card_id, "report_temporary_loss", "card_center", {"valid_id": True})
        assert lost.json()["due_at"] != due
        clock.advance(days=1)
        lifted = cards.step(
            card_id, "lift_loss", "hotline_12333", {"operator_identity_check": True}
        )
        assert (lifted.json()["state"], lifted.json()["due_at"]) == ("collected", due)

    def test_reissue_links_both_cards(self, cards, client):
        card_id = cards.in_state(State.REPORTED_LOST)
        response = cards.step(card_id, "reissue", "bank_outlet", {"valid_id": True, "photo": True})
        assert response.status_code == 200, response.text
        lost = response.json()
        assert (lost["state"], lost["allowed_events"]) == ("replaced", [])
        replacement = client.get(f"/v1/cards/{lost['replaced_by']}").json()
        assert replacement["state"] == "reviewed"
        opened = client.get(f"/v1/cards/{lost['replaced_by']}/history").json()["entries"][0]
        assert opened["event"] == "reissue"
        assert opened["evidence"] == {"replaces": card_id}
        reissued = client.get(f"/v1/cards/{card_id}/history").json()["entries"][-1]
        assert reissued["evidence"]["replaced_by"] == lost["replaced_by"]
        assert reissued["evidence"]["payment_slip"].startswith("PS-")
        assert reissued["subject"] == opened["subject"]

    def test_a_cancelled_card_frees_its_person(self, cards):
        person = {"name": "Li Lei", "id_number": "11010519491231002X"}
        card_id = cards.apply(applicant=person).json()["card_id"]
        cancelled = cards.step(
            card_id,
            "cancel",
            "card_center",
            {"cancellation_reason": "moved_out_of_province", "cancellation_proof": True},
        )
        assert cancelled.json()["state"] == "cancelled"
        again = cards.apply(applicant=person, evidence=dict(APPLICATION))
        assert again.status_code == 201, again.text

    def test_the_hotline_takes_no_formal_report(self, cards):
        card_id = cards.in_state(State.ACTIVATED)
        body = problem(
            cards.step(card_id, "report_lost", "hotline_12333", {"operator_identity_check": True}),
            422,
            "channel-not-allowed",
        )
        assert body["allowed_channels"] == ["card_center", "bank_outlet", "system"]


def test_due_times_follow_the_policy(cards, clock):
    card_id = cards.in_state(State.PRODUCED)
    due = cards.client.get(f"/v1/cards/{card_id}").json()["due_at"]
    assert due.startswith(str((clock.now + timedelta(days=180)).date()))


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


class TestClaimedTimes:
    """A claimed ``occurred_at`` is taken at most ``backdating_hours`` back (72 by default)
    and cannot move a deadline: deadlines run from when cardflow recorded the step."""

    def test_a_step_dated_further_back_is_refused_naming_the_window(self, cards, clock):
        card_id = cards.in_state(State.REVIEWED)
        before = cards.snapshot(card_id)
        body = problem(
            cards.step(
                card_id,
                "produce",
                "issuing_bank",
                {"production_batch": "B-2026-03"},
                occurred_at=_moment(clock.now - timedelta(days=400)),
            ),
            422,
            "invalid-request",
        )
        assert "at most 72 hours back" in body["detail"], body["detail"]
        assert "backdating_hours" in body["detail"]
        assert cards.snapshot(card_id) == before

    def test_an_application_dated_further_back_opens_no_card(self, cards, clock):
        before = cards.snapshot()
        response = cards.apply(occurred_at=_moment(clock.now - timedelta(hours=73)))
        assert "at most 72 hours back" in problem(response, 422, "invalid-request")["detail"]
        assert cards.snapshot() == before

    def test_a_step_dated_back_within_the_window_starts_its_deadline_now(self, cards, clock):
        back = _moment(clock.now - timedelta(hours=70))
        card_id = cards.apply(occurred_at=back).json()["card_id"]
        for event, channel, evidence in (
            ("review", "card_center", {"information_checked": True}),
            ("produce", "issuing_bank", {"production_batch": "B-2026-03"}),
        ):
            response = cards.step(card_id, event, channel, evidence, occurred_at=back)
            assert response.status_code == 200, response.text
        recorded = cards.client.get(f"/v1/cards/{card_id}/history").json()["entries"][-1]
        assert recorded["occurred_at"] != recorded["recorded_at"]
        due = datetime.fromisoformat(response.json()["due_at"])
        assert due == clock.now + timedelta(days=180)
        problem(
            cards.step(card_id, "return", "system", {"deadline_expired": "collection_window"}),
            409,
            "condition-not-met",
        )

    def test_a_batch_item_dated_further_back_is_refused_alone(self, cards, client_as, clock):
        reviewed = [cards.in_state(State.REVIEWED) for _ in range(2)]
        bank = client_as(Role.CLERK, [Channel.ISSUING_BANK], name="bank")
        items = [
            {"card_id": reviewed[0]},
            {"card_id": reviewed[1], "occurred_at": _moment(clock.now - timedelta(days=30))},
        ]
        response = bank.post(
            "/v1/batches",
            json={
                "event": "produce",
                "channel": "issuing_bank",
                "evidence": {"production_batch": "B-2026-11"},
                "items": items,
            },
        )
        assert response.status_code == 200, response.text
        taken, refused = response.json()["items"]
        assert (taken["status"], refused["status"]) == (200, 422)
        assert refused["problem"]["type"].endswith("/invalid-request")
        assert "at most 72 hours back" in refused["problem"]["detail"]

    def test_the_workflow_names_the_window(self, anonymous):
        policy = anonymous.get("/v1/workflow").json()["policy"]
        assert policy["claims"] == {"backdating_hours": 72, "future_minutes": 5}
