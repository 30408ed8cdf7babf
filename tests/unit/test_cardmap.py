"""The card map against its definition: roots, updates in any batching, proofs, damage, cost.

The reference below is the definition of ``cardflow.cardmap/1`` written as recursively as
it is stated (the subtree of a prefix over the pairs under it), independently of the
module's own builder. Every way of reaching a map -- one batch, one key at a time, any
order, any split into batches -- must give the reference's root; every key must prove
and verify; a wrong value, a flipped sibling, a proof cut short or made longer must fail.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import random
from collections.abc import Collection, Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.cardmap import (
    DEPTH,
    EMPTY,
    MapDamaged,
    MapError,
    MapNode,
    MapProofError,
    MemoryNodes,
    apply,
    bit,
    card_key,
    prove,
    root_of,
    verify_proof,
)
from ledger.errors import LedgerError, ProofError


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def reference(pairs: Mapping[bytes, bytes], depth: int = 0) -> bytes:
    """The subtree over ``pairs`` (all sharing their first ``depth`` bits), as defined."""
    if not pairs:
        return EMPTY
    if len(pairs) == 1:
        ((key, value),) = pairs.items()
        return sha(b"\x00" + key + value)
    halves = [{k: v for k, v in pairs.items() if bit(k, depth) == side} for side in (0, 1)]
    return sha(b"\x01" + reference(halves[0], depth + 1) + reference(halves[1], depth + 1))


def pairs_of(seed: int, n: int) -> dict[bytes, bytes]:
    rng = random.Random(seed)
    return {card_key(f"card-{seed}-{i}"): rng.randbytes(32) for i in range(n)}


class Counted:
    """A store that counts the fetches made of it and the nodes they read."""

    def __init__(self) -> None:
        self.store = MemoryNodes()
        self.calls = 0
        self.read = 0

    def fetch(self, hashes: Collection[bytes]) -> dict[bytes, MapNode]:
        self.calls += 1
        self.read += len(hashes)
        return self.store.fetch(hashes)


def built(
    pairs: Mapping[bytes, bytes], store: MemoryNodes | None = None
) -> tuple[bytes, MemoryNodes]:
    store = store or MemoryNodes()
    root, nodes = apply(EMPTY, pairs, store.fetch)
    store.add(nodes)
    return root, store


keys = st.binary(min_size=32, max_size=32)
maps = st.dictionaries(keys, keys, max_size=40)


class TestRoot:
    """``root_of`` is the definition: empty, one leaf, and the recursive split."""

    def test_the_empty_map_is_thirty_two_zeros(self):
        assert root_of({}) == EMPTY == bytes(32)

    def test_one_pair_is_its_leaf_at_the_root(self):
        key, value = card_key("c-1"), sha(b"entry")
        assert root_of({key: value}) == sha(b"\x00" + key + value)

    def test_two_pairs_split_at_the_first_bit_they_differ_in(self):
        left, right = bytes(32), bytes([0b0010_0000]) + bytes(31)  # differ at bit 2
        value = sha(b"v")
        leaves = sha(b"\x01" + sha(b"\x00" + left + value) + sha(b"\x00" + right + value))
        below = sha(b"\x01" + leaves + EMPTY)
        assert root_of({left: value, right: value}) == sha(b"\x01" + below + EMPTY)

    @given(maps)
    def test_root_of_is_the_reference(self, pairs):
        assert root_of(pairs) == reference(pairs)

    def test_bits_are_most_significant_first(self):
        key = bytes([0b1000_0001]) + bytes(31)
        assert [bit(key, i) for i in range(8)] == [1, 0, 0, 0, 0, 0, 0, 1]

    def test_a_card_key_is_the_sha256_of_its_utf8_id(self):
        assert card_key("卡-7") == sha("卡-7".encode())


class TestApply:
    """Setting keys in any order and any batching reaches the map ``root_of`` computes."""

    @given(maps, st.randoms(use_true_random=False))
    @settings(max_examples=60)
    def test_any_order_and_batching_gives_root_of(self, pairs, rng):
        items = list(pairs.items())
        rng.shuffle(items)
        store, root = MemoryNodes(), EMPTY
        while items:
            batch = dict(items[: rng.randint(1, 5)])
            items = items[len(batch) :]
            root, nodes = apply(root, batch, store.fetch)
            store.add(nodes)
        assert root == root_of(pairs)

    @given(maps, maps)
    @settings(max_examples=60)
    def test_overwriting_existing_keys_gives_root_of_the_merged_map(self, first, second):
        changes = {key: sha(value) for key, value in list(first.items())[::2]} | second
        root, store = built(first)
        root, _ = apply(root, changes, store.fetch)
        assert root == root_of(first | changes)

    def test_no_change_is_the_same_root_and_nothing_to_store(self):
        root, store = built(pairs_of(1, 5))
        assert apply(root, {}, store.fetch) == (root, [])

    def test_the_old_root_still_reads_after_an_update(self):
        pairs = pairs_of(2, 20)
        old, store = built(pairs)
        key = next(iter(pairs))
        new, nodes = apply(old, {key: sha(b"later")}, store.fetch)
        store.add(nodes)
        assert prove(old, key, store.fetch)[0] == pairs[key]
        assert prove(new, key, store.fetch)[0] == sha(b"later")

    def test_every_node_returned_is_intact(self):
        _, nodes = apply(EMPTY, pairs_of(3, 30), MemoryNodes().fetch)
        assert nodes
        assert all(node.intact() for node in nodes)

    def test_a_key_or_value_not_32_bytes_is_refused_by_name(self):
        with pytest.raises(MapError, match="a map key is 32 bytes, not 3"):
            apply(EMPTY, {b"abc": bytes(32)}, MemoryNodes().fetch)
        with pytest.raises(MapError, match="a map value is 32 bytes, not 31"):
            root_of({bytes(32): bytes(31)})


class TestDamage:
    """A stored node that is gone, or that does not hash to its hash, is damage, said so."""

    def test_a_missing_node_is_damage(self):
        root, store = built(pairs_of(4, 10))
        del store.nodes[root]
        with pytest.raises(MapDamaged, match=f"the map node {root.hex()} is not stored"):
            apply(root, {card_key("new"): sha(b"x")}, store.fetch)
        with pytest.raises(MapDamaged):
            prove(root, card_key("new"), store.fetch)

    @pytest.mark.parametrize("part", ["left", "right", "key", "value"])
    def test_an_altered_node_is_damage(self, part):
        pairs = pairs_of(5, 12)
        root, store = built(pairs)
        victim = next(n for n in store.nodes.values() if getattr(n, part) is not None)
        store.nodes[victim.hash] = MapNode(
            victim.hash,
            **{f: getattr(victim, f) for f in ("left", "right", "key", "value")}
            | {part: sha(b"forged")},
        )
        changes = dict.fromkeys(pairs, sha(b"next"))
        with pytest.raises(MapDamaged, match="does not hash to its own hash"):
            apply(root, changes, store.fetch)

    def test_a_node_of_both_kinds_is_not_intact(self):
        leaf = MapNode.leaf(bytes(32), bytes(32))
        assert leaf.intact()
        assert not MapNode(
            leaf.hash, left=EMPTY, right=EMPTY, key=leaf.key, value=leaf.value
        ).intact()
        assert not MapNode(leaf.hash).intact()

    def test_damage_is_a_map_error_of_the_ledger(self):
        assert issubclass(MapDamaged, MapError)
        assert issubclass(MapError, LedgerError)
        assert issubclass(MapProofError, ProofError)


class TestProofs:
    """Every key proves and verifies; anything else fails, naming why."""

    @given(st.dictionaries(keys, keys, min_size=1, max_size=40))
    @settings(max_examples=60)
    def test_every_key_proves_and_verifies(self, pairs):
        root, store = built(pairs)
        for key, value in pairs.items():
            proved, siblings = prove(root, key, store.fetch)
            assert proved == value
            verify_proof(root, key, value, siblings)

    def test_the_only_pair_proves_with_no_siblings(self):
        key, value = card_key("alone"), sha(b"e")
        root, store = built({key: value})
        assert prove(root, key, store.fetch) == (value, [])
        verify_proof(root, key, value, [])

    def test_a_key_the_map_lacks_cannot_be_proved(self):
        root, store = built(pairs_of(6, 8))
        with pytest.raises(MapProofError, match="the map holds no value for key"):
            prove(root, card_key("absent"), store.fetch)
        with pytest.raises(MapProofError, match="the map holds no value"):
            prove(EMPTY, card_key("absent"), store.fetch)

    @given(st.dictionaries(keys, keys, min_size=2, max_size=30), st.data())
    @settings(max_examples=60)
    def test_a_wrong_value_a_flipped_sibling_or_a_wrong_length_fails(self, pairs, data):
        root, store = built(pairs)
        key = data.draw(st.sampled_from(sorted(pairs)))
        value, siblings = prove(root, key, store.fetch)
        assert siblings
        with pytest.raises(MapProofError, match="another root"):
            verify_proof(root, key, sha(value), siblings)
        at = data.draw(st.integers(0, len(siblings) - 1))
        flip = data.draw(st.integers(0, 255))
        flipped = list(siblings)
        flipped[at] = bytes(
            b ^ (1 << (flip % 8)) if i == flip // 8 else b for i, b in enumerate(siblings[at])
        )
        with pytest.raises(MapProofError):
            verify_proof(root, key, value, flipped)
        with pytest.raises(MapProofError):
            verify_proof(root, key, value, siblings[:-1])
        with pytest.raises(MapProofError):
            verify_proof(root, key, value, [*siblings, sha(b"extra")])
        with pytest.raises(MapProofError):
            verify_proof(root, key, value, [sha(b"extra"), *siblings])

    def test_a_proof_ending_in_an_empty_sibling_is_not_canonical(self):
        key, value = bytes(32), sha(b"v")
        leaf = sha(b"\x00" + key + value)
        root = sha(b"\x01" + leaf + EMPTY)  # the leaf pushed one level down
        with pytest.raises(MapProofError, match="not in canonical form"):
            verify_proof(root, key, value, [EMPTY])

    def test_malformed_proofs_are_refused_by_what_is_wrong(self):
        key, value = bytes(32), bytes(32)
        with pytest.raises(MapProofError, match="sibling 1 of the map proof is not 32 bytes"):
            verify_proof(EMPTY, key, value, [EMPTY, b"short"])
        with pytest.raises(MapProofError, match="at most 256 siblings"):
            verify_proof(EMPTY, key, value, [sha(b"s")] * (DEPTH + 1))
        with pytest.raises(MapProofError, match="value is 32 bytes"):
            verify_proof(EMPTY, key, b"", [])
        with pytest.raises(MapProofError, match="root is 32 bytes"):
            verify_proof(b"", key, value, [])


class TestCost:
    """An update reads and writes O(depth) nodes per key, one fetch per depth."""

    @pytest.mark.parametrize("n", [1, 2, 50, 1000, 4000])
    def test_one_key_costs_about_log2_n_nodes(self, n):
        pairs = pairs_of(7, n)
        root, store = built(pairs)
        bound = 4 * math.log2(n + 1) + 8
        for change in (card_key("fresh"), next(iter(pairs))):
            counted = Counted()
            counted.store = store
            _, nodes = apply(root, {change: sha(b"next")}, counted.fetch)
            assert counted.read + len(nodes) <= bound
            assert counted.calls <= 2 * math.log2(n + 1) + 8

    @pytest.mark.parametrize("batch", [1, 10, 200])
    def test_a_batch_costs_at_most_log2_n_per_key_and_one_fetch_per_depth(self, batch):
        n = 3000
        pairs = pairs_of(8, n)
        root, store = built(pairs)
        rng = random.Random(batch)
        changes = {key: sha(b"moved") for key in rng.sample(sorted(pairs), batch // 2)}
        changes |= {card_key(f"new-{i}"): sha(b"new") for i in range(batch - len(changes))}
        counted = Counted()
        counted.store = store
        new_root, nodes = apply(root, changes, counted.fetch)
        assert new_root == root_of(pairs | changes)
        assert counted.read + len(nodes) <= batch * (4 * math.log2(n) + 8)
        store.add(nodes)
        deepest = max(len(prove(new_root, key, store.fetch)[1]) for key in changes)
        assert counted.calls <= deepest + 1


VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


def maker():
    spec = importlib.util.spec_from_file_location("make_cardmap", VECTORS / "make_cardmap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestVectors:
    """The committed vectors are what their script writes now, and this module agrees."""

    def test_the_committed_file_is_the_script_s_output(self):
        make = maker()
        assert (VECTORS / "cardmap.json").read_text(encoding="utf-8") == make.written(
            make.vectors()
        ), "spec/vectors/cardmap.json is stale: run spec/vectors/make_cardmap.py"

    def test_every_map_and_proof_agrees(self):
        document = json.loads((VECTORS / "cardmap.json").read_text(encoding="utf-8"))
        for held in document["maps"]:
            pairs = {bytes.fromhex(p["key"]): bytes.fromhex(p["value"]) for p in held["pairs"]}
            for pair in held["pairs"]:
                if pair["card_id"] is not None:
                    assert card_key(pair["card_id"]).hex() == pair["key"]
            assert root_of(pairs).hex() == held["root"], held["name"]
        for vector in document["proofs"]:
            args = [bytes.fromhex(vector[f]) for f in ("root", "key", "value")]
            siblings = [bytes.fromhex(s) for s in vector["siblings"]]
            if vector["valid"]:
                verify_proof(*args, siblings)
            else:
                with pytest.raises(MapProofError):
                    verify_proof(*args, siblings)
