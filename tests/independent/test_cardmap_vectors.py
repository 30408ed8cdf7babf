"""The independent code agrees with every card map vector cardflow publishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.independent.bundles import map_proof, map_root, sha
from tests.independent.verify_bundle import Refused, verify_map_proof

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "spec" / "vectors" / "cardmap.json").read_text("utf-8")
)
PHRASES = {
    "another root": "another root",
    "not 32 bytes": "not 32 bytes",
    "at most 256 siblings": "at most 256 siblings",
    "canonical": "canonical",
}


def pairs_of(held):
    return {bytes.fromhex(p["key"]): bytes.fromhex(p["value"]) for p in held["pairs"]}


MAPS = {held["root"]: pairs_of(held) for held in VECTORS["maps"]}


class TestMaps:
    """The map's root, computed from its definition, is each vector's."""

    @pytest.mark.parametrize("held", VECTORS["maps"], ids=lambda held: held["name"])
    def test_root(self, held):
        for pair in held["pairs"]:
            if pair["card_id"] is not None:
                assert sha(pair["card_id"].encode()).hex() == pair["key"]
        assert map_root(pairs_of(held)).hex() == held["root"]

    def test_the_vectors_cover_the_empty_map_one_pair_and_the_full_depth(self):
        sizes = {len(held["pairs"]) for held in VECTORS["maps"]}
        assert {0, 1, 2, 64} <= sizes
        assert max(len(v["siblings"]) for v in VECTORS["proofs"] if v["valid"]) == 256


class TestProofs:
    """The independent verifier accepts exactly the valid proofs, refusing the rest for
    the vector's reason."""

    @pytest.mark.parametrize("vector", VECTORS["proofs"], ids=lambda vector: vector["name"])
    def test_proof(self, vector):
        root, key, value = (bytes.fromhex(vector[f]) for f in ("root", "key", "value"))
        siblings = [bytes.fromhex(s) for s in vector["siblings"]]
        if vector["valid"]:
            verify_map_proof(root, key, value, siblings)
            if vector["root"] in MAPS:
                assert map_proof(MAPS[vector["root"]], key) == siblings
            return
        (phrase,) = (said for found, said in PHRASES.items() if found in vector["reason"])
        with pytest.raises(Refused, match=phrase):
            verify_map_proof(root, key, value, siblings)

    def test_both_kinds_are_there(self):
        assert {v["valid"] for v in VECTORS["proofs"]} == {True, False}
