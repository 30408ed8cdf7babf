"""Signed checkpoints: the C2SP ``signed-note`` and ``tlog-checkpoint`` formats, Ed25519.

A checkpoint says "the log named ``origin`` held ``size`` entries, and the root of its
Merkle tree was ``root``"::

    cardflow.example/ledger
    42
    <base64 of the 32-byte root>

A signed note is that text, a blank line, and one line per signature:
``— <key name> <base64(key id || Ed25519 signature of the text)>``. The key id is the
first four bytes of ``SHA-256(key name || 0x0A || 0x01 || public key)``. A verifier key
is ``<name>+<hex key id>+<base64(0x01 || public key)>``, and a signer key
``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``, as the Go reference
implementation writes them. Nothing here touches a database: a supervisor checks a
note with the verifier key and this module alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import NoteError as NoteError

ED25519: Final = 0x01
"""The signature type byte of an Ed25519 key."""
SIGNATURE_PREFIX: Final = "\u2014 "
"""How a note's signature line begins: an em dash and a space."""
_DASH: Final = SIGNATURE_PREFIX
_MAX_SIGNATURES: Final = 100


def key_id(name: str, public: bytes) -> bytes:
    """The four-byte id of the Ed25519 key ``public`` named ``name``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


@dataclass(frozen=True, slots=True)
class Verifier:
    """A public key that checks signatures made under ``name``."""

    name: str
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """A verifier key as ``<name>+<hex id>+<base64(0x01 || key)>``."""
        name, hex_id, material = _split_key(text.strip(), 3, "verifier key")
        public = _key_material(material, "verifier key")
        verifier = cls(name, public)
        if verifier.key_id.hex() != hex_id:
            raise NoteError(f"the verifier key's id {hex_id} is not the id of its key")
        return verifier

    def check(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Signer:
    """A private key that signs notes under ``name``."""

    name: str
    seed: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.seed) != 32:
            raise NoteError("an Ed25519 signer key holds a 32-byte seed")

    @classmethod
    def generate(cls, name: str) -> Signer:
        key = Ed25519PrivateKey.generate()
        return cls(name, key.private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> Signer:
        """A signer key as ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>``."""
        text = text.strip()
        if not text.startswith("PRIVATE+KEY+"):
            raise NoteError("a signer key begins PRIVATE+KEY+")
        name, hex_id, material = _split_key(text[len("PRIVATE+KEY+") :], 3, "signer key")
        signer = cls(name, _key_material(material, "signer key"))
        if signer.verifier().key_id.hex() != hex_id:
            raise NoteError(f"the signer key's id {hex_id} is not the id of its key")
        return signer

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id.hex()}+{encoded}"

    def __repr__(self) -> str:
        return f"Signer({self.name!r}, <secret>)"

    def verifier(self) -> Verifier:
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return Verifier(self.name, public)

    def sign(self, text: str) -> str:
        """``text`` as a note signed by this key."""
        _check_text(text)
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text.encode())
        blob = base64.b64encode(self.verifier().key_id + signature).decode()
        return f"{text}\n{_DASH}{self.name} {blob}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """The text of ``note`` once ``verifier``'s signature on it holds; ``NoteError``
    says what is wrong otherwise."""
    text, signature = signature_of(note, verifier)
    if signature is None:
        raise NoteError(f"the note carries no signature of {verifier}")
    if not verifier.check(text.encode(), signature):
        raise NoteError(f"the signature of {verifier.name} does not hold: the note was altered")
    return text


def signature_of(note: str, verifier: Verifier) -> tuple[str, bytes | None]:
    """The text of ``note`` and ``verifier``'s signature on it, not yet checked (``None``
    if it carries none); ``NoteError`` if the note, or a signature line before that
    one, is malformed."""
    text, lines = note_parts(note)
    for line in lines:
        if not line.startswith(_DASH):
            raise NoteError("a signature line begins with an em dash and a space")
        name, _, blob = line[len(_DASH) :].rpartition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise NoteError(f"the signature of {name} is not base64") from None
        if len(raw) < 5:
            raise NoteError(f"the signature of {name} is too short")
        if name == verifier.name and raw[:4] == verifier.key_id:
            return text, raw[4:]
    return text, None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The log ``origin`` held ``size`` entries, its Merkle tree's root ``root``; then
    the log's own ``extensions``, a line each (C2SP tlog-checkpoint's extension lines)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """A checkpoint's text, its extension lines (kept out of the tree) included."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint is an origin, a size and a root, a line each")
        origin, size, root = lines[:3]
        if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError("a checkpoint's second line is its size, in decimal")
        try:
            digest = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise NoteError("a checkpoint's third line is its root, in base64") from None
        if len(digest) != 32:
            raise NoteError("a checkpoint's root is 32 bytes")
        extensions = tuple(lines[3:-1])
        if any(not line for line in extensions):
            raise NoteError("a checkpoint's extension lines are not empty")
        return cls(origin, int(size), digest, extensions)


def note_parts(note: str) -> tuple[str, list[str]]:
    """A signed note's text (its final newline kept) and its signature lines (theirs
    dropped), none of them checked; ``NoteError`` if it is not text, a blank line, then
    at most a hundred lines."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("a signed note is text, a blank line, then signature lines")
    text += "\n"
    _check_text(text)
    lines = signatures[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {_MAX_SIGNATURES} signatures")
    return text, lines


def with_signatures(note: str, lines: Sequence[str]) -> str:
    """``note`` with the signature ``lines`` added after its own, each once."""
    text, held = note_parts(note)
    added = [line for line in dict.fromkeys(lines) if line not in held]
    return text + "\n" + "".join(f"{line}\n" for line in [*held, *added])


def opened_note(note: str, verifiers: Sequence[Verifier]) -> str:
    """The text of ``note`` once the signature of one of ``verifiers`` on it holds (a log
    key and those it replaced, say); ``NoteError`` with the last key's reason otherwise."""
    if not verifiers:
        raise NoteError("no key is given that may have signed it")
    for verifier in verifiers[:-1]:
        try:
            return open_note(note, verifier)
        except NoteError:
            continue
    return open_note(note, verifiers[-1])


def _split_key(text: str, parts: int, what: str) -> list[str]:
    found = text.split("+", parts - 1)
    if len(found) != parts:
        raise NoteError(f"a {what} is name+id+key")
    name, hex_id, _ = found
    check_key_name(name)
    if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
        raise NoteError(f"a {what}'s id is eight lower-case hex digits")
    return found


def key_parts(text: str, kind: int, what: str) -> tuple[str, str, bytes]:
    """The name, hex id and 32-byte key of ``<name>+<hex id>+<base64(kind || key)>``,
    the id not yet checked; ``NoteError`` naming ``what`` says what is malformed."""
    name, hex_id, material = _split_key(text.strip(), 3, what)
    return name, hex_id, _key_material(material, what, kind)


def _key_material(material: str, what: str, kind: int = ED25519) -> bytes:
    try:
        raw = base64.b64decode(material, validate=True)
    except binascii.Error:
        raise NoteError(f"the {what}'s key is not base64") from None
    if len(raw) != 33 or raw[0] != kind:
        raise NoteError(f"the {what} is not an Ed25519 key")
    return raw[1:]


def check_key_name(name: str) -> None:
    """``NoteError`` unless ``name`` may name a key: the signed-note format's rule."""
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError("a key name is non-empty, with no spaces and no +")


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("a note's text ends with a newline and has no blank line")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a note's text holds no control characters")
