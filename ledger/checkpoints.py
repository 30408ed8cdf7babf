"""Signing the ledger's checkpoints, and never one that contradicts an earlier one.

A checkpoint is signed for the tree as the tip records it, once the stored tree is shown
to agree: its root for the tip's size is the recorded root, and its root for the size
of the last checkpoint is the root that checkpoint signed. A tree rewritten underneath
(an entry, a node or the tip edited) gets no new signature: the refusal says what
disagrees, and the earlier checkpoints, held by whoever fetched them, give it away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from ledger.binding import LogKeys
from ledger.cardmap import EMPTY
from ledger.errors import CheckpointRefused as CheckpointRefused
from ledger.maps import grown, map_line, map_root_of
from ledger.merkle import ProofError
from ledger.note import Checkpoint, NoteError, Signer, Verifier, opened_note
from ledger.proofs import node_source, root_at
from ledger.store import Ledger, SignedCheckpoint

DEFAULT_EVERY_ENTRIES: Final = 1000
DEFAULT_EVERY: Final = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often a checkpoint is signed: after ``entries`` new entries, or ``every``
    since the last one, whichever comes first (and only if the ledger grew)."""

    entries: int = DEFAULT_EVERY_ENTRIES
    every: timedelta = DEFAULT_EVERY

    def due(self, last: SignedCheckpoint | None, size: int, now: datetime) -> bool:
        if last is None:
            return True
        if size <= last.size:
            return False
        return size - last.size >= self.entries or now - last.signed_at >= self.every


DEFAULT_CADENCE: Final = Cadence()


def sign_checkpoint(ledger: Ledger, signer: Signer, now: datetime) -> SignedCheckpoint:
    """Sign the ledger's tree as it stands (or return the checkpoint of its size, if one
    is stored), once the tree is shown to agree with the tip and the last checkpoint."""
    tip = ledger.tip()
    keys = LogKeys.of(ledger.bound_keys())
    bound = keys.verifiers_for(tip.size)
    if bound and bound[0] != signer.verifier():
        raise CheckpointRefused(
            f"this process's log key {signer.verifier()} is not the key the database is "
            f"bound to for a tree of {tip.size} entries ({bound[0]})"
        )
    get = node_source(ledger)
    try:
        root = root_at(get, tip.size)
    except ProofError as missing:
        raise CheckpointRefused(
            f"the tree of {tip.size} entries cannot be read: {missing}"
        ) from None
    if root.hex() != tip.root:
        raise CheckpointRefused(
            f"the stored tree's root for {tip.size} entries is not the root the tip records"
        )
    last = ledger.latest_checkpoint()
    since, map_root = 0, EMPTY
    if last is not None:
        if last.size > tip.size:
            raise CheckpointRefused(
                f"checkpoint {last.size} was signed, and the ledger holds {tip.size} entries"
            )
        signed = _signed(last, keys.verifiers_for(last.size) or [signer.verifier()])
        if root_at(get, last.size) != signed.root:
            raise CheckpointRefused(
                f"the stored tree no longer has the root checkpoint {last.size} signed"
            )
        if last.size == tip.size:
            return last
        since, map_root = last.size, map_root_of(signed)
    map_root, nodes = grown(ledger, since, map_root, tip.size)
    text = Checkpoint(signer.name, tip.size, root, (map_line(map_root),)).text()
    return ledger.keep_checkpoint(SignedCheckpoint(tip.size, root, signer.sign(text), now), nodes)


def _signed(checkpoint: SignedCheckpoint, verifiers: Sequence[Verifier]) -> Checkpoint:
    """What ``checkpoint``'s note signs, once its signature holds, it says what the row
    beside it does (the row is a cache of the note) and it carries its card map."""
    try:
        said = Checkpoint.parse(opened_note(checkpoint.note, verifiers))
        map_root_of(said)
    except NoteError as bad:
        raise CheckpointRefused(f"checkpoint {checkpoint.size}: {bad}") from None
    if (said.size, said.root) != (checkpoint.size, checkpoint.root):
        raise CheckpointRefused(f"checkpoint {checkpoint.size} is stored apart from what it signed")
    return said


def checkpoint_if_due(
    ledger: Ledger, signer: Signer, cadence: Cadence, now: datetime
) -> SignedCheckpoint | None:
    """Sign a checkpoint if ``cadence`` says one is due; the new checkpoint, or ``None``."""
    if not cadence.due(ledger.latest_checkpoint(), ledger.tip().size, now):
        return None
    return sign_checkpoint(ledger, signer, now)
