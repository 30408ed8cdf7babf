"""The card map ``cardflow.cardmap/1``: a sparse Merkle map from each card to its latest entry.

A checkpoint of size N commits, besides the log's root, to the root of this map over the
first N entries, so a card's bundle can show that no later entry of the card was left
out. The map is pure data: nothing here touches a database.

* key ``k = SHA-256(UTF-8 card id)``; bit ``i`` of ``k`` is ``(k[i // 8] >> (7 - i % 8))
  & 1``, most significant bit first; bit 0 picks the root's child;
* value ``v``: the 32 raw bytes of the card's latest entry hash;
* the empty subtree is ``E`` (32 zero bytes), a leaf ``L(k, v) = SHA-256(0x00 || k || v)``
  and an internal node ``N(l, r) = SHA-256(0x01 || l || r)``;
* the subtree at depth ``d`` with prefix ``p`` over the pairs whose keys start with ``p``
  is ``E`` if there are none, ``L(k, v)`` if there is one, and ``N`` of its two halves
  otherwise. A pair thus sits at the shallowest depth where it is alone, about
  ``log2(cards)`` deep, so setting a key costs O(log n) hashes.

Nodes are content-addressed (``MapNode``): every node is stored under its own hash, a
reader re-hashes what it is given, and the map of any checkpoint is reached from its
root alone, so its history needs no versions: nodes are only ever added. ``apply``
reads the nodes it needs a level at a time (one ``fetch`` per depth, however many keys
change), so an SQL store answers each level with one query.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ledger.errors import MapDamaged as MapDamaged
from ledger.errors import MapError as MapError
from ledger.errors import MapProofError as MapProofError
from ledger.merkle import leaf_hash, node_hash

FORMAT: Final = "cardflow.cardmap/1"
"""The map's name, as a checkpoint's extension line begins with it."""
SIZE: Final = 32
"""The width in bytes of every key, value and hash of the map."""
DEPTH: Final = 8 * SIZE
"""How deep a leaf can sit: one level per bit of a key."""
EMPTY: Final = bytes(SIZE)
"""The hash of an empty subtree (never stored: no content hashes to it)."""

Fetch = Callable[[Collection[bytes]], Mapping[bytes, "MapNode"]]
"""Read stored nodes by hash, many at once; a hash not stored is left out of the answer."""


def card_key(card_id: str) -> bytes:
    """The map key of ``card_id``."""
    return hashlib.sha256(card_id.encode("utf-8")).digest()


def bit(key: bytes, index: int) -> int:
    """Bit ``index`` of ``key``, most significant first: which child holds ``key`` at
    depth ``index``."""
    return (key[index // 8] >> (7 - index % 8)) & 1


@dataclass(frozen=True, slots=True)
class MapNode:
    """A stored node of the map: a leaf (``key``, ``value``) or an internal node (``left``,
    ``right``), kept under ``hash``. ``intact`` tells whether its content still hashes
    to it."""

    hash: bytes
    left: bytes | None = None
    right: bytes | None = None
    key: bytes | None = None
    value: bytes | None = None

    @classmethod
    def leaf(cls, key: bytes, value: bytes) -> MapNode:
        """The leaf holding ``value`` under ``key``."""
        _check_width(key, "a map key")
        _check_width(value, "a map value")
        return cls(leaf_hash(key + value), key=key, value=value)

    @classmethod
    def internal(cls, left: bytes, right: bytes) -> MapNode:
        """The internal node over the subtrees hashed ``left`` and ``right``."""
        _check_width(left, "a map node's left child")
        _check_width(right, "a map node's right child")
        return cls(node_hash(left, right), left=left, right=right)

    def pair(self) -> tuple[bytes, bytes] | None:
        """The key and value of a leaf; ``None`` for an internal node."""
        if self.key is None or self.value is None:
            return None
        return self.key, self.value

    def children(self) -> tuple[bytes, bytes]:
        """The left and right children of an internal node."""
        if self.left is None or self.right is None:
            raise MapDamaged(f"the map node {self.hash.hex()} is not an internal node")
        return self.left, self.right

    def intact(self) -> bool:
        """Whether this node's content is of one kind, of the right widths, and hashes to
        its ``hash``."""
        parts = (self.left, self.right, self.key, self.value)
        if any(part is not None and len(part) != SIZE for part in parts):
            return False
        if self.key is not None and self.value is not None and self.left is self.right is None:
            return leaf_hash(self.key + self.value) == self.hash
        if self.left is not None and self.right is not None and self.key is self.value is None:
            return node_hash(self.left, self.right) == self.hash
        return False


def root_of(pairs: Mapping[bytes, bytes]) -> bytes:
    """The root of the map holding ``pairs``, computed from nothing else (for checks and
    tests; a ledger updates its map with ``apply``)."""
    for key, value in pairs.items():
        _check_width(key, "a map key")
        _check_width(value, "a map value")
    return _built(0, sorted(pairs.items()), None)


def apply(root: bytes, changes: Mapping[bytes, bytes], fetch: Fetch) -> tuple[bytes, list[MapNode]]:
    """The root of the map ``root`` with every key of ``changes`` set to its value (new
    keys or existing ones), and the nodes to store for it. Stored nodes are read a depth
    at a time, each checked against its hash (``MapDamaged`` otherwise). A node already
    stored may be among those returned: a store ignores duplicates."""
    _check_width(root, "a map root")
    for key, value in changes.items():
        _check_width(key, "a map key")
        _check_width(value, "a map value")
    if not changes:
        return root, []
    nodes = _descend(root, sorted(changes), fetch)
    made: list[MapNode] = []
    new_root = _updated(root, 0, sorted(changes.items()), nodes, made)
    return new_root, made


def prove(root: bytes, key: bytes, fetch: Fetch) -> tuple[bytes, list[bytes]]:
    """The value ``key`` holds in the map ``root`` and its proof: the siblings from the
    root down. ``MapProofError`` if the map holds no value for ``key``."""
    _check_width(root, "a map root")
    _check_width(key, "a map key")
    siblings: list[bytes] = []
    at = root
    while at != EMPTY:
        node = _fetched(fetch, [at])[at]
        pair = node.pair()
        if pair is not None:
            if pair[0] != key:
                break
            return pair[1], siblings
        left, right = node.children()
        if bit(key, len(siblings)):
            siblings.append(left)
            at = right
        else:
            siblings.append(right)
            at = left
    raise MapProofError(f"the map holds no value for key {key.hex()}")


def verify_proof(root: bytes, key: bytes, value: bytes, siblings: Sequence[bytes]) -> None:
    """Raise ``MapProofError`` unless ``siblings`` show ``key`` holding ``value`` in the map
    whose root is ``root``, in the map's one canonical form."""
    for what, part in (("root", root), ("key", key), ("value", value)):
        if len(part) != SIZE:
            raise MapProofError(f"a map proof's {what} is {SIZE} bytes, not {len(part)}")
    if len(siblings) > DEPTH:
        raise MapProofError(f"a map proof holds at most {DEPTH} siblings, not {len(siblings)}")
    for depth, sibling in enumerate(siblings):
        if len(sibling) != SIZE:
            raise MapProofError(f"sibling {depth} of the map proof is not {SIZE} bytes")
    if siblings and siblings[-1] == EMPTY:
        raise MapProofError(
            "the map proof's deepest sibling is empty: the leaf would sit higher, so the "
            "proof is not in canonical form"
        )
    at = leaf_hash(key + value)
    for depth in reversed(range(len(siblings))):
        sibling = siblings[depth]
        at = node_hash(sibling, at) if bit(key, depth) else node_hash(at, sibling)
    if at != root:
        raise MapProofError("the map proof leads to another root")


