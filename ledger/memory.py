"""The in-memory ledger: the same planner as the SQL one, for fast tests and fakes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice

from ledger.append import Plan, Request, Snapshot, needs, plan, plan_many
from ledger.cardmap import MapNode, MemoryNodes
from ledger.entry import GENESIS_HASH, REFUSAL, Draft, Entry
from ledger.errors import LedgerError
from ledger.merkle import Frontier, Node, completion
from ledger.store import (
    RECEIPT_WINDOW,
    BoundKey,
    CardQuery,
    Head,
    KeptCosignature,
    Person,
    Receipt,
    SignedCheckpoint,
    Tip,
    Unreadable,
)


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryLedger:
    """A ledger held in lists and dicts behind one lock."""

    def __init__(
        self, *, clock: Callable[[], datetime] = _now, receipt_window: timedelta = RECEIPT_WINDOW
    ) -> None:
        self._clock = clock
        self._window = receipt_window
        self._lock = threading.Lock()
        self._entries: list[Entry] = []
        self._by_card: dict[str, list[Entry]] = {}
        self._heads: dict[str, Head] = {}
        self._holders: dict[str, str] = {}
        self._persons: dict[str, Person] = {}
        self._receipts: dict[tuple[str, str], Receipt] = {}
        self._frontier = Frontier()
        self._tree: dict[tuple[int, int], bytes] = {}
        self._checkpoints: dict[int, SignedCheckpoint] = {}
        self._map = MemoryNodes()
        self._bound: dict[tuple[str, int], BoundKey] = {}
        self._cosignatures: dict[tuple[str, int], KeptCosignature] = {}

    def append(
        self,
        drafts: Sequence[Draft],
        *,
        persons: Sequence[Person] = (),
        erase: Sequence[str] = (),
    ) -> list[Entry]:
        request = Request(drafts, persons, erase)
        if not request:
            return []
        with self._lock:
            written = plan(self._snapshot([request]), request, receipt_window=self._window)
            self._write(written)
        return list(written.entries)

    def append_many(self, requests: Sequence[Request]) -> list[list[Entry] | LedgerError]:
        """Append each of ``requests`` under one lock, each failing on its own: what each
        wrote, or why it wrote nothing."""
        with self._lock:
            written, outcomes = plan_many(
                self._snapshot(requests), requests, receipt_window=self._window
            )
            self._write(written)
        return [list(o) if isinstance(o, tuple) else o for o in outcomes]

    def _snapshot(self, requests: Sequence[Request]) -> Snapshot:
        """What ``requests`` need, read from the dicts (the lock held)."""
        wanted = needs(requests)
        now = self._clock()
        cutoff = now - self._window
        heads = {card: self._heads[card] for card in wanted.cards if card in self._heads}
        for subject in wanted.subjects:
            holder = self._holders.get(subject)
            if holder is not None:
                heads[holder] = self._heads[holder]
        for subject in wanted.erased:
            heads.update((head.card_id, head) for head in self._cards_of(subject))
        receipts = {
            key: receipt
            for key in wanted.keys
            if (receipt := self._receipts.get(key)) is not None and receipt.recorded_at >= cutoff
        }
        return Snapshot(
            tip=self._tip(),
            frontier=self._frontier,
            now=now,
            heads=heads,
            persons=frozenset(ref for ref in wanted.erased if ref in self._persons),
            receipts=receipts,
            latest={
                card: self._by_card[card][-1].hash for card in wanted.cards if card in self._by_card
            },
        )

    def _write(self, written: Plan) -> None:
        self._entries.extend(written.entries)
        for entry in written.entries:
            self._by_card.setdefault(entry.card_id, []).append(entry)
        for head in (*written.moved, *written.opened):
            if self._holders.get(head.subject) == head.card_id and not head.exclusive:
                del self._holders[head.subject]
            if head.exclusive:
                self._holders[head.subject] = head.card_id
            self._heads[head.card_id] = head
        self._tree.update(((level, index), digest) for level, index, digest in written.nodes)
        self._frontier = written.frontier
        if written.purge_before is not None:
            cutoff = written.purge_before
            self._receipts = {k: r for k, r in self._receipts.items() if r.recorded_at >= cutoff}
        self._receipts.update(((r.actor, r.key), r) for r in written.receipts)
        self._persons.update((person.ref, person) for person in written.persons)
        for ref in written.erased:
            del self._persons[ref]

    def clear_journal(self) -> bool:
        return True

    def cards_of(self, subject: str) -> list[Head]:
        with self._lock:
            return self._cards_of(subject)

    def _cards_of(self, subject: str) -> list[Head]:
        held = (head for head in self._heads.values() if head.subject == subject)
        return sorted(held, key=lambda head: head.opened_seq)

    def head(self, card_id: str) -> Head | None:
        return self._heads.get(card_id)

    def entries_for(self, card_id: str) -> list[Entry]:
        return list(self._by_card.get(card_id, ()))

    def entries_after(self, seq: int, limit: int) -> list[Entry]:
        start = max(seq, 0)
        return self._entries[start : start + max(limit, 0)]

    def card_page(self, card_id: str, *, after: int, limit: int, refusals: bool) -> list[Entry]:
        wanted = (
            entry
            for entry in self._by_card.get(card_id, ())
            if entry.seq > after and (refusals or entry.kind != REFUSAL)
        )
        return list(islice(wanted, max(limit, 0)))

    def scan(self) -> Iterator[Entry | Unreadable]:
        return iter(list(self._entries))

    def heads(self) -> Iterator[Head]:
        return iter(sorted(self._heads.values(), key=lambda head: head.card_id))

    def search(self, query: CardQuery) -> list[Head]:
        found: list[Head] = []
        for head in sorted(self._heads.values(), key=lambda head: head.opened_seq):
            moves = ((e.event, e.channel) for e in self._by_card[head.card_id] if e.moves)
            if len(found) < query.limit and query.admits(head, moves):
                found.append(head)
        return found

    def due(self, by: datetime, limit: int) -> list[Head]:
        due = [h for h in self._heads.values() if h.due_at is not None and h.due_at <= by]
        return sorted(due, key=lambda head: (head.due_at, head.card_id))[: max(limit, 0)]

    def holder(self, subject: str) -> Head | None:
        card_id = self._holders.get(subject)
        return None if card_id is None else self._heads[card_id]

    def tip(self) -> Tip:
        with self._lock:
            return self._tip()

    def _tip(self) -> Tip:
        last = self._entries[-1].hash if self._entries else GENESIS_HASH
        return Tip(len(self._entries), last, self._frontier.root().hex(), self._frontier.roots)

    def tree_node(self, level: int, index: int) -> bytes | None:
        return self._tree.get((level, index))

    def tree_nodes_at(self, wanted: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {key: self._tree[key] for key in wanted if key in self._tree}

    def tree_nodes(self) -> Iterator[Node]:
        with self._lock:
            held = sorted(self._tree.items(), key=lambda node: completion(*node[0]))
        return iter([(level, index, hashed) for (level, index), hashed in held])

    def keep_checkpoint(
        self, checkpoint: SignedCheckpoint, map_nodes: Sequence[MapNode] = ()
    ) -> SignedCheckpoint:
        with self._lock:
            self._map.add(map_nodes)
            return self._checkpoints.setdefault(checkpoint.size, checkpoint)

    def map_nodes(self, hashes: Collection[bytes]) -> dict[bytes, MapNode]:
        with self._lock:
            return self._map.fetch(hashes)

    def checkpoints(self) -> list[SignedCheckpoint]:
        return [self._checkpoints[size] for size in sorted(self._checkpoints)]

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        return self._checkpoints[max(self._checkpoints)] if self._checkpoints else None

    def keep_cosignature(self, cosignature: KeptCosignature) -> None:
        with self._lock:
            self._cosignatures.setdefault((cosignature.witness, cosignature.size), cosignature)

    def cosignatures(self, size: int) -> list[KeptCosignature]:
        with self._lock:
            held = [kept for (_, at), kept in self._cosignatures.items() if at == size]
        return sorted(held, key=lambda kept: kept.witness)

    def last_cosigned(self) -> dict[str, int]:
        last: dict[str, int] = {}
        with self._lock:
            for witness, size in self._cosignatures:
                last[witness] = max(size, last.get(witness, 0))
        return last

    def bound_keys(self) -> list[BoundKey]:
        with self._lock:
            return sorted(self._bound.values(), key=lambda key: (key.first_size, key.kind))

    def bind_key(self, key: BoundKey) -> None:
        with self._lock:
            self._bound.setdefault((key.kind, key.first_size), key)

    def person(self, ref: str) -> Person | None:
        return self._persons.get(ref)

    def receipt(self, actor: str, key: str) -> Receipt | None:
        with self._lock:
            return self._live_receipt(actor, key)

    def receipts(self) -> Iterator[Receipt]:
        with self._lock:
            held = sorted(self._receipts.values(), key=lambda receipt: receipt.seq)
        return iter(held)

    def _live_receipt(self, actor: str, key: str) -> Receipt | None:
        held = self._receipts.get((actor, key))
        if held is None or held.recorded_at < self._clock() - self._window:
            return None
        return held
