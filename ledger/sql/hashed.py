"""What an append decides from, read from the hashed entries and the append-only tree,
and every cache checked against it first.

The heads, the tip row and the receipts are caches: no entry hash covers them, and whoever
can write to the database can edit them. An append therefore takes none of its decisions
from them. Under the append's lock it reads the facts themselves -- each card's opening,
latest moving and latest entry, the tree's right edge, the entry at the tip, the entries
an idempotency key wrote -- checks that each entry read still hashes to its hash and is
the leaf the tree holds, and compares every cache the request touches with them. Any
disagreement refuses the whole append (``CacheDisagrees``; the API answers it as an
integrity failure, logged at ``critical``): a cache edited underneath is never built
on, and never signed over.

Each read is bounded by the request: a card's three entries, a person's cards, the
tree's ``log2 n`` frontier nodes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, NoReturn

from sqlalchemy import Select, and_, bindparam, func, or_, select, tuple_, union
from sqlalchemy.engine import Connection

from ledger.append import Needs
from ledger.entry import TRANSITION, Entry, entry_hash
from ledger.errors import CacheDisagrees
from ledger.merkle import Frontier, leaf_hash
from ledger.sql.codec import entry_of, hash_bytes, stored_frontier
from ledger.sql.schema import entries_table, tree_table
from ledger.store import Head, Receipt, Tip

_CHUNK: Final = 500

_AT_APPEND: Final = "checked against the card's entries by every append that touches the card"
_TIP: Final = "checked against the tree's nodes and the entry at the tip by every append"
_RECEIPT: Final = "checked against the entry written with its key, at every read and append"
CACHES: Final[Mapping[str, Mapping[str, str]]] = {
    "ledger_heads": {
        column: _AT_APPEND
        for column in (
            "card_id",
            "version",
            "state",
            "last_seq",
            "subject",
            "region",
            "opened_seq",
            "opened_at",
            "updated_at",
            "occurred_at",
            "due_at",
            "exclusive",
        )
    },
    "ledger_tip": {column: _TIP for column in ("size", "hash", "root", "frontier")},
    "ledger_receipts": {
        column: _RECEIPT
        for column in ("actor", "key", "fingerprint", "card_id", "version", "seq", "recorded_at")
    },
    "ledger_checkpoints": {"root": "checked against the signed note before the next signing"},
}
"""Every column no entry hash, tree node or signature covers that a decision to write
reads, and how it is checked; ``verify`` compares each of them with the entries too.
``tests/contract/test_caches.py`` edits each one as a database administrator would and
fails on a column of the schema that is in none of these three tables."""

COVERED: Final[Mapping[str, str]] = {
    "ledger_entries": "each row is hashed (its hash) and is a leaf of the tree",
    "ledger_tree": "each node is hashed into the root a checkpoint signs",
    "ledger_keys": "the keys themselves: a process refuses to run with keys that disagree",
    "ledger_map_nodes": "content-addressed: each node is re-hashed when read, and the map "
    "root a checkpoint signs is grown from the entries",
    "ledger_cosignatures": "each line a witness's signature over the checkpoint of its size, "
    "checked before it is served or counted (when it came decides nothing)",
}
"""Tables whose every column is a hashed or signed fact, or a trust anchor."""

BESIDE: Final[Mapping[str, str]] = {
    "ledger_tip.id": "the one row's key, the append lock",
    "ledger_tip.schema_version": "which cardflow made the schema; a mismatch refuses to open",
    "ledger_checkpoints.size": "the note's size, checked with the root",
    "ledger_checkpoints.note": "the signed note itself",
    "ledger_checkpoints.signed_at": "when it was signed: the cadence reads it, nothing signed",
    "persons": "personal data, kept out of the ledger so that it can be erased",
    "api_keys": "who may call: made and revoked by the database's owner",
    "ledger_verify_runs": "a report of verify runs, decided from nothing",
    "desk_sessions": "who is signed in at the desk, to read only; decided from nothing",
}
"""Columns (``table.column``) and tables that are not caches of the ledger, and why."""


_LEAF: Final = tree_table.alias("leaf")


def _with_leaf() -> Select[Any]:
    """Entries, each with the leaf the tree holds at its place (``leaf``; null if none)."""
    entries = entries_table.c
    return select(entries_table, _LEAF.c.hash.label("leaf")).outerjoin(
        _LEAF, and_(_LEAF.c.level == 0, _LEAF.c.idx == entries.seq - 1)
    )


_NODES: Final = select(tree_table.c.level, tree_table.c.idx, tree_table.c.hash).where(
    tuple_(tree_table.c.level, tree_table.c.idx).in_(bindparam("nodes", expanding=True))
)
_AT_TIP: Final = (
    _with_leaf()
    .where(entries_table.c.seq >= bindparam("size"))
    .order_by(entries_table.c.seq)
    .limit(2)
)
_ASKED: Final = (
    select(entries_table.c.card_id)
    .where(
        or_(
            entries_table.c.card_id.in_(bindparam("cards", expanding=True)),
            entries_table.c.subject.in_(bindparam("subjects", expanding=True)),
        )
    )
    .distinct()
    .subquery("asked")
)
"""The cards asked for, and every card of the subjects asked for."""


def _end(end: Any, *, moving: bool = False) -> Select[Any]:
    """For each card asked, the ``end`` (min or max) of its entries' places (only its
    transitions', if ``moving``): one lookup in the (card, seq) index a card, so an
    append reads as much however long the ledger grows."""
    entries = entries_table.alias("ends")
    kind = (entries.c.kind == TRANSITION,) if moving else ()
    place = select(end(entries.c.seq)).where(entries.c.card_id == _ASKED.c.card_id, *kind)
    return select(place.scalar_subquery()).select_from(_ASKED)


_ENDS: Final = union(_end(func.min), _end(func.max), _end(func.max, moving=True))
_CARD_ENDS: Final = _with_leaf().where(entries_table.c.seq.in_(_ENDS)).order_by(entries_table.c.seq)
"""Each card's opening, latest and latest moving entry, for the cards asked for and every
card of the subjects asked for."""
_KEYED: Final = (
    _with_leaf()
    .where(
        tuple_(entries_table.c.actor, entries_table.c.idempotency_key).in_(
            bindparam("keys", expanding=True)
        ),
        entries_table.c.recorded_at >= bindparam("cutoff"),
    )
    .order_by(entries_table.c.seq)
)


@dataclass(frozen=True, slots=True)
class Facts:
    """The heads the hashed entries give for the cards an append touches, and the hash
    of each such card's latest entry of any kind."""

    heads: dict[str, Head]
    latest: dict[str, str]


