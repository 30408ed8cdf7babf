"""The ledger's Merkle tree, hashed as RFC 6962 specifies, with its proofs.

Leaves are the ledger entries in sequence order: ``leaf = SHA-256(0x00 || entry bytes)``,
``node = SHA-256(0x01 || left || right)``, and the tree of ``n`` leaves splits at the
largest power of two below ``n`` (RFC 6962 section 2.1). The empty tree's root is
``SHA-256()``.

Nothing here recomputes a tree from its leaves in normal use. ``Frontier`` keeps the
roots of the perfect subtrees a tree of size ``n`` is made of (one per set bit of
``n``), so an append costs at most ``log2 n`` hashes, and it reports every perfect
subtree the append completes: stored as ``(level, index)`` nodes, those are all a
proof needs. A node at ``level`` ``l`` and ``index`` ``i`` covers leaves ``[i * 2**l,
(i + 1) * 2**l)``.

Proofs are made from stored nodes (``inclusion_proof``, ``consistency_proof``) and
checked without them, as RFC 9162 sections 2.1.3.2 and 2.1.4.2 verify them
(``verify_inclusion``, ``verify_consistency``): a supervisor's copy of this module
needs nothing but the proof, the sizes and the roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ledger.errors import ProofError as ProofError

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
EMPTY_TREE_PROVES_NOTHING: Final = (
    "a consistency proof from the empty tree proves nothing (every tree grows from it): "
    "ask from a tree of one leaf or more"
)

Node = tuple[int, int, bytes]
"""A perfect subtree: its level, its index at that level, and its hash."""
NodeSource = Callable[[int, int], bytes]
"""The stored hash of the perfect subtree at (level, index)."""


def completion(level: int, index: int) -> tuple[int, int]:
    """When appends complete the node at (``level``, ``index``): after how many leaves,
    and, among the nodes one append completes, its place (lowest level first). Sorting
    nodes by it gives them in the order ``Frontier.append`` reports them."""
    return (index + 1) << level, level


def leaf_hash(data: bytes) -> bytes:
    """The hash of a leaf holding ``data``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node over ``left`` and ``right``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True, slots=True)
class Frontier:
    """The right edge of a tree of ``size`` leaves: the root of each perfect subtree it
    is made of, largest (leftmost) first -- one per set bit of ``size``."""

    size: int = 0
    roots: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.roots) != self.size.bit_count():
            raise ValueError(f"a tree of {self.size} leaves has {self.size.bit_count()} roots")

    def append(self, leaf: bytes) -> tuple[Frontier, list[Node]]:
        """The frontier with ``leaf`` appended, and every perfect subtree that completes
        (the leaf itself at level 0 first)."""
        roots = list(self.roots)
        completed: list[Node] = [(0, self.size, leaf)]
        carry, level = leaf, 0
        while (self.size >> level) & 1:
            carry = node_hash(roots.pop(), carry)
            level += 1
            completed.append((level, (self.size + 1 >> level) - 1, carry))
        roots.append(carry)
        return Frontier(self.size + 1, tuple(roots)), completed

    def root(self) -> bytes:
        """The tree's root: its perfect subtrees folded from the right."""
        if not self.roots:
            return EMPTY_ROOT
        folded = self.roots[-1]
        for left in reversed(self.roots[:-1]):
            folded = node_hash(left, folded)
        return folded


def subtree_root(get: NodeSource, start: int, end: int) -> bytes:
    """The root of the tree over leaves ``[start, end)`` (``start`` aligned to a power of
    two at least as large as the range, as every subtree of RFC 6962's split is)."""
    size = end - start
    if size == 1:
        return get(0, start)
    if size & (size - 1) == 0:
        level = size.bit_length() - 1
        return get(level, start >> level)
    split = _split(size)
    return node_hash(subtree_root(get, start, start + split), subtree_root(get, start + split, end))


def inclusion_proof(get: NodeSource, index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the first ``size`` leaves
    (RFC 6962 section 2.1.1, ``PATH``)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _split(end - start)
        if index < split:
            proof.append(subtree_root(get, split, end))
            end = split
        else:
            proof.append(subtree_root(get, start, split))
            start = split
    proof.reverse()
    return proof


def consistency_proof(get: NodeSource, first: int, second: int) -> list[bytes]:
    """The proof that the tree of ``first`` leaves is a prefix of the tree of ``second``
    (RFC 6962 section 2.1.2, ``PROOF``); empty when the sizes are equal. None leads from
    the empty tree: it is a prefix of every tree, so a proof from it would prove nothing."""
    if not 0 <= first <= second:
        raise ProofError(f"no proof leads from a tree of {first} leaves to one of {second}")
    if first == 0:
        raise ProofError(EMPTY_TREE_PROVES_NOTHING)
    if first == second:
        return []
    proof: list[bytes] = []
    start, end, whole = 0, second, True
    while True:
        size = end - start
        if first - start == size:
            if not whole:
                proof.append(subtree_root(get, start, end))
            break
        split = _split(size)
        if first - start <= split:
            proof.append(subtree_root(get, start + split, end))
            end = start + split
        else:
            proof.append(subtree_root(get, start, start + split))
            start += split
            whole = False
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows ``leaf`` at ``index`` in the tree of
    ``size`` leaves whose root is ``root`` (RFC 9162 section 2.1.3.2). The leaf, the root
    and every node of the path are SHA-256 hashes: anything else is refused before any
    hashing, whatever it would lead to."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    _check_hash("the leaf hash", leaf)
    _check_hash("the root", root)
    _check_lengths(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows the tree of ``first`` leaves with root
    ``first_root`` to be a prefix of the one of ``second`` with ``second_root``
    (RFC 9162 section 2.1.4.2). Nothing is proven from the empty tree, not even to itself
    (``first`` of 0 is refused, as transparency-dev/merkle refuses it); two trees of one
    size are consistent when their roots are the same bytes."""
    if not 0 <= first <= second:
        raise ProofError(f"a tree of {first} leaves cannot grow into one of {second}")
    if first == 0:
        raise ProofError(EMPTY_TREE_PROVES_NOTHING)
    _check_lengths(proof)
    if first == second:
        if proof:
            raise ProofError("trees of one size need an empty consistency proof")
        if first_root != second_root:
            raise ProofError("two trees of one size have different roots")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a subtree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    if fr != first_root:
        raise ProofError("the consistency proof leads to another first root")
    if sr != second_root:
        raise ProofError("the consistency proof leads to another second root")


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` > 1)."""
    return 1 << (size - 1).bit_length() - 1


def _check_lengths(proof: Sequence[bytes]) -> None:
    if any(len(node) != HASH_SIZE for node in proof):
        raise ProofError(f"every node of a proof is {HASH_SIZE} bytes")


def _check_hash(what: str, given: bytes) -> None:
    if len(given) != HASH_SIZE:
        raise ProofError(f"{what} is {len(given)} bytes, not the {HASH_SIZE} of a SHA-256 hash")
