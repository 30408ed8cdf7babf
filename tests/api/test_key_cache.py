"""A server remembers the keys it read for a second at most: a revoked key is refused at
once by the server that revoked it and within ``KEY_CACHE_SECONDS`` by any other, and a
request with a remembered key costs the event loop one hand-off to the thread pool."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import ASK_THE_DATABASE, KEY_CACHE_SECONDS, SqlKeys
from ledger.audit import Audit
from ledger.sql import SqlLedger
from tests.api.conftest import APPLICATION, problem
from tests.conftest import SIGNER, FakeClock
from tests.people import citizen_id
from workflow.service import CardService
from workflow.states import Channel, Role


class Ticks:
    """A monotonic clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Server:
    """One server process's share of a database: its own engine, keys, app and client."""

    def __init__(self, url: str, clock: FakeClock, ticks: Ticks | None = None) -> None:
        self.ledger = SqlLedger(url, clock=clock)
        self.ledger.create_schema()
        self.keys = (
            SqlKeys(self.ledger.engine, clock=clock)
            if ticks is None
            else SqlKeys(self.ledger.engine, clock=clock, ticks=ticks)
        )
        service = CardService(self.ledger, clock=clock)
        audit = Audit(self.ledger, clock=clock, signer=SIGNER)
        self.client = TestClient(create_app(service, self.keys, audit)).__enter__()

    def status(self, token: str) -> int:
        bearer = {"Authorization": f"Bearer {token}"}
        return self.client.get("/v1/cards/no-such-card", headers=bearer).status_code

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.ledger.dispose()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def servers(database_url, clock, ticks) -> Iterator[tuple[Server, Server]]:
    """Two servers on one database, the second on the clock the tests move."""
    first, second = Server(database_url, clock), Server(database_url, clock, ticks)
    yield first, second
    first.close()
    second.close()


class TestRevocation:
    """A revoked key is refused at once where it was revoked, within the bound elsewhere."""

    def test_at_once_by_the_server_that_revoked_it(self, servers):
        first, _ = servers
        key, token = first.keys.create("counter", Role.CLERK)
        assert first.status(token) == 404  # admitted: the card is unknown
        first.keys.revoke(key.key_id)
        problem(
            first.client.get(
                "/v1/cards/no-such-card", headers={"Authorization": f"Bearer {token}"}
            ),
            401,
            "unauthenticated",
        )

    def test_within_the_bound_by_another_server(self, servers, ticks):
        first, second = servers
        key, token = first.keys.create("counter", Role.CLERK)
        assert second.status(token) == 404
        first.keys.revoke(key.key_id)
        ticks.now += KEY_CACHE_SECONDS / 4
        assert second.status(token) == 404  # remembered, inside the bound
        ticks.now += KEY_CACHE_SECONDS * 3 / 4
        assert second.status(token) == 401

    def test_within_the_bound_on_the_real_clock(self, database_url, clock):
        first, second = Server(database_url, clock), Server(database_url, clock)
        try:
            key, token = first.keys.create("counter", Role.CLERK)
            assert second.status(token) == 404
            first.keys.revoke(key.key_id)
            revoked = time.monotonic()
            while second.status(token) != 401:
                assert time.monotonic() - revoked <= KEY_CACHE_SECONDS + 0.5
                time.sleep(0.05)
            assert time.monotonic() - revoked <= KEY_CACHE_SECONDS + 0.5
        finally:
            first.close()
            second.close()


class TestNeverASourceOfTruth:
    """The cache only remembers what the database said, and only refuses from it."""

    def test_a_wrong_secret_for_a_remembered_key(self, servers):
        _, second = servers
        key, token = second.keys.create("counter", Role.CLERK)
        assert second.status(token) == 404
        assert second.status(f"cf_{key.key_id}_not-the-secret") == 401
        assert second.status(token[:-1] + ("A" if token[-1] != "A" else "B")) == 401

    def test_a_key_made_here_is_read_from_the_database_first(self, servers):
        _, second = servers
        _, token = second.keys.create("counter", Role.CLERK)
        assert second.keys.recall(token) is ASK_THE_DATABASE
        assert second.status(token) == 404
        assert second.keys.recall(token) is not ASK_THE_DATABASE

    def test_unknown_and_revoked_keys_are_not_remembered(self, servers):
        first, second = servers
        unknown = "cf_000000000000_no-such-secret"
        assert second.status(unknown) == 401
        assert second.keys.recall(unknown) is ASK_THE_DATABASE
        key, token = first.keys.create("counter", Role.CLERK)
        first.keys.revoke(key.key_id)
        assert second.status(token) == 401
        assert second.keys.recall(token) is ASK_THE_DATABASE

    def test_read_again_once_past_the_bound(self, servers, ticks):
        _, second = servers
        _, token = second.keys.create("counter", Role.CLERK)
        assert second.status(token) == 404
        assert second.keys.recall(token) is not ASK_THE_DATABASE
        ticks.now += KEY_CACHE_SECONDS
        assert second.keys.recall(token) is ASK_THE_DATABASE


class TestHandOffs:
    """A write with a remembered key is one hand-off to the thread pool: its use case."""

    def test_apply_and_move_a_card(self, servers, monkeypatch):
        _, second = servers
        _, token = second.keys.create("counter", Role.CLERK, [Channel.CARD_CENTER])
        bearer = {"Authorization": f"Bearer {token}"}
        assert second.status(token) == 404  # the key is read, and remembered
        handed: list[str] = []
        real = anyio.to_thread.run_sync

        async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
            handed.append(getattr(func, "__name__", repr(func)))
            return await real(func, *args, **kwargs)

        monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
        applied = second.client.post(
            "/v1/cards",
            headers=bearer,
            json={
                "applicant": {"name": "Li Lei", "id_number": citizen_id()},
                "channel": "card_center",
                "evidence": dict(APPLICATION),
            },
        )
        assert applied.status_code == 201, applied.text
        assert len(handed) == 1, handed
        moved = second.client.post(
            f"/v1/cards/{applied.json()['card_id']}/transitions",
            headers=bearer,
            json={
                "event": "review",
                "channel": "card_center",
                "evidence": {"information_checked": True},
            },
        )
        assert moved.status_code == 200, moved.text
        assert len(handed) == 2, handed
