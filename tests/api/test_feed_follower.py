"""A follower of ``GET /v1/ledger/entries`` never skips an entry, whatever the writers do.

The ledger reads its clock inside the append transaction, once it holds the tip: a clock
that stops there holds a writer mid-commit, with its sequence number taken and nothing
committed. A second, fast writer then tries to commit behind it, while a follower polls
the feed over HTTP. If the fast writer could commit seq N+2 before the slow one commits
N+1, a follower reading in between would move past N+1 and never see it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import MemoryKeys
from ledger.audit import Audit
from ledger.memory import MemoryLedger
from ledger.sql import SqlLedger
from ledger.store import Ledger
from tests.api.conftest import APPLICATION
from tests.people import citizen_id
from workflow.service import CardService
from workflow.states import Role

WAIT = 20.0
"""The most any step of the test waits, so that a broken guarantee fails, never hangs."""


class StoppableClock:
    """The real time; once armed, the next reading waits until it is released."""

    def __init__(self) -> None:
        self._armed = False
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        self.released = threading.Event()

    def arm(self) -> None:
        with self._lock:
            self._armed = True

    def __call__(self) -> datetime:
        with self._lock:
            stop, self._armed = self._armed, False
        if stop:
            self.stopped.set()
            assert self.released.wait(WAIT), "the slow writer was never released"
        return datetime.now(UTC)


@pytest.fixture
def clock_in_ledger() -> StoppableClock:
    return StoppableClock()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stoppable(request, clock_in_ledger) -> Iterator[Ledger]:
    """A ledger on every adapter whose in-transaction clock the test can stop."""
    if request.param == "memory":
        yield MemoryLedger(clock=clock_in_ledger)
        return
    store = SqlLedger(request.getfixturevalue(f"{request.param}_url"), clock=clock_in_ledger)
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture
def api(stoppable) -> Iterator[tuple[TestClient, dict[str, str]]]:
    keys = MemoryKeys()
    _, token = keys.create("feed-test", Role.ADMIN, None)
    with TestClient(create_app(CardService(stoppable), keys, Audit(stoppable))) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def review(client: TestClient, auth: dict[str, str], card_id: str, done: list[str]) -> None:
    response = client.post(
        f"/v1/cards/{card_id}/transitions",
        json={
            "event": "review",
            "channel": "card_center",
            "evidence": {"information_checked": True},
        },
        headers=auth,
    )
    assert response.status_code == 200, response.text
    done.append(card_id)


def test_a_slow_writer_cannot_be_overtaken(api, clock_in_ledger: StoppableClock):
    client, auth = api
    slow_card, fast_card = (
        client.post(
            "/v1/cards",
            json={
                "applicant": {"name": "Li Lei", "id_number": citizen_id()},
                "channel": "card_center",
                "evidence": APPLICATION,
            },
            headers=auth,
        ).json()["card_id"]
        for _ in range(2)
    )
    after = client.get("/v1/ledger/entries", params={"after": 0}, headers=auth).json()["next_after"]
    assert after == 2

    done: list[str] = []
    clock_in_ledger.arm()
    slow = threading.Thread(target=review, args=(client, auth, slow_card, done))
    slow.start()
    assert clock_in_ledger.stopped.wait(WAIT), "the slow writer never reached its commit"
    fast = threading.Thread(target=review, args=(client, auth, fast_card, done))
    fast.start()

    seen: list[int] = []
    for _ in range(10):
        page = client.get("/v1/ledger/entries", params={"after": after}, headers=auth).json()
        seen += [entry["seq"] for entry in page["entries"]]
        after = page["next_after"]
        time.sleep(0.03)
    assert seen == [], "the feed showed an entry while an earlier one was still uncommitted"
    assert done == [], "the fast writer committed while the slow one held its place"

    clock_in_ledger.released.set()
    slow.join(WAIT)
    fast.join(WAIT)
    assert not slow.is_alive()
    assert not fast.is_alive()
    assert sorted(done) == sorted([slow_card, fast_card])

    deadline = time.monotonic() + WAIT
    while len(seen) < 2 and time.monotonic() < deadline:
        page = client.get("/v1/ledger/entries", params={"after": after}, headers=auth).json()
        seen += [entry["seq"] for entry in page["entries"]]
        after = page["next_after"]
    assert seen == [3, 4]
    (third, fourth) = client.get("/v1/ledger/entries", params={"after": 2}, headers=auth).json()[
        "entries"
    ]
    assert (third["card_id"], fourth["card_id"]) == (slow_card, fast_card)
