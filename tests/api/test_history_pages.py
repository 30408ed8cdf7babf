"""A card's history a page at a time, each page's proofs checking out; refusal notes
bounded however often one key is refused."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.merkle import verify_inclusion
from ledger.note import Checkpoint, open_note
from ledger.verify import verify
from tests.api.conftest import Cards, problem
from tests.conftest import SIGNER
from workflow.states import Channel, Role, State

PRODUCTION = {"production_batch": "B-2026-11"}


def produce(cards: Cards, card_id: str, client: Any = None) -> Any:
    body = {"event": "produce", "channel": "issuing_bank", "evidence": PRODUCTION}
    return (client or cards.client).post(f"/v1/cards/{card_id}/transitions", json=body)


def batch_on(card_id: str, times: int) -> dict[str, Any]:
    return {
        "event": "produce",
        "channel": "issuing_bank",
        "evidence": PRODUCTION,
        "items": [{"card_id": card_id} for _ in range(times)],
    }


def notes(client: Any, card_id: str) -> list[dict[str, Any]]:
    served = client.get(
        f"/v1/cards/{card_id}/history", params={"include_refusals": True, "limit": 1000}
    ).json()["entries"]
    return [entry for entry in served if entry["kind"] == "refusal"]


@pytest.fixture
def bank(client_as):
    return client_as(Role.CLERK, [Channel.ISSUING_BANK], name="icbc-factory")


class TestPages:
    """A page holds at most `limit` entries; `next` (and `Link`) lead through the rest."""

    def test_pages_follow_one_another_to_the_end(self, cards: Cards, client, bank):
        card_id = cards.in_state(State.APPLIED)
        for _ in range(6):
            assert produce(cards, card_id, bank).status_code == 409
        everything = client.get(
            f"/v1/cards/{card_id}/history", params={"include_refusals": True}
        ).json()
        assert len(everything["entries"]) == 7
        assert everything["next"] is None
        assert everything["next_after"] is None
        url: str | None = f"/v1/cards/{card_id}/history?include_refusals=true&limit=3"
        pages: list[list[int]] = []
        while url is not None:
            response = client.get(url)
            assert response.status_code == 200, response.text
            body = response.json()
            pages.append([entry["seq"] for entry in body["entries"]])
            url = body["next"]
            if url is None:
                assert "link" not in response.headers
            else:
                assert response.headers["link"] == f'<{url}>; rel="next"'
                assert body["next_after"] == pages[-1][-1]
        assert [len(page) for page in pages] == [3, 3, 1]
        assert [seq for page in pages for seq in page] == [
            entry["seq"] for entry in everything["entries"]
        ]

    def test_without_refusals_a_page_counts_the_card_s_steps_only(self, cards: Cards, client, bank):
        card_id = cards.in_state(State.REVIEWED)
        for _ in range(3):
            cards.step(card_id, "collect", "card_center", {})
        body = client.get(f"/v1/cards/{card_id}/history", params={"limit": 1}).json()
        assert [entry["event"] for entry in body["entries"]] == ["apply"]
        rest = client.get(body["next"]).json()
        assert [entry["event"] for entry in rest["entries"]] == ["review"]
        assert rest["next"] is None

    def test_each_page_proves_its_entries_against_one_checkpoint(self, cards: Cards, client):
        card_id = cards.in_state(State.ACTIVATED)
        for state in (State.PRODUCED, State.REJECTED):
            cards.in_state(state)
        url: str | None = f"/v1/cards/{card_id}/history?proofs=true&limit=2"
        proved = 0
        while url is not None:
            body = client.get(url).json()
            note = Checkpoint.parse(open_note(body["checkpoint"], SIGNER.verifier()))
            for entry, proof in zip(body["entries"], body["proofs"], strict=True):
                assert proof["seq"] == entry["seq"]
                verify_inclusion(
                    bytes.fromhex(proof["leaf_hash"]),
                    proof["leaf_index"],
                    note.size,
                    [bytes.fromhex(node) for node in proof["path"]],
                    note.root,
                )
                proved += 1
            url = body["next"]
        assert proved == 5

    @pytest.mark.parametrize(
        ("query", "field"),
        [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"after": -1}, "after")],
    )
    def test_a_page_beyond_the_bounds_is_422(self, cards: Cards, client, query, field):
        card_id = cards.new()
        body = problem(
            client.get(f"/v1/cards/{card_id}/history", params=query), 422, "validation-error"
        )
        assert field in str(body)

    def test_an_unknown_card_is_404_on_any_page(self, client):
        problem(client.get("/v1/cards/nope/history", params={"after": 5}), 404, "card-not-found")


class TestRefusalNotesBounded:
    """One key refused again and again grows a card's record by a bounded number of notes."""

    def test_a_batch_of_refusals_on_one_card_writes_one_note_a_transaction(
        self, cards: Cards, client, bank, service
    ):
        card_id = cards.in_state(State.APPLIED)
        response = bank.post("/v1/batches", json=batch_on(card_id, 1200))
        assert response.status_code == 200, response.text
        assert {item["status"] for item in response.json()["items"]} == {409}
        noted = notes(client, card_id)
        assert [note["evidence"]["attempts"] for note in noted] == ["500", "500", "200"]
        assert {note["batch_id"] for note in noted} == {response.json()["batch_id"]}
        assert verify(service.ledger).ok

    def test_ten_notes_an_hour_a_key_a_card_then_answers_only(
        self, cards: Cards, client, bank, client_as, clock
    ):
        card_id = cards.in_state(State.APPLIED)
        before = cards.snapshot(card_id)
        for _ in range(14):
            refused = produce(cards, card_id, bank)
            problem(refused, 409, "transition-not-allowed")
        noted = notes(client, card_id)
        assert len(noted) == 10
        assert [("unnoted_until" in note["evidence"]) for note in noted] == [False] * 9 + [True]
        assert cards.snapshot(card_id) == before
        other = client_as(Role.CLERK, [Channel.ISSUING_BANK], name="another-bank")
        problem(produce(cards, card_id, other), 409, "transition-not-allowed")
        assert len(notes(client, card_id)) == 11
        clock.advance(hours=1)
        problem(produce(cards, card_id, bank), 409, "transition-not-allowed")
        assert len(notes(client, card_id)) == 12

    def test_a_batch_past_the_bound_writes_no_more(self, cards: Cards, client, bank, service):
        card_id = cards.in_state(State.APPLIED)
        response = bank.post("/v1/batches", json=batch_on(card_id, 10_000))
        assert {item["status"] for item in response.json()["items"]} == {409}
        noted = notes(client, card_id)
        assert len(noted) == 10
        assert "unnoted_until" in noted[-1]["evidence"]
        assert verify(service.ledger).ok
