"""The desk's marks beside a card's timeline: each entry's inclusion proof and the card's
completeness, checked by the server against its latest signed checkpoint.

Anyone with the database may have edited any row of it; the log's signing key and the
witnesses' keys are not in it. So every mark is decided from what only those keys vouch
for: the checkpoint's note, opened with this server's own verifier (never a key read from
the database), gives the tree size and root; each entry's bytes are made again from its
stored row and must hash to its recorded hash, and that leaf's path, read from the stored
tree, must lead to the signed root. Completeness is the audit bundle's own check
(``ledger.bundle.check_bundle``) of every entry of the card the checkpoint covers.

A read signs nothing: the marks are against the latest checkpoint as it stands (the
server's scheduled signer keeps it within its cadence, and a read replica could not sign),
so an entry newer than it is pending, and before the first checkpoint every entry is.
Only this server's own key opens the note, never one rotated out (its binding is in the
database, which anyone could add to): just after a rotation, until the new key signs a
checkpoint, the marks say the checkpoint carries no signature of the log key.
A ledger that fails a check is told in the marks, never raised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.exc import DBAPIError

from ledger.audit import Audit
from ledger.bundle import BundleItem, check_bundle, check_path, open_checkpoint, read_item
from ledger.cosignature import cosignatures
from ledger.entry import Entry, entry_hash
from ledger.errors import BundleError, LedgerError, MapProofError, NoSigner
from ledger.note import Checkpoint
from ledger.proofs import prove_inclusions
from ledger.store import SignedCheckpoint

INCLUDED: Final = "included"
"""The entry is unaltered and in the checkpoint's tree."""
ALTERED: Final = "altered"
"""The entry's stored fields do not hash to its recorded hash, or its bytes are not those
of an entry of the card at its place."""
NOT_IN_TREE: Final = "not-in-tree"
"""The entry's path, read from the stored tree, does not lead to the checkpoint's root."""
PAST_CHECKPOINT: Final = "past-checkpoint"
"""The entry is newer than the latest checkpoint: not yet covered (pending, no failure)."""
NO_CHECKPOINT: Final = "no-checkpoint"
"""No checkpoint has been signed yet (or this server holds no key to check one with)."""
SIGNATURE: Final = "signature"
"""The latest checkpoint's note does not hold under the log's key."""
UNREADABLE: Final = "unreadable"
"""The ledger could not give what the check needs: a tree node, a checkpoint row."""
KINDS: Final = frozenset(
    {INCLUDED, ALTERED, NOT_IN_TREE, PAST_CHECKPOINT, NO_CHECKPOINT, SIGNATURE, UNREADABLE}
)
"""Every kind of mark: the closed set the page translates."""

MOST_ENTRIES: Final = 500
"""The most entries one call marks: a page of the timeline."""

_FAILURES: Final = (LedgerError, ValueError, TypeError)
"""What reading a damaged ledger can raise: its own errors, and a stored value that does
not decode (a hash that is not hex, a time that is not one). A database out of reach is
none of these, and stays the outage it is."""
HISTORY_DAMAGE: Final = (ValueError, TypeError)
"""What reading a card's history (``CardService.history``) raises, within
``decoding_damage``, for a row that no longer decodes as an entry: evidence that is not a
JSON object of strings and booleans, a time or a number that is not one, text that is not
UTF-8. (A card whose every row was deleted is ``CardNotFound``, as any unknown card.)"""
_UNDECODABLE: Final = "Could not decode to UTF-8"
"""What SQLite's driver says of stored text that is not UTF-8."""


@dataclass(frozen=True, slots=True)
class Mark:
    """What the server found of entry ``seq``: whether its proof holds, of which
    ``kind`` (one of ``KINDS``) the finding is, and why not, in plain words."""

    seq: int
    holds: bool
    kind: str
    reason: str | None

    @property
    def pending(self) -> bool:
        """Whether the entry is merely not covered by a checkpoint yet."""
        return self.kind in (PAST_CHECKPOINT, NO_CHECKPOINT)


