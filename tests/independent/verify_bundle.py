"""An audit bundle verifier written from ``spec/audit-bundle.md`` alone.

It is a second implementation, kept apart on purpose: it imports the standard library
and ``cryptography`` only, never cardflow (``test_independence.py`` checks), so that a
bundle it accepts is accepted for what the specification says, not for what cardflow's
own code happens to do. ``verify_bundle`` follows the specification's section 6 step by
step and raises ``Refused`` naming the first step that fails.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT: Final = "cardflow.audit-bundle/2"
ENTRY_FORMAT: Final = "cardflow.entry/2"
MAP_NAME: Final = "cardflow.cardmap/1"
TRANSITION: Final = "transition"
ZEROS: Final = "0" * 64
EMPTY: Final = bytes(32)
LOG_KEY_TYPE: Final = 0x01
WITNESS_KEY_TYPE: Final = 0x04
DASH: Final = "\u2014 "
HEX: Final = frozenset("0123456789abcdef")


class Refused(Exception):
    """The bundle does not prove its card's history complete; the message says why."""


@dataclass(frozen=True)
class Key:
    """A verifier key: its name, signature type, public key and four-byte key id."""

    name: str
    kind: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(
            self.name.encode() + b"\n" + bytes([self.kind]) + self.public
        ).digest()[:4]


@dataclass(frozen=True)
class Item:
    """One entry of the bundle, once its bytes are checked against its hash."""

    seq: int
    hash: str
    fields: Mapping[str, Any]


def verify_bundle(
    bundle: Mapping[str, Any], log_key: str, witnesses: Sequence[str] = (), quorum: int = 0
) -> str:
    """``"complete as of tree size N"`` when ``bundle`` proves its card's history complete
    as of the checkpoint it carries, signed by ``log_key`` (and cosigned by ``quorum`` of
    ``witnesses``); ``Refused`` otherwise, naming what failed."""
    card_id, note, raw_entries, siblings = shape(bundle)
    text = open_note(note, parse_key(log_key, LOG_KEY_TYPE))
    size, root, map_root = parse_checkpoint(text)
    items = check_entries(raw_entries, card_id, size, root)
    check_chain(items)
    check_map(card_id, items[-1], siblings, map_root)
    check_versions(items)
    if quorum:
        check_quorum(note, text, [parse_key(w, WITNESS_KEY_TYPE) for w in witnesses], quorum)
    return f"complete as of tree size {size}"


# -- step 1: the bundle's shape ---------------------------------------------------------


def shape(bundle: object) -> tuple[str, str, list[Any], list[Any]]:
    """The card id, the signed note, the entries and the map siblings of ``bundle``."""
    if not isinstance(bundle, dict):
        raise Refused("the bundle is not a JSON object")
    if bundle.get("format") != BUNDLE_FORMAT:
        raise Refused(f"the bundle's format is not {BUNDLE_FORMAT}")
    card_id = bundle.get("card_id")
    if not isinstance(card_id, str) or not card_id:
        raise Refused("the bundle's card_id is not a non-empty string")
    note = bundle.get("checkpoint")
    if not isinstance(note, str):
        raise Refused("the bundle's checkpoint is not a string")
    entries = bundle.get("entries")
    if not isinstance(entries, list) or not entries:
        raise Refused("the bundle's entries are not a non-empty list")
    proof = bundle.get("map")
    if not isinstance(proof, dict) or not isinstance(proof.get("siblings"), list):
        raise Refused("the bundle's map is not an object with a list of siblings")
    return card_id, note, entries, proof["siblings"]


# -- step 2: the log's signature --------------------------------------------------------


def parse_key(text: str, kind: int) -> Key:
    """A verifier key ``<name>+<hex key id>+<base64(type || public key)>`` of type ``kind``."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise Refused("a verifier key is <name>+<key id>+<key>")
    name, key_id, material = parts
    if not name or any(c.isspace() for c in name):
        raise Refused("a verifier key's name is non-empty, without spaces")
    try:
        raw = base64.b64decode(material, validate=True)
    except binascii.Error:
        raise Refused(f"the verifier key {name}'s key is not base64") from None
    if len(raw) != 33 or raw[0] != kind:
        raise Refused(f"the verifier key {name} is not an Ed25519 key of type 0x{kind:02x}")
    key = Key(name, kind, raw[1:])
    if key.key_id.hex() != key_id:
        raise Refused(f"the verifier key {name}'s id is not the id of its key")
    return key


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text of ``note`` and its signature lines as (key name, decoded signature)."""
    text, blank, block = note.rpartition("\n\n")
    if not blank or not block.endswith("\n"):
        raise Refused("the checkpoint is not a signed note: text, a blank line, signatures")
    text += "\n"
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(DASH):
            raise Refused("a signature line of the checkpoint does not begin with an em dash")
        name, space, blob = line[len(DASH) :].rpartition(" ")
        if not space or not name:
            raise Refused("a signature line of the checkpoint is not a name and a signature")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise Refused(f"the signature of {name} on the checkpoint is not base64") from None
        if len(raw) < 5:
            raise Refused(f"the signature of {name} on the checkpoint is too short")
        signatures.append((name, raw))
    return text, signatures


