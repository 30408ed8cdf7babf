"""transparency-dev/merkle's published proof vectors, every one through cardflow's verifiers.

The vectors (``tests/data/transparency-dev/``, Apache-2.0, see its README) are what the
Go reference accepts and refuses: a valid proof must pass here, and every mutated or
invalid one must fail with ``ProofError``. Where cardflow is stricter than the reference,
a test below says so and why.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from ledger.merkle import HASH_SIZE, ProofError, verify_consistency, verify_inclusion

VECTORS: Final = Path(__file__).parent.parent / "data" / "transparency-dev"


@dataclass(frozen=True, slots=True)
class Vector:
    """One case: its file, its fields, and whether the reference refuses it."""

    name: str
    fields: dict[str, Any]

    @property
    def refused(self) -> bool:
        return bool(self.fields["wantErr"])

    def hash(self, name: str) -> bytes:
        return base64.b64decode(self.fields[name] or "")

    def proof(self) -> list[bytes]:
        return [base64.b64decode(node) for node in self.fields["proof"] or ()]


def vectors(kind: str) -> Iterator[Vector]:
    for path in sorted((VECTORS / kind).rglob("*.json")):
        yield Vector(str(path.relative_to(VECTORS)), json.loads(path.read_text()))


INCLUSION: Final = list(vectors("inclusion"))
CONSISTENCY: Final = list(vectors("consistency"))


def _ids(cases: list[Vector]) -> list[str]:
    return [case.name for case in cases]


class TestTheVectorsAreThere:
    """Every vector the README names was copied: a test over none would pass."""

    def test_counts(self) -> None:
        assert len(INCLUSION) == 98
        assert len(CONSISTENCY) == 98
        for cases in (INCLUSION, CONSISTENCY):
            assert any(not case.refused for case in cases)
            assert sum(case.refused for case in cases) > len(cases) // 2

    def test_the_licence_travels_with_them(self) -> None:
        assert "Apache License" in (VECTORS / "LICENSE").read_text()
        assert "417fb0c314750d94e53942e9f92e79b6d35915db" in (VECTORS / "README.md").read_text()


def _include(case: Vector) -> None:
    f = case.fields
    verify_inclusion(
        case.hash("leafHash"), f["leafIdx"], f["treeSize"], case.proof(), case.hash("root")
    )


def _consist(case: Vector) -> None:
    f = case.fields
    verify_consistency(f["size1"], f["size2"], case.proof(), case.hash("root1"), case.hash("root2"))


class TestInclusion:
    """``verify_inclusion`` passes what the reference passes and refuses what it refuses.

    One edge case where cardflow once differed, now as the reference: a leaf hash that is
    not 32 bytes is refused before anything is hashed (``single-entry/empty-root-and-leaf``:
    an empty leaf and an empty root, which cardflow used to accept as a tree of one leaf).
    """

    @pytest.mark.parametrize("case", INCLUSION, ids=_ids(INCLUSION))
    def test_vector(self, case: Vector) -> None:
        if case.refused:
            with pytest.raises(ProofError):
                _include(case)
        else:
            _include(case)

    def test_an_empty_leaf_is_refused_as_the_reference_refuses_it(self) -> None:
        (case,) = [c for c in INCLUSION if c.name.endswith("single-entry/empty-root-and-leaf.json")]
        assert case.refused
        with pytest.raises(ProofError, match="the leaf hash is 0 bytes"):
            _include(case)


class TestConsistency:
    """``verify_consistency`` passes what the reference passes and refuses what it refuses.

    Two edge cases where cardflow once differed, now as the reference: a proof from the
    empty tree is refused even to the empty tree itself (``additional/sizes-are-equal-zero-
    and-proof-is-empty``; cardflow used to accept any empty proof from size 0), and two
    trees of one size are consistent when their roots are the same bytes, whatever their
    length (``additional/sizes-are-equal-one-and-proof-is-empty`` has 12-byte roots), since
    nothing is hashed: cardflow checks lengths only of what it hashes.
    """

    @pytest.mark.parametrize("case", CONSISTENCY, ids=_ids(CONSISTENCY))
    def test_vector(self, case: Vector) -> None:
        if case.refused:
            with pytest.raises(ProofError):
                _consist(case)
        else:
            _consist(case)

    def test_from_the_empty_tree_is_refused_as_the_reference_refuses_it(self) -> None:
        (case,) = [
            c
            for c in CONSISTENCY
            if c.name.endswith("sizes-are-equal-zero-and-proof-is-empty.json")
        ]
        assert case.refused
        with pytest.raises(ProofError, match="empty tree proves nothing"):
            _consist(case)


class TestStricterThanTheReference:
    """Where cardflow refuses what the reference would hash: a hash that is not 32 bytes."""

    def _happy(self) -> Vector:
        (case,) = [c for c in INCLUSION if c.name == "inclusion/1/happy-path.json"]
        return case

    @pytest.mark.parametrize("cut", [0, 1, HASH_SIZE - 1])
    def test_a_short_root_or_leaf(self, cut: int) -> None:
        case = self._happy()
        f = case.fields
        leaf, root, proof = case.hash("leafHash"), case.hash("root"), case.proof()
        verify_inclusion(leaf, f["leafIdx"], f["treeSize"], proof, root)
        with pytest.raises(ProofError, match="the leaf hash is"):
            verify_inclusion(leaf[:cut], f["leafIdx"], f["treeSize"], proof, root)
        with pytest.raises(ProofError, match="the root is"):
            verify_inclusion(leaf, f["leafIdx"], f["treeSize"], proof, root[:cut])

    def test_a_path_node_with_a_byte_more(self) -> None:
        case = self._happy()
        f = case.fields
        proof = case.proof()
        longer = [*proof[:-1], proof[-1] + b"\0"]
        with pytest.raises(ProofError, match="32 bytes"):
            verify_inclusion(
                case.hash("leafHash"), f["leafIdx"], f["treeSize"], longer, case.hash("root")
            )
