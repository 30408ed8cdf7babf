"""What the ledger can refuse, and what it finds wrong with itself or with what it is shown.

::

    LedgerError                 (raised as itself: a store cardflow cannot use as it is)
    ├── VersionConflict         the card's version moved: another writer got there first
    ├── DuplicateRequest        a live receipt already holds that actor's idempotency key
    ├── KeyRepeated             one append gives one actor's idempotency key to two drafts
    ├── SubjectTaken            another card already holds that subject exclusively
    ├── SubjectChanged          a draft names another subject than its card was opened for
    ├── SubjectHeld             a subject to erase is still held exclusively by a card
    ├── ErasureUnnoted          a card of a subject to erase has no entry noting it
    ├── NotHeld                 no personal data is held under a subject to erase
    ├── ErasedAndWritten        one append both writes and erases a person's data
    ├── NoSigner                this ledger was given no key to sign checkpoints with
    ├── ReadOnly                a write begun on a ledger opened to read only (a replica)
    ├── SchemaMismatch          the database was made by a cardflow of another schema
    ├── ProofError              a proof that does not prove what it claims, or none can be made
    │   ├── NodeMissing         the stored tree lacks a node a proof needs
    │   └── MapProofError       a card map proof malformed or leading to another root, or
    │                           asked of a key the map does not hold
    ├── MapError                a card map key, value or hash that is not 32 bytes
    │   └── MapDamaged          a stored card map node missing, or not hashing to its hash
    ├── CheckpointRefused       the stored tree disagrees with the tip or a signed checkpoint
    ├── CacheDisagrees          a cache (a head, the tip, a receipt) or a stored entry or
    │                           node disagrees with the hashed entries: nothing is written
    ├── NoteError (ValueError)  a key, note or checkpoint malformed, or its signature false
    │   └── CosignatureError    a witness's cosignature line malformed, or its signature false
    ├── BundleError             an audit bundle malformed, or not proving what it claims
    ├── WitnessUnreachable      a witness that did not answer, or answered what is not HTTP
    ├── NoRoles                 the database has no roles to grant a writer's privileges to
    └── DatabaseRefused         the database refused a statement, told in its own first line

``NoteError`` is a ``ValueError`` too: the command line parses keys and notes among
other text and catches ``ValueError`` for all of them. The HTTP status of each, and
which never reach HTTP, live in ``api/problems/``, not here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.store import Receipt


class LedgerError(Exception):
    """Root of the ledger's errors."""


class VersionConflict(LedgerError):
    """A draft's version is not the card's next one: the caller read a stale head."""

    def __init__(self, card_id: str, *, expected: int, actual: int) -> None:
        super().__init__(f"card {card_id} is at version {actual}; the draft expected {expected}")
        self.card_id = card_id
        self.expected = expected
        self.actual = actual


class DuplicateRequest(LedgerError):
    """The actor already used the idempotency key: the receipt says what it wrote."""

    def __init__(self, receipt: Receipt) -> None:
        super().__init__(f"{receipt.actor} already used idempotency key {receipt.key!r}")
        self.receipt = receipt


class SubjectTaken(LedgerError):
    """An exclusive draft names a subject that card ``holder`` already holds exclusively."""

    def __init__(self, card_id: str, *, holder: str) -> None:
        super().__init__(f"card {card_id} cannot hold its subject: card {holder} holds it")
        self.card_id = card_id
        self.holder = holder


class SubjectHeld(LedgerError):
    """The subject to erase is held exclusively by card ``holder``."""

    def __init__(self, *, holder: str) -> None:
        super().__init__(f"the subject to erase is held by card {holder}")
        self.holder = holder


class ErasureUnnoted(LedgerError):
    """Card ``card_id`` of a subject to erase has no draft in the append to note it:
    the caller read the subject's cards before another writer opened this one."""

    def __init__(self, card_id: str) -> None:
        super().__init__(f"card {card_id} of the subject to erase is not noted")
        self.card_id = card_id


class NotHeld(LedgerError):
    """No personal data is held under a subject to erase: another erasure took it first."""

    def __init__(self) -> None:
        super().__init__("no personal data is held under the subject to erase")


class ReadOnly(LedgerError):
    """A write was begun on a ledger opened to read only (a replica's): nothing was sent."""


class NoSigner(LedgerError):
    """Checkpoints were asked for, but the ledger was given no key to sign them with."""

    def __init__(self) -> None:
        super().__init__("this cardflow signs no checkpoints: it was given no key")


class KeyRepeated(LedgerError):
    """One append gives the same actor's idempotency key to two drafts: a caller's
    mistake, since only one of them could ever be answered for by the key."""

    def __init__(self, actor: str, key: str) -> None:
        super().__init__(f"{actor} gave idempotency key {key!r} to two drafts of one append")
        self.actor = actor
        self.key = key


class ErasedAndWritten(LedgerError):
    """One append both writes a person's data and erases it: which one it meant to
    leave cannot be told, so it does neither."""

    def __init__(self) -> None:
        super().__init__("one append both writes and erases the same person's data")


class SchemaMismatch(LedgerError):
    """The database was made by a cardflow with another schema version."""


class SubjectChanged(LedgerError):
    """A draft names another subject than the card it is for: a card's holder is the
    person it was opened for, for good."""

    def __init__(self, card_id: str) -> None:
        super().__init__(f"card {card_id} belongs to another subject than the draft names")
        self.card_id = card_id


class ProofError(LedgerError):
    """A proof that does not prove what it claims, or a request no proof can answer."""


class NodeMissing(ProofError):
    """The stored tree lacks a node a proof needs: the tree was damaged, not the request."""


class MapProofError(ProofError):
    """A card map proof that is malformed, not canonical or leading to another root, or a
    proof asked of a key the map does not hold."""


class MapError(LedgerError):
    """A card map key, value or node hash that is not 32 bytes: the map is given only
    SHA-256 digests."""


class MapDamaged(MapError):
    """A stored card map node is missing, or its content does not hash to the hash it is
    stored under: the stored map was damaged, not the request."""


class CheckpointRefused(LedgerError):
    """The stored tree does not agree with the tip or with an earlier checkpoint."""


class CacheDisagrees(LedgerError):
    """What an append was to be decided from disagrees with the hashed entries and the
    append-only tree: a card's head, the tip or a receipt edited, or an entry or tree node
    altered underneath. Nothing is written; ``table``, ``row`` and ``column`` say where
    (never personal data: card ids, sequence numbers and column names only)."""

    def __init__(self, table: str, row: str, column: str, said: str) -> None:
        super().__init__(
            f"{table} {row}: {column} disagrees with the hashed entries ({said}); "
            "nothing was written"
        )
        self.table = table
        self.row = row
        self.column = column


class NoteError(LedgerError, ValueError):
    """A key, note or checkpoint that is malformed, or whose signature does not hold."""


class CosignatureError(NoteError):
    """A witness's cosignature line that is malformed, or whose signature does not hold."""


class BundleError(LedgerError):
    """A bundle that is malformed, or that does not prove what it claims."""


class WitnessUnreachable(LedgerError):
    """A witness that could not be reached, or whose answer could not be read."""


class NoRoles(LedgerError):
    """SQLite has no roles to grant to: the file's permissions are its access control."""

    def __init__(self) -> None:
        super().__init__("SQLite has no roles: the file's permissions are its access control")


class DatabaseRefused(LedgerError):
    """The database refused a statement; ``said`` is its own first line about it,
    without the statement or its data (which may hold personal data)."""

    def __init__(self, said: str) -> None:
        super().__init__(f"the database refused: {said}")
        self.said = said
