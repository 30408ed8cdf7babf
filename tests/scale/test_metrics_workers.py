"""``cardflow serve --workers 2``: the applications its two workers took between them are
all counted by ``/metrics``, whichever worker answers the scrape."""

from __future__ import annotations

from typing import Final

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.scale.load import apply_body
from tests.scale.servers import Server, prepared

pytestmark = pytest.mark.processes

MOST_CONNECTIONS: Final = 64
"""Connections opened, at most, before both workers hold one."""
EACH: Final = 3
"""Applications sent over each connection."""


def applied(text: str) -> float:
    """The applications through the card center a scrape counts as done."""
    wanted = {"event": "apply", "channel": "card_center", "outcome": "done"}
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "cardflow_transitions_total" and sample.labels == wanted
    )


class TestEveryWorkerCounted:
    """Requests spread over two workers; a scrape through each connection, so of each
    worker, counts every one of them, and the counts start again with the server."""

    def test_the_sum_is_what_was_sent(self, sqlite_url, servers, tmp_path):
        token = prepared(sqlite_url)
        server = Server(sqlite_url, tmp_path, workers=2)
        servers.append(server)
        server.start()
        clients: list[httpx.Client] = []
        try:
            while len(server.serving()) < server.workers:
                assert len(clients) < MOST_CONNECTIONS, "one worker took every connection"
                client = httpx.Client(
                    base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
                )
                clients.append(client)
                assert client.get("/healthz").status_code == 200
            assert len(server.serving()) == server.workers
            for _ in range(EACH):
                for client in clients:
                    response = client.post("/v1/cards", json=apply_body())
                    assert response.status_code == 201, response.text
            sent = EACH * len(clients)
            assert [applied(client.get("/metrics").text) for client in clients] == (
                [sent] * len(clients)
            )
        finally:
            for client in clients:
                client.close()
        server.stop()
        server.start()
        with httpx.Client(base_url=server.base, timeout=30) as client:
            assert applied(client.get("/metrics").text) == 0
