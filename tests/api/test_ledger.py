"""``/v1/ledger``: the feed in sequence order, and the verification report."""

from __future__ import annotations

import threading

import pytest

from ledger.verify import Problem, Report
from tests.api.conftest import problem, verified
from workflow.states import Role, State


class TestFeed:
    """The feed pages through the ledger in order; ``next_after`` is where to go on."""

    def test_pages_through_every_entry_in_order(self, cards, client, service):
        cards.in_state(State.COLLECTED)
        cards.in_state(State.REVIEWED)
        seen, after = [], 0
        while True:
            body = client.get("/v1/ledger/entries", params={"after": after, "limit": 2}).json()
            if not body["entries"]:
                assert body["next_after"] == after
                break
            assert len(body["entries"]) <= 2
            assert body["next_after"] == body["entries"][-1]["seq"]
            seen += body["entries"]
            after = body["next_after"]
        assert [entry["seq"] for entry in seen] == list(range(1, service.ledger.tip().size + 1))
        assert seen[-1]["hash"] == service.ledger.tip().hash

    def test_entries_are_the_ones_in_a_cards_history(self, cards, client):
        card_id = cards.in_state(State.PRODUCED)
        feed = client.get("/v1/ledger/entries").json()["entries"]
        history = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        assert feed == history

    def test_starts_at_the_beginning_with_a_page_of_a_hundred(self, cards, client):
        cards.new()
        body = client.get("/v1/ledger/entries").json()
        assert [entry["seq"] for entry in body["entries"]] == [1]
        assert body["next_after"] == 1
        parameters = client.get("/openapi.json").json()["paths"]["/v1/ledger/entries"]["get"]
        limit = next(p for p in parameters["parameters"] if p["name"] == "limit")
        assert (limit["schema"]["default"], limit["schema"]["maximum"]) == (100, 1000)

    def test_an_empty_ledger_reads_empty(self, client):
        assert client.get("/v1/ledger/entries", params={"after": 5}).json() == {
            "entries": [],
            "next_after": 5,
        }

    def test_the_largest_limit_is_accepted(self, cards, client):
        cards.new()
        assert client.get("/v1/ledger/entries", params={"limit": 1000}).status_code == 200

    @pytest.mark.parametrize(
        "params",
        [{"limit": 0}, {"limit": 1001}, {"after": -1}, {"after": "one"}, {"after": 2**63}],
    )
    def test_out_of_range_paging_is_422(self, client, params):
        response = client.get("/v1/ledger/entries", params=params)
        assert response.status_code == 422
        assert response.json()["type"] == "https://cardflow.dev/problems/validation-error"
        assert response.json()["errors"][0]["loc"][0] == "query"


class TestVerify:
    """The whole-ledger check runs in the background, started by a supervisor or an
    administrator; its last result is served without checking again."""

    def test_an_intact_ledger_verifies(self, cards, client, audit):
        cards.in_state(State.ACTIVATED)
        cards.new()
        audit.checkpoint()
        body = verified(client)
        assert body["started_at"] <= body["finished_at"]
        assert body["seconds"] >= 0
        del body["started_at"], body["finished_at"], body["seconds"]
        assert body == {
            "running_since": None,
            "stopped": None,
            "ok": True,
            "entries": audit.ledger.tip().size,
            "cards": 2,
            "checkpoints": 1,
            "first_bad_seq": None,
            "problems": [],
        }

    def test_an_empty_ledger_verifies(self, client):
        assert verified(client)["ok"] is True

    def test_before_any_run_there_is_no_result(self, client):
        body = client.get("/v1/ledger/verify").json()
        assert (body["started_at"], body["ok"], body["running_since"]) == (None, None, None)

    def test_the_result_is_served_not_recomputed(self, cards, client, audit, monkeypatch):
        cards.new()
        first = verified(client)
        monkeypatch.setattr(audit, "verify", lambda **_: pytest.fail("checked again"))
        for _ in range(3):
            assert client.get("/v1/ledger/verify").json() == first

    def test_one_run_at_a_time(self, app, client, audit, monkeypatch):
        release = threading.Event()
        runs: list[int] = []

        def slow(**_: object) -> Report:
            runs.append(1)
            release.wait(10)
            return Report(entries=0, cards=0, problems=())

        monkeypatch.setattr(audit, "verify", slow)
        first = client.post("/v1/ledger/verify")
        second = client.post("/v1/ledger/verify")
        assert (first.status_code, second.status_code) == (202, 202)
        assert second.json()["running_since"] == first.json()["running_since"] is not None
        release.set()
        body = verified(client)
        assert body["ok"] is True
        assert len(runs) == 2  # the one running, then the one ``verified`` started

    @pytest.mark.parametrize("role", [Role.CLERK, Role.SYSTEM])
    def test_only_supervisors_and_administrators_verify(self, client_as, role):
        caller = client_as(role, name="not-an-auditor")
        problem(caller.post("/v1/ledger/verify"), 403, "not-permitted")
        problem(caller.get("/v1/ledger/verify"), 403, "not-permitted")

    def test_a_damaged_ledger_is_reported_not_raised(self, client, audit, monkeypatch):
        damaged = Report(
            entries=3,
            cards=1,
            checkpoints=0,
            problems=(
                Problem(2, "entry 2 was altered: its contents do not match its hash"),
                Problem(None, "card x has entries but no head"),
            ),
        )
        monkeypatch.setattr(audit, "verify", lambda **_: damaged)
        body = verified(client)
        assert (body["ok"], body["first_bad_seq"]) == (False, 2)
        assert body["problems"] == [
            {"seq": 2, "what": "entry 2 was altered: its contents do not match its hash"},
            {"seq": None, "what": "card x has entries but no head"},
        ]