@dataclass(frozen=True, slots=True)
class Checked:
    """The marks of a card's entries against the checkpoint of ``checkpoint_size``
    entries, signed at ``checkpoint_at`` (the time the ledger keeps beside the note: the
    note itself carries none), and whether the card's history is complete as of it:
    ``why_not`` says what fails, ``cosigners`` names the configured witnesses whose
    cosignature on the note holds."""

    checkpoint_size: int | None
    checkpoint_at: datetime | None
    marks: dict[int, Mark]
    complete: bool
    why_not: str | None
    cosigners: tuple[str, ...]


def check_card(audit: Audit, card_id: str, entries: Sequence[Entry], *, quorum: int = 0) -> Checked:
    """``entries`` of card ``card_id`` (at most ``MOST_ENTRIES``, as read from the
    ledger), each marked against the latest signed checkpoint, and the card's whole
    history checked complete as of it, cosigned by at least ``quorum`` of the configured
    witnesses (0: the log's signature suffices, and the cosigners are only named).

    ``ValueError`` for a call the desk should never make: too many entries, an entry of
    another card, a quorum larger than the witnesses configured."""
    _check_call(audit, card_id, entries, quorum)
    ordered = sorted({entry.seq: entry for entry in entries}.values(), key=lambda e: e.seq)
    try:
        verifier = audit.verifier()
        with decoding_damage():
            signed = audit.ledger.latest_checkpoint()
    except NoSigner as none:
        return _pending(ordered, card_id, f"{none}: no checkpoint can be checked")
    except _FAILURES as unread:
        reason = f"the latest checkpoint cannot be read: {unread}"
        return _every(ordered, UNREADABLE, reason)
    if signed is None:
        return _pending(ordered, card_id, "no checkpoint has been signed yet")
    try:
        checkpoint, _ = open_checkpoint(signed.note, verifier)
    except BundleError as false:
        return _every(ordered, SIGNATURE, str(false), at=signed.signed_at)
    # the row beside the note is a cache of it: what the note signs is what counts
    signed = dataclasses.replace(signed, size=checkpoint.size, root=checkpoint.root)
    covered = [entry.seq for entry in ordered if entry.seq <= checkpoint.size]
    paths = _paths(audit, covered, checkpoint.size)
    marks = {
        entry.seq: _mark(entry, card_id, checkpoint, paths.get(entry.seq)) for entry in ordered
    }
    complete, why_not, cosigners = _completeness(audit, card_id, signed, quorum)
    return Checked(checkpoint.size, signed.signed_at, marks, complete, why_not, cosigners)


def _check_call(audit: Audit, card_id: str, entries: Sequence[Entry], quorum: int) -> None:
    if len(entries) > MOST_ENTRIES:
        raise ValueError(f"at most {MOST_ENTRIES} entries are marked at once, not {len(entries)}")
    strangers = sorted({entry.seq for entry in entries if entry.card_id != card_id})
    if strangers:
        raise ValueError(f"entries {strangers[:5]} are not entries of card {card_id}")
    witnesses = len(audit.witnessing.witnesses)
    if not 0 <= quorum <= witnesses:
        raise ValueError(f"a quorum is 0 to the {witnesses} witnesses configured, not {quorum}")


@contextmanager
def decoding_damage() -> Iterator[None]:
    """Within it, text SQLite cannot decode as UTF-8 (bytes an administrator wrote into a
    text column) is a ``ValueError``, as other damage is, instead of the driver's
    ``OperationalError``, which otherwise means a database out of reach (and, but for
    this, still does). The page reads a card's history within it too (``HISTORY_DAMAGE``)."""
    try:
        yield
    except DBAPIError as error:
        if _UNDECODABLE not in str(error.orig):
            raise
        raise ValueError("the ledger holds text that is not UTF-8") from None


def _every(
    entries: Sequence[Entry], kind: str, reason: str, *, at: datetime | None = None
) -> Checked:
    """Every entry marked alike, and no completeness: the checkpoint itself failed."""
    marks = {entry.seq: Mark(entry.seq, False, kind, reason) for entry in entries}
    return Checked(None, at, marks, False, reason, ())


def _pending(entries: Sequence[Entry], card_id: str, reason: str) -> Checked:
    """No checkpoint to check against: each entry pending, unless its bytes already show
    it altered."""
    marks: dict[int, Mark] = {}
    for entry in entries:
        read = _read(entry, card_id)
        marks[entry.seq] = (
            read if isinstance(read, Mark) else Mark(entry.seq, False, NO_CHECKPOINT, reason)
        )
    return Checked(None, None, marks, False, reason, ())


