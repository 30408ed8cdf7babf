"""Many clients at once over HTTP: each request and what came back of it recorded, the
racers for one card version released together."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import httpx2 as httpx

from tests.api.conftest import APPLICATION, HAPPY_PATH, NAME
from tests.people import citizen_id

STEPS: Final = tuple(
    (event, channel, dict(evidence)) for event, channel, evidence, _ in HAPPY_PATH[:4]
)
"""Review, produce, collect, activate: a card's way from applied to activated."""
LAST_STATE: Final = HAPPY_PATH[3][3]
TIMEOUT: Final = 60.0
"""Seconds one request may take: generous, on two cores shared with the servers."""
STALE: Final = "https://cardflow.dev/problems/stale-version"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its answer, or the transport error that took its place."""

    base: str
    path: str
    body: Mapping[str, Any]
    headers: Mapping[str, str]
    status: int | None = None
    answer: Any = None
    text: str = ""
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def key(self) -> str | None:
        return self.headers.get("Idempotency-Key")

    @property
    def event(self) -> str:
        return str(self.body.get("event", "apply"))


def apply_body() -> dict[str, Any]:
    """An application for a person no earlier call named."""
    return {
        "applicant": {"name": NAME, "id_number": citizen_id()},
        "channel": "card_center",
        "evidence": dict(APPLICATION),
    }


def batch_body(items: int) -> dict[str, Any]:
    """An employer's batch of ``items`` applications, each for a new person."""
    unit = {"unit_letter": "letter_of_introduction", "unit_seal": True, "person_in_charge_id": True}
    applications = []
    for _ in range(items):
        alone = apply_body()
        applications.append({"applicant": alone["applicant"], "evidence": alone["evidence"]})
    return {"event": "apply", "channel": "employer", "evidence": unit, "items": applications}


def step_body(step: int) -> dict[str, Any]:
    event, channel, evidence = STEPS[step]
    return {"event": event, "channel": channel, "evidence": evidence}


class Callers:
    """Clients of several servers, one connection pool per thread and server, every
    exchange kept in order of its answer."""

    def __init__(self, bases: Sequence[str], token: str) -> None:
        self.bases = list(bases)
        self._auth = {"Authorization": f"Bearer {token}"}
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients: list[httpx.Client] = []
        self.exchanges: list[Exchange] = []

    def _client(self, base: str) -> httpx.Client:
        clients: dict[str, httpx.Client] = self._local.__dict__.setdefault("clients", {})
        if base not in clients:
            clients[base] = httpx.Client(base_url=base, headers=self._auth, timeout=TIMEOUT)
            with self._lock:
                self._clients.append(clients[base])
        return clients[base]

    def post(
        self,
        server: int,
        path: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        base = self.bases[server % len(self.bases)]
        sent = dict(headers or {})
        try:
            response = self._client(base).post(path, json=body, headers=sent)
        except httpx.TransportError as lost:
            done = Exchange(base, path, body, sent, error=f"{type(lost).__name__}: {lost}")
        else:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            done = Exchange(base, path, body, sent, response.status_code, answer, response.text)
        with self._lock:
            self.exchanges.append(done)
        return done

    def apply(
        self, server: int, *, key: str | None = None, body: Mapping[str, Any] | None = None
    ) -> Exchange:
        return self.post(server, "/v1/cards", body or apply_body(), _keyed(key))

    def batch(self, server: int, items: int, *, key: str) -> Exchange:
        return self.post(server, "/v1/batches", batch_body(items), _keyed(key))

    def move(
        self,
        server: int,
        card_id: str,
        step: int,
        *,
        version: int | None = None,
        key: str | None = None,
    ) -> Exchange:
        headers = _keyed(key)
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return self.post(server, f"/v1/cards/{card_id}/transitions", step_body(step), headers)

    def retry(self, exchange: Exchange) -> Exchange:
        """The same request again, to the server first asked."""
        return self.post(
            self.bases.index(exchange.base), exchange.path, exchange.body, exchange.headers
        )

    def close(self) -> None:
        for client in self._clients:
            client.close()


def _keyed(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Idempotency-Key": key}


def new_key() -> str:
    return str(uuid.uuid4())


def in_pool(count: int, work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """``work`` on every item, ``count`` at a time; each one's result, errors raised."""
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(work, items))


def together(racers: int, send: Callable[[int], Exchange]) -> list[Exchange]:
    """``send(i)`` from ``racers`` clients released at once; their exchanges in order."""
    start = threading.Barrier(racers)

    def one(i: int) -> Exchange:
        start.wait(timeout=TIMEOUT)
        return send(i)

    with ThreadPoolExecutor(racers) as pool:
        return list(pool.map(one, range(racers)))


def race(callers: Callers, card_id: str, step: int, version: int, racers: int) -> list[Exchange]:
    """``racers`` clients, each through the next server, all asking at once for the same
    step at the same version of one card."""
    return together(racers, lambda i: callers.move(i, card_id, step, version=version))
