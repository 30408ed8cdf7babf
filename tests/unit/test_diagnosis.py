"""``ledger.diagnosis``: from signed roots, recomputed prefixes and the stored tree, the
first entry that differs and what was done, over a ledger of plain leaves."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import pytest

from ledger.diagnosis import Change, Prefixes, diagnose
from ledger.merkle import Frontier, leaf_hash

SIZE: Final = 100
BLOCK: Final = 8
ORIGINAL: Final = [f"entry {seq}".encode() for seq in range(1, SIZE + 1)]


class Claim(NamedTuple):
    size: int
    root: bytes
    label: str
    held: bool = True


@dataclass(frozen=True, slots=True)
class Row:
    seq: int
    data: bytes

    def encode(self) -> bytes:
        return self.data


def tree(entries: Sequence[bytes]) -> tuple[dict[tuple[int, int], bytes], list[bytes]]:
    """Every node of the tree over ``entries``, and the root of each prefix."""
    nodes: dict[tuple[int, int], bytes] = {}
    frontier, roots = Frontier(), [Frontier().root()]
    for data in entries:
        frontier, completed = frontier.append(leaf_hash(data))
        nodes.update({(level, index): node for level, index, node in completed})
        roots.append(frontier.root())
    return nodes, roots


class Stored:
    """The reads a diagnosis makes of a ledger: its entries now, its stored nodes."""

    def __init__(self, entries: Sequence[bytes], nodes: dict[tuple[int, int], bytes]) -> None:
        self.entries = list(entries)
        self.nodes = nodes
        self.reread: list[int] = []

    def tree_node(self, level: int, index: int) -> bytes | None:
        return self.nodes.get((level, index))

    def tree_nodes_at(self, wanted: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {key: self.nodes[key] for key in wanted if key in self.nodes}

    def entries_after(self, seq: int, limit: int) -> list[Row]:
        rows = [Row(s, self.entries[s - 1]) for s in range(seq + 1, len(self.entries) + 1)]
        self.reread.extend(row.seq for row in rows[:limit])
        return rows[:limit]


def scanned(entries: Sequence[bytes], claims: Sequence[Claim]) -> Prefixes:
    """What verify's scan keeps while it grows the tree over ``entries``."""
    prefixes = Prefixes.of((c.size for c in claims), block=BLOCK)
    frontier = Frontier()
    prefixes.grew(frontier)
    for data in entries:
        frontier, _ = frontier.append(leaf_hash(data))
        prefixes.grew(frontier)
    return prefixes


NODES, ROOTS = tree(ORIGINAL)


def held(size: int) -> Claim:
    return Claim(size, ROOTS[size], f"the checkpoint held for {size} entries")


def diagnosed(entries: Sequence[bytes], claims: Sequence[Claim], nodes: Any = None) -> Any:
    ledger = Stored(entries, NODES if nodes is None else nodes)
    found = diagnose(ledger, claims, scanned(entries, claims), gap=False)  # type: ignore[arg-type]
    return found, ledger


class TestTheStoredTreeIsTheOriginal:
    """The stored nodes still give the signed root: the first change is named exactly,
    reading again at most one block of entries."""

    @pytest.mark.parametrize("changed", [1, 8, 9, 37, 64, 65, 100])
    def test_a_rewritten_entry(self, changed: int) -> None:
        entries = [*ORIGINAL[: changed - 1], b"forged", *ORIGINAL[changed:]]
        found, ledger = diagnosed(entries, [held(SIZE)])
        assert (found.change, found.first, found.last) == (Change.REWRITTEN, changed, changed)
        assert found.sentence() == (
            f"entries were rewritten: the first entry that differs is {changed} from what "
            f"the checkpoint held for {SIZE} entries signed"
        )
        assert len(ledger.reread) <= BLOCK

    def test_an_entry_removed_and_the_later_ones_moved_up(self) -> None:
        entries = [*ORIGINAL[:36], *ORIGINAL[37:]]
        found, _ = diagnosed(entries, [held(SIZE)])
        assert (found.change, found.first, found.held) == (Change.REMOVED, 37, SIZE - 1)
        assert "entries were removed from the middle" in found.sentence()
        assert "later ones moved up; the first entry that differs is 37" in found.sentence()

    @pytest.mark.parametrize("kept", [90, 96, 1])
    def test_the_tail_cut(self, kept: int) -> None:
        found, _ = diagnosed(ORIGINAL[:kept], [held(SIZE)])
        assert (found.change, found.first) == (Change.CUT, kept + 1)
        assert found.sentence() == (
            f"entries were cut from the end: the ledger's {kept} entries are a prefix of "
            f"the tree of {SIZE} that the checkpoint held for {SIZE} entries signed, and entries "
            f"{kept + 1} to {SIZE} are gone"
        )

    def test_nothing_to_say_when_every_checkpoint_agrees(self) -> None:
        found, _ = diagnosed(ORIGINAL, [held(SIZE), held(7)])
        assert found is None


class TestTheTreeWasRecomputedToo:
    """The stored nodes are the rewritten ledger's: only the checkpoints bracket the change."""

    def _rewritten(self, changed: int) -> tuple[list[bytes], dict[tuple[int, int], bytes]]:
        entries = [*ORIGINAL[: changed - 1], b"forged", *ORIGINAL[changed:]]
        return entries, tree(entries)[0]

    def test_between_the_checkpoints_either_side(self) -> None:
        entries, nodes = self._rewritten(37)
        found, _ = diagnosed(entries, [held(20), held(32), held(50), held(SIZE)], nodes)
        assert (found.first, found.last) == (33, 50)
        assert found.sentence() == (
            "entries were rewritten: the first entry that differs lies between 33 and 50 "
            "from what the checkpoint held for 50 entries signed (the checkpoint held for "
            "32 entries still agrees)"
        )

    def test_two_checkpoints_in_a_row_name_it(self) -> None:
        entries, nodes = self._rewritten(37)
        found, _ = diagnosed(entries, [held(36), held(37)], nodes)
        assert (found.first, found.last) == (37, 37)

    def test_a_stored_checkpoint_signed_over_the_rewrite_bounds_nothing(self) -> None:
        """Whoever rewrote the entries may hold the key: when a held checkpoint disagrees,
        a stored one that agrees with the rewritten entries is no lower bound."""
        entries, nodes = self._rewritten(37)
        resigned = Claim(64, tree(entries)[1][64], "checkpoint 64", held=False)
        found, _ = diagnosed(entries, [held(32), resigned, held(SIZE)], nodes)
        assert (found.first, found.last, found.since) == (
            33,
            SIZE,
            "the checkpoint held for 32 entries",
        )

    def test_shorter_and_nothing_tells_cut_from_removed(self) -> None:
        entries = ORIGINAL[:90]
        found, _ = diagnosed(entries, [held(40), held(SIZE)], tree(entries)[0])
        assert (found.change, found.first, found.last) == (Change.SHORTENED, 41, 91)
        assert "cut from the end or removed from the middle" in found.sentence()
        assert "lies between 41 and 91" in found.sentence()