def holds(key: Key, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key.public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def open_note(note: str, log: Key) -> str:
    """The checkpoint text of ``note`` once the log key's signature on it holds."""
    text, signatures = split_note(note)
    for name, raw in signatures:
        if name != log.name or raw[:4] != log.key_id:
            continue
        if len(raw) != 68 or not holds(log, text.encode("utf-8"), raw[4:]):
            raise Refused("the log's signature on the checkpoint does not hold: it was altered")
        return text
    raise Refused(f"the checkpoint carries no signature of the log key {log.name}")


# -- step 3: the checkpoint -------------------------------------------------------------


def parse_checkpoint(text: str) -> tuple[int, bytes, bytes]:
    """The tree size, the log's root and the map's root the checkpoint states."""
    lines = text[:-1].split("\n")
    if len(lines) < 4:
        raise Refused("the checkpoint has no map line: origin, size, root and map root")
    origin, size, root, *extensions = lines
    if not origin:
        raise Refused("the checkpoint's origin line is empty")
    if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise Refused("the checkpoint's second line is not a size in decimal")
    tree_root = decoded_hash(root, "the checkpoint's root")
    prefix = MAP_NAME + " "
    if not extensions[0].startswith(prefix):
        raise Refused(f"the checkpoint's fourth line is not its {MAP_NAME} line")
    if any(line.startswith(MAP_NAME) for line in extensions[1:]):
        raise Refused(f"the checkpoint carries more than one {MAP_NAME} line")
    map_root = decoded_hash(extensions[0][len(prefix) :], "the checkpoint's map root")
    return int(size), tree_root, map_root


def decoded_hash(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise Refused(f"{what} is not base64") from None
    if len(raw) != 32:
        raise Refused(f"{what} is not 32 bytes")
    return raw


# -- step 4: each entry -----------------------------------------------------------------


def check_entries(raw: Sequence[Any], card_id: str, size: int, root: bytes) -> list[Item]:
    """Each entry checked against its hash, its card, the tree size and the tree."""
    items: list[Item] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise Refused(f"entry {number} of the bundle is not a JSON object")
        seq = item.get("seq")
        if not is_int(seq) or seq < 1:
            raise Refused(f"entry {number} of the bundle has no positive seq")
        encoded, digest, path = item.get("encoded"), item.get("hash"), item.get("path")
        if not isinstance(encoded, str) or not is_hex(digest):
            raise Refused(f"entry {seq} has no encoded text and 64-hex-digit hash")
        if not isinstance(path, list) or not all(is_hex(node) for node in path):
            raise Refused(f"entry {seq}'s path is not a list of 64-hex-digit hashes")
        try:
            data = encoded.encode("utf-8")
        except UnicodeEncodeError:
            raise Refused(f"entry {seq}'s encoded text is not valid Unicode") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise Refused(f"entry {seq} was altered: its bytes do not match its hash")
        fields = entry_fields(data, seq)
        if fields.get("format") != ENTRY_FORMAT:
            raise Refused(f"entry {seq}'s format is not {ENTRY_FORMAT}")
        if fields.get("seq") != seq or not is_int(fields.get("seq")):
            raise Refused(f"entry {seq}'s bytes are those of another seq")
        if fields.get("card_id") != card_id:
            raise Refused(f"entry {seq} is not an entry of card {card_id}")
        if not is_hex(fields.get("card_prev")):
            raise Refused(f"entry {seq}'s card_prev is not 64 lowercase hex digits")
        if seq > size:
            raise Refused(f"entry {seq} is past the checkpoint, which holds {size} entries")
        if items and seq == items[-1].seq:
            raise Refused(f"entry {seq} appears twice in the bundle")
        if items and seq < items[-1].seq:
            raise Refused(
                f"entry {seq} comes after entry {items[-1].seq}: the entries are out of order"
            )
        leaf = hashlib.sha256(b"\x00" + data).digest()
        if not included(leaf, seq - 1, size, [bytes.fromhex(node) for node in path], root):
            raise Refused(f"entry {seq} is not in the checkpoint's tree: its path does not hold")
        items.append(Item(seq, digest, fields))
    return items


def entry_fields(data: bytes, seq: int) -> Mapping[str, Any]:
    """The JSON object an entry's bytes hold; one that names a key twice is refused, since
    two readers could take different values from it."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) != len(pairs):
            raise Refused(f"entry {seq}'s bytes name a key twice")
        return found

    try:
        fields = json.loads(data.decode("utf-8"), object_pairs_hook=unique)
    except ValueError:
        raise Refused(f"entry {seq}'s bytes are not JSON") from None
    if not isinstance(fields, dict):
        raise Refused(f"entry {seq}'s bytes are not a JSON object")
    return fields


def included(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """Whether ``path`` shows ``leaf`` at ``index`` in the tree of ``size`` leaves with
    ``root`` (RFC 9162 section 2.1.3.2)."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# -- step 5: the card's chain -----------------------------------------------------------


def check_chain(items: Sequence[Item]) -> None:
    """The first entry opens the card's chain and each next one follows the one before."""
    first = items[0]
    if first.fields["card_prev"] != ZEROS:
        raise Refused(
            f"entry {first.seq} is not the card's first entry (its card_prev is not 64 zeros): "
            "the card's earlier entries are left out"
        )
    for at, (before, item) in enumerate(itertools.pairwise(items), start=1):
        if item.fields["card_prev"] == before.hash:
            continue
        earlier = [e for e in items[: at - 1] if e.hash == item.fields["card_prev"]]
        if earlier:
            raise Refused(
                f"entry {item.seq} follows entry {earlier[0].seq}, and so does an entry before "
                f"it: the card's chain forks"
            )
        raise Refused(
            f"entry {item.seq} does not follow entry {before.seq}: an entry of the card "
            f"between seq {before.seq} and seq {item.seq} is left out"
        )


# -- step 6: the card map ---------------------------------------------------------------


def map_bit(key: bytes, index: int) -> int:
    return (key[index // 8] >> (7 - index % 8)) & 1


def verify_map_proof(root: bytes, key: bytes, value: bytes, siblings: Sequence[bytes]) -> None:
    """Raise ``Refused`` unless ``siblings`` show ``key`` holding ``value`` in the map whose
    root is ``root`` (``cardflow.cardmap/1``, canonical form)."""
    if len(siblings) > 256:
        raise Refused(
            f"the map proof is malformed: it holds {len(siblings)} siblings, and a proof "
            "holds at most 256 siblings"
        )
    if any(len(s) != 32 for s in siblings):
        raise Refused("the map proof is malformed: a sibling is not 32 bytes")
    if siblings and siblings[-1] == EMPTY:
        raise Refused("the map proof is malformed: its deepest sibling is empty (not canonical)")
    h = hashlib.sha256(b"\x00" + key + value).digest()
    for i in range(len(siblings) - 1, -1, -1):
        h = node(siblings[i], h) if map_bit(key, i) else node(h, siblings[i])
    if h != root:
        raise Refused("the map proof leads to another root")


def check_map(card_id: str, last: Item, siblings: Sequence[Any], map_root: bytes) -> None:
    """The map at the checkpoint holds the bundle's last entry as the card's latest."""
    if not all(is_hex(s) for s in siblings):
        raise Refused("the map proof is malformed: a sibling is not 64 lowercase hex digits")
    key = hashlib.sha256(card_id.encode("utf-8")).digest()
    try:
        verify_map_proof(
            map_root, key, bytes.fromhex(last.hash), [bytes.fromhex(s) for s in siblings]
        )
    except Refused as bad:
        if "malformed" in str(bad):
            raise
        raise Refused(
            f"the card's latest entries are left out: the map does not hold entry {last.seq} "
            "as the card's latest"
        ) from None


# -- step 7: the card's versions --------------------------------------------------------


def check_versions(items: Sequence[Item]) -> None:
    """Transitions number the card's versions 1, 2, ...; other entries name the current one."""
    current = 0
    for item in items:
        kind, version = item.fields.get("kind"), item.fields.get("version")
        if not isinstance(kind, str) or not is_int(version):
            raise Refused(f"entry {item.seq} has no kind and integer version")
        if kind == TRANSITION:
            current += 1
            if version != current:
                raise Refused(
                    f"entry {item.seq} is version {version} of the card, and version "
                    f"{current} is missing"
                )
        elif version != current:
            raise Refused(
                f"entry {item.seq} (a {kind}) names version {version}, but the card is at "
                f"version {current}"
            )


# -- step 8: the witnesses --------------------------------------------------------------


def check_quorum(note: str, text: str, witnesses: Sequence[Key], quorum: int) -> None:
    """At least ``quorum`` of ``witnesses`` cosigned the checkpoint (cosignature/v1)."""
    distinct = {(w.name, w.public): w for w in witnesses}
    if not 0 < quorum <= len(distinct):
        raise Refused(f"a quorum of {quorum} cannot be met by {len(distinct)} witness keys")
    _, signatures = split_note(note)
    cosigned: set[tuple[str, bytes]] = set()
    for name, raw in signatures:
        for witness in distinct.values():
            if name != witness.name or raw[:4] != witness.key_id:
                continue
            if len(raw) != 76:
                raise Refused(f"the cosignature of {name} is not a timestamp and a signature")
            timestamp = int.from_bytes(raw[4:12], "big")
            if timestamp > 2**63 - 1:
                raise Refused(f"the cosignature of {name} has a timestamp past 2^63 - 1")
            message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
            if not holds(witness, message, raw[12:]):
                raise Refused(f"the cosignature of {name} does not hold")
            cosigned.add((witness.name, witness.public))
    if len(cosigned) < quorum:
        raise Refused(
            f"the checkpoint is cosigned by {len(cosigned)} of the {len(distinct)} witnesses, "
            f"fewer than the quorum of {quorum}"
        )


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_hex(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX
