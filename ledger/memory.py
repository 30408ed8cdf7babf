"""The in-memory ledger: the same guarantees as the SQL one, for fast tests and fakes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from ledger.entry import GENESIS_HASH, Draft, Entry
from ledger.errors import DuplicateRequest, NotHeld, VersionConflict
from ledger.merkle import Frontier, Node, completion
from ledger.store import (
    RECEIPT_WINDOW,
    CardQuery,
    Head,
    Person,
    Receipt,
    SignedCheckpoint,
    Tip,
    Unreadable,
    check_erasure,
    grow,
    hold,
)


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryLedger:
    """A ledger held in lists and dicts behind one lock."""

    def __init__(
        self, *, clock: Callable[[], datetime] = _now, receipt_window: timedelta = RECEIPT_WINDOW
    ) -> None:
        self._clock = clock
        self._receipt_window = receipt_window
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

    def append(
        self,
        drafts: Sequence[Draft],
        *,
        persons: Sequence[Person] = (),
        erase: Sequence[str] = (),
    ) -> list[Entry]:
        with self._lock:
            heads = dict(self._heads)
            holders = dict(self._holders)
            prev = self._entries[-1].hash if self._entries else GENESIS_HASH
            seq = len(self._entries)
            recorded_at = self._clock()
            receipts: dict[tuple[str, str], Receipt] = {}
            sealed: list[Entry] = []
            for draft in drafts:
                if draft.idempotency_key is not None:
                    held = self._live_receipt(draft.actor, draft.idempotency_key) or (
                        receipts.get((draft.actor, draft.idempotency_key))
                    )
                    if held is not None:
                        raise DuplicateRequest(held)
                current = heads.get(draft.card_id)
                actual = current.version if current else 0
                if draft.expected_version() != actual or draft.version < 1:
                    raise VersionConflict(
                        draft.card_id, expected=draft.expected_version(), actual=actual
                    )
                seq += 1
                entry = Entry.seal(draft, seq=seq, recorded_at=recorded_at, prev_hash=prev)
                if draft.idempotency_key is not None:
                    receipts[draft.actor, draft.idempotency_key] = Receipt.of(draft, entry)
                if entry.moves:
                    heads[entry.card_id] = (
                        Head.opened(entry) if current is None else current.moved(entry)
                    )
                    hold(holders, entry)
                sealed.append(entry)
                prev = entry.hash
            check_erasure(erase, sealed, self._cards_of)
            if not all(ref in self._persons for ref in erase):
                raise NotHeld()
            self._frontier, completed = grow(self._frontier, sealed)
            self._tree.update(((level, index), digest) for level, index, digest in completed)
            self._entries.extend(sealed)
            for entry in sealed:
                self._by_card.setdefault(entry.card_id, []).append(entry)
            self._heads = heads
            self._holders = holders
            self._receipts.update(receipts)
            self._persons.update((person.ref, person) for person in persons)
            for ref in erase:
                self._persons.pop(ref, None)
            return sealed

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
            entries = self._entries
            last = entries[-1].hash if entries else GENESIS_HASH
            return Tip(len(entries), last, self._frontier.root().hex())

    def tree_node(self, level: int, index: int) -> bytes | None:
        return self._tree.get((level, index))

    def tree_nodes(self) -> Iterator[Node]:
        with self._lock:
            held = sorted(self._tree.items(), key=lambda node: completion(*node[0]))
        return iter([(level, index, hashed) for (level, index), hashed in held])

    def keep_checkpoint(self, checkpoint: SignedCheckpoint) -> SignedCheckpoint:
        with self._lock:
            return self._checkpoints.setdefault(checkpoint.size, checkpoint)

    def checkpoints(self) -> list[SignedCheckpoint]:
        return [self._checkpoints[size] for size in sorted(self._checkpoints)]

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        return self._checkpoints[max(self._checkpoints)] if self._checkpoints else None

    def person(self, ref: str) -> Person | None:
        return self._persons.get(ref)

    def receipt(self, actor: str, key: str) -> Receipt | None:
        with self._lock:
            return self._live_receipt(actor, key)

    def _live_receipt(self, actor: str, key: str) -> Receipt | None:
        held = self._receipts.get((actor, key))
        if held is None or held.recorded_at < self._clock() - self._receipt_window:
            return None
        return held