@dataclass(slots=True)
class MemoryNodes:
    """A map's nodes in a dict: for tests and for cardflow's in-memory ledger."""

    nodes: dict[bytes, MapNode] = field(default_factory=dict)

    def fetch(self, hashes: Collection[bytes]) -> dict[bytes, MapNode]:
        """The stored nodes among ``hashes``."""
        return {h: self.nodes[h] for h in hashes if h in self.nodes}

    def add(self, nodes: Collection[MapNode]) -> None:
        """Store ``nodes``; one already stored is kept as it was."""
        for node in nodes:
            self.nodes.setdefault(node.hash, node)


def _descend(root: bytes, keys: Sequence[bytes], fetch: Fetch) -> dict[bytes, MapNode]:
    """Every stored node on the paths of ``keys`` (sorted), read one depth per fetch."""
    nodes: dict[bytes, MapNode] = {}
    wanted: dict[bytes, list[bytes]] = {root: list(keys)} if root != EMPTY else {}
    depth = 0
    while wanted:
        found = _fetched(fetch, list(wanted))
        below: dict[bytes, list[bytes]] = {}
        for at, under in wanted.items():
            node = nodes[at] = found[at]
            if node.pair() is not None:
                continue
            for side, child in enumerate(node.children()):
                on_side = [key for key in under if bit(key, depth) == side]
                if on_side and child != EMPTY:
                    below.setdefault(child, []).extend(on_side)
        wanted, depth = below, depth + 1
    return nodes


