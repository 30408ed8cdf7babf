"""Several server processes writing one database at once, over HTTP: racers for one card
version, one winner each; writers of different cards, all accepted; and after it all a
gapless ledger that checks out whole."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.scale.checks import assert_fsck, assert_no_server_error, assert_whole
from tests.scale.load import (
    LAST_STATE,
    STALE,
    STEPS,
    Callers,
    Exchange,
    apply_body,
    in_pool,
    new_key,
    race,
    together,
)
from tests.scale.servers import Server, prepared

pytestmark = pytest.mark.processes

CONDITION = "https://cardflow.dev/problems/condition-not-met"

CARDS = 24
"""Cards opened at once; half walked by one client each, half raced for at every step."""
RACERS = 6
"""Clients asking for each step of a raced card at the same version, spread over servers."""
PEOPLE = 3
"""Times two persons' applications are each sent by ``RACERS`` clients at once."""
POOL = 8
"""Cards worked on at once (each raced card with its ``RACERS`` clients)."""


def many_writers(callers: Callers) -> dict[str, list[Exchange]]:
    """Open ``CARDS`` cards through every server at once; then walk half of them to
    activated, one client a card, while every step of the other half is raced for.
    What each card saw, and the answers of each race."""
    opened = in_pool(POOL, callers.apply, range(CARDS))
    assert [exchange.status for exchange in opened] == [201] * CARDS, opened[:3]
    cards = [exchange.answer["card_id"] for exchange in opened]

    def walk(i: int) -> list[Exchange]:
        return [callers.move(i + step, cards[i], step) for step in range(len(STEPS))]

    def raced(i: int) -> list[Exchange]:
        said: list[Exchange] = []
        for step in range(len(STEPS)):
            answers = race(callers, cards[i], step, version=step + 1, racers=RACERS)
            winners = [answer for answer in answers if answer.accepted]
            assert len(winners) == 1, [(a.status, a.text[:200]) for a in answers]
            losers = [answer for answer in answers if not answer.accepted]
            assert {(a.status, (a.answer or {}).get("type")) for a in losers} == {(409, STALE)}
            said.extend(answers)
        return said

    work = [(walk, i) if i % 2 else (raced, i) for i in range(CARDS)]
    answered = in_pool(POOL, lambda job: job[0](job[1]), work)
    return {cards[i]: [opened[i], *answered[i]] for i in range(CARDS)}


def same_person(callers: Callers) -> list[Exchange]:
    """One person's application sent by ``RACERS`` clients at once through every server
    with one Idempotency-Key: all hear of the one card it opened. Then another person's,
    each client with a key of its own: one opens a card, the rest hear that the person
    holds a live card. Every exchange."""
    body, key = apply_body(), new_key()
    retries = together(RACERS, lambda i: callers.apply(i, key=key, body=body))
    assert {(r.status, r.answer["card_id"], r.answer["last_seq"]) for r in retries} == {
        (201, retries[0].answer["card_id"], retries[0].answer["last_seq"])
    }, [(r.status, r.text[:200]) for r in retries]
    other = apply_body()
    rivals = together(RACERS, lambda i: callers.apply(i, key=new_key(), body=other))
    assert sorted(r.status for r in rivals) == [201] + [409] * (RACERS - 1), rivals
    losers = [r.answer for r in rivals if r.status == 409]
    assert {(a["type"], a.get("condition")) for a in losers} == {(CONDITION, "one_live_card")}
    return [*retries, *rivals]


def check(
    url: str, callers: Callers, servers: Sequence[Server], seen: dict[str, list[Exchange]]
) -> None:
    assert_no_server_error(callers.exchanges, servers)
    for card_id, exchanges in seen.items():
        accepted = [exchange for exchange in exchanges if exchange.accepted]
        assert [a.answer["version"] for a in accepted] == list(range(1, len(STEPS) + 2)), card_id
        assert accepted[-1].answer["state"] == LAST_STATE
    entries = assert_whole(url, [e for e in callers.exchanges if e.accepted])
    assert sum(entry.moves for entry in entries) == CARDS * (len(STEPS) + 1) + 2 * PEOPLE
    assert_fsck(url)


class TestManyWriters:
    """Two ``serve`` processes on one database, or one with two workers: racers for the same
    card version get one winner and 409 ``stale-version`` for the rest, writers of
    different cards all get through, one application sent at once from many clients opens
    one card, no caller sees a 5xx, and the ledger is gapless, chained and whole, each
    card's version its count of moving entries."""

    @pytest.mark.parametrize("layout", ["two-processes", "two-workers"])
    def test_on_one_database(self, backend_url, servers, tmp_path, layout):
        token = prepared(backend_url)
        if layout == "two-processes":
            servers.extend(Server(backend_url, tmp_path) for _ in range(2))
        else:
            servers.append(Server(backend_url, tmp_path, workers=2))
        for server in servers:
            server.start()
        callers = Callers([server.base for server in servers], token)
        try:
            seen = many_writers(callers)
            for _ in range(PEOPLE):
                same_person(callers)
            # the clients' connections are still open: each process served some of them
            assert all(len(server.serving()) == server.workers for server in servers)
        finally:
            callers.close()
        check(backend_url, callers, servers, seen)
