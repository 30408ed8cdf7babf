"""The one append path: every decision an append takes, made here and nowhere else.

An adapter reads a ``Snapshot`` under its append lock (what ``needs`` says the requests
touch), asks ``plan`` (or ``plan_many``) what to write, and writes the ``Plan`` it gets in
the same transaction. Versions, idempotency keys, the one holder per subject and erasures
are all checked here, against the snapshot alone, so the in-memory and the SQL ledgers
cannot decide differently. ``plan_many`` plans requests in a row, each seeing what the
ones before it wrote and each failing on its own: the seam a group-committing writer
takes several callers' appends through, under one lock and one commit.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ledger.entry import GENESIS_HASH, Draft, Entry
from ledger.errors import (
    DuplicateRequest,
    ErasedAndWritten,
    ErasureUnnoted,
    KeyRepeated,
    LedgerError,
    NotHeld,
    SubjectChanged,
    SubjectHeld,
    SubjectTaken,
    VersionConflict,
)
from ledger.merkle import Frontier, Node, leaf_hash
from ledger.store import Head, Person, Receipt, Tip


@dataclass(frozen=True, slots=True)
class Request:
    """One caller's append: drafts to seal, persons to keep, persons to erase."""

    drafts: Sequence[Draft] = ()
    persons: Sequence[Person] = ()
    erase: Sequence[str] = ()

    def __bool__(self) -> bool:
        return bool(self.drafts or self.persons or self.erase)


@dataclass(frozen=True, slots=True)
class Needs:
    """What a snapshot must hold for ``plan`` to decide the requests it was made for.

    ``cards`` the heads of the cards drafted; ``subjects`` the head that holds each such
    subject exclusively (if one does); ``erased`` every head of each subject to erase, and
    whether its personal data is held; ``keys`` each live receipt of an (actor, key).
    """

    cards: frozenset[str]
    subjects: frozenset[str]
    erased: frozenset[str]
    keys: frozenset[tuple[str, str]]


def needs(requests: Iterable[Request]) -> Needs:
    """What the adapter must load to plan ``requests``."""
    drafts = [draft for request in requests for draft in request.drafts]
    return Needs(
        cards=frozenset(draft.card_id for draft in drafts),
        subjects=frozenset(draft.subject for draft in drafts),
        erased=frozenset(ref for request in requests for ref in request.erase),
        keys=frozenset(
            (draft.actor, draft.idempotency_key)
            for draft in drafts
            if draft.idempotency_key is not None
        ),
    )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the ledger holds, as far as an append needs to know, read under its lock.

    ``heads`` holds every head ``Needs`` asks for (a card drafted, the holder of a subject
    drafted, each card of a subject to erase); a card not among them is new. ``persons``
    names the references to erase whose data is held; ``receipts`` the live receipts of
    the keys drafted. ``frontier`` is the Merkle tree's right edge for ``tip``; ``latest``
    the hash of the latest entry (of any kind) of each card drafted, which its next entry
    chains to.
    """

    tip: Tip
    frontier: Frontier
    now: datetime
    heads: Mapping[str, Head] = field(default_factory=dict)
    persons: frozenset[str] = frozenset()
    receipts: Mapping[tuple[str, str], Receipt] = field(default_factory=dict)
    latest: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plan:
    """What to write, all in one transaction: nothing here is decided by the adapter.

    ``moved`` are the heads of cards that existed before, ``opened`` those of new cards,
    each as it stands after the append; write ``moved`` first, those giving up a subject
    before those taking one, so that no moment has two holders. ``persons`` are kept
    (replacing what is held under their reference), ``erased`` removed. Receipts recorded
    before ``purge_before`` may be removed: no decision reads them again. Every entry
    was recorded at ``recorded_at``.
    """

    entries: tuple[Entry, ...]
    moved: tuple[Head, ...]
    opened: tuple[Head, ...]
    receipts: tuple[Receipt, ...]
    nodes: tuple[Node, ...]
    tip: Tip
    frontier: Frontier
    persons: tuple[Person, ...]
    erased: tuple[str, ...]
    purge_before: datetime | None
    recorded_at: datetime


def plan(snapshot: Snapshot, request: Request, *, receipt_window: timedelta) -> Plan:
    """What ``request`` writes on ``snapshot``, or the ``LedgerError`` why not."""
    written, (outcome,) = plan_many(snapshot, [request], receipt_window=receipt_window)
    if isinstance(outcome, LedgerError):
        raise outcome
    return written


def plan_many(
    snapshot: Snapshot, requests: Sequence[Request], *, receipt_window: timedelta
) -> tuple[Plan, list[tuple[Entry, ...] | LedgerError]]:
    """Plan ``requests`` in order as one write, each failure isolated: a request that
    fails leaves nothing in the plan and the ones after it see the ledger without it.

    Returns the plan of every request that succeeded together, and for each request the
    entries it was sealed as, or its error.
    """
    book = _Book(snapshot)
    outcomes: list[tuple[Entry, ...] | LedgerError] = []
    for request in requests:
        trial = _Trial(book)
        try:
            sealed = trial.take(request)
        except LedgerError as refused:
            outcomes.append(refused)
            continue
        trial.keep()
        outcomes.append(sealed)
    purge_before = snapshot.now - receipt_window if book.receipts else None
    return book.plan(snapshot, purge_before), outcomes


class _Book:
    """The ledger as the requests planned so far leave it."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.tip = snapshot.tip
        self.frontier = snapshot.frontier
        self.now = snapshot.now
        self.heads = dict(snapshot.heads)
        self.holders: dict[str, str | None] = {
            head.subject: head.card_id for head in snapshot.heads.values() if head.exclusive
        }
        self.held: dict[str, bool] = dict.fromkeys(snapshot.persons, True)
        self.live = dict(snapshot.receipts)
        self.latest = dict(snapshot.latest)
        self.entries: list[Entry] = []
        self.receipts: list[Receipt] = []
        self.nodes: list[Node] = []
        self.persons: dict[str, Person | None] = {}

    def plan(self, snapshot: Snapshot, purge_before: datetime | None) -> Plan:
        changed = dict.fromkeys(entry.card_id for entry in self.entries if entry.moves)
        moved = [self.heads[card] for card in changed if card in snapshot.heads]
        opened = [self.heads[card] for card in changed if card not in snapshot.heads]
        return Plan(
            entries=tuple(self.entries),
            moved=tuple(sorted(moved, key=lambda head: head.exclusive)),
            opened=tuple(opened),
            receipts=tuple(self.receipts),
            nodes=tuple(self.nodes),
            tip=self.tip,
            frontier=self.frontier,
            persons=tuple(person for person in self.persons.values() if person is not None),
            erased=tuple(
                ref
                for ref, person in self.persons.items()
                if person is None and ref in snapshot.persons
            ),
            purge_before=purge_before,
            recorded_at=self.now,
        )


