"""A card's audit bundle, ``cardflow.audit-bundle/2``: its whole history, proven complete.

The bundle carries every entry of the card among the first N of a signed checkpoint, as
the bytes that were hashed, each with its inclusion path, and the card map proof that the
last of them is the card's latest entry as of N. The entries chain by ``card_prev``, so
none can be dropped, repeated or moved without the chain breaking, and the map shows none
was left out at the end. ``spec/audit-bundle.md`` defines every byte and every step of
``check_bundle``, in this order; checking needs no database and no server, only the log's
verifier key (and the witnesses' keys, for a quorum), which a supervisor holds apart.

The steps are public for a server that checks a card's entries one by one against its
own latest checkpoint (the desk's marks): ``open_checkpoint`` (steps 2, 3),
``read_item`` (4.1 to 4.5), ``check_path`` (4.8) and ``check_entry`` (all of step 4 for
one entry), and ``check_bundle`` is made of them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ledger.cardmap import MapError, MapProofError, card_key, verify_proof
from ledger.cosignature import CosignerKey, cosignatures
from ledger.entry import ENCODING, GENESIS_HASH, TRANSITION, Entry
from ledger.errors import BundleError as BundleError
from ledger.maps import map_root_of
from ledger.merkle import ProofError, leaf_hash, verify_inclusion
from ledger.note import Checkpoint, NoteError, Verifier, signature_of
from ledger.proofs import Inclusion

FORMAT: Final = "cardflow.audit-bundle/2"
_HEX: Final = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Checked:
    """What a bundle proved: the card's every entry as of the checkpoint, and how many
    versions they make."""

    card_id: str
    entries: int
    versions: int
    checkpoint: Checkpoint

    def says(self) -> str:
        """What was proven, in the specification's words."""
        return f"complete as of tree size {self.checkpoint.size}"


def make_bundle(
    card_id: str,
    entries: Sequence[Entry],
    note: str,
    proofs: Sequence[Inclusion],
    siblings: Sequence[bytes],
) -> dict[str, Any]:
    """The bundle of ``card_id``: ``entries`` (all of the card's within the checkpoint
    ``note`` signs, oldest first) with their inclusion paths, and the map proof
    ``siblings`` of its last entry."""
    return {
        "format": FORMAT,
        "card_id": card_id,
        "checkpoint": note,
        "entries": [
            {
                "seq": entry.seq,
                "encoded": entry.encode().decode("utf-8"),
                "hash": entry.hash,
                "path": [node.hex() for node in proof.path],
            }
            for entry, proof in zip(entries, proofs, strict=True)
        ],
        "map": {"siblings": [sibling.hex() for sibling in siblings]},
    }


def check_bundle(
    bundle: object,
    verifier: Verifier,
    witnesses: Sequence[CosignerKey] = (),
    quorum: int = 0,
) -> Checked:
    """What ``bundle`` proves, once every step of ``spec/audit-bundle.md`` section 6
    holds; ``BundleError`` names the first that does not."""
    document = _object(bundle, "the bundle")
    if document.get("format") != FORMAT:
        raise BundleError(f"the bundle's format is not {FORMAT}")
    card_id = document.get("card_id")
    if not isinstance(card_id, str) or not card_id:
        raise BundleError("the bundle's card_id is not a non-empty string")
    note = document.get("checkpoint")
    if not isinstance(note, str):
        raise BundleError("the bundle's checkpoint is not a string")
    items = document.get("entries")
    if not isinstance(items, list) or not items:
        raise BundleError("the bundle's entries are not a non-empty list")
    proof = _object(document.get("map"), "the bundle's map")
    siblings = proof.get("siblings")
    if not isinstance(siblings, list):
        raise BundleError("the bundle's map siblings are not a list")
    checkpoint, map_root = open_checkpoint(note, verifier)
    entries: list[BundleItem] = []
    for number, raw in enumerate(items, start=1):
        previous = entries[-1].seq if entries else None
        entries.append(check_entry(raw, card_id, checkpoint, number=number, previous=previous))
    _chain(entries)
    _map(card_id, entries[-1], siblings, map_root)
    versions = _versions(entries)
    if quorum:
        _check_quorum(note, witnesses, quorum)
    return Checked(card_id, len(entries), versions, checkpoint)


