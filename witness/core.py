"""The witness's one decision: cosign a checkpoint, or refuse it as ``tlog-witness`` says.

A request is an old size, a consistency proof and a checkpoint note. The checkpoint is
cosigned only if a key of the log it names signed it, the old size is the size of the
checkpoint last cosigned for that log, and the proof shows that checkpoint's tree grew
into this one's (or, at one size, the roots are the same). Checkpoints are read as
origin, size, root and any extension lines after them: the cosignature covers the
whole text.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from ledger.cosignature import Cosigner
from ledger.merkle import EMPTY_ROOT, HASH_SIZE, ProofError, verify_consistency
from ledger.note import Checkpoint, NoteError, Verifier, note_parts, opened_note, with_signatures
from witness.errors import (
    BadProof,
    Malformed,
    RootConflict,
    SizeConflict,
    UnknownLog,
    Unverified,
)
from witness.store import Held, WitnessStore

MOST_PROOF_LINES: Final = 63
"""The longest consistency proof a request may carry."""


@dataclass(frozen=True, slots=True)
class Request:
    """An ``add-checkpoint`` request, parsed: nothing in it is checked yet but its form."""

    old: int
    proof: tuple[bytes, ...]
    note: str
    text: str
    checkpoint: Checkpoint


def parse_request(body: bytes) -> Request:
    """The request in ``body``; ``Malformed`` names what in it is not as the protocol
    says."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the request is not UTF-8") from None
    head, blank, note = decoded.partition("\n\n")
    if not blank:
        raise Malformed("the request has no blank line before its checkpoint")
    lines = head.split("\n")
    old = lines[0].removeprefix("old ")
    if old == lines[0] or not _decimal(old):
        raise Malformed("the request's first line is `old <size>`, the size in decimal")
    if len(lines) - 1 > MOST_PROOF_LINES:
        raise Malformed(f"a consistency proof is at most {MOST_PROOF_LINES} lines")
    proof = tuple(_hash(line, number) for number, line in enumerate(lines[1:], start=1))
    try:
        text, _ = note_parts(note)
        checkpoint = Checkpoint.parse(text)
    except NoteError as bad:
        raise Malformed(f"the checkpoint: {bad}") from None
    return Request(int(old), proof, note, text, checkpoint)


def _decimal(text: str) -> bool:
    return text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))


def _hash(line: str, number: int) -> bytes:
    try:
        node = base64.b64decode(line, validate=True)
    except binascii.Error:
        raise Malformed(f"proof line {number} is not base64") from None
    if len(node) != HASH_SIZE:
        raise Malformed(f"proof line {number} is not a {HASH_SIZE}-byte hash")
    return node


def _now() -> datetime:
    return datetime.now(UTC)


class Witness:
    """A witness of the logs whose keys it is given, cosigning with ``cosigner``."""

    def __init__(
        self,
        cosigner: Cosigner,
        logs: Sequence[Verifier],
        store: WitnessStore,
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.cosigner = cosigner
        self.store = store
        self._clock = clock
        self._logs: dict[str, list[Verifier]] = {}
        for key in logs:
            self._logs.setdefault(key.name, []).append(key)

    @property
    def origins(self) -> list[str]:
        """The origins of the logs followed (each log's key name is its origin)."""
        return sorted(self._logs)

    def add_checkpoint(self, body: bytes) -> str:
        """Cosign the checkpoint ``body`` carries and hold it as the log's latest; the
        cosignature line (with its newline). Each refusal is the ``witness.errors`` class
        of its status."""
        request = parse_request(body)
        checkpoint = request.checkpoint
        keys = self._logs.get(checkpoint.origin)
        if keys is None:
            raise UnknownLog(f"this witness follows no log of origin {checkpoint.origin!r}")
        try:
            opened_note(request.note, keys)
        except NoteError as bad:
            raise Unverified(f"no signature of the log's key holds: {bad}") from None
        if request.old > checkpoint.size:
            raise Malformed(
                f"the old size {request.old} is larger than the checkpoint's {checkpoint.size}"
            )
        line = ""

        def decide(held: Held | None) -> Held:
            nonlocal line
            _check(request, held)
            now = self._clock()
            line = self.cosigner.cosign(request.text, int(now.timestamp()))
            note = with_signatures(request.note, [line])
            return Held(checkpoint.origin, checkpoint.size, checkpoint.root, note, now)

        self.store.advance(checkpoint.origin, decide)
        return f"{line}\n"

    def latest(self, origin: str) -> str | None:
        """The latest checkpoint cosigned for ``origin``, its note carrying the
        cosignature, if one was."""
        held = self.store.held(origin) if origin in self._logs else None
        return None if held is None else held.note


def _check(request: Request, held: Held | None) -> None:
    """Refuse ``request`` unless it grows the log from ``held`` (none: the empty tree)."""
    size, root = (0, EMPTY_ROOT) if held is None else (held.size, held.root)
    checkpoint = request.checkpoint
    if request.old != size:
        raise SizeConflict(size)
    if checkpoint.size == size and checkpoint.root != root:
        raise RootConflict(
            f"the checkpoint of {size} entries cosigned has another root: the log forked"
        )
    if size == 0:  # every tree grows from the empty one: there is nothing to prove
        if request.proof:
            raise BadProof("a checkpoint first seen needs an empty consistency proof")
        return
    try:
        verify_consistency(size, checkpoint.size, request.proof, root, checkpoint.root)
    except ProofError as bad:
        raise BadProof(
            f"no growth from the {size} entries cosigned to {checkpoint.size}: {bad}"
        ) from None
