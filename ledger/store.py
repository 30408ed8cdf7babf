"""The ledger's port: append entries, read them back; never update, never delete.

The use cases in ``workflow/`` speak to the ledger through this module alone: what they
write (``Draft``), what they read (``Entry``, ``Head``), and what the ledger refuses.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Final, Protocol

from ledger.binding import BoundKey as BoundKey
from ledger.cardmap import MapNode
from ledger.entry import ERASURE, MAX_KEY_LENGTH, REFUSAL, TRANSITION, Draft, Entry
from ledger.errors import (
    DuplicateRequest,
    ErasureUnnoted,
    LedgerError,
    NotHeld,
    SubjectHeld,
    SubjectTaken,
    VersionConflict,
)
from ledger.merkle import EMPTY_ROOT, Node

__all__ = [
    "ERASURE",
    "MAX_KEY_LENGTH",
    "REFUSAL",
    "TRANSITION",
    "CardQuery",
    "Draft",
    "DuplicateRequest",
    "Entry",
    "ErasureUnnoted",
    "Head",
    "KeptCosignature",
    "Ledger",
    "LedgerError",
    "Move",
    "NotHeld",
    "Person",
    "Receipt",
    "SignedCheckpoint",
    "SubjectHeld",
    "SubjectTaken",
    "Tip",
    "Unreadable",
    "VersionConflict",
]


@dataclass(frozen=True, slots=True)
class Head:
    """A card's projection kept beside the ledger: the generic part only.

    ``state``, ``subject``, ``region``, ``occurred_at``, ``due_at`` and ``exclusive`` are
    what the card's last moving entry says (the ledger never interprets them, but keeps two promises
    about them: it lists heads by ``due_at``, and no two exclusive heads share a
    subject); ``opened_seq`` and ``opened_at`` are the place and time of the entry that
    opened the card, ``updated_at`` the time of its last move.
    """

    card_id: str
    version: int
    state: str
    last_seq: int
    subject: str
    region: str
    opened_seq: int
    opened_at: datetime
    updated_at: datetime
    occurred_at: datetime
    due_at: datetime | None = None
    exclusive: bool = False

    def moved(self, entry: Entry) -> Head:
        """This head after the moving ``entry``: what ``append`` and ``verify`` both do."""
        return replace(Head.opened(entry), opened_seq=self.opened_seq, opened_at=self.opened_at)

    def differences(self, rebuilt: Head) -> list[tuple[str, object, object]]:
        """Each field where this (recorded) head is not ``rebuilt``, the head the entries
        give: (name, recorded, rebuilt)."""
        return [
            (name, getattr(self, name), getattr(rebuilt, name))
            for name in (kept.name for kept in fields(self))
            if getattr(self, name) != getattr(rebuilt, name)
        ]

    @classmethod
    def opened(cls, entry: Entry) -> Head:
        """The head of the card ``entry`` opens."""
        return cls(
            entry.card_id,
            entry.version,
            entry.to_state,
            entry.seq,
            entry.subject,
            entry.region,
            entry.seq,
            entry.recorded_at,
            entry.recorded_at,
            entry.occurred_at,
            entry.due_at,
            entry.exclusive,
        )


Move = tuple[str, str]
"""An (event, channel) pair, as entries label them."""


@dataclass(frozen=True, slots=True)
class CardQuery:
    """Which cards a search wants, oldest opened first, one page at a time.

    Every set given narrows the search (an empty set does not): ``states`` and
    ``regions`` match the head; ``channels`` wants a card that moved through one of them;
    ``having`` a card with a move among those (event, channel) pairs, ``lacking`` a card
    with none. Time bounds are inclusive-exclusive, on the ledger's recorded times.
    ``after`` is the ``opened_seq`` of the last card of the previous page.
    """

    states: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    having: frozenset[Move] = frozenset()
    lacking: frozenset[Move] = frozenset()
    opened_from: datetime | None = None
    opened_before: datetime | None = None
    updated_from: datetime | None = None
    updated_before: datetime | None = None
    after: int = 0
    limit: int = 50

    def admits(self, head: Head, moves: Iterable[Move]) -> bool:
        """Whether ``head``, whose card made ``moves``, is one of the cards wanted."""
        made = set(moves)
        return (
            head.opened_seq > self.after
            and (not self.states or head.state in self.states)
            and (not self.regions or head.region in self.regions)
            and (not self.channels or any(channel in self.channels for _, channel in made))
            and (not self.having or bool(made & self.having))
            and not (made & self.lacking)
            and _within(head.opened_at, self.opened_from, self.opened_before)
            and _within(head.updated_at, self.updated_from, self.updated_before)
        )


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)


@dataclass(frozen=True, slots=True)
class Person:
    """Personal data, kept out of the ledger; entries name the person by ``ref`` only."""

    ref: str
    id_number: str
    name: str
    details: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an idempotent write left behind: enough to answer its retry with the same result.

    A receipt is kept for the ledger's receipt window (a day by default); after that the
    key may be used again.
    """

    actor: str
    key: str
    fingerprint: str
    card_id: str
    version: int
    seq: int
    recorded_at: datetime

    @classmethod
    def of(cls, draft: Draft, entry: Entry) -> Receipt:
        """The receipt an idempotent ``draft`` leaves once sealed as ``entry``."""
        assert draft.idempotency_key is not None
        return cls(
            actor=draft.actor,
            key=draft.idempotency_key,
            fingerprint=draft.fingerprint or "",
            card_id=entry.card_id,
            version=entry.version,
            seq=entry.seq,
            recorded_at=entry.recorded_at,
        )