def _fetched(fetch: Fetch, hashes: Collection[bytes]) -> Mapping[bytes, MapNode]:
    """``fetch(hashes)``, refused as damage unless every node is there, intact."""
    found = fetch(hashes)
    for at in hashes:
        node = found.get(at)
        if node is None:
            raise MapDamaged(f"the map node {at.hex()} is not stored")
        if node.hash != at or not node.intact():
            raise MapDamaged(f"the stored map node {at.hex()} does not hash to its own hash")
    return found


def _updated(
    at: bytes,
    depth: int,
    changes: Sequence[tuple[bytes, bytes]],
    nodes: Mapping[bytes, MapNode],
    made: list[MapNode],
) -> bytes:
    """The subtree ``at`` (at ``depth``) with ``changes`` (sorted, all under it) set."""
    if not changes:
        return at
    if at == EMPTY:
        return _built(depth, changes, made)
    node = nodes[at]
    pair = node.pair()
    if pair is not None:
        merged = dict(changes)
        merged.setdefault(*pair)
        return _built(depth, sorted(merged.items()), made)
    left, right = node.children()
    split = _split(changes, depth)
    left = _updated(left, depth + 1, changes[:split], nodes, made)
    right = _updated(right, depth + 1, changes[split:], nodes, made)
    return _made(MapNode.internal(left, right), made)


def _built(depth: int, pairs: Sequence[tuple[bytes, bytes]], made: list[MapNode] | None) -> bytes:
    """The subtree at ``depth`` holding exactly ``pairs`` (sorted by key), its nodes added
    to ``made`` unless that is ``None``."""
    if not pairs:
        return EMPTY
    if len(pairs) == 1:
        return _made(MapNode.leaf(*pairs[0]), made)
    split = _split(pairs, depth)
    left = _built(depth + 1, pairs[:split], made)
    right = _built(depth + 1, pairs[split:], made)
    return _made(MapNode.internal(left, right), made)


def _split(pairs: Sequence[tuple[bytes, bytes]], depth: int) -> int:
    """Where the pairs (sorted, sharing their first ``depth`` bits) whose bit ``depth`` is
    1 begin."""
    return bisect.bisect_left(pairs, 1, key=lambda pair: bit(pair[0], depth))


def _made(node: MapNode, made: list[MapNode] | None) -> bytes:
    if made is not None:
        made.append(node)
    return node.hash


def _check_width(part: bytes, what: str) -> None:
    if len(part) != SIZE:
        raise MapError(f"{what} is {SIZE} bytes, not {len(part)}")
