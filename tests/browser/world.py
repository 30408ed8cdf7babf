"""A desk to test: ``cardflow serve`` on a fresh SQLite file, its keys made with the CLI,
and cards moved through the HTTP API the way the channels' own systems would."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx2 as httpx

from tests.api.conftest import APPLICATION, DETOURS, HAPPY_PATH
from tests.cli.helpers import cardflow
from tests.people import citizen_id
from tests.scale.servers import Server, prepared
from workflow.states import Channel, Event, State

ROOT: Final = Path(__file__).resolve().parents[2]
"""The checkout under test: the server runs its code, not whatever is installed."""

MARKUP: Final = "<script>alert(1)</script>"
"""A key's name is free text, and every entry its holder writes names it as the actor:
the one place a channel's words reach the desk unchecked."""

REVIEW, PRODUCE, COLLECT, ACTIVATE, _ = HAPPY_PATH
(TEMPORARY_LOSS,) = DETOURS[State.TEMPORARILY_LOST][1]
EMPLOYER_LETTER: Final = {
    "unit_letter": "letter_of_introduction",
    "unit_seal": True,
    "person_in_charge_id": True,
}
"""What an employer's batch shows once for every application in it."""
CHECKPOINT_SECONDS: Final = 15.0
"""How long the server may take to sign a checkpoint over what was written."""
BATCHED: Final = 26
"""Cards applied for by one employer's batch: with the three applied one by one, more
than a page of the desk's search for applied cards."""


@dataclass
class Desk:
    """One server and the keys made for it: who signs in, and who moves the cards."""

    server: Server
    supervisor: str
    admin: str
    clerk: str
    markup_clerk: str
    cards: dict[str, str] = field(default_factory=dict)
    """The cards the stories opened, by story."""

    @property
    def url(self) -> str:
        """The database the server serves."""
        return self.server.url

    def ui(self, path: str = "") -> str:
        """The address of a desk page."""
        return f"{self.server.base}/ui{path}"


def open_desk(folder: Path, **settings: str) -> Desk:
    """A server on a new database in ``folder``, started with ``settings`` in its
    environment, and its keys: an admin, a supervisor, and two clerks (one named with
    markup), each made as an operator makes them."""
    url = f"sqlite:///{folder / 'desk.db'}"
    admin = prepared(url)
    keys = {
        "supervisor": _key(url, "desk-supervisor", "supervisor"),
        "clerk": _key(url, "counter-7", "clerk"),
        "markup_clerk": _key(url, MARKUP, "clerk"),
    }
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    server = Server(url, folder, env={"PYTHONPATH": python_path, **settings})
    return Desk(server.start(), admin=admin, **keys)


def _key(url: str, name: str, role: str) -> str:
    made = cardflow("keys", "create", "--database-url", url, "--name", name, "--role", role)
    assert made.exit_code == 0, made.output
    return made.stdout.strip()


class Counter:
    """A channel's system speaking to the API with one clerk's key."""

    def __init__(self, http: httpx.Client, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    @contextmanager
    def at(cls, desk: Desk, token: str) -> Iterator[Counter]:
        """A counter speaking to ``desk`` with ``token`` until the block ends."""
        with httpx.Client(base_url=desk.server.base, timeout=10) as http:
            yield cls(http, token)

    def apply(self) -> str:
        """A new card for a new person, applied at the card center."""
        body = {
            "applicant": {"name": "Li Lei", "id_number": citizen_id()},
            "channel": str(Channel.CARD_CENTER),
            "evidence": dict(APPLICATION),
        }
        answer = self.http.post("/v1/cards", json=body, headers=self.headers)
        assert answer.status_code == 201, answer.text
        card_id: str = answer.json()["card_id"]
        return card_id

    def apply_together(self, count: int) -> list[str]:
        """``count`` new cards for new people, applied as one employer's batch."""
        body = {
            "event": str(Event.APPLY),
            "channel": str(Channel.EMPLOYER),
            "evidence": EMPLOYER_LETTER,
            "items": [
                {
                    "applicant": {"name": "Han Meimei", "id_number": citizen_id()},
                    "evidence": dict(APPLICATION),
                }
                for _ in range(count)
            ],
        }
        answer = self.http.post("/v1/batches", json=body, headers=self.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == count, answer.text
        return [item["card_id"] for item in answer.json()["items"]]

    def step(
        self,
        card_id: str,
        step: tuple[Event, Channel, Mapping[str, object], object],
        *,
        status: int = 200,
    ) -> int | None:
        """Take ``step`` (event, channel, evidence, state reached), answered ``status``;
        the entry it wrote, if accepted."""
        event, channel, evidence, _ = step
        body = {"event": str(event), "channel": str(channel), "evidence": dict(evidence)}
        answer = self.http.post(f"/v1/cards/{card_id}/transitions", json=body, headers=self.headers)
        assert answer.status_code == status, answer.text
        last: int | None = answer.json()["last_seq"] if status == 200 else None
        return last


def checkpointed(http: httpx.Client, size: int) -> None:
    """Wait until a signed checkpoint covers the first ``size`` entries, so that every
    one of them has a proof to show (the server signs one when it is asked for the
    latest and one is due)."""
    deadline = time.monotonic() + CHECKPOINT_SECONDS
    while True:
        answer = http.get("/v1/ledger/checkpoint", headers={"Accept": "application/json"})
        if answer.status_code == 200 and answer.json()["size"] >= size:
            return
        assert time.monotonic() < deadline, f"no checkpoint of {size} entries: {answer.text}"
        time.sleep(0.2)


def tell_stories(desk: Desk) -> dict[str, str]:
    """Cards in several states, through the API; their ids by story:

    * ``activated``: produced before its review (refused: not allowed from applied,
      noted on its record), then reviewed, produced, collected and activated;
    * ``produced``: waiting to be collected, its collection window running;
    * ``temporarily-lost``: collected, then reported lost by phone, a report that lapses
      within days (the nearest deadline);
    * ``applied-1`` .. ``applied-3``: waiting for their review, as do the ``BATCHED``
      cards of an employer's batch (``batched-1`` ..);
    * ``markup``: applied, produced before its review (refused), and reviewed, all by
      the clerk whose key is named with markup.
    """
    with httpx.Client(base_url=desk.server.base, timeout=10) as http:
        counter = Counter(http, desk.clerk)
        cards = {"activated": counter.apply()}
        counter.step(cards["activated"], PRODUCE, status=409)
        for step in (REVIEW, PRODUCE, COLLECT, ACTIVATE):
            counter.step(cards["activated"], step)
        cards["produced"] = counter.apply()
        for step in (REVIEW, PRODUCE):
            counter.step(cards["produced"], step)
        cards["temporarily-lost"] = counter.apply()
        for step in (REVIEW, PRODUCE, COLLECT, TEMPORARY_LOSS):
            counter.step(cards["temporarily-lost"], step)
        for n in range(1, 4):
            cards[f"applied-{n}"] = counter.apply()
        for n, card_id in enumerate(counter.apply_together(BATCHED), start=1):
            cards[f"batched-{n}"] = card_id
        marked = Counter(http, desk.markup_clerk)
        cards["markup"] = marked.apply()
        marked.step(cards["markup"], PRODUCE, status=409)
        last = marked.step(cards["markup"], REVIEW)
        assert last is not None
        checkpointed(http, last)
    desk.cards.update(cards)
    return cards
