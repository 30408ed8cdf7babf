"""Witness cosignatures: C2SP ``tlog-cosignature``'s Ed25519 ``cosignature/v1``.

A witness that has checked a checkpoint is consistent with every earlier one it saw
adds a signature line to the checkpoint's note::

    — <witness name> <base64(key id || timestamp || Ed25519 signature)>

The key id is the first four bytes of ``SHA-256(name || 0x0A || 0x04 || public key)``
(signature type 0x04, so a witness's key can never pass for a log's); the timestamp is
the POSIX second of cosigning, a big-endian u64; the signature is over
``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint's whole text,
extension lines included. A witness key is written ``<name>+<hex id>+<base64(0x04 ||
public key)>``, and its private half ``PRIVATE+KEY+<name>+<hex id>+<base64(0x04 ||
seed)>``. Checking cosignatures needs only this module and the witnesses' keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import CosignatureError as CosignatureError
from ledger.errors import NoteError
from ledger.note import SIGNATURE_PREFIX, check_key_name, key_parts, note_parts

COSIGNATURE_V1: Final = 0x04
"""The signature type byte of an Ed25519 ``cosignature/v1`` key."""
HEADER: Final = "cosignature/v1\n"
LARGEST_TIMESTAMP: Final = 2**63 - 1
_SIGNED_BYTES: Final = 4 + 8 + 64
_PRIVATE: Final = "PRIVATE+KEY+"


def cosigner_key_id(name: str, public: bytes) -> bytes:
    """The four-byte id of the cosigner key ``public`` named ``name``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public).digest()[:4]


def signed_message(text: str, timestamp: int) -> bytes:
    """What a ``cosignature/v1`` of the checkpoint ``text`` made at ``timestamp`` signs."""
    if not 0 <= timestamp <= LARGEST_TIMESTAMP:
        raise CosignatureError(f"a cosignature's time is 0 to {LARGEST_TIMESTAMP}")
    return f"{HEADER}time {timestamp}\n{text}".encode()


@dataclass(frozen=True, slots=True)
class Cosignature:
    """One signature line read: ``name`` and ``key_id`` say whose, ``timestamp`` when."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes
    line: str

    @classmethod
    def parse(cls, line: str) -> Cosignature:
        """A note signature line as a cosignature; ``CosignatureError`` says what in it
        is malformed."""
        if not line.startswith(SIGNATURE_PREFIX):
            raise CosignatureError("a cosignature line begins with an em dash and a space")
        name, space, blob = line[len(SIGNATURE_PREFIX) :].rstrip("\n").partition(" ")
        if not space or " " in blob:
            raise CosignatureError("a cosignature line is a key name, a space and base64")
        try:
            check_key_name(name)
        except NoteError as bad:
            raise CosignatureError(f"a cosignature's {bad}") from None
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise CosignatureError(f"the cosignature of {name} is not base64") from None
        if len(raw) != _SIGNED_BYTES:
            raise CosignatureError(
                f"the cosignature of {name} is {len(raw)} bytes, not {_SIGNED_BYTES} "
                "(a key id, a timestamp and an Ed25519 signature)"
            )
        (timestamp,) = struct.unpack(">Q", raw[4:12])
        if timestamp > LARGEST_TIMESTAMP:
            raise CosignatureError(f"the cosignature of {name} has a time past 2^63 - 1")
        return cls(name, raw[:4], timestamp, raw[12:], line.rstrip("\n"))


@dataclass(frozen=True, slots=True)
class CosignerKey:
    """A witness's public key: checks the cosignatures made under ``name``."""

    name: str
    public: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public) != 32:
            raise NoteError("an Ed25519 cosigner key is 32 bytes")

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.public)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> CosignerKey:
        """A witness key as ``<name>+<hex id>+<base64(0x04 || key)>``."""
        name, hex_id, public = key_parts(text, COSIGNATURE_V1, "witness key")
        key = cls(name, public)
        if key.key_id.hex() != hex_id:
            raise NoteError(f"the witness key's id {hex_id} is not the id of its key")
        return key

    def made(self, cosignature: Cosignature) -> bool:
        """Whether ``cosignature`` claims to be this key's (its name and id both match)."""
        return (cosignature.name, cosignature.key_id) == (self.name, self.key_id)

    def holds(self, text: str, cosignature: Cosignature) -> bool:
        """Whether ``cosignature``, this key's, signs the checkpoint ``text``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(
                cosignature.signature, signed_message(text, cosignature.timestamp)
            )
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Cosigner:
    """A witness's private key: cosigns checkpoints under ``name``."""

    name: str
    seed: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.seed) != 32:
            raise NoteError("an Ed25519 cosigner key holds a 32-byte seed")

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> Cosigner:
        """A cosigner key as ``PRIVATE+KEY+<name>+<hex id>+<base64(0x04 || seed)>``."""
        text = text.strip()
        if not text.startswith(_PRIVATE):
            raise NoteError("a cosigner key begins PRIVATE+KEY+")
        name, hex_id, seed = key_parts(text[len(_PRIVATE) :], COSIGNATURE_V1, "cosigner key")
        cosigner = cls(name, seed)
        if cosigner.key().key_id.hex() != hex_id:
            raise NoteError(f"the cosigner key's id {hex_id} is not the id of its key")
        return cosigner

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + self.seed).decode()
        return f"{_PRIVATE}{self.name}+{self.key().key_id.hex()}+{encoded}"

    def __repr__(self) -> str:
        return f"Cosigner({self.name!r}, <secret>)"

    def key(self) -> CosignerKey:
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return CosignerKey(self.name, public)

    def cosign(self, text: str, timestamp: int) -> str:
        """The signature line (no newline) cosigning the checkpoint ``text`` at
        ``timestamp``, a POSIX second."""
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(
            signed_message(text, timestamp)
        )
        raw = self.key().key_id + struct.pack(">Q", timestamp) + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode()}"


@dataclass(frozen=True, slots=True)
class Witnessed:
    """A witness whose cosignature on a checkpoint holds, and the cosignature."""

    key: CosignerKey
    cosignature: Cosignature


def cosignatures(note: str, witnesses: Sequence[CosignerKey]) -> list[Witnessed]:
    """The cosignatures on ``note`` that hold, one per witness of ``witnesses``, in their
    order; lines of other keys (the log's own, unknown witnesses') are passed over.

    ``CosignatureError`` if a line claiming to be a given witness's is malformed or does
    not hold: a note with a false cosignature of a key one trusts is refused whole, as
    the signed-note format says a client should.
    """
    text, lines = note_parts(note)
    found: dict[CosignerKey, Witnessed] = {}
    for line in lines:
        claimed = [key for key in witnesses if _claims(line, key)]
        if not claimed:
            continue
        cosignature = Cosignature.parse(line)
        for key in claimed:
            if not key.made(cosignature):
                continue
            if not key.holds(text, cosignature):
                raise CosignatureError(
                    f"the cosignature of {key.name} does not hold: the checkpoint it is on "
                    "is not the one it cosigned"
                )
            found.setdefault(key, Witnessed(key, cosignature))
    return [found[key] for key in dict.fromkeys(witnesses) if key in found]


def _claims(line: str, key: CosignerKey) -> bool:
    """Whether ``line`` is a signature line under ``key``'s name and id."""
    prefix = f"{SIGNATURE_PREFIX}{key.name} "
    if not line.startswith(prefix):
        return False
    try:
        return base64.b64decode(line[len(prefix) :], validate=True)[:4] == key.key_id
    except binascii.Error:
        raise CosignatureError(f"the cosignature of {key.name} is not base64") from None