RECEIPT_WINDOW: Final = timedelta(days=1)
"""How long a receipt answers retries, unless an adapter is given another window."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A stored row that no longer decodes as an entry: damage for ``verify`` to report."""

    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class Tip:
    """The ledger's size, the hash of its last entry and the root of its Merkle tree,
    as the store records them; ``frontier`` the roots of the perfect subtrees the tree is
    made of, largest first (``ledger.merkle.Frontier``), if the store records them."""

    size: int
    hash: str
    root: str = EMPTY_ROOT.hex()
    frontier: tuple[bytes, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint the ledger signed: the tree of ``size`` entries had ``root``, and
    ``note`` is the C2SP signed note saying so."""

    size: int
    root: bytes
    note: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class KeptCosignature:
    """A witness's cosignature of the checkpoint of ``size`` entries: ``witness`` is the
    witness's key (``<name>+<id>+<key>``), ``line`` its signature line on the note, and
    ``received_at`` when the ledger took it."""

    witness: str
    size: int
    line: str
    received_at: datetime


class Ledger(Protocol):
    """Every adapter gives the same guarantees, and one contract suite checks them.

    * ``append`` writes all drafts, their heads and the persons, and removes the
      persons it is told to erase, in one transaction, or does nothing; sequence
      numbers are gapless and never fork, whatever the number of concurrent writers;
    * a subject is erased only if its data is held (else ``NotHeld``), no card holds it
      exclusively (else ``SubjectHeld``) and the same append notes every card of it
      (else ``ErasureUnnoted``), all checked under the append's lock;
    * a draft whose ``version`` is not the card's next raises ``VersionConflict``,
      so two writers racing on one card can never both win;
    * an exclusive draft whose subject another card holds exclusively raises
      ``SubjectTaken``, so two writers racing for one subject can never both win;
    * a draft carrying an idempotency key leaves a ``Receipt`` in the same transaction;
      a draft whose actor already holds a live receipt for that key raises
      ``DuplicateRequest`` and nothing is written, so concurrent retries write once;
    * each entry is a leaf of the ledger's Merkle tree, grown in the same transaction:
      the tree's size is the ledger's, and each size has one root;
    * entries are returned oldest first.
    """

    def append(
        self,
        drafts: Sequence[Draft],
        *,
        persons: Sequence[Person] = (),
        erase: Sequence[str] = (),
    ) -> list[Entry]:
        """Write ``drafts`` (and ``persons``) and remove the personal data held under each
        reference in ``erase``, atomically; return the sealed entries."""
        ...

    def clear_journal(self) -> bool:
        """Remove what copies of erased data the store keeps beside its tables (on
        SQLite, in the write-ahead log); whether none is left that it could remove."""
        ...

    def cards_of(self, subject: str) -> list[Head]:
        """The head of every card ``subject`` was ever the holder of, oldest first."""
        ...

    def head(self, card_id: str) -> Head | None:
        """The card's head, or ``None`` if the ledger has never heard of it."""
        ...

    def entries_for(self, card_id: str) -> list[Entry]:
        """One card's entries, oldest first."""
        ...

    def entries_after(self, seq: int, limit: int) -> list[Entry]:
        """Up to ``limit`` entries with a sequence number above ``seq``, in order."""
        ...

    def card_page(self, card_id: str, *, after: int, limit: int, refusals: bool) -> list[Entry]:
        """Up to ``limit`` of one card's entries with a sequence number above ``after``,
        oldest first; its refusal notes only if ``refusals``."""
        ...

    def scan(self) -> Iterator[Entry | Unreadable]:
        """Every stored row in sequence order, damaged ones included, for ``verify``."""
        ...

    def heads(self) -> Iterator[Head]:
        """Every card's head, in card id order."""
        ...

    def search(self, query: CardQuery) -> list[Head]:
        """Up to ``query.limit`` heads of the cards ``query`` wants, by ``opened_seq``."""
        ...

    def due(self, by: datetime, limit: int) -> list[Head]:
        """Up to ``limit`` heads whose ``due_at`` is at or before ``by``, soonest first."""
        ...

    def holder(self, subject: str) -> Head | None:
        """The head that holds ``subject`` exclusively, if one does."""
        ...

    def tip(self) -> Tip:
        """The recorded size, last hash and Merkle root of the ledger."""
        ...

    def tree_node(self, level: int, index: int) -> bytes | None:
        """The stored hash of the perfect subtree at (``level``, ``index``) of the ledger's
        Merkle tree (``ledger.merkle``), if the ledger has grown that far."""
        ...

    def tree_nodes_at(self, wanted: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored hashes of the perfect subtrees at each (``level``, ``index``) of
        ``wanted`` that the ledger has grown to, read together: one read for many proofs."""
        ...

    def tree_nodes(self) -> Iterator[Node]:
        """Every stored node of the Merkle tree, in the order appends completed them
        (``ledger.merkle.completion``): one pass for a check of the whole tree."""
        ...

    def keep_checkpoint(
        self, checkpoint: SignedCheckpoint, map_nodes: Sequence[MapNode] = ()
    ) -> SignedCheckpoint:
        """Store ``checkpoint`` with the card map nodes its map root needs (``ledger.maps``),
        or return the one already stored for its size."""
        ...

    def map_nodes(self, hashes: Collection[bytes]) -> dict[bytes, MapNode]:
        """The stored card map nodes among ``hashes``, read together (``ledger.cardmap``
        re-hashes each: a stored node is never taken on trust)."""
        ...

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every stored checkpoint, smallest size first."""
        ...

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        """The stored checkpoint of the largest size, if any."""
        ...

    def keep_cosignature(self, cosignature: KeptCosignature) -> None:
        """Store ``cosignature`` unless its witness's cosignature of its size is stored
        (then the first one stands)."""
        ...

    def cosignatures(self, size: int) -> list[KeptCosignature]:
        """The stored cosignatures of the checkpoint of ``size`` entries, by witness key."""
        ...

    def last_cosigned(self) -> dict[str, int]:
        """The largest size each witness (by key) has a stored cosignature of."""
        ...

    def bound_keys(self) -> list[BoundKey]:
        """The keys the database is bound to (``ledger.binding``), oldest first."""
        ...

    def bind_key(self, key: BoundKey) -> None:
        """Record ``key`` unless a key of its kind is bound for its ``first_size`` already
        (then the record stands: read ``bound_keys`` to see whose it is)."""
        ...

    def person(self, ref: str) -> Person | None:
        """The personal data behind ``ref``, if it is still held."""
        ...

    def receipt(self, actor: str, key: str) -> Receipt | None:
        """The live receipt of ``actor``'s idempotency ``key``, if any."""
        ...

    def receipts(self) -> Iterator[Receipt]:
        """Every stored receipt, live or not yet purged, by sequence number: for
        ``verify`` to compare each with the entry it answers for."""
        ...