class _Trial:
    """One request planned on top of a book, kept only if all of it holds: what it
    changes sits in overlays until ``keep`` folds them in."""

    def __init__(self, book: _Book) -> None:
        self.book = book
        self.tip = book.tip
        self.frontier = book.frontier
        self.heads: ChainMap[str, Head] = ChainMap({}, book.heads)
        self.holders: ChainMap[str, str | None] = ChainMap({}, book.holders)
        self.held: ChainMap[str, bool] = ChainMap({}, book.held)
        self.live: ChainMap[tuple[str, str], Receipt] = ChainMap({}, book.live)
        self.latest: ChainMap[str, str] = ChainMap({}, book.latest)
        self.entries: list[Entry] = []
        self.receipts: list[Receipt] = []
        self.nodes: list[Node] = []
        self.persons: dict[str, Person | None] = {}

    def take(self, request: Request) -> tuple[Entry, ...]:
        """Seal ``request``, or raise why it cannot be."""
        keys: set[tuple[str, str]] = set()
        for draft in request.drafts:
            self.entries.append(self._seal(draft, keys))
        if request.erase:
            self._erase(request, self.book.heads)
        for person in request.persons:
            self.persons[person.ref] = person
            self.held[person.ref] = True
        return tuple(self.entries)

    def keep(self) -> None:
        book = self.book
        book.tip, book.frontier = self.tip, self.frontier
        book.heads.update(self.heads.maps[0])
        book.holders.update(self.holders.maps[0])
        book.held.update(self.held.maps[0])
        book.live.update(self.live.maps[0])
        book.latest.update(self.latest.maps[0])
        book.entries += self.entries
        book.receipts += self.receipts
        book.nodes += self.nodes
        book.persons.update(self.persons)

    def _seal(self, draft: Draft, keys: set[tuple[str, str]]) -> Entry:
        if draft.idempotency_key is not None:
            key = (draft.actor, draft.idempotency_key)
            if key in keys:
                raise KeyRepeated(draft.actor, draft.idempotency_key)
            held = self.live.get(key)
            if held is not None:
                raise DuplicateRequest(held)
            keys.add(key)
        current = self.heads.get(draft.card_id)
        actual = current.version if current else 0
        if draft.expected_version() != actual or draft.version < 1:
            raise VersionConflict(draft.card_id, expected=draft.expected_version(), actual=actual)
        if current is not None and draft.subject != current.subject:
            raise SubjectChanged(draft.card_id)
        entry = Entry.seal(
            draft,
            seq=self.tip.size + 1,
            recorded_at=self.book.now,
            prev_hash=self.tip.hash,
            card_prev=self.latest.get(draft.card_id, GENESIS_HASH),
        )
        self.latest[entry.card_id] = entry.hash
        if entry.moves:
            self._hold(entry)
            self.heads[entry.card_id] = (
                Head.opened(entry) if current is None else current.moved(entry)
            )
        if draft.idempotency_key is not None:
            receipt = Receipt.of(draft, entry)
            self.live[receipt.actor, receipt.key] = receipt
            self.receipts.append(receipt)
        self.frontier, completed = self.frontier.append(leaf_hash(entry.encode()))
        self.nodes += completed
        self.tip = Tip(entry.seq, entry.hash, self.frontier.root().hex(), self.frontier.roots)
        return entry

    def _hold(self, entry: Entry) -> None:
        """Move the subject's holder with the moving ``entry``; ``SubjectTaken`` if
        another card holds it exclusively."""
        holder = self.holders.get(entry.subject)
        if entry.exclusive:
            if holder is not None and holder != entry.card_id:
                raise SubjectTaken(entry.card_id, holder=holder)
            self.holders[entry.subject] = entry.card_id
        elif holder == entry.card_id:
            self.holders[entry.subject] = None

    def _erase(self, request: Request, before: Mapping[str, Head]) -> None:
        """An erasure is noted on every card its subject had before the request, none of
        which may still hold it, of data held before the request and not written by it."""
        noted = {entry.card_id for entry in self.entries}
        written = {person.ref for person in request.persons}
        for subject in dict.fromkeys(request.erase):
            cards = sorted(
                (head for head in before.values() if head.subject == subject),
                key=lambda head: head.opened_seq,
            )
            for head in cards:
                if head.exclusive:
                    raise SubjectHeld(holder=head.card_id)
                if head.card_id not in noted:
                    raise ErasureUnnoted(head.card_id)
            if subject in written:
                raise ErasedAndWritten()
            if not self.held.get(subject, False):
                raise NotHeld()
            self.held[subject] = False
            self.persons[subject] = None
