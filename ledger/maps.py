"""The card map beside the log: grown at each checkpoint, carried in its extension line.

Each checkpoint of size N carries the line ``cardflow.cardmap/1 <base64 root>``: the root
of the card map (``ledger.cardmap``) from every card with an entry among the first N to
the hash of its latest one. A checkpoint is signed for a map grown from the map the last
checkpoint signed, by the entries since -- each read and shown to be the leaf the tree
holds at its place -- so the map, like the tree, is decided from the hashed entries
only; ``MapReplay`` does the same for ``verify``, from the first entry on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Final

from ledger.cardmap import EMPTY, FORMAT, Fetch, MapNode, apply, card_key
from ledger.entry import Entry, entry_hash
from ledger.errors import CheckpointRefused, MapError, NoteError
from ledger.merkle import leaf_hash
from ledger.note import Checkpoint
from ledger.store import Ledger

_PAGE: Final = 1000
"""Entries read at a time while the map grows."""


def map_line(root: bytes) -> str:
    """The checkpoint extension line that carries the map ``root``."""
    return f"{FORMAT} {base64.b64encode(root).decode()}"


def map_root_of(checkpoint: Checkpoint) -> bytes:
    """The map root ``checkpoint`` carries: its first extension line must be the map's;
    ``NoteError`` naming what is wrong otherwise."""
    lines = [line for line in checkpoint.extensions if line.startswith(f"{FORMAT} ")]
    if not checkpoint.extensions or not checkpoint.extensions[0].startswith(f"{FORMAT} "):
        raise NoteError(f"the checkpoint's fourth line is not its {FORMAT} line")
    if len(lines) > 1:
        raise NoteError(f"the checkpoint carries more than one {FORMAT} line")
    try:
        root = base64.b64decode(lines[0][len(FORMAT) + 1 :], validate=True)
    except binascii.Error:
        raise NoteError("the checkpoint's map root is not base64") from None
    if len(root) != 32:
        raise NoteError("the checkpoint's map root is not 32 bytes")
    return root


def grown(ledger: Ledger, since: int, root: bytes, size: int) -> tuple[bytes, list[MapNode]]:
    """The map at ``size``, grown from ``root``, the map at ``since``, by the entries in
    between, and the nodes it adds; ``CheckpointRefused`` if an entry is gone, altered
    or not the tree's leaf at its place."""
    changes: dict[bytes, bytes] = {}
    seq = since
    while seq < size:
        page = ledger.entries_after(seq, min(_PAGE, size - seq))
        leaves = ledger.tree_nodes_at([(0, entry.seq - 1) for entry in page])
        if not page:
            raise CheckpointRefused(f"entry {seq + 1} of the tree of {size} entries is gone")
        for entry in page:
            if entry.seq != seq + 1:
                raise CheckpointRefused(f"entry {seq + 1} of the tree of {size} entries is gone")
            encoded = entry.encode()
            if entry_hash(encoded) != entry.hash or leaf_hash(encoded) != leaves.get(
                (0, entry.seq - 1)
            ):
                raise CheckpointRefused(f"entry {entry.seq} is not the leaf the tree holds")
            changes[card_key(entry.card_id)] = bytes.fromhex(entry.hash)
            seq = entry.seq
    try:
        return apply(root, changes, ledger.map_nodes)
    except MapError as damaged:
        raise CheckpointRefused(f"the card map cannot grow: {damaged}") from None


class MapReplay:
    """The map grown over entries as ``verify`` scans them, its root compared at each
    checkpoint size with the map root the checkpoint signed."""

    def __init__(self, fetch: Fetch, claims: Iterable[tuple[int, bytes]]) -> None:
        self._fetch = fetch
        self._claims = sorted(claims)
        self._root = EMPTY
        self._changes: dict[bytes, bytes] = {}
        self._intact = True

    def add(self, entry: Entry) -> list[str]:
        """Take ``entry`` (the next of the scan); at a checkpoint's size, what is wrong
        with the map it signed, or with the nodes stored for it (the first such
        checkpoint only: later maps grow from it)."""
        self._changes[card_key(entry.card_id)] = bytes.fromhex(entry.hash)
        while self._intact and self._claims and self._claims[0][0] == entry.seq:
            size, claimed = self._claims.pop(0)
            try:
                self._root, made = apply(self._root, self._changes, self._fetch)
            except MapError as damaged:
                self._intact = False
                return [f"the card map of checkpoint {size} cannot be read: {damaged}"]
            self._changes = {}
            stored = self._fetch([node.hash for node in made])
            altered = [node for node in made if stored.get(node.hash) != node]
            if altered:
                self._intact = False
                return [
                    f"the card map of checkpoint {size} cannot be read: {len(altered)} of "
                    f"its nodes are not stored as it was signed (the first "
                    f"{altered[0].hash.hex()})"
                ]
            if self._root != claimed:
                self._intact = False
                return [f"checkpoint {size} signed a card map the first {size} entries do not give"]
        return []