def _paths(audit: Audit, seqs: Sequence[int], size: int) -> dict[int, tuple[bytes, ...] | str]:
    """Each entry's inclusion path in the tree of ``size`` entries, as the stored tree
    gives it, or why it gives none. One read for all of them; if that fails, one each,
    so that a node missing under one entry leaves the others' marks standing."""
    try:
        with decoding_damage():
            proofs = prove_inclusions(audit.ledger, seqs, size)
        return {proof.seq: proof.path for proof in proofs}
    except _FAILURES:
        pass
    found: dict[int, tuple[bytes, ...] | str] = {}
    for seq in seqs:
        try:
            with decoding_damage():
                (proof,) = prove_inclusions(audit.ledger, [seq], size)
            found[seq] = proof.path
        except _FAILURES as none:
            found[seq] = f"the ledger cannot give entry {seq}'s inclusion proof: {none}"
    return found


def _read(entry: Entry, card_id: str) -> BundleItem | Mark:
    """``entry`` as a bundle would carry it, its bytes made again from its stored row
    (its path left for later), or the mark saying it was altered."""
    seq = entry.seq
    try:
        encoded = entry.encode()
    except (TypeError, ValueError) as bad:
        return Mark(seq, False, ALTERED, f"entry {seq} has no canonical bytes: {bad}")
    if entry_hash(encoded) != entry.hash:
        reason = (
            f"entry {seq} was altered: its stored fields do not hash to the hash recorded for it"
        )
        return Mark(seq, False, ALTERED, reason)
    raw = {"seq": seq, "encoded": encoded.decode("utf-8"), "hash": entry.hash, "path": []}
    try:
        return read_item(raw, card_id)
    except BundleError as bad:
        return Mark(seq, False, ALTERED, str(bad))


def _mark(
    entry: Entry, card_id: str, checkpoint: Checkpoint, path: tuple[bytes, ...] | str | None
) -> Mark:
    """``entry``'s mark: its bytes against its recorded hash and its fields, then, if
    the checkpoint covers it, its path (``path``, from the stored tree) against the
    checkpoint's root (``ledger.bundle``'s steps)."""
    seq = entry.seq
    item = _read(entry, card_id)
    if isinstance(item, Mark):
        return item
    if path is None:
        reason = f"entry {seq} is newer than checkpoint {checkpoint.size}: the next one covers it"
        return Mark(seq, False, PAST_CHECKPOINT, reason)
    if isinstance(path, str):
        return Mark(seq, False, UNREADABLE, path)
    try:
        check_path(dataclasses.replace(item, path=path), checkpoint)
    except BundleError as bad:
        return Mark(seq, False, NOT_IN_TREE, str(bad))
    return Mark(seq, True, INCLUDED, None)


def _completeness(
    audit: Audit, card_id: str, signed: SignedCheckpoint, quorum: int
) -> tuple[bool, str | None, tuple[str, ...]]:
    """Whether the card's bundle as of ``signed`` checks complete (``check_bundle``),
    why not, and which configured witnesses cosigned the checkpoint."""
    keys = [witness.key for witness in audit.witnessing.witnesses]
    try:
        with decoding_damage():
            note = audit.cosigned(signed).note
        cosigners = tuple(found.key.name for found in cosignatures(note, keys))
    except _FAILURES:
        cosigners = ()
    try:
        with decoding_damage():
            bundle = audit.bundle_at(card_id, signed)
    except MapProofError as none:
        why_not = (
            f"the card map of checkpoint {signed.size} holds no entry of card {card_id} "
            f"({none}): the card is newer than the checkpoint"
        )
        return False, why_not, cosigners
    except LedgerError as refused:
        return False, str(refused), cosigners
    except (ValueError, TypeError) as unread:
        return False, f"a row the card's bundle is made from cannot be read: {unread}", cosigners
    try:
        check_bundle(bundle, audit.verifier(), keys, quorum)
    except BundleError as bad:
        return False, str(bad), cosigners
    return True, None, cosigners
