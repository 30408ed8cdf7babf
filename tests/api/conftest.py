"""The API under test: a client over the use cases on every ledger backend, and a helper."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.access import Capability
from api.app import create_app
from api.keys import MemoryKeys
from ledger.store import Ledger
from tests.conftest import FakeClock
from tests.people import citizen_id
from workflow.definition import RULES
from workflow.rules import allowed_events
from workflow.states import Channel, Event, Role, State

NAME = "Li Lei"
ID_NUMBER = "11010519491231002X"
BAD_CHECK_ID_NUMBER = "110105194912310021"

APPLICATION: Mapping[str, object] = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}

HAPPY_PATH: tuple[tuple[Event, Channel, Mapping[str, object], State], ...] = (
    (Event.REVIEW, Channel.CARD_CENTER, {"information_checked": True}, State.REVIEWED),
    (Event.PRODUCE, Channel.ISSUING_BANK, {"production_batch": "B-2026-03"}, State.PRODUCED),
    (
        Event.COLLECT,
        Channel.CARD_CENTER,
        {"collection_notice": "acceptance_receipt", "valid_id": True},
        State.COLLECTED,
    ),
    (
        Event.ACTIVATE,
        Channel.BANK_OUTLET,
        {"card_presented": True, "original_id": True, "initial_pin_changed": True},
        State.ACTIVATED,
    ),
    (
        Event.REPORT_LOST,
        Channel.CARD_CENTER,
        {"valid_id": True},
        State.REPORTED_LOST,
    ),
)
"""Every step from applied to reported lost, with the evidence its rule requires."""

DETOURS: Mapping[
    State, tuple[State, tuple[tuple[Event, Channel, Mapping[str, object], float], ...]]
] = {
    State.REJECTED: (
        State.APPLIED,
        ((Event.REJECT, Channel.CARD_CENTER, {"rejection_reason": "form_incomplete"}, 0),),
    ),
    State.RETURNED: (
        State.PRODUCED,
        ((Event.RETURN, Channel.SYSTEM, {"deadline_expired": "collection_window"}, 181),),
    ),
    State.TEMPORARILY_LOST: (
        State.COLLECTED,
        (
            (
                Event.REPORT_TEMPORARY_LOSS,
                Channel.HOTLINE_12333,
                {"operator_identity_check": True},
                0,
            ),
        ),
    ),
    State.REPLACED: (
        State.REPORTED_LOST,
        ((Event.REISSUE, Channel.CARD_CENTER, {"valid_id": True, "photo": True}, 0),),
    ),
    State.CANCELLED: (
        State.APPLIED,
        (
            (
                Event.CANCEL,
                Channel.CARD_CENTER,
                {"cancellation_reason": "death", "cancellation_proof": True},
                0,
            ),
        ),
    ),
}
"""The states off the happy path: where to leave it, then each step with the days to
wait before it."""

MEMORY_ONLY = pytest.mark.parametrize("ledger", ["memory"], indirect=True)
"""For tests of the HTTP layer alone, where every ledger backend would behave the same."""


class Cards:
    """Speaks the HTTP contract the way a counter system would."""

    def __init__(self, client: TestClient, ledger: Ledger, clock: FakeClock) -> None:
        self.client = client
        self.ledger = ledger
        self.clock = clock

    def apply(self, **overrides: Any) -> httpx.Response:
        """Apply for a card; each call is for a new person unless ``applicant`` says who."""
        body: dict[str, Any] = {
            "applicant": {
                "name": NAME,
                "id_number": citizen_id(),
                "contact_number": "13800000000",
            },
            "channel": "card_center",
            "evidence": dict(APPLICATION),
            **overrides,
        }
        return self.client.post("/v1/cards", json=body)

    def new(self) -> str:
        response = self.apply()
        assert response.status_code == 201, response.text
        return str(response.json()["card_id"])

    def step(
        self,
        card_id: str,
        event: str,
        channel: str,
        evidence: Mapping[str, object],
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body = {"event": event, "channel": channel, "evidence": dict(evidence), **extra}
        return self.client.post(f"/v1/cards/{card_id}/transitions", json=body, headers=headers)

    def in_state(self, state: State) -> str:
        """A new card moved along the happy path, or off it (``DETOURS``), into ``state``."""
        start, detour = DETOURS.get(state, (state, ()))
        card_id = self.new()
        for event, channel, evidence, reached in HAPPY_PATH:
            if start is State.APPLIED:
                break
            self._take(card_id, event, channel, evidence)
            if reached is start:
                break
        for event, channel, evidence, wait in detour:
            self.clock.advance(days=wait)
            self._take(card_id, event, channel, evidence)
        return card_id

    def _take(
        self, card_id: str, event: Event, channel: Channel, evidence: Mapping[str, object]
    ) -> None:
        response = self.step(card_id, event, channel, evidence)
        assert response.status_code == 200, response.text

    def snapshot(self, card_id: str | None = None) -> tuple[object, ...]:
        """Everything a refused request must leave untouched: every transition written,
        and the card's head. (A refusal is noted on the card's record; that moves nothing.)"""
        moves = tuple(entry for entry in self.ledger.scan() if getattr(entry, "moves", True))
        if card_id is None:
            return (moves,)
        return (moves, self.ledger.head(card_id))


@pytest.fixture
def keys(clock) -> MemoryKeys:
    return MemoryKeys(clock=clock)


@pytest.fixture
def app(service, keys, audit):
    return create_app(service, keys, audit)


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:
    """A client that sends no credentials."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client_as(app, keys) -> Iterator[Callable[..., TestClient]]:
    """Clients holding a fresh key of the role (and channels, and reads) asked for."""
    opened: list[TestClient] = []

    def make(
        role: Role,
        channels: Iterable[Channel] | None = None,
        name: str = "tests",
        reads: Iterable[Capability] | None = None,
    ):
        _, token = keys.create(name, role, channels, reads)
        client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_as) -> TestClient:
    """An administrator's client: every channel, every read."""
    return client_as(Role.ADMIN, name="tests-admin")


