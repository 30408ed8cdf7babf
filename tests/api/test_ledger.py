"""``/v1/ledger``: the feed in sequence order, and the verification report."""

from __future__ import annotations

import pytest

from ledger.verify import Problem, Report
from workflow.states import State


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
    """Verification answers 200 with a report, whether or not the ledger is intact."""

    def test_an_intact_ledger_verifies(self, cards, client, audit):
        cards.in_state(State.ACTIVATED)
        cards.new()
        audit.checkpoint()
        response = client.get("/v1/ledger/verify")
        assert response.status_code == 200
        assert response.json() == {
            "ok": True,
            "entries": audit.ledger.tip().size,
            "cards": 2,
            "checkpoints": 1,
            "first_bad_seq": None,
            "problems": [],
        }

    def test_an_empty_ledger_verifies(self, client):
        assert client.get("/v1/ledger/verify").json()["ok"] is True

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
        response = client.get("/v1/ledger/verify")
        assert response.status_code == 200
        assert response.json() == {
            "ok": False,
            "entries": 3,
            "cards": 1,
            "checkpoints": 0,
            "first_bad_seq": 2,
            "problems": [
                {"seq": 2, "what": "entry 2 was altered: its contents do not match its hash"},
                {"seq": None, "what": "card x has entries but no head"},
            ],
        }