def frontier_positions(size: int) -> list[tuple[int, int]]:
    """The (level, index) of each perfect subtree a tree of ``size`` leaves is made of,
    largest first: the nodes its frontier's roots are stored as."""
    positions, start = [], 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            positions.append((level, start >> level))
            start += 1 << level
    return positions


def checked_tip(conn: Connection, row: Any) -> tuple[Tip, Frontier]:
    """The tip and frontier the tree and the entries give for the locked tip ``row``,
    once its cached size, hash, root and frontier are shown to be theirs."""
    size = int(row.size)
    positions = frontier_positions(size)
    nodes = _tree_nodes(conn, [*positions, (0, size)])
    if (0, size) in nodes:
        _disagree("ledger_tip", "the tip", "size", f"it says {size}, and the tree has more")
    try:
        derived = Frontier(size, tuple(nodes[position] for position in positions))
    except KeyError:
        _disagree("ledger_tree", "the frontier", "hash", f"a node of the tree of {size} is gone")
    if stored_frontier(row.frontier) != derived.roots:
        _disagree("ledger_tip", "the tip", "frontier", "it is not the tree's right edge")
    root = derived.root()
    if hash_bytes(row.root) != root:
        _disagree("ledger_tip", "the tip", "root", f"it is not the root of the first {size}")
    rows = conn.execute(_AT_TIP, {"size": size}).all()
    beyond = [r for r in rows if int(r.seq) > size]
    if beyond:
        _disagree(
            "ledger_tip", "the tip", "size", f"it says {size}, and entry {size + 1} is stored"
        )
    if size == 0:
        return Tip(0, row.hash, root.hex()), derived
    last = _checked(r for r in rows if int(r.seq) == size)
    if not last:
        _disagree("ledger_tip", "the tip", "size", f"it says {size}, and entry {size} is gone")
    (entry,) = last
    if entry.hash != row.hash:
        _disagree("ledger_tip", "the tip", "hash", f"it is not the hash of entry {size}")
    return Tip(size, entry.hash, root.hex()), derived


