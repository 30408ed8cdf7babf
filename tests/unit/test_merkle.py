"""The Merkle tree against RFC 6962's own definitions and the published test vectors.

The reference below is RFC 6962 section 2.1 written as recursively as the RFC states
it: ``MTH``, ``PATH`` and ``PROOF`` over a list of leaves. The tree under test keeps only
a frontier and the perfect subtrees appends complete; every proof it makes must equal
the reference's, and every proof must verify, for every size up to 300. Proofs with a
bit flipped, a node dropped or added, or told the wrong size, index or root must fail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# -- RFC 6962 section 2.1, as written ------------------------------------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


# -- a tree as the ledger keeps one: a frontier and the nodes appends complete -----------


class Tree:
    def __init__(self, count: int) -> None:
        self.leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(count)]
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.frontier = Frontier()
        self.roots = [self.frontier.root()]
        for leaf in self.leaves:
            self.frontier, completed = self.frontier.append(leaf)
            for level, index, digest in completed:
                assert (level, index) not in self.nodes
                self.nodes[level, index] = digest
            self.roots.append(self.frontier.root())

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[level, index]


BIG: Final = Tree(300)


def hexes(*digests: str) -> list[bytes]:
    return [bytes.fromhex(d) for d in digests]


# -- known answers -------------------------------------------------------------------------

CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = hexes(
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)


@pytest.fixture(scope="module")
def ct() -> Tree:
    tree = Tree(0)
    for data in CT_LEAVES:
        tree.frontier, completed = tree.frontier.append(leaf_hash(data))
        tree.leaves.append(leaf_hash(data))
        tree.nodes.update({(level, index): digest for level, index, digest in completed})
        tree.roots.append(tree.frontier.root())
    return tree


class TestKnownAnswers:
    """The roots and proofs of the Certificate Transparency test vectors (RFC 6962)."""

    def test_the_empty_tree(self):
        assert EMPTY_ROOT == CT_ROOTS[0] == Frontier().root()

    def test_one_leaf(self):
        assert leaf_hash(b"") == CT_ROOTS[1]

    def test_every_size(self, ct):
        assert ct.roots == CT_ROOTS
        assert [mth(ct.leaves[:n]) for n in range(9)] == CT_ROOTS

    @pytest.mark.parametrize(
        ("index", "size", "expected"),
        [
            (0, 1, []),
            (
                0,
                8,
                hexes(
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ),
            ),
            (
                5,
                8,
                hexes(
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ),
            ),
        ],
    )
    def test_inclusion(self, ct, index, size, expected):
        assert inclusion_proof(ct.get, index, size) == expected
        verify_inclusion(ct.leaves[index], index, size, expected, CT_ROOTS[size])

    @pytest.mark.parametrize(
        ("first", "second", "expected"),
        [
            (
                1,
                8,
                hexes(
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ),
            ),
            (
                6,
                8,
                hexes(
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ),
            ),
            (
                2,
                5,
                hexes(
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ),
            ),
        ],
    )
    def test_consistency(self, ct, first, second, expected):
        assert consistency_proof(ct.get, first, second) == expected
        verify_consistency(first, second, expected, CT_ROOTS[first], CT_ROOTS[second])


# -- every size up to 300, against the reference --------------------------------------------


class TestAgainstTheReference:
    def test_every_root_and_every_append_is_logarithmic(self):
        assert BIG.roots == [mth(BIG.leaves[:n]) for n in range(301)]
        assert len(BIG.nodes) == 2 * 300 - (300).bit_count()

    @settings(max_examples=400, deadline=None)
    @given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
    def test_inclusion(self, at):
        index, size = at
        made = inclusion_proof(BIG.get, index, size)
        assert made == path(index, BIG.leaves[:size])
        verify_inclusion(BIG.leaves[index], index, size, made, BIG.roots[size])

    @settings(max_examples=400, deadline=None)
    @given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
    def test_consistency(self, sizes):
        first, second = sizes
        made = consistency_proof(BIG.get, first, second)
        if first < second:
            assert made == proof(first, BIG.leaves[:second])
        else:
            assert made == []
        verify_consistency(first, second, made, BIG.roots[first], BIG.roots[second])

    @pytest.mark.parametrize("second", [0, 1, 7, 300])
    def test_none_from_the_empty_tree(self, second: int) -> None:
        """RFC 9162 defines no proof from size 0; the empty tree is a prefix of any."""
        with pytest.raises(ProofError, match="empty tree proves nothing"):
            consistency_proof(BIG.get, 0, second)
        with pytest.raises(ProofError, match="empty tree proves nothing"):
            verify_consistency(0, second, [], BIG.roots[0], BIG.roots[second])


# -- mutated proofs ---------------------------------------------------------------------------


def flipped(nodes: list[bytes], at: int, bit: int) -> list[bytes]:
    changed = bytearray(nodes[at])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*nodes[:at], bytes(changed), *nodes[at + 1 :]]


class TestMutatedInclusion:
    @settings(max_examples=200, deadline=None)
    @given(
        st.integers(2, 300).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))),
        st.data(),
    )
    def test_every_mutation_is_refused(self, at, data):
        index, size = at
        good = inclusion_proof(BIG.get, index, size)
        root, leaf = BIG.roots[size], BIG.leaves[index]
        node = data.draw(st.integers(0, len(good) - 1))
        bit = data.draw(st.integers(0, 255))
        other = data.draw(st.integers(1, 300).filter(lambda n: n != size))
        wrong_index = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        mutations = [
            (leaf, index, size, flipped(good, node, bit), root),
            (leaf, index, size, good[:-1], root),
            (leaf, index, size, [*good, good[0]], root),
            (leaf, index, size, good, BIG.roots[other]),
            (leaf, wrong_index, size, good, root),
            (BIG.leaves[wrong_index], index, size, good, root),
        ]
        if index < other:  # the proof of one tree passed off as one of another
            mutations.append((leaf, index, other, good, BIG.roots[other]))
        for mutation in mutations:
            with pytest.raises(ProofError):
                verify_inclusion(*mutation)

    @pytest.mark.parametrize(("index", "size"), [(-1, 5), (5, 5), (0, 0)])
    def test_an_index_outside_the_tree(self, index, size):
        with pytest.raises(ProofError, match="not in a tree"):
            inclusion_proof(BIG.get, index, size)
        with pytest.raises(ProofError, match="not in a tree"):
            verify_inclusion(BIG.leaves[0], index, size, [], BIG.roots[1])

    def test_a_node_of_the_wrong_length(self):
        good = inclusion_proof(BIG.get, 3, 10)
        with pytest.raises(ProofError, match="32 bytes"):
            verify_inclusion(BIG.leaves[3], 3, 10, [*good[:-1], good[-1][:31]], BIG.roots[10])

    @pytest.mark.parametrize("length", [0, 31, 33, 64])
    def test_a_leaf_or_root_of_the_wrong_length(self, length: int) -> None:
        """Refused before hashing, even where the bytes would match: a tree of one leaf
        whose root is its leaf would otherwise take any bytes as both."""
        odd = bytes(range(length))
        with pytest.raises(ProofError, match=f"the leaf hash is {length} bytes"):
            verify_inclusion(odd, 0, 1, [], odd)
        with pytest.raises(ProofError, match=f"the root is {length} bytes"):
            verify_inclusion(BIG.leaves[0], 0, 1, [], odd)


class TestMutatedConsistency:
    @settings(max_examples=200, deadline=None)
    @given(
        st.integers(2, 300).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))),
        st.data(),
    )
    def test_every_mutation_is_refused(self, sizes, data):
        first, second = sizes
        good = consistency_proof(BIG.get, first, second)
        roots = BIG.roots[first], BIG.roots[second]
        node = data.draw(st.integers(0, len(good) - 1))
        bit = data.draw(st.integers(0, 255))
        mutations = [
            (first, second, flipped(good, node, bit), *roots),
            (first, second, good[:-1], *roots),
            (first, second, [*good, good[0]], *roots),
            (first, second, good, roots[1], roots[0]),
            (first, second, [], *roots),
        ]
        if first + 1 < second:
            mutations.append((first + 1, second, good, BIG.roots[first + 1], roots[1]))
        for mutation in mutations:
            with pytest.raises(ProofError):
                verify_consistency(*mutation)

    def test_two_roots_of_one_size(self):
        with pytest.raises(ProofError, match="different roots"):
            verify_consistency(7, 7, [], BIG.roots[7], BIG.roots[8])

    def test_a_tree_does_not_shrink(self):
        with pytest.raises(ProofError, match="cannot grow"):
            verify_consistency(8, 7, [], BIG.roots[8], BIG.roots[7])
        with pytest.raises(ProofError, match="no proof leads"):
            consistency_proof(BIG.get, 8, 7)


class TestFrontier:
    def test_a_frontier_names_its_size(self):
        with pytest.raises(ValueError, match="3 leaves has 2 roots"):
            Frontier(3, (EMPTY_ROOT,))
