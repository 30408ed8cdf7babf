"""Synthetic logs and their bundles, made as ``spec/audit-bundle.md`` defines them.

Like the verifier beside it, this imports the standard library and ``cryptography``
only: the bundles it makes (honest ones, and ones broken on purpose by the tests) and the
specification's worked example come from the specification, not from cardflow's code.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

EMPTY = bytes(32)
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def canonical(fields: Mapping[str, Any]) -> bytes:
    """An entry's bytes: sorted keys, no white space, UTF-8 (spec section 1)."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- the log's tree (RFC 6962 section 2.1, as written) ---------------------------------


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    """The root over ``leaves`` (leaf hashes)."""
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` (RFC 6962's ``PATH``), deepest node first."""
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if index < k:
        return [*path(leaves[:k], index), mth(leaves[k:])]
    return [*path(leaves[k:], index - k), mth(leaves[:k])]


# -- the card map (spec section 4, as written) ------------------------------------------


def bit(key: bytes, index: int) -> int:
    return (key[index // 8] >> (7 - index % 8)) & 1


def map_root(pairs: Mapping[bytes, bytes], depth: int = 0) -> bytes:
    """The root of the map over ``pairs`` (all sharing their first ``depth`` bits)."""
    if not pairs:
        return EMPTY
    if len(pairs) == 1:
        ((key, value),) = pairs.items()
        return sha(b"\x00" + key + value)
    left = {k: v for k, v in pairs.items() if not bit(k, depth)}
    right = {k: v for k, v in pairs.items() if bit(k, depth)}
    return sha(b"\x01" + map_root(left, depth + 1) + map_root(right, depth + 1))


def map_proof(pairs: Mapping[bytes, bytes], key: bytes) -> list[bytes]:
    """The siblings of ``key``'s leaf, from the root down."""
    siblings: list[bytes] = []
    under = dict(pairs)
    while len(under) > 1:
        depth = len(siblings)
        side = bit(key, depth)
        siblings.append(
            map_root({k: v for k, v in under.items() if bit(k, depth) != side}, depth + 1)
        )
        under = {k: v for k, v in under.items() if bit(k, depth) == side}
    return siblings


# -- keys and notes (C2SP signed-note, tlog-cosignature) --------------------------------


@dataclass(frozen=True)
class Signer:
    """An Ed25519 key named ``name``, of signature type ``kind`` (0x01 log, 0x04 witness)."""

    name: str
    seed: bytes
    kind: int = 0x01

    @property
    def public(self) -> bytes:
        key = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        return sha(self.name.encode() + b"\n" + bytes([self.kind]) + self.public)[:4]

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([self.kind]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    def line(self, text: str) -> str:
        """The note signature line of this (log) key over ``text``."""
        blob = base64.b64encode(self.key_id + self.sign(text.encode())).decode()
        return f"\u2014 {self.name} {blob}\n"

    def cosignature(self, text: str, time: int) -> str:
        """The cosignature/v1 line of this (witness) key over ``text`` at ``time``."""
        message = f"cosignature/v1\ntime {time}\n{text}".encode()
        blob = base64.b64encode(self.key_id + time.to_bytes(8, "big") + self.sign(message))
        return f"\u2014 {self.name} {blob.decode()}\n"


def signer(label: str, name: str, kind: int = 0x01) -> Signer:
    """A key whose seed is SHA-256 of ``label``: the same key every run."""
    return Signer(name, sha(label.encode()), kind)


# -- a log ------------------------------------------------------------------------------


@dataclass
class Log:
    """An append-only log of ``cardflow.entry/2`` entries, with its tree and card map."""

    key: Signer
    origin: str = "cardflow.example/ledger"
    encoded: list[bytes] = field(default_factory=list)

    @property
    def hashes(self) -> list[str]:
        return [hashlib.sha256(e).hexdigest() for e in self.encoded]

    def fields(self, seq: int) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.encoded[seq - 1])
        return document

    def latest(self, card_id: str, size: int) -> int | None:
        """The seq of ``card_id``'s latest entry among the first ``size``."""
        found = [s for s in range(1, size + 1) if self.fields(s)["card_id"] == card_id]
        return found[-1] if found else None

    def append(
        self, card_id: str, event: str, to_state: str, kind: str = "transition", **extra: Any
    ) -> int:
        """Append an entry of ``card_id``; its seq."""
        seq = len(self.encoded) + 1
        before = self.latest(card_id, seq - 1)
        version = self.fields(before)["version"] if before else 0
        fields: dict[str, Any] = {
            "actor": "clerk-7",
            "batch_id": None,
            "card_id": card_id,
            "card_prev": self.hashes[before - 1] if before else "0" * 64,
            "channel": "card_center",
            "definition_version": "1+3f2a9c",
            "due_at": None,
            "event": event,
            "evidence": {"identity_document": "resident_id_card", "original_id": True},
            "exclusive": True,
            "fingerprint": None,
            "format": "cardflow.entry/2",
            "from_state": self.fields(before)["to_state"] if before else None,
            "idempotency_key": None,
            "kind": kind,
            "occurred_at": timestamp(START + timedelta(minutes=seq)),
            "policy": "440300/2026-1+0123456789ab",
            "prev_hash": self.hashes[-1] if self.encoded else "0" * 64,
            "presenter": "self",
            "recorded_at": timestamp(START + timedelta(minutes=seq, seconds=1)),
            "region": "440300",
            "role": "clerk",
            "seq": seq,
            "subject": f"p-{card_id}",
            "to_state": to_state,
            "version": version + 1 if kind == "transition" else version,
        }
        fields.update(extra)
        self.encoded.append(canonical(fields))
        return seq

    def checkpoint(self, size: int, witnesses: Sequence[tuple[Signer, int]] = ()) -> str:
        """The signed note of the checkpoint at ``size``, cosigned by ``witnesses``."""
        leaves = [sha(b"\x00" + e) for e in self.encoded[:size]]
        text = (
            f"{self.origin}\n{size}\n{base64.b64encode(mth(leaves)).decode()}\n"
            f"cardflow.cardmap/1 {base64.b64encode(map_root(self.map(size))).decode()}\n"
        )
        cosigned = "".join(w.cosignature(text, time) for w, time in witnesses)
        return f"{text}\n{self.key.line(text)}{cosigned}"

    def map(self, size: int) -> dict[bytes, bytes]:
        """Each card with an entry among the first ``size``, to its latest entry's hash."""
        pairs: dict[bytes, bytes] = {}
        for seq in range(1, size + 1):
            pairs[sha(self.fields(seq)["card_id"].encode())] = sha(self.encoded[seq - 1])
        return pairs

    def bundle(
        self, card_id: str, size: int, witnesses: Sequence[tuple[Signer, int]] = ()
    ) -> dict[str, Any]:
        """The audit bundle of ``card_id`` as of the checkpoint at ``size``."""
        leaves = [sha(b"\x00" + e) for e in self.encoded[:size]]
        seqs = [s for s in range(1, size + 1) if self.fields(s)["card_id"] == card_id]
        return {
            "format": "cardflow.audit-bundle/2",
            "card_id": card_id,
            "checkpoint": self.checkpoint(size, witnesses),
            "entries": [
                {
                    "seq": seq,
                    "encoded": self.encoded[seq - 1].decode("utf-8"),
                    "hash": self.hashes[seq - 1],
                    "path": [n.hex() for n in path(leaves, seq - 1)],
                }
                for seq in seqs
            ],
            "map": {
                "siblings": [s.hex() for s in map_proof(self.map(size), sha(card_id.encode()))]
            },
        }
