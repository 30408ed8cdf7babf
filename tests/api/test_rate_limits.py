"""Each key's writes and expensive reads are counted; past its rate, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ConfigurationError, rate_limits, refusal_bound
from api.errors import RateLimited
from api.limits import DEFAULT_RATES, Kind, Limiter, Rate, kind_of
from ledger.memory import MemoryLedger
from tests.api.conftest import Cards, problem
from workflow.states import Channel, Role, State


@pytest.fixture
def ledger(clock) -> MemoryLedger:
    """The counting happens at the HTTP edge: one ledger backend shows it."""
    return MemoryLedger(clock=clock)


class FakeSeconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def seconds() -> FakeSeconds:
    return FakeSeconds()


@pytest.fixture
def limited(service, keys, audit, seconds) -> Iterator[Callable[..., TestClient]]:
    """Clients of an app whose keys may write 3 and read expensively 2 at once, each
    refilled at 60 a minute (one a second)."""
    limiter = Limiter({Kind.WRITE: Rate(60, 3), Kind.EXPENSIVE: Rate(60, 2)}, clock=seconds)
    app = create_app(service, keys, audit, limiter=limiter)
    opened: list[TestClient] = []

    def client_for(name: str, role: Role = Role.ADMIN) -> TestClient:
        _, token = keys.create(name, role)
        client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        opened.append(client.__enter__())
        return client

    yield client_for
    for client in opened:
        client.__exit__(None, None, None)


def review(client: TestClient, card_id: str):
    body = {"event": "review", "channel": "card_center", "evidence": {"information_checked": True}}
    return client.post(f"/v1/cards/{card_id}/transitions", json=body)


class TestWrites:
    """A burst past the bucket is refused before anything is written; it refills."""

    def test_a_burst_past_the_limit_is_429_then_passes_after_waiting(
        self, limited, cards: Cards, seconds
    ):
        clerk = limited("counter-7")
        made = [Cards(clerk, cards.ledger, cards.clock).apply() for _ in range(3)]
        assert [response.status_code for response in made] == [201, 201, 201]
        size = cards.ledger.tip().size
        refused = Cards(clerk, cards.ledger, cards.clock).apply()
        body = problem(refused, 429, "rate-limited")
        assert refused.headers["retry-after"] == "1"
        assert "write" in body["detail"]
        assert cards.ledger.tip().size == size
        seconds.now += 1
        assert review(clerk, made[0].json()["card_id"]).status_code == 200

    def test_another_key_is_unaffected(self, limited, cards: Cards):
        first, second = limited("counter-7"), limited("counter-8")
        for _ in range(3):
            Cards(first, cards.ledger, cards.clock).apply()
        problem(Cards(first, cards.ledger, cards.clock).apply(), 429, "rate-limited")
        assert Cards(second, cards.ledger, cards.clock).apply().status_code == 201

    def test_the_wait_is_whole_seconds_until_the_next_token(self, seconds):
        limiter = Limiter({Kind.WRITE: Rate(6, 1)}, clock=seconds)  # one each 10 s
        limiter.take("k", Kind.WRITE)
        seconds.now += 2.5
        with pytest.raises(RateLimited) as refused:
            limiter.take("k", Kind.WRITE)
        assert refused.value.retry_after == 8


class TestExpensiveReads:
    """Search, feed, proofs, history with proofs and verify are counted; plain reads not."""

    def test_history_with_proofs_is_counted_without_them_not(self, limited, cards: Cards, seconds):
        supervisor = limited("audit-desk")
        card_id = cards.in_state(State.REVIEWED)
        for _ in range(5):
            assert supervisor.get(f"/v1/cards/{card_id}/history").status_code == 200
            assert supervisor.get(f"/v1/cards/{card_id}").status_code == 200
        proved = f"/v1/cards/{card_id}/history?proofs=true"
        assert [supervisor.get(proved).status_code for _ in range(2)] == [200, 200]
        refused = supervisor.get(proved)
        problem(refused, 429, "rate-limited")
        assert int(refused.headers["retry-after"]) >= 1
        for url in ("/v1/ledger/entries", "/v1/cards", "/v1/ledger/verify"):
            problem(supervisor.get(url), 429, "rate-limited")
        seconds.now += 1
        assert supervisor.get("/v1/ledger/entries").status_code == 200

    @pytest.mark.parametrize(
        ("method", "route", "query", "kind"),
        [
            ("POST", "/v1/cards", {}, Kind.WRITE),
            ("POST", "/v1/batches", {}, Kind.WRITE),
            ("POST", "/v1/sweeps", {}, Kind.WRITE),
            ("GET", "/v1/cards", {}, Kind.EXPENSIVE),
            ("GET", "/v1/ledger/entries", {}, Kind.EXPENSIVE),
            ("GET", "/v1/ledger/entries/{seq}/proof", {}, Kind.EXPENSIVE),
            ("GET", "/v1/ledger/consistency", {}, Kind.EXPENSIVE),
            ("GET", "/v1/ledger/verify", {}, Kind.EXPENSIVE),
            ("GET", "/v1/cards/{card_id}/history", {"proofs": "true"}, Kind.EXPENSIVE),
            ("GET", "/v1/cards/{card_id}/history", {}, None),
            ("GET", "/v1/cards/{card_id}", {}, None),
            ("GET", "/v1/ledger/checkpoint", {}, None),
        ],
    )
    def test_what_each_request_counts_as(self, method, route, query, kind):
        assert kind_of(method, route, query) is kind


class TestSettings:
    """The limits come from the environment, with defaults and a way to turn them off."""

    def test_defaults(self, monkeypatch):
        for env in ("CARDFLOW_RATE_WRITES", "CARDFLOW_RATE_EXPENSIVE_READS"):
            monkeypatch.delenv(env, raising=False)
        assert rate_limits() == DEFAULT_RATES

    def test_set_and_off(self, monkeypatch):
        monkeypatch.setenv("CARDFLOW_RATE_WRITES", "600/50")
        monkeypatch.setenv("CARDFLOW_RATE_EXPENSIVE_READS", "off")
        assert rate_limits() == {Kind.WRITE: Rate(600, 50), Kind.EXPENSIVE: None}
        monkeypatch.setenv("CARDFLOW_REFUSAL_NOTES", "off")
        assert refusal_bound().most is None
        monkeypatch.setenv("CARDFLOW_REFUSAL_NOTES", "3/60")
        assert (refusal_bound().most, refusal_bound().window.total_seconds()) == (3, 60)

    @pytest.mark.parametrize("said", ["fast", "0/5", "10", "-1/3", "1.5/2"])
    def test_a_rate_cardflow_cannot_use_stops_it(self, monkeypatch, said):
        monkeypatch.setenv("CARDFLOW_RATE_WRITES", said)
        with pytest.raises(ConfigurationError, match="CARDFLOW_RATE_WRITES"):
            rate_limits()


def test_an_unlimited_app_counts_nothing(client_as, cards: Cards):
    clerk = client_as(Role.CLERK, [Channel.CARD_CENTER])
    for _ in range(40):
        assert Cards(clerk, cards.ledger, cards.clock).apply().status_code == 201
