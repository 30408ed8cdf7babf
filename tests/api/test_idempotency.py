"""Retries, duplicates and races over HTTP: one write per key, one winner per version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.conftest import APPLICATION, HAPPY_PATH, problem
from workflow.states import State

REVIEW = {"event": "review", "channel": "card_center", "evidence": {"information_checked": True}}


def in_parallel(count: int, call):
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda _: call(), range(count)))


class TestRetries:
    """A retry with the same Idempotency-Key gets the first response and writes nothing."""

    def test_apply(self, cards):
        key = {"Idempotency-Key": "counter-7-0001"}
        first = cards.client.post("/v1/cards", json=cards_body(), headers=key)
        again = cards.client.post("/v1/cards", json=cards_body(), headers=key)
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["etag"] == first.headers["etag"]
        assert cards.ledger.tip().size == 1

    def test_the_same_key_with_another_body(self, cards):
        key = {"Idempotency-Key": "counter-7-0002"}
        cards.client.post("/v1/cards", json=cards_body(), headers=key)
        before = cards.snapshot()
        other = cards_body(channel="bank_outlet")
        problem(
            cards.client.post("/v1/cards", json=other, headers=key),
            422,
            "idempotency-key-reused",
        )
        assert cards.snapshot() == before

    def test_a_storm_of_duplicates_writes_once(self, cards, ledger):
        """1,000 retries of one transition, 16 at a time: one entry, one answer."""
        card_id = cards.new()
        key = {"Idempotency-Key": "review-storm"}
        responses = in_parallel(
            1000,
            lambda: cards.client.post(f"/v1/cards/{card_id}/transitions", json=REVIEW, headers=key),
        )
        assert {r.status_code for r in responses} == {200}
        assert len({r.text for r in responses}) == 1
        assert [e.event for e in ledger.entries_for(card_id)] == ["apply", "review"]


class TestConflicts:
    """Many clients moving one card at once: exactly one winner per version."""

    def test_fifty_conflicting_transitions(self, cards, ledger):
        card_id = cards.new()
        responses = in_parallel(
            50,
            lambda: cards.client.post(
                f"/v1/cards/{card_id}/transitions", json=REVIEW, headers={"If-Match": '"1"'}
            ),
        )
        winners = [r for r in responses if r.status_code == 200]
        losers = [r for r in responses if r.status_code != 200]
        assert len(winners) == 1
        assert len(losers) == 49
        for loser in losers:
            body = problem(loser, 409, "stale-version")
            assert (body["expected_version"], body["current_version"]) == (1, 2)
        entries = ledger.entries_for(card_id)
        assert [e.version for e in entries if e.moves] == [1, 2]
        noted = [e for e in entries if not e.moves]
        # One key's refusals on a card are noted ten times an hour (workflow/refusals.py);
        # racing losers each count the notes before they append, so a few more may be.
        assert 10 <= len(noted) <= 49
        assert {e.evidence["refused"] for e in noted} == {"stale_version"}

    @pytest.mark.parametrize("step", HAPPY_PATH[:1])
    def test_without_a_version_the_losers_hear_why(self, cards, ledger, step):
        event, channel, evidence, reached = step
        card_id = cards.new()
        body = {"event": event, "channel": channel, "evidence": dict(evidence)}
        responses = in_parallel(
            20, lambda: cards.client.post(f"/v1/cards/{card_id}/transitions", json=body)
        )
        assert sorted(r.status_code for r in responses) == [200] + [409] * 19
        assert reached is State.REVIEWED
        assert len([e for e in ledger.entries_for(card_id) if e.moves]) == 2


def cards_body(**overrides):
    return {
        "applicant": {"name": "Li Lei", "id_number": "11010519491231002X"},
        "channel": "card_center",
        "evidence": dict(APPLICATION),
        **overrides,
    }
