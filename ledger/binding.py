"""The keys a database is bound to: the log keys its checkpoints are signed with, and a
check value of the person key its subject references are made with.

Both secrets live outside the database, so a process started elsewhere could hold
others: a second person key would open a second live card for the same ID number (its
references no longer match), a second log key would sign checkpoints no supervisor can
check. The database therefore records, on its owner's first use, each log key's public
half and the tree size from which it signs, and a one-way check value of the person key
(an HMAC under the key itself, which names nobody and cannot be turned back into the
key). A process whose keys differ from the record refuses to start.

Rotating the log key adds a record: the old key keeps covering the checkpoints it
signed, so those (and the bundles made with them) still verify with it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal, Protocol

from ledger.note import Verifier

if TYPE_CHECKING:
    from ledger.store import Ledger

LOG: Final = "log"
PERSON: Final = "person"
KeyKind = Literal["log", "person"]

_PERSON_CHECK_LABEL: Final = b"cardflow person key check v1"


def person_check(person_key: bytes) -> str:
    """The person key's check value: HMAC-SHA256 of a fixed label under the key, as hex.
    Equal keys give equal values; the value gives away neither the key nor any person."""
    return hmac.new(person_key, _PERSON_CHECK_LABEL, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class BoundKey:
    """One record of the binding: a log verifier key (as ``<name>+<id>+<key>``) that signs
    the checkpoints of ``first_size`` entries and more, until a later log key's
    ``first_size``; or the person key's check value (``first_size`` 0)."""

    kind: KeyKind
    value: str
    first_size: int
    bound_at: datetime


class Keyring(Protocol):
    """The verifier keys that may have signed a checkpoint of a given size."""

    def verifiers_for(self, size: int) -> Sequence[Verifier]: ...

    def describe(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Keys a supervisor trusts: a checkpoint of any size may be signed by any of them."""

    verifiers: tuple[Verifier, ...]

    def verifiers_for(self, size: int) -> Sequence[Verifier]:
        return self.verifiers

    def describe(self) -> str:
        return ", ".join(str(verifier) for verifier in self.verifiers)


@dataclass(frozen=True, slots=True)
class LogKeys:
    """The log keys a database is bound to, oldest first: each signs the checkpoints
    from its ``first_size`` up to the next one's."""

    keys: tuple[tuple[int, Verifier], ...]

    @classmethod
    def of(cls, bound: Sequence[BoundKey]) -> LogKeys:
        """The log keys among ``bound``; ``NoteError`` if one is not a verifier key."""
        logs = sorted((key.first_size, key.value) for key in bound if key.kind == LOG)
        return cls(tuple((first, Verifier.parse(value)) for first, value in logs))

    @property
    def current(self) -> Verifier | None:
        """The key that signs the next checkpoint, if any is bound."""
        return self.keys[-1][1] if self.keys else None

    def ranges(self) -> list[tuple[Verifier, int, int | None]]:
        """Each key with the smallest and the largest tree size it signs (``None``: the
        current key, which signs every larger tree too)."""
        firsts = [first for first, _ in self.keys]
        return [
            (verifier, first, firsts[index + 1] - 1 if index + 1 < len(firsts) else None)
            for index, (first, verifier) in enumerate(self.keys)
        ]

    def verifiers_for(self, size: int) -> Sequence[Verifier]:
        covering = [verifier for first, verifier in self.keys if first <= size]
        return covering[-1:]

    def describe(self) -> str:
        return "; ".join(
            f"{verifier} from {first} entries" if first else str(verifier)
            for first, verifier in self.keys
        )


@dataclass(frozen=True, slots=True)
class Binding:
    """What a database says about the keys it must be run with."""

    log: LogKeys
    person: str | None

    @classmethod
    def of(cls, bound: Sequence[BoundKey]) -> Binding:
        persons = [key.value for key in bound if key.kind == PERSON]
        return cls(LogKeys.of(bound), persons[0] if persons else None)


def binding_of(ledger: Ledger) -> Binding:
    """The keys ``ledger``'s database is bound to; ``NoteError`` if a record is unreadable."""
    return Binding.of(ledger.bound_keys())


def bind(ledger: Ledger, *, log: Verifier, person: str, now: datetime) -> Binding:
    """Record ``log`` and ``person`` as the keys of ``ledger``, each only if none of its
    kind is bound yet (a first log key covers every tree, those signed before there was a
    binding included); the binding as it stands afterwards, which may hold other keys if
    another process bound first: compare before trusting it."""
    held = binding_of(ledger)
    if held.person is None:
        ledger.bind_key(BoundKey(PERSON, person, 0, now))
    if held.log.current is None:
        ledger.bind_key(BoundKey(LOG, str(log), 0, now))
    return binding_of(ledger)


def rotate(ledger: Ledger, old: Verifier, new: Verifier, now: datetime) -> LogKeys:
    """Bind ``new`` as the log key for every tree larger than the ledger is now; ``old``
    must be the key bound at present (``ValueError`` otherwise). The log keys after."""
    keys = binding_of(ledger).log
    if keys.current != old:
        raise ValueError(
            f"the log key given ({old}) is not the one the database is bound to "
            f"({keys.current or 'none'})"
        )
    if new == old:
        raise ValueError("the new log key is the current one")
    first = ledger.tip().size + 1
    ledger.bind_key(BoundKey(LOG, str(new), first, now))
    after = binding_of(ledger).log
    if after.current != new:
        raise ValueError(
            f"another key is bound already for trees of {first} entries and more: "
            "rotate again once the ledger has grown"
        )
    return after
