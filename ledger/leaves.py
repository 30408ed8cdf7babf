"""The half of the whole check each entry needs alone: read, decoded strictly, encoded
again and hashed twice (its hash, its Merkle leaf), a range of entries at a time, here or
in worker processes.

What links one entry to another (the chain, each card's replay and chain, the receipts,
the tree, the card map) is checked in ``ledger.verify``, in sequence order, from what
this module yields; so a check on one core and one on many see the same items, in the
same order, and cannot find different things. A worker reads its own range of the
entries through its own connection (``Ranged``): only what each entry came to travels
between processes, never the rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import fields
from itertools import pairwise
from operator import attrgetter
from typing import Final, NamedTuple, Protocol, runtime_checkable

from ledger.entry import Entry, encode_entry, entry_hash
from ledger.merkle import leaf_hash
from ledger.store import Ledger, Unreadable

CHUNK: Final = 5000
"""Entries a worker checks at a time: what a range costs to send back stays small, and
the queue of ranges in flight (two a worker) bounds the memory the check holds."""


def default_jobs() -> int:
    """The worker processes a check uses unless told: one, the check's own process. On
    a 2-core machine two workers measured slower than none (``python -m bench.fsck``
    runs both), since everything that links one entry to the next is checked in the
    check's own process and the workers' share is the smaller one."""
    return 1


class Checked(NamedTuple):
    """One entry as read, and what re-encoding it found."""

    entry: Entry
    altered: bool
    """Its contents do not give its hash."""
    leaf: bytes
    """The Merkle leaf of its contents: what the tree must hold at its place."""


Scanned = Checked | Unreadable


@runtime_checkable
class Ranged(Protocol):
    """A ledger another process can open by its URL and read a range of."""

    url: str

    def scan_range(
        self, after: int | None, through: int | None
    ) -> Iterator[Entry | Unreadable]: ...


def check(item: Entry | Unreadable) -> Scanned:
    """What re-encoding and re-hashing ``item`` finds."""
    if isinstance(item, Unreadable):
        return item
    encoded = encode_entry(item)
    return Checked(item, entry_hash(encoded) != item.hash, leaf_hash(encoded))


def scanned(ledger: Ledger, *, size: int, jobs: int = 1, chunk: int = CHUNK) -> Iterator[Scanned]:
    """Every entry of ``ledger`` in ``seq`` order, checked alone; with ``jobs`` > 1 and a
    ledger of more than one ``chunk`` of ``size`` entries (its tip) that another process
    can open, the entries up to ``size`` are read and checked by that many workers, a
    range each at a time, and those past it (appended meanwhile) here."""
    if jobs <= 1 or size <= chunk or not isinstance(ledger, Ranged):
        yield from map(check, ledger.scan())
        return
    bounds = [*range(0, size, chunk), size]
    ranges = [
        (None if index == 0 else low, high) for index, (low, high) in enumerate(pairwise(bounds))
    ]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[Future[list[_Packed]]] = deque()
        upcoming = iter(ranges)
        for after, through in upcoming:
            pending.append(pool.submit(_check_range, ledger.url, after, through))
            if len(pending) >= 2 * jobs:
                break
        while pending:
            done = pending.popleft().result()
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.submit(_check_range, ledger.url, *following))
            yield from map(_unpacked, done)
    yield from map(check, ledger.scan_range(size, None))


_Packed = tuple[tuple[object, ...], bool, bytes] | Unreadable
"""A ``Checked`` as a worker sends it: the entry's fields as a tuple, which pickles far
faster than the frozen dataclass."""

_opened: dict[str, Ranged] = {}
"""The ledger each worker process has opened, by URL: opened once, kept for its ranges."""


def _check_range(url: str, after: int | None, through: int | None) -> list[_Packed]:
    ledger = _opened.get(url)
    if ledger is None:
        from ledger.sql import SqlLedger  # a worker's own import: the parent passes a URL

        ledger = _opened[url] = SqlLedger(url)
    return [_packed(check(item)) for item in ledger.scan_range(after, through)]


def _packed(item: Scanned) -> _Packed:
    if isinstance(item, Unreadable):
        return item
    return (_FIELDS(item.entry), item.altered, item.leaf)


def _unpacked(item: _Packed) -> Scanned:
    if isinstance(item, Unreadable):
        return item
    values, altered, leaf = item
    return Checked(Entry(*values), altered, leaf)  # type: ignore[arg-type]


_FIELDS: Final = attrgetter(*(kept.name for kept in fields(Entry)))
