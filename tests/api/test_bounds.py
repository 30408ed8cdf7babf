"""A long read stops past the server's deadline or when its client leaves; the server
stops promptly when told to."""

from __future__ import annotations

import anyio
import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

import cli.main
from api.app import create_app
from api.bounds import keep_going
from api.config import request_seconds
from api.errors import ClientGone
from ledger.memory import MemoryLedger
from tests.api.conftest import problem
from tests.cli.helpers import cardflow
from workflow.states import Role, State


@pytest.fixture
def ledger(clock) -> MemoryLedger:
    """The bound is kept at the HTTP edge: one ledger backend shows it."""
    return MemoryLedger(clock=clock)


class TestDeadline:
    """Past ``request_seconds`` a long read answers 503 ``work-stopped`` with Retry-After."""

    def test_a_history_with_proofs_past_the_deadline_is_stopped(self, service, keys, audit, cards):
        card_id = cards.in_state(State.REVIEWED)
        _, token = keys.create("audit-desk", Role.SUPERVISOR)
        late = create_app(service, keys, audit, request_seconds=0.0)
        with TestClient(late, headers={"Authorization": f"Bearer {token}"}) as client:
            size = service.ledger.tip().size
            stopped = client.get(f"/v1/cards/{card_id}/history", params={"proofs": True})
            body = problem(stopped, 503, "work-stopped")
            assert stopped.headers["retry-after"] == "1"
            assert "smaller page" in body["detail"]
            assert service.ledger.tip().size == size
            assert client.get(f"/v1/cards/{card_id}/history").status_code == 200

    def test_within_the_deadline_it_answers(self, client, cards):
        card_id = cards.in_state(State.REVIEWED)
        response = client.get(f"/v1/cards/{card_id}/history", params={"proofs": True})
        assert response.status_code == 200

    def test_the_setting(self, monkeypatch):
        monkeypatch.delenv("CARDFLOW_REQUEST_SECONDS", raising=False)
        assert request_seconds() == 30
        monkeypatch.setenv("CARDFLOW_REQUEST_SECONDS", "2.5")
        assert request_seconds() == 2.5
        monkeypatch.setenv("CARDFLOW_REQUEST_SECONDS", "off")
        assert request_seconds() is None


class TestClientGone:
    """A request whose client has closed the connection does no more work."""

    def test_a_closed_connection_stops_the_work(self):
        async def gone() -> dict[str, object]:
            return {"type": "http.disconnect"}

        request = Request({"type": "http", "method": "GET", "path": "/", "headers": []}, gone)

        async def in_a_worker() -> None:
            await anyio.to_thread.run_sync(keep_going, request)

        with pytest.raises(ClientGone):
            anyio.run(in_a_worker)

    def test_a_client_still_there_goes_on(self):
        async def waiting() -> dict[str, object]:
            await anyio.sleep(10)
            return {"type": "http.disconnect"}

        request = Request({"type": "http", "method": "GET", "path": "/", "headers": []}, waiting)

        async def in_a_worker() -> None:
            await anyio.to_thread.run_sync(keep_going, request)

        anyio.run(in_a_worker)


def test_serve_stops_promptly_when_told(monkeypatch, tmp_path):
    """``serve`` lets requests under way finish for a few seconds after SIGTERM, no more."""
    told: dict[str, object] = {}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARDFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'cardflow.db'}")
    monkeypatch.setattr("uvicorn.run", lambda *_, **options: told.update(options))
    result = cardflow("serve")
    assert result.exit_code == 0, result.output
    assert told["timeout_graceful_shutdown"] == cli.main.GRACEFUL_SHUTDOWN_SECONDS <= 10