@pytest.fixture
def cards(client, service, clock) -> Cards:
    return Cards(client, service.ledger, clock)


def application_body() -> dict[str, Any]:
    """A card-center application for a person of its own, as a bank's system would send."""
    return {
        "applicant": {"name": "Li Lei", "id_number": citizen_id()},
        "channel": "card_center",
        "evidence": dict(APPLICATION),
    }


def apply_card(client: TestClient) -> str:
    """Apply for a card through ``client``; its id."""
    response = client.post("/v1/cards", json=application_body())
    assert response.status_code == 201, response.text
    return str(response.json()["card_id"])


def review_card(client: TestClient, card_id: str) -> None:
    """Take the card the first step of the happy path."""
    event, channel, evidence, _ = HAPPY_PATH[0]
    body = {"event": event, "channel": channel, "evidence": dict(evidence)}
    response = client.post(f"/v1/cards/{card_id}/transitions", json=body)
    assert response.status_code == 200, response.text


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """The body of ``response``, once it is shown to be the RFC 9457 problem expected."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://cardflow.dev/problems/{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def allowed_now(state: State) -> list[dict[str, Any]]:
    """What a card in ``state`` lists as allowed, worked out from the definition table."""
    return [
        {
            "event": event,
            "channels": [
                rule.channel
                for rule in RULES
                if rule.event is event and (rule.only_from is None or state in rule.only_from)
            ],
        }
        for event in allowed_events(state)
    ]


def verified(client: TestClient, *, within: float = 30.0) -> dict[str, Any]:
    """Start the server's whole-ledger check and wait for its result (``within`` seconds
    at most): the body ``GET /v1/ledger/verify`` then serves."""
    started = client.post("/v1/ledger/verify")
    assert started.status_code == 202, started.text
    assert started.headers["location"] == "/v1/ledger/verify"
    waited = 0.0
    while True:
        body: dict[str, Any] = client.get("/v1/ledger/verify").json()
        if body["running_since"] is None and body["started_at"] is not None:
            return body
        assert waited < within, "the check did not finish"
        time.sleep(0.02)
        waited += 0.02
