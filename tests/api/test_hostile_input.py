"""Input no field may hold is a 422 naming the field, on every ledger: nothing written,
nothing echoed, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import APPLICATION, Cards, problem
from tests.people import citizen_id
from workflow.identity import check_character

UNKEPT_TEXT = ("\x00", "\ud800", "\udfff")
"""A NUL (PostgreSQL refuses it) and lone surrogates (no UTF-8 encodes them)."""


def raw_application(client: TestClient, **fields: object) -> httpx.Response:
    """An application sent as JSON text with ``\\uXXXX`` escapes kept as written."""
    body = {
        "applicant": {"name": "Li Lei", "id_number": citizen_id()},
        "channel": "card_center",
        "evidence": dict(APPLICATION),
        **fields,
    }
    text = json.dumps(body, ensure_ascii=True)
    return client.post("/v1/cards", content=text, headers={"Content-Type": "application/json"})


def refused_without_trace(
    client: TestClient, cards: Cards, send: Callable[[], httpx.Response], where: str
) -> None:
    before = (cards.ledger.tip(), list(cards.ledger.heads()))
    response = send()
    body = problem(response, 422, "validation-error")
    assert body["detail"].startswith(where), body["detail"]
    assert "NUL character or a lone surrogate" in body["detail"]
    assert "\\u0000" not in response.text
    assert "\\ud800" not in response.text.lower()
    assert (cards.ledger.tip(), list(cards.ledger.heads())) == before


class TestTextNoFieldMayHold:
    """A NUL or a lone surrogate anywhere a caller writes text is refused at the edge."""

    @pytest.mark.parametrize("bad", UNKEPT_TEXT, ids=["nul", "high", "low"])
    def test_in_a_name(self, client, cards, bad):
        send = lambda: raw_application(  # noqa: E731
            client, applicant={"name": f"Li{bad}Lei", "id_number": citizen_id()}
        )
        refused_without_trace(client, cards, send, "body")

    @pytest.mark.parametrize("bad", UNKEPT_TEXT, ids=["nul", "high", "low"])
    def test_in_an_evidence_key_or_value(self, client, cards, bad):
        for evidence in ({**APPLICATION, f"photo{bad}": True}, {**APPLICATION, "photo": bad}):
            refused_without_trace(
                client, cards, lambda e=evidence: raw_application(client, evidence=e), "body"
            )

    @pytest.mark.parametrize("bad", UNKEPT_TEXT, ids=["nul", "high", "low"])
    def test_in_a_transition(self, client, cards, bad):
        card_id = cards.new()
        body = {
            "event": "review",
            "channel": "card_center",
            "evidence": {"information_checked": bad},
        }
        send = lambda: client.post(  # noqa: E731
            f"/v1/cards/{card_id}/transitions",
            content=json.dumps(body, ensure_ascii=True),
            headers={"Content-Type": "application/json"},
        )
        refused_without_trace(client, cards, send, "body")

    def test_in_a_field_name_the_name_is_not_echoed(self, client, cards):
        send = lambda: raw_application(client, **{"x\ud800": True})  # noqa: E731
        refused_without_trace(client, cards, send, "body")

    def test_in_the_path(self, client, cards):
        refused_without_trace(client, cards, lambda: client.get("/v1/cards/%00"), "path")
        send = lambda: client.get("/v1/cards/a%00b/history")  # noqa: E731
        refused_without_trace(client, cards, send, "path")

    def test_in_a_query(self, client, cards):
        send = lambda: client.get("/v1/cards", params={"region": "44\x000300"})  # noqa: E731
        refused_without_trace(client, cards, send, "query.region")


class TestTimesAtTheEndsOfTheCalendar:
    """A time that has no UTC within the years 1 to 9999 is a 422 naming the field."""

    @pytest.mark.parametrize(
        "moment", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"], ids=["1", "9999"]
    )
    def test_when_a_step_happened(self, client, cards, moment):
        before = cards.ledger.tip()
        body = problem(raw_application(client, occurred_at=moment), 422, "validation-error")
        assert body["detail"].startswith("body.occurred_at"), body["detail"]
        assert cards.ledger.tip() == before

    @pytest.mark.parametrize(
        ("name", "moment"),
        [
            ("opened_from", "0001-01-01T00:00:00+23:59"),
            ("opened_before", "9999-12-31T23:59:59-23:59"),
            ("updated_from", "0001-01-01T00:00:00+01:00"),
            ("updated_before", "9999-12-31T23:30:00-01:00"),
        ],
    )
    def test_in_a_search(self, client, name, moment):
        body = problem(client.get("/v1/cards", params={name: moment}), 422, "validation-error")
        assert body["detail"].startswith(f"query.{name}"), body["detail"]


class TestBeforeBirth:
    """A step cannot happen before its applicant was born."""

    def test_an_application_dated_before_the_applicants_birth(self, client, cards):
        """A child born today (in China), the application dated yesterday: within the
        window a channel may date a step back, but before the birth."""
        before = cards.ledger.tip()
        first17 = "11010520260302001"
        newborn = {"name": "Li Xiao", "id_number": first17 + check_character(first17)}
        response = raw_application(
            client, applicant=newborn, occurred_at="2026-03-01T12:00:00+08:00"
        )
        body = problem(response, 422, "invalid-request")
        assert "before the applicant's date of birth" in body["detail"]
        assert cards.ledger.tip() == before

    def test_an_application_dated_a_century_back(self, client, cards):
        before = cards.ledger.tip()
        response = raw_application(client, occurred_at="1901-01-01T00:00:00Z")
        body = problem(response, 422, "invalid-request")
        assert "at most 72 hours back" in body["detail"]
        assert cards.ledger.tip() == before