def open_checkpoint(note: str, verifier: Verifier) -> tuple[Checkpoint, bytes]:
    """The checkpoint ``note`` signs with the log key, and its map root (steps 2, 3)."""
    try:
        text, signature = signature_of(note, verifier)
    except NoteError as bad:
        raise BundleError(f"the checkpoint is not a signed note: {bad}") from None
    if signature is None:
        raise BundleError(f"the checkpoint carries no signature of the log key {verifier.name}")
    if not verifier.check(text.encode(), signature):
        raise BundleError("the log's signature on the checkpoint does not hold: it was altered")
    try:
        checkpoint = Checkpoint.parse(text)
        return checkpoint, map_root_of(checkpoint)
    except NoteError as bad:
        raise BundleError(f"the checkpoint: {bad}") from None


@dataclass(frozen=True, slots=True)
class BundleItem:
    """One entry of a bundle as read: its place, the bytes it carries (which hash to
    ``hash``), the fields they hold and its inclusion path, not yet checked against a
    tree."""

    seq: int
    hash: str
    fields: Mapping[str, object]
    encoded: bytes
    path: tuple[bytes, ...]


def check_entry(
    raw: object,
    card_id: str,
    checkpoint: Checkpoint,
    *,
    number: int = 1,
    previous: int | None = None,
) -> BundleItem:
    """Entry number ``number`` of a bundle of ``card_id``, its bytes, hash, fields and
    place in ``checkpoint``'s tree checked, after the entry ``previous`` if there is one
    before it (step 4): what a bundle's every entry goes through, and one entry alone."""
    item = read_item(raw, card_id, number=number)
    where = f"entry {item.seq}"
    if item.seq > checkpoint.size:
        raise BundleError(f"{where} is past the checkpoint, which holds {checkpoint.size} entries")
    if previous is not None and item.seq == previous:
        raise BundleError(f"{where} appears twice in the bundle")
    if previous is not None and item.seq < previous:
        raise BundleError(f"{where} comes after entry {previous}: the entries are out of order")
    check_path(item, checkpoint)
    return item


def read_item(raw: object, card_id: str, *, number: int = 1) -> BundleItem:
    """Entry number ``number`` of a bundle of ``card_id``: its shape, its bytes against
    its hash and the fields they hold (steps 4.1 to 4.5); no tree is needed yet."""
    item = _object(raw, f"entry {number} of the bundle")
    seq = item.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise BundleError(f"entry {number} of the bundle has no sequence number")
    where = f"entry {seq}"
    text, digest, path = item.get("encoded"), item.get("hash"), item.get("path")
    if not isinstance(text, str) or not isinstance(digest, str) or not _is_hex(digest):
        raise BundleError(f"{where} has no encoded bytes and hash")
    if not isinstance(path, list) or not all(_is_hex(node) for node in path):
        raise BundleError(f"{where} has no inclusion path")
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        raise BundleError(f"{where} was altered: its bytes do not match its hash") from None
    if hashlib.sha256(encoded).hexdigest() != digest:
        raise BundleError(f"{where} was altered: its bytes do not match its hash")
    fields = _fields(encoded, where)
    if fields.get("format") != ENCODING:
        raise BundleError(f"{where}'s bytes are not a {ENCODING} document")
    if fields.get("seq") != seq:
        raise BundleError(f"{where}'s bytes are those of another seq")
    if fields.get("card_id") != card_id:
        raise BundleError(f"{where} is not an entry of card {card_id}")
    if not _is_hex(fields.get("card_prev")):
        raise BundleError(f"{where}'s card_prev is not 64 hex digits")
    return BundleItem(seq, digest, fields, encoded, tuple(bytes.fromhex(node) for node in path))


