"""``ledger.proofs``: many inclusion proofs made from one read of the stored tree."""

from __future__ import annotations

from collections import Counter

import pytest

from ledger.memory import MemoryLedger
from ledger.merkle import ProofError
from ledger.proofs import prove_inclusion, prove_inclusions
from tests.contract.test_ledger_contract import draft


class CountingTree(MemoryLedger):
    """The in-memory ledger, counting its reads of the tree."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: Counter[str] = Counter()

    def tree_node(self, level: int, index: int) -> bytes | None:
        self.reads["tree_node"] += 1
        return super().tree_node(level, index)

    def tree_nodes_at(self, wanted):
        self.reads["tree_nodes_at"] += 1
        return super().tree_nodes_at(wanted)


@pytest.fixture(scope="module")
def grown() -> CountingTree:
    ledger = CountingTree()
    for start in range(0, 77, 7):
        ledger.append([draft(f"c{i}", 1) for i in range(start, start + 7)])
    return ledger


class TestManyProofs:
    """``prove_inclusions`` gives each entry the proof ``prove_inclusion`` gives it."""

    @pytest.mark.parametrize("size", [1, 2, 3, 8, 13, 64, 76, 77])
    def test_every_entry_of_every_tree(self, grown, size):
        seqs = list(range(1, size + 1))
        assert prove_inclusions(grown, seqs, size) == [
            prove_inclusion(grown, seq, size) for seq in seqs
        ]

    def test_a_page_of_proofs_is_one_read_of_the_tree(self, grown):
        grown.reads.clear()
        proofs = prove_inclusions(grown, [5, 17, 40, 41, 76], 77)
        assert grown.reads == {"tree_nodes_at": 1}
        assert [proof.seq for proof in proofs] == [5, 17, 40, 41, 76]
        assert prove_inclusions(grown, [], 77) == []

    def test_an_entry_beyond_the_tree_is_refused(self, grown):
        with pytest.raises(ProofError, match="not in the tree of 10 entries"):
            prove_inclusions(grown, [3, 11], 10)
        with pytest.raises(ProofError, match="no tree of 78"):
            prove_inclusions(grown, [3], 78)
