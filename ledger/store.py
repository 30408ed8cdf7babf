"""The ledger's port: append entries, read them back; never update, never delete."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from ledger.entry import Draft, Entry


@dataclass(frozen=True, slots=True)
class Head:
    """A card's projection kept beside the ledger: the generic part only.

    ``state`` is the ``to_state`` label of the card's last entry and ``subject`` the
    opaque person reference its entries carry; the ledger never interprets either.
    """

    card_id: str
    version: int
    state: str
    last_seq: int
    subject: str


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
    """The ledger's size and the hash of its last entry, as the store records them."""

    size: int
    hash: str


class Ledger(Protocol):
    """Every adapter gives the same guarantees, and one contract suite checks them.

    * ``append`` writes all drafts, their heads and the persons in one transaction,
      or nothing; sequence numbers are gapless and never fork, whatever the number
      of concurrent writers;
    * a draft whose ``version`` is not the card's next raises ``VersionConflict``,
      so two writers racing on one card can never both win;
    * a draft carrying an idempotency key leaves a ``Receipt`` in the same transaction;
      a draft whose actor already holds a live receipt for that key raises
      ``DuplicateRequest`` and nothing is written, so concurrent retries write once;
    * entries are returned oldest first.
    """

    def append(self, drafts: Sequence[Draft], *, persons: Sequence[Person] = ()) -> list[Entry]:
        """Write ``drafts`` (and ``persons``) atomically; return the sealed entries."""
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

    def scan(self) -> Iterator[Entry | Unreadable]:
        """Every stored row in sequence order, damaged ones included, for ``verify``."""
        ...

    def heads(self) -> Iterator[Head]:
        """Every card's head, in card id order."""
        ...

    def tip(self) -> Tip:
        """The recorded size and last hash of the ledger."""
        ...

    def person(self, ref: str) -> Person | None:
        """The personal data behind ``ref``, if it is still held."""
        ...

    def receipt(self, actor: str, key: str) -> Receipt | None:
        """The live receipt of ``actor``'s idempotency ``key``, if any."""
        ...