def check_path(item: BundleItem, checkpoint: Checkpoint) -> None:
    """``item``'s path holds for its bytes' leaf in ``checkpoint``'s tree (step 4.8)."""
    try:
        verify_inclusion(
            leaf_hash(item.encoded), item.seq - 1, checkpoint.size, item.path, checkpoint.root
        )
    except ProofError:
        raise BundleError(
            f"entry {item.seq} is not in the checkpoint's tree: its path does not hold"
        ) from None


def _chain(entries: Sequence[BundleItem]) -> None:
    """The card's entries chain by ``card_prev`` from its first (step 5)."""
    first = entries[0]
    if first.fields["card_prev"] != GENESIS_HASH:
        raise BundleError(
            f"entry {first.seq} is not the card's first entry (its card_prev is not 64 "
            "zeros): the card's earlier entries are left out"
        )
    seen = {first.hash}
    for before, after in itertools.pairwise(entries):
        link = after.fields["card_prev"]
        if link == before.hash:
            seen.add(after.hash)
            continue
        if link in seen:
            raise BundleError(
                f"entry {after.seq} follows entry {before.seq}, and so does an entry before "
                "it: the card's chain forks"
            )
        raise BundleError(
            f"entry {after.seq} does not follow entry {before.seq}: an entry of the card "
            f"between seq {before.seq} and seq {after.seq} is left out"
        )


def _map(card_id: str, last: BundleItem, siblings: list[object], map_root: bytes) -> None:
    """The map at the checkpoint holds ``last`` as the card's latest entry (step 6)."""
    if not all(_is_hex(sibling) for sibling in siblings):
        raise BundleError("the map proof is malformed: a sibling is not 64 hex digits")
    nodes = [bytes.fromhex(str(sibling)) for sibling in siblings]
    try:
        verify_proof(map_root, card_key(card_id), bytes.fromhex(last.hash), nodes)
    except (MapError, MapProofError) as bad:
        if "another root" not in str(bad):
            raise BundleError(f"the map proof is malformed: {bad}") from None
        raise BundleError(
            f"the card's latest entries are left out: the map does not hold entry "
            f"{last.seq} as the card's latest"
        ) from None


def _versions(entries: Sequence[BundleItem]) -> int:
    """Transitions number the card's versions 1, 2, ...; notes name the current one
    (step 7). The number of versions."""
    version = 0
    for item in entries:
        kind, named = item.fields.get("kind"), item.fields.get("version")
        if not isinstance(kind, str) or not isinstance(named, int) or isinstance(named, bool):
            raise BundleError(f"entry {item.seq} has no kind and version")
        if kind == TRANSITION:
            version += 1
            if named != version:
                raise BundleError(
                    f"entry {item.seq} is version {named} of the card, and version "
                    f"{version} is missing"
                )
        elif named != version:
            raise BundleError(
                f"entry {item.seq} (a {kind}) names version {named}, but the card is at "
                f"version {version}"
            )
    return version


def _check_quorum(note: str, witnesses: Sequence[CosignerKey], quorum: int) -> None:
    """``BundleError`` unless ``note`` carries at least ``quorum`` cosignatures that hold,
    of as many of ``witnesses`` (step 8)."""
    if not 1 <= quorum <= len(witnesses):
        raise BundleError(
            f"a quorum of {quorum} needs between 1 and as many witness keys; {len(witnesses)} given"
        )
    try:
        found = cosignatures(note, witnesses)
    except NoteError as bad:
        raise BundleError(f"the checkpoint's cosignatures: {bad}") from None
    if len(found) < quorum:
        raise BundleError(
            f"the checkpoint is cosigned by {len(found)} of the {len(witnesses)} witnesses, "
            f"fewer than the quorum of {quorum}"
        )


def _fields(encoded: bytes, where: str) -> Mapping[str, object]:
    def unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise BundleError(f"{where}'s bytes name a key twice")
        return dict(pairs)

    try:
        fields = json.loads(encoded, object_pairs_hook=unique)
    except ValueError:
        raise BundleError(f"{where}'s bytes are not JSON") from None
    if not isinstance(fields, dict):
        raise BundleError(f"{where}'s bytes are not a JSON object")
    return fields


def _object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise BundleError(f"{what} is not a JSON object")
    return value


def _is_hex(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX
