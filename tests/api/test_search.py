"""``GET /v1/cards``: supervisors' search, with stable cursor pagination."""

from __future__ import annotations

import base64
from dataclasses import fields
from datetime import timedelta

import pytest

from api.cards.search import CRITERIA
from tests.api.conftest import MEMORY_ONLY, Cards, problem
from workflow.service import Search, SearchPage
from workflow.states import Channel, Role, State


@pytest.fixture
def supervisor(client_as):
    return client_as(Role.SUPERVISOR, name="audit-desk")


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [card["card_id"] for card in response.json()["cards"]]


class TestFilters:
    def test_by_state(self, cards: Cards, supervisor):
        applied, reviewed, collected = (
            cards.in_state(state) for state in (State.APPLIED, State.REVIEWED, State.COLLECTED)
        )
        assert ids(supervisor.get("/v1/cards")) == [applied, reviewed, collected]
        assert ids(supervisor.get("/v1/cards", params={"state": "reviewed"})) == [reviewed]
        both = supervisor.get("/v1/cards", params=[("state", "applied"), ("state", "collected")])
        assert ids(both) == [applied, collected]

    def test_by_channel(self, cards: Cards, supervisor):
        by_counter = cards.in_state(State.APPLIED)
        by_bank = cards.apply(channel="bank_outlet").json()["card_id"]
        assert ids(supervisor.get("/v1/cards", params={"channel": "bank_outlet"})) == [by_bank]
        assert ids(supervisor.get("/v1/cards", params={"channel": "card_center"})) == [by_counter]

    def test_by_financial_function(self, cards: Cards, supervisor):
        at_bank = cards.in_state(State.ACTIVATED)
        collected = cards.in_state(State.COLLECTED)
        at_hotline = cards.in_state(State.COLLECTED)
        response = cards.step(
            at_hotline, "activate", "hotline_12333", {"operator_identity_check": True}
        )
        assert response.status_code == 200, response.text
        active = supervisor.get("/v1/cards", params={"financial": "active"})
        assert ids(active) == [at_bank]
        inactive = supervisor.get(
            "/v1/cards", params={"financial": "inactive", "state": "activated"}
        )
        assert ids(inactive) == [at_hotline]
        assert collected in ids(supervisor.get("/v1/cards", params={"financial": "inactive"}))

    def test_by_region(self, cards: Cards, supervisor):
        card_id = cards.new()
        (found,) = supervisor.get("/v1/cards", params={"region": "default"}).json()["cards"]
        assert (found["card_id"], found["region"]) == (card_id, "default")
        assert ids(supervisor.get("/v1/cards", params={"region": "440300"})) == []

    def test_by_dates(self, cards: Cards, supervisor, clock):
        early = cards.new()
        clock.advance(days=2)
        late = cards.in_state(State.REVIEWED)
        cut = (clock.now - timedelta(days=1)).isoformat()
        assert ids(supervisor.get("/v1/cards", params={"opened_before": cut})) == [early]
        assert ids(supervisor.get("/v1/cards", params={"opened_from": cut})) == [late]
        assert ids(supervisor.get("/v1/cards", params={"updated_from": cut})) == [late]
        (card,) = supervisor.get("/v1/cards", params={"updated_before": cut}).json()["cards"]
        assert card["opened_at"] == card["updated_at"]
        assert card["opened_at"].endswith("Z")


class TestPages:
    def test_pages_are_stable_while_cards_are_opened(self, cards: Cards, supervisor):
        opened = [cards.new() for _ in range(5)]
        first = supervisor.get("/v1/cards", params={"limit": 2}).json()
        assert [c["card_id"] for c in first["cards"]] == opened[:2]
        opened.append(cards.new())
        seen = [c["card_id"] for c in first["cards"]]
        cursor = first["next_cursor"]
        while cursor is not None:
            page = supervisor.get("/v1/cards", params={"limit": 2, "cursor": cursor}).json()
            seen += [c["card_id"] for c in page["cards"]]
            cursor = page["next_cursor"]
        assert seen == opened

    def test_the_last_page_says_so(self, cards: Cards, supervisor):
        cards.new()
        cards.new()
        assert supervisor.get("/v1/cards", params={"limit": 2}).json()["next_cursor"] is None
        assert supervisor.get("/v1/cards", params={"limit": 1}).json()["next_cursor"]


@MEMORY_ONLY
class TestRefused:
    @pytest.mark.parametrize(
        "cursor",
        ["not-base64!", base64.urlsafe_b64encode(b"opened:-1").decode(), "b3BlbmVkOg=="],
    )
    def test_a_cursor_cardflow_never_gave(self, supervisor, cursor):
        response = supervisor.get("/v1/cards", params={"cursor": cursor})
        assert "cursor" in problem(response, 422, "invalid-request")["detail"]

    @pytest.mark.parametrize(
        "params",
        [
            {"limit": 0},
            {"limit": 201},
            {"state": "misplaced"},
            {"financial": "maybe"},
            {"opened_from": "2026-03-01T00:00:00"},
        ],
        ids=["limit-0", "limit-201", "unknown-state", "unknown-financial", "naive-time"],
    )
    def test_malformed_queries(self, supervisor, params):
        problem(supervisor.get("/v1/cards", params=params), 422, "validation-error")

    def test_clerks_do_not_list_cards(self, client_as):
        pharmacy = client_as(Role.CLERK, [Channel.PHARMACY])
        body = problem(pharmacy.get("/v1/cards"), 403, "not-permitted")
        assert "the clerk role may not search every card" in body["detail"]
        assert body["capability"] == "search"
        assert body["may_read"] == ["card"]

    def test_anonymous_callers_do_not_list_cards(self, anonymous):
        problem(anonymous.get("/v1/cards"), 401, "unauthenticated")


class TestCriteria:
    """The route takes exactly the fields of ``Search``, one query parameter each."""

    def test_every_field_of_search_has_its_parameter(self):
        assert list(CRITERIA) == [field.name for field in fields(Search)]

    @MEMORY_ONLY
    def test_the_openapi_parameters_are_the_criteria(self, client):
        operation = client.get("/openapi.json").json()["paths"]["/v1/cards"]["get"]
        queried = [p["name"] for p in operation["parameters"] if p["in"] == "query"]
        assert queried == [criterion.name for criterion in CRITERIA.values()]
        assert all(p["description"] for p in operation["parameters"])

    @MEMORY_ONLY
    def test_no_criterion_means_the_search_s_defaults(self, service, supervisor, monkeypatch):
        asked: list[Search] = []

        def search(wanted: Search) -> SearchPage:
            asked.append(wanted)
            return SearchPage(found=[], after=None)

        monkeypatch.setattr(service, "search", search)
        assert supervisor.get("/v1/cards").status_code == 200
        assert asked == [Search()]
