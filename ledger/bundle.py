"""A card's audit bundle: its entries, their proofs and a signed checkpoint, in one file.

The bundle carries each entry as its ``cardflow.entry/1`` bytes (the exact text that was
hashed), so checking it needs no cardflow database, no server and no knowledge of how
cardflow stores anything: only the checkpoint signer's verifier key, which the
supervisor holds apart from the bundle. ``check_bundle`` says exactly what failed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ledger.cosignature import CosignerKey, cosignatures
from ledger.entry import Entry
from ledger.errors import BundleError as BundleError
from ledger.merkle import ProofError, leaf_hash, verify_inclusion
from ledger.note import Checkpoint, NoteError, Verifier, open_note
from ledger.proofs import Inclusion
from ledger.store import SignedCheckpoint

FORMAT: Final = "cardflow.audit-bundle/1"
TRANSITION: Final = "transition"


@dataclass(frozen=True, slots=True)
class Checked:
    """What a bundle proved: the card, how many entries, and the checkpoint they are in."""

    card_id: str
    entries: int
    versions: int
    checkpoint: Checkpoint


def make_bundle(
    card_id: str,
    entries: Sequence[Entry],
    checkpoint: SignedCheckpoint,
    proofs: Sequence[Inclusion],
) -> dict[str, Any]:
    """The bundle of ``card_id``: each entry's bytes, hash and inclusion path."""
    return {
        "format": FORMAT,
        "card_id": card_id,
        "checkpoint": checkpoint.note,
        "entries": [
            {
                "seq": entry.seq,
                "encoded": entry.encode().decode("utf-8"),
                "hash": entry.hash,
                "path": [node.hex() for node in proof.path],
            }
            for entry, proof in zip(entries, proofs, strict=True)
        ],
    }


def check_bundle(
    bundle: object,
    verifier: Verifier,
    witnesses: Sequence[CosignerKey] = (),
    quorum: int = 0,
) -> Checked:
    """What ``bundle`` proves, once every check holds; ``BundleError`` names the first
    that does not: the signature, at least ``quorum`` cosignatures of ``witnesses``, an
    entry's bytes or hash, its place in the tree, or a gap in the card's versions."""
    document = _object(bundle, "the bundle")
    if document.get("format") != FORMAT:
        raise BundleError(f"the bundle's format is not {FORMAT}")
    card_id = _string(document, "card_id", "the bundle")
    note = _string(document, "checkpoint", "the bundle")
    try:
        checkpoint = Checkpoint.parse(open_note(note, verifier))
    except NoteError as bad:
        raise BundleError(f"the checkpoint: {bad}") from None
    _check_quorum(note, witnesses, quorum)
    items = document.get("entries")
    if not isinstance(items, list) or not items:
        raise BundleError("the bundle holds no entries")
    version = 0
    for number, raw in enumerate(items, start=1):
        item = _object(raw, f"entry {number} of the bundle")
        seq = item.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise BundleError(f"entry {number} of the bundle has no sequence number")
        where = f"entry {seq}"
        encoded = _string(item, "encoded", where).encode("utf-8")
        if hashlib.sha256(encoded).hexdigest() != _string(item, "hash", where):
            raise BundleError(f"{where} was altered: its bytes do not match its hash")
        fields = _fields(encoded, where)
        if (fields.get("seq"), fields.get("card_id")) != (seq, card_id):
            raise BundleError(f"{where} is not entry {seq} of card {card_id}")
        path = item.get("path")
        if not isinstance(path, list) or not all(isinstance(node, str) for node in path):
            raise BundleError(f"{where} has no inclusion path")
        try:
            nodes = [bytes.fromhex(node) for node in path]
            verify_inclusion(leaf_hash(encoded), seq - 1, checkpoint.size, nodes, checkpoint.root)
        except (ValueError, ProofError) as bad:
            raise BundleError(f"{where} is not in the signed tree: {bad}") from None
        if fields.get("kind") == TRANSITION:
            version += 1
            if fields.get("version") != version:
                raise BundleError(
                    f"{where} is version {fields.get('version')} of the card, and version "
                    f"{version} is missing from the bundle"
                )
    return Checked(card_id, len(items), version, checkpoint)


def _check_quorum(note: str, witnesses: Sequence[CosignerKey], quorum: int) -> None:
    """``BundleError`` unless ``note`` carries at least ``quorum`` cosignatures that hold,
    of as many of ``witnesses``."""
    if quorum > len(witnesses):
        raise BundleError(
            f"a quorum of {quorum} needs as many witness keys; {len(witnesses)} given"
        )
    try:
        found = cosignatures(note, witnesses)
    except NoteError as bad:
        raise BundleError(f"the checkpoint's cosignatures: {bad}") from None
    if len(found) < quorum:
        raise BundleError(
            f"the checkpoint carries {len(found)} cosignature(s) of the {len(witnesses)} "
            f"witnesses given, and {quorum} are required: no quorum of witnesses saw this tree"
        )


def _fields(encoded: bytes, where: str) -> Mapping[str, object]:
    try:
        fields = json.loads(encoded)
    except ValueError:
        raise BundleError(f"{where}'s bytes are not a cardflow.entry/1 document") from None
    return _object(fields, where)


def _object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise BundleError(f"{what} is not a JSON object")
    return value


def _string(document: Mapping[str, object], key: str, what: str) -> str:
    value = document.get(key)
    if not isinstance(value, str):
        raise BundleError(f"{what} has no {key}")
    return value