def hashed_heads(conn: Connection, wanted: Needs) -> Facts:
    """The heads the entries give for every card ``wanted`` touches: the cards drafted
    and every card of each subject drafted or erased (a person's cards are few)."""
    rows: list[Any] = []
    asked = sorted(wanted.cards)
    subjects = sorted(wanted.subjects | wanted.erased)
    for turn in range(max(1, -(-max(len(asked), len(subjects)) // _CHUNK))):
        part = slice(turn * _CHUNK, (turn + 1) * _CHUNK)
        rows += conn.execute(_CARD_ENDS, {"cards": asked[part], "subjects": subjects[part]}).all()
    read = _checked(rows)
    heads: dict[str, Head] = {}
    latest: dict[str, str] = {}
    for entry in sorted(read, key=lambda e: e.seq):
        latest[entry.card_id] = entry.hash
        if not entry.moves:
            continue
        before = heads.get(entry.card_id)
        heads[entry.card_id] = Head.opened(entry) if before is None else before.moved(entry)
    return Facts(heads, latest)


def check_heads(cached: Mapping[str, Head], hashed: Mapping[str, Head]) -> None:
    """Refuse unless every cached head read is what the entries give, and every card the
    entries give has its cached head."""
    for card_id in sorted(cached.keys() | hashed.keys()):
        recorded, rebuilt = cached.get(card_id), hashed.get(card_id)
        if rebuilt is None:
            _disagree("ledger_heads", f"card {card_id}", "card_id", "no entry opened it")
        if recorded is None:
            _disagree("ledger_heads", f"card {card_id}", "card_id", "its head row is gone")
        differs = recorded.differences(rebuilt)
        if differs:
            _disagree("ledger_heads", f"card {card_id}", differs[0][0], _said(differs))


def checked_receipts(
    conn: Connection,
    keys: Collection[tuple[str, str]],
    cutoff: datetime,
    cached: Mapping[tuple[str, str], Receipt],
) -> dict[tuple[str, str], Receipt]:
    """The live receipts of ``keys``, once each is shown to be what the entry it answers
    for says, and each live key an entry was written with is shown to have its receipt."""
    if not keys:
        return dict(cached)
    written: dict[tuple[str, str], Entry] = {}
    for chunk in _chunks(sorted(keys)):
        rows = conn.execute(_KEYED, {"keys": chunk, "cutoff": cutoff}).all()
        for entry in _checked(rows):
            assert entry.idempotency_key is not None
            written[entry.actor, entry.idempotency_key] = entry
    for actor, key in sorted(keys):
        receipt, found = cached.get((actor, key)), written.get((actor, key))
        row = f"of an idempotency key of {actor}"
        if found is None:
            if receipt is not None:
                _disagree("ledger_receipts", row, "seq", "no live entry was written with the key")
            continue
        if receipt is None:
            _disagree(
                "ledger_receipts", row, "key", f"entry {found.seq} was, and its receipt is gone"
            )
        if receipt.fingerprint != (found.fingerprint or ""):
            _disagree("ledger_receipts", row, "fingerprint", f"entry {found.seq} says otherwise")
        for name in ("card_id", "version", "seq", "recorded_at"):
            if getattr(receipt, name) != getattr(found, name):
                said = f"entry {found.seq} says {getattr(found, name)}"
                _disagree("ledger_receipts", row, name, said)
    return dict(cached)


def _checked(rows: Iterable[Any]) -> list[Entry]:
    """The entries ``rows`` (of ``_with_leaf``) hold, each shown to hash to its hash and
    to be the leaf the tree holds at its place."""
    return [_checked_row(tuple(row._mapping.items())) for row in rows]


@lru_cache(maxsize=4096)
def _checked_row(row: tuple[tuple[str, Any], ...]) -> Entry:
    """The entry a stored row holds, once it is shown to be intact. A pure function of
    every column of the row as read (its leaf too), so remembering its answer for rows
    read before changes nothing but the time: a row changed in any column is another
    argument, checked anew."""
    columns = dict(row)
    seq = int(columns["seq"])
    try:
        entry = entry_of(columns)
    except (ValueError, TypeError, KeyError):
        _disagree("ledger_entries", f"entry {seq}", "row", "it cannot be read")
    encoded = entry.encode()
    if entry_hash(encoded) != entry.hash:
        _disagree("ledger_entries", f"entry {seq}", "hash", "its contents were altered")
    leaf = columns["leaf"]
    if leaf is None or hash_bytes(leaf) != leaf_hash(encoded):
        _disagree("ledger_tree", f"leaf {seq}", "hash", f"it is not entry {seq}'s leaf")
    return entry


def _tree_nodes(
    conn: Connection, wanted: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    found: dict[tuple[int, int], bytes] = {}
    for chunk in _chunks(sorted(set(wanted))):
        rows = conn.execute(_NODES, {"nodes": chunk})
        found.update(((int(r.level), int(r.idx)), hash_bytes(r.hash)) for r in rows)
    return found


def _said(differs: list[tuple[str, object, object]]) -> str:
    """The differences, values shown but for the subject (a person's reference)."""
    return ", ".join(
        f"{name} differs"
        if name == "subject"
        else f"{name} {recorded} where the entries say {rebuilt}"
        for name, recorded, rebuilt in differs
    )


def _disagree(table: str, row: str, column: str, said: str) -> NoReturn:
    raise CacheDisagrees(table, row, column, said)


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
