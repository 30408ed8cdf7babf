"""What a supervisor asks of the ledger itself: proofs, checkpoints and the full check.

The use cases in ``workflow/`` decide and append; this facade is the other half, the one
that shows the ledger can be trusted. It holds the signer key, which the use cases never
need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ledger.binding import AnyOf, Keyring, LogKeys, binding_of, rotate
from ledger.bundle import make_bundle
from ledger.cardmap import MapError, card_key
from ledger.cardmap import prove as prove_in_map
from ledger.checkpoints import DEFAULT_CADENCE, Cadence, checkpoint_if_due, sign_checkpoint
from ledger.entry import Entry
from ledger.errors import CheckpointRefused, NoSigner
from ledger.maps import map_root_of
from ledger.note import Checkpoint, Signer, Verifier, note_parts
from ledger.proofs import (
    Consistency,
    Inclusion,
    prove_consistency,
    prove_inclusion,
    prove_inclusions,
)
from ledger.store import Ledger, SignedCheckpoint
from ledger.verify import Problem, Report, verify
from ledger.witnessing import (
    Outcome,
    Transport,
    Witness,
    Witnessing,
    WitnessStatus,
    witnessed_problems,
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Witnessed:
    """The latest checkpoint, its note carrying the witnesses' cosignatures, and which
    of the configured witnesses have cosigned it."""

    checkpoint: SignedCheckpoint
    witnesses: list[WitnessStatus]


class Audit:
    """Proofs, checkpoints and verification over one ledger, signed with one key and
    cosigned by the ``witnesses`` configured."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        signer: Signer | None = None,
        cadence: Cadence = DEFAULT_CADENCE,
        clock: Callable[[], datetime] = _now,
        witnesses: Sequence[Witness] = (),
        transport: Transport | None = None,
    ) -> None:
        self.ledger = ledger
        self._signer = signer
        self._cadence = cadence
        self._clock = clock
        self._transport = transport
        self.witnessing = Witnessing(ledger, witnesses, transport=transport, clock=clock)

    def with_witnesses(self, witnesses: Sequence[Witness]) -> Audit:
        """This audit, its checkpoints cosigned by ``witnesses`` instead."""
        return Audit(
            self.ledger,
            signer=self._signer,
            cadence=self._cadence,
            clock=self._clock,
            witnesses=witnesses,
            transport=self._transport,
        )

    def inclusion(self, seq: int, tree_size: int | None = None) -> Inclusion:
        """Entry ``seq``'s inclusion proof in the tree of ``tree_size`` entries (now: all
        of them); ``ProofError`` says why there is none."""
        return prove_inclusion(self.ledger, seq, tree_size)

    def consistency(self, first: int, second: int | None = None) -> Consistency:
        """The proof that the tree of ``first`` entries grew into the tree of ``second``
        (now: all of them); ``ProofError`` says why there is none."""
        return prove_consistency(self.ledger, first, second)

    def checkpoint(self) -> SignedCheckpoint:
        """The latest signed checkpoint, signed first if the cadence says one is due
        (always, when none has been signed yet)."""
        signed = self.checkpoint_if_due() or self.ledger.latest_checkpoint()
        assert signed is not None, "a first checkpoint is always due"
        return signed

    def witnessed(self) -> Witnessed:
        """The latest checkpoint (signed first if one is due) with the cosignatures the
        witnesses gave it, and which of them have."""
        signed = self.checkpoint()
        return Witnessed(self.witnessing.cosigned(signed), self.witnessing.status(signed))

    def cosigned(self, checkpoint: SignedCheckpoint) -> SignedCheckpoint:
        """``checkpoint`` with the witnesses' stored cosignatures on its note."""
        return self.witnessing.cosigned(checkpoint)

    def witness(self) -> list[Outcome]:
        """Ask each witness that has not cosigned the latest checkpoint to cosign it; what
        each came to. A witness down is told, never raised: the next round asks again."""
        return self.witnessing.round()

    def checkpoint_if_due(self) -> SignedCheckpoint | None:
        """Sign a checkpoint if the cadence says one is due; the new one, or ``None``."""
        return checkpoint_if_due(self.ledger, self._signing(), self._cadence, self._clock())

    def prove(self, entries: Sequence[Entry]) -> tuple[SignedCheckpoint, list[Inclusion]]:
        """A signed checkpoint that covers every one of ``entries`` (signed now if the
        latest does not), and each entry's inclusion proof against it."""
        signed = self.checkpoint()
        if entries and signed.size < max(entry.seq for entry in entries):
            signed = sign_checkpoint(self.ledger, self._signing(), self._clock())
        return signed, prove_inclusions(self.ledger, [entry.seq for entry in entries], signed.size)

    def bundle(self, card_id: str, entries: Sequence[Entry]) -> dict[str, Any]:
        """The audit bundle of ``card_id`` (``ledger.bundle``), whose history holds
        ``entries``: as of a checkpoint that covers them, signed now if none does
        (``bundle_at``)."""
        signed, _ = self.prove(entries)
        return self.bundle_at(card_id, signed)

    def bundle_at(self, card_id: str, signed: SignedCheckpoint) -> dict[str, Any]:
        """The audit bundle of ``card_id`` as of the checkpoint ``signed``, signing nothing:
        its note with the witnesses' cosignatures; every entry of the card it covers,
        re-read, so that one written meanwhile is in it too; each one's inclusion path,
        and the card map's proof of the last. ``CheckpointRefused`` if the stored map does
        not hold the card's last entry (it was changed underneath)."""
        covered = [e for e in self.ledger.entries_for(card_id) if e.seq <= signed.size]
        proofs = prove_inclusions(self.ledger, [entry.seq for entry in covered], signed.size)
        map_root = map_root_of(Checkpoint.parse(note_parts(signed.note)[0]))
        try:
            value, siblings = prove_in_map(map_root, card_key(card_id), self.ledger.map_nodes)
        except MapError as damaged:
            raise CheckpointRefused(
                f"the card map of checkpoint {signed.size}: {damaged}"
            ) from None
        if not covered or value != bytes.fromhex(covered[-1].hash):
            raise CheckpointRefused(
                f"the card map of checkpoint {signed.size} does not hold card {card_id}'s "
                "last entry: the map or the entries were changed underneath"
            )
        return make_bundle(card_id, covered, self.cosigned(signed).note, proofs, siblings)

    def verifier(self) -> Verifier:
        """The public key checkpoints are signed with, as supervisors check them."""
        return self._signing().verifier()

    def log_keys(self) -> LogKeys:
        """Every log key the database is bound to, each with the trees it signs: the
        current one and those rotated out, which still check the checkpoints they signed."""
        return binding_of(self.ledger).log

    def rotate(self, new: Signer) -> LogKeys:
        """Sign a last checkpoint of the tree as it stands with the current key, then bind
        ``new`` for every larger tree (see ``ledger.binding.rotate``)."""
        old = self._signing()
        if binding_of(self.ledger).log.current == old.verifier():
            sign_checkpoint(self.ledger, old, self._clock())
        return rotate(self.ledger, old.verifier(), new.verifier(), self._clock())

    def verify(
        self,
        *,
        progress: Callable[[int], None] | None = None,
        keys: Keyring | None = None,
        held: Sequence[Checkpoint] = (),
        witnessed: Sequence[tuple[str, Checkpoint]] = (),
        jobs: int = 1,
    ) -> Report:
        """Recompute every hash and the Merkle tree, check every stored checkpoint (its
        signature with ``keys``: by default the log keys the database is bound to, else
        this ledger's own) and each of the ``held`` ones, compare every card with a
        replay of its entries, and check the ledger still holds, and grew from, each
        checkpoint a witness (named first) says it cosigned. ``jobs`` worker processes
        read and re-hash the entries (``ledger.verify.verify``): the report is the same."""
        if keys is None:
            bound = self.log_keys()
            if bound.keys:
                keys = bound
            elif self._signer is not None:
                keys = AnyOf((self._signer.verifier(),))
        report = verify(self.ledger, progress=progress, keys=keys, held=held, jobs=jobs)
        found = [
            Problem(None, problem)
            for who, checkpoint in witnessed
            for problem in witnessed_problems(self.ledger, who, checkpoint)
        ]
        return replace(report, problems=report.problems + tuple(found)) if found else report

    def _signing(self) -> Signer:
        if self._signer is None:
            raise NoSigner()
        return self._signer
