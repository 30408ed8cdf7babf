"""``/v1/ledger``'s Merkle proofs: each checks out with nothing but the verifier."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ledger.merkle import ProofError, verify_consistency, verify_inclusion
from tests.api.conftest import problem
from workflow.states import State


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


@pytest.fixture
def grown(cards) -> int:
    """A ledger of a few cards' steps; its size."""
    for state in (State.ACTIVATED, State.PRODUCED, State.REJECTED):
        cards.in_state(state)
    size = cards.ledger.tip().size
    assert size >= 10
    return size


class TestInclusion:
    def test_every_entry_in_every_tree(self, client, grown):
        for tree_size in (1, grown // 2, grown):
            for seq in range(1, tree_size + 1):
                body = client.get(
                    f"/v1/ledger/entries/{seq}/proof", params={"tree_size": tree_size}
                ).json()
                assert (body["seq"], body["leaf_index"], body["tree_size"]) == (
                    seq,
                    seq - 1,
                    tree_size,
                )
                verify_inclusion(
                    bytes.fromhex(body["leaf_hash"]),
                    seq - 1,
                    tree_size,
                    hexes(body["path"]),
                    bytes.fromhex(body["root"]),
                )

    def test_the_whole_ledger_by_default(self, client, cards, grown):
        body = client.get("/v1/ledger/entries/1/proof").json()
        assert body["tree_size"] == grown
        assert body["root"] == cards.ledger.tip().root

    def test_the_proof_fails_for_another_entry(self, client, grown):
        body = client.get("/v1/ledger/entries/2/proof").json()
        other = client.get("/v1/ledger/entries/3/proof").json()
        with pytest.raises(ProofError):
            verify_inclusion(
                bytes.fromhex(other["leaf_hash"]),
                1,
                grown,
                hexes(body["path"]),
                bytes.fromhex(body["root"]),
            )

    @pytest.mark.parametrize(
        ("seq", "params", "says"),
        [
            (5, {"tree_size": 10_000}, "there is no tree of 10000"),
            (9, {"tree_size": 4}, "entry 9 is not in the tree of 4 entries"),
            (10_000, {}, "entry 10000 is not in the tree"),
        ],
    )
    def test_beyond_the_tree_is_422(self, client, grown, seq, params, says):
        body = problem(
            client.get(f"/v1/ledger/entries/{seq}/proof", params=params), 422, "invalid-request"
        )
        assert says in body["detail"]

    def test_a_malformed_request_is_422(self, client, grown):
        problem(client.get("/v1/ledger/entries/0/proof"), 422, "validation-error")
        problem(client.get("/v1/ledger/entries/x/proof"), 422, "validation-error")


class TestConsistency:
    def test_every_earlier_tree_is_a_prefix(self, client, grown):
        for first in range(1, grown + 1):
            body = client.get(
                "/v1/ledger/consistency", params={"first": first, "second": grown}
            ).json()
            verify_consistency(
                first,
                grown,
                hexes(body["path"]),
                bytes.fromhex(body["first_root"]),
                bytes.fromhex(body["second_root"]),
            )

    def test_a_root_seen_earlier_is_proven_against_the_tree_now(self, client, cards, grown):
        earlier = cards.ledger.tip().root
        cards.in_state(State.COLLECTED)
        body = client.get("/v1/ledger/consistency", params={"first": grown}).json()
        assert body["first_root"] == earlier
        assert body["second"] == cards.ledger.tip().size > grown
        verify_consistency(
            grown,
            body["second"],
            hexes(body["path"]),
            bytes.fromhex(earlier),
            bytes.fromhex(body["second_root"]),
        )

    def test_from_the_empty_tree_is_422(self, client: TestClient, grown: int) -> None:
        """The empty tree is a prefix of every tree: a proof from it proves nothing, so
        none is given (not a 200 with an empty path)."""
        for params in ({"first": 0}, {"first": 0, "second": 0}, {"first": 0, "second": grown}):
            body = problem(
                client.get("/v1/ledger/consistency", params=params), 422, "validation-error"
            )
            assert "first" in body["detail"]
            assert "1" in body["detail"]

    def test_first_greater_than_second_is_422(self, client, grown):
        body = problem(
            client.get("/v1/ledger/consistency", params={"first": 5, "second": 3}),
            422,
            "invalid-request",
        )
        assert "a tree of 5 entries does not grow into one of 3" in body["detail"]

    def test_beyond_the_ledger_is_422(self, client, grown):
        body = problem(
            client.get("/v1/ledger/consistency", params={"first": 1, "second": grown + 1}),
            422,
            "invalid-request",
        )
        assert f"the ledger holds {grown} entries" in body["detail"]
