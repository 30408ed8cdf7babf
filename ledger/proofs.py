"""Proofs over the ledger's stored Merkle tree: a leaf's inclusion, a tree's growth.

Sizes are the ledger's own (how many entries the tree covers); an entry's leaf index is
its ``seq`` minus one. The nodes are append-only and a tree of any size up to the tip
is fixed once written, so a proof made now for a past size stays true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledger.errors import NodeMissing
from ledger.merkle import (
    EMPTY_ROOT,
    EMPTY_TREE_PROVES_NOTHING,
    NodeSource,
    ProofError,
    consistency_proof,
    inclusion_proof,
    subtree_root,
)
from ledger.store import Ledger


@dataclass(frozen=True, slots=True)
class Inclusion:
    """Entry ``seq`` is leaf ``seq - 1`` of the tree of ``tree_size`` entries."""

    seq: int
    tree_size: int
    leaf_hash: bytes
    root: bytes
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Consistency:
    """The tree of ``first`` entries is a prefix of the tree of ``second``."""

    first: int
    second: int
    first_root: bytes
    second_root: bytes
    path: tuple[bytes, ...]


def prove_inclusion(ledger: Ledger, seq: int, tree_size: int | None = None) -> Inclusion:
    """Entry ``seq``'s inclusion proof in the tree of ``tree_size`` entries (now: the
    whole ledger); ``ProofError`` says why there is none."""
    size = _size(ledger, tree_size)
    if not 1 <= seq <= size:
        raise ProofError(f"entry {seq} is not in the tree of {size} entries")
    get = node_source(ledger)
    path = inclusion_proof(get, seq - 1, size)
    return Inclusion(seq, size, get(0, seq - 1), subtree_root(get, 0, size), tuple(path))


def prove_inclusions(
    ledger: Ledger, seqs: Sequence[int], tree_size: int | None = None
) -> list[Inclusion]:
    """Each of ``seqs``' inclusion proofs in the tree of ``tree_size`` entries (now: the
    whole ledger), the nodes all of them need read in one go.

    Which nodes a proof needs depends on the sizes alone, never on the hashes, so a
    first pass over stand-in hashes lists them, and the second makes the proofs from
    what one read returned: ``k`` proofs cost ``O(k log n)`` hashes and one read, not
    ``k`` walks of the tree node by node.
    """
    size = _size(ledger, tree_size)
    for seq in seqs:
        if not 1 <= seq <= size:
            raise ProofError(f"entry {seq} is not in the tree of {size} entries")
    if not seqs:
        return []
    wanted: set[tuple[int, int]] = set()

    def listed(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return EMPTY_ROOT

    _inclusions(listed, seqs, size)
    return _inclusions(_held(ledger.tree_nodes_at(wanted)), seqs, size)


def _inclusions(get: NodeSource, seqs: Sequence[int], size: int) -> list[Inclusion]:
    root = subtree_root(get, 0, size)
    return [
        Inclusion(seq, size, get(0, seq - 1), root, tuple(inclusion_proof(get, seq - 1, size)))
        for seq in seqs
    ]


def _held(nodes: Mapping[tuple[int, int], bytes]) -> NodeSource:
    def get(level: int, index: int) -> bytes:
        found = nodes.get((level, index))
        if found is None:
            raise NodeMissing(f"the ledger's tree lacks its node at level {level}, index {index}")
        return found

    return get


def prove_consistency(ledger: Ledger, first: int, second: int | None = None) -> Consistency:
    """The proof that the tree of ``first`` entries grew into the tree of ``second`` (now:
    the whole ledger); ``ProofError`` says why there is none."""
    size = _size(ledger, second)
    if not 0 <= first <= size:
        raise ProofError(f"a tree of {first} entries does not grow into one of {size}")
    if first == 0:
        raise ProofError(EMPTY_TREE_PROVES_NOTHING)
    get = node_source(ledger)
    return Consistency(
        first,
        size,
        root_at(get, first),
        root_at(get, size),
        tuple(consistency_proof(get, first, size)),
    )


def root_at(get: NodeSource, size: int) -> bytes:
    """The root of the tree of the first ``size`` entries."""
    return EMPTY_ROOT if size == 0 else subtree_root(get, 0, size)


def _size(ledger: Ledger, asked: int | None) -> int:
    held = ledger.tip().size
    if asked is None:
        return held
    if not 0 <= asked <= held:
        raise ProofError(f"the ledger holds {held} entries: there is no tree of {asked}")
    return asked


def node_source(ledger: Ledger) -> NodeSource:
    """The ledger's stored tree nodes, a missing one ``NodeMissing`` (a ``ProofError``)."""

    def get(level: int, index: int) -> bytes:
        found = ledger.tree_node(level, index)
        if found is None:
            raise NodeMissing(f"the ledger's tree lacks its node at level {level}, index {index}")
        return found

    return get
