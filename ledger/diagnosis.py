"""What was done to a ledger whose entries no longer give the roots its checkpoints signed:
the first entry that differs, and whether entries were rewritten, removed or cut.

``verify`` finds that a signed checkpoint's root is not the root of the entries' prefix
of its size; this module says what that means, from what the check has in hand:

- the roots of the entries' prefixes, recomputed as the scan grew the tree over them
  (``Prefixes``: the root at each signed size, and the tree's frontier every ``block``
  entries), against the signed roots (stored checkpoints and those a supervisor held);
- the stored tree nodes, which give the root of any prefix in ``O(log n)`` reads
  (``ledger.proofs.root_at``) -- worth as much as the signed roots they agree with.

The change lies after the largest checkpoint the entries still agree with and at or
before the smallest one they do not. When the stored nodes still give that one's signed
root, they are the original tree, and a binary search over prefix sizes (on the
frontier kept every ``block`` entries, then leaf by leaf within one block) names the
first entry that differs exactly. When they do not (the tree was recomputed too), the
bracket between the two checkpoints is what is known, and is said as such.

A stored checkpoint is the database's; one held outside it is the supervisor's. When a
held checkpoint disagrees, whoever rewrote the entries may also have signed stored
checkpoints over them, so only held ones bound the change from below.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Protocol

from ledger.errors import NodeMissing
from ledger.merkle import Frontier, leaf_hash
from ledger.proofs import node_source, root_at
from ledger.store import Ledger

BLOCK: Final = 1024
"""Entries between two frontiers kept for the search: memory ``n / BLOCK`` frontiers, and
at most one block of entries read again."""


class Change(StrEnum):
    """What was done to the entries a checkpoint signed."""

    REWRITTEN = "rewritten"
    """The ledger holds at least as many entries as were signed, and one of them changed."""
    REMOVED = "removed"
    """Entries are missing from the middle: a gap, or the later ones moved up."""
    CUT = "cut"
    """The ledger is a prefix of what was signed: its tail is gone."""
    SHORTENED = "shortened"
    """The ledger is shorter than what was signed; cut or removed, nothing here tells."""


class Signed(Protocol):
    """A signed checkpoint's word: the first ``size`` entries have ``root``."""

    @property
    def size(self) -> int: ...
    @property
    def root(self) -> bytes: ...
    @property
    def label(self) -> str: ...
    @property
    def held(self) -> bool: ...


