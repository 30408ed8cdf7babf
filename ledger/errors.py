"""What the ledger can refuse.

::

    LedgerError
    └── VersionConflict     the card's version moved: another writer got there first
"""

from __future__ import annotations


class LedgerError(Exception):
    """Root of the ledger's refusals."""


class VersionConflict(LedgerError):
    """A draft's version is not the card's next one: the caller read a stale head."""

    def __init__(self, card_id: str, *, expected: int, actual: int) -> None:
        super().__init__(f"card {card_id} is at version {actual}; the draft expected {expected}")
        self.card_id = card_id
        self.expected = expected
        self.actual = actual