@dataclass(slots=True)
class Prefixes:
    """What the scan keeps of the tree it grows over the entries: the root at each signed
    size, and the frontier every ``block`` entries."""

    sizes: frozenset[int]
    block: int = BLOCK
    roots: dict[int, bytes] = field(default_factory=dict)
    frontiers: dict[int, Frontier] = field(default_factory=dict)
    grown: int = 0
    """How many entries, from the first and without a gap, the tree has grown over."""

    @classmethod
    def of(cls, sizes: Iterable[int], block: int = BLOCK) -> Prefixes:
        return cls(frozenset(sizes), block)

    def wants(self, size: int) -> bool:
        """Whether ``grew`` keeps anything of the tree of ``size`` entries."""
        return size in self.sizes or size % self.block == 0

    def grew(self, frontier: Frontier) -> None:
        """Keep what is needed of the tree of ``frontier.size`` entries."""
        size = self.grown = frontier.size
        if size in self.sizes:
            self.roots[size] = frontier.root()
        if size % self.block == 0:
            self.frontiers[size] = frontier


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The first entry that differs lies in ``[first, last]`` (one entry when equal)."""

    change: Change
    first: int
    last: int
    held: int
    """How many entries the ledger holds, from the first and without a gap."""
    signed: int
    """The size of the largest signed tree the entries disagree with."""
    signed_by: str
    """The checkpoint that signed it, as the report names it."""
    against: str
    """The checkpoint the entries disagree with, as the report names it."""
    since: str | None
    """The largest checkpoint they still agree with, if one bounds the change."""

    @property
    def exact(self) -> bool:
        return self.first == self.last

    def sentence(self) -> str:
        """What happened, and exactly how much is known of where."""
        where = (
            f"the first entry that differs is {self.first}"
            if self.exact
            else f"the first entry that differs lies between {self.first} and {self.last}"
        )
        bound = f" ({self.since} still agrees)" if self.since and not self.exact else ""
        if self.change is Change.CUT:
            return (
                f"entries were cut from the end: the ledger's {self.held} entries are a "
                f"prefix of the tree of {self.signed} that {self.signed_by} signed, and "
                f"entries {self.held + 1} to {self.signed} are gone"
            )
        if self.change is Change.REMOVED and self.first > self.held:
            return (
                f"entries were removed from the middle: entry {self.held + 1} is missing "
                f"and later ones keep their numbers (a gap){bound}"
            )
        if self.change is Change.REMOVED:
            return (
                f"entries were removed from the middle: the ledger holds {self.held} "
                f"entries where {self.signed_by} signed a tree of {self.signed}, and later "
                f"ones moved up; {where} from what {self.against} signed"
            )
        if self.change is Change.SHORTENED:
            return (
                f"entries were removed: the ledger holds {self.held} entries where "
                f"{self.signed_by} signed a tree of {self.signed}, cut from the end or "
                f"removed from the middle; {where} from what {self.against} signed{bound} "
                f"({self.held + 1} would mean cut from the end)"
            )
        return f"entries were rewritten: {where} from what {self.against} signed{bound}"


def diagnose(
    ledger: Ledger, claims: Sequence[Signed], prefixes: Prefixes, *, gap: bool
) -> Diagnosis | None:
    """What was done, if a signed root is not the entries' (``gap``: the scan found a
    sequence number missing after the ``prefixes.grown`` entries it grew the tree over)."""
    grown = prefixes.grown
    agreeing = [c for c in claims if c.size <= grown and prefixes.roots.get(c.size) == c.root]
    disagreeing = [c for c in claims if c not in agreeing]
    if not disagreeing:
        return None
    against = min(disagreeing, key=lambda c: (c.size, not c.held))
    bounds = [c for c in agreeing if c.size < against.size and (c.held or not against.held)]
    since = max(bounds, key=lambda c: c.size, default=None)
    low = since.size if since is not None else 0
    high = min(against.size, grown)
    first = _first_change(ledger, prefixes, against, low, high)
    found = (first, first) if first is not None else (low + 1, min(against.size, grown + 1))
    largest = max(disagreeing, key=lambda c: (c.size, c.held))
    return Diagnosis(
        _change(found, grown, largest.size, gap=gap),
        *found,
        held=grown,
        signed=largest.size,
        signed_by=largest.label,
        against=against.label,
        since=since.label if since is not None else None,
    )


def _change(found: tuple[int, int], grown: int, signed: int, *, gap: bool) -> Change:
    first, last = found
    if gap:
        return Change.REMOVED
    if grown >= signed:
        return Change.REWRITTEN
    if first == last == grown + 1:
        return Change.CUT
    return Change.REMOVED if last <= grown else Change.SHORTENED


def _first_change(
    ledger: Ledger, prefixes: Prefixes, against: Signed, low: int, high: int
) -> int | None:
    """The first entry in ``(low, high + 1]`` that is not the original, if the stored nodes
    are the original tree of ``against.size`` entries; ``None`` if they are not.

    The entries agree with the original tree up to ``low``, and a prefix that differs
    makes every longer one differ. A binary search over the kept frontiers (every
    ``block`` entries) finds the last block boundary where the entries' root is still
    the stored tree's; the block after it is read once, and the first entry whose append
    completes a node the stored tree does not hold is the first that differs.
    """
    stored = node_source(ledger)
    block = prefixes.block
    try:
        if root_at(stored, against.size) != against.root:
            return None
        lo, hi = low // block, high // block
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if root_at(stored, mid * block) == prefixes.frontiers[mid * block].root():
                lo = mid
            else:
                hi = mid - 1
    except NodeMissing:
        return None
    start = lo * block
    frontier = prefixes.frontiers.get(start, Frontier())
    completed: list[tuple[int, list[tuple[int, int, bytes]]]] = []
    for entry in ledger.entries_after(start, min(high - start, block)):
        frontier, nodes = frontier.append(leaf_hash(entry.encode()))
        completed.append((entry.seq, nodes))
    held = ledger.tree_nodes_at({(lv, i) for _, nodes in completed for lv, i, _ in nodes})
    for seq, nodes in completed:
        if any(held.get((lv, i)) != node for lv, i, node in nodes):
            return seq
    return start + len(completed) + 1
