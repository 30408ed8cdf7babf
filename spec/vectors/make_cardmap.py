"""Write ``cardmap.json``: test vectors of the card map ``cardflow.cardmap/1``.

The inputs are fixed (card ids ``card-1``, ``card-2``, ...; each value the SHA-256 of
``entry <card id>``), the outputs are computed by ``ledger/cardmap.py``, so running this
again writes the same file byte for byte. Run from the repository root::

    .venv/bin/python spec/vectors/make_cardmap.py

Each map gives its pairs and root; each proof gives a root, key, value and siblings,
whether a verifier must accept it, and, if not, why.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ledger.cardmap import (
    EMPTY,
    MapProofError,
    MemoryNodes,
    apply,
    bit,
    card_key,
    prove,
    root_of,
    verify_proof,
)
from ledger.merkle import leaf_hash, node_hash

OUT = Path(__file__).with_name("cardmap.json")
PHRASES = ("another root", "not 32 bytes", "at most 256 siblings", "canonical")
"""What each reason for refusing a proof says; a verifier's message names the same."""


def value_of(card_id: str) -> bytes:
    return hashlib.sha256(f"entry {card_id}".encode()).digest()


def cards(n: int) -> dict[bytes, tuple[str | None, bytes]]:
    return {card_key(f"card-{i}"): (f"card-{i}", value_of(f"card-{i}")) for i in range(1, n + 1)}


def deep() -> dict[bytes, tuple[str | None, bytes]]:
    """Two raw keys that differ only in their last bit: both leaves sit 256 deep."""
    low, high = bytes(32), bytes(31) + b"\x01"
    return {low: (None, value_of("low")), high: (None, value_of("high"))}


MAPS: dict[str, dict[bytes, tuple[str | None, bytes]]] = {
    "empty": {},
    "one": cards(1),
    "two": cards(2),
    "three": cards(3),
    "four": cards(4),
    "seven": cards(7),
    "sixty-four": cards(64),
    "deep": deep(),
}


def flipped(node: bytes, index: int = 0) -> bytes:
    return bytes(b ^ 1 if i == index else b for i, b in enumerate(node))


def proof(
    name: str, root: bytes, key: bytes, value: bytes, siblings: Sequence[bytes], reason: str = ""
) -> dict[str, Any]:
    """A proof vector, once ``ledger/cardmap.py`` accepts it, or refuses it for ``reason``."""
    try:
        verify_proof(root, key, value, siblings)
    except MapProofError as refused:
        (phrase,) = (p for p in PHRASES if p in reason)
        if phrase not in str(refused):
            raise SystemExit(f"{name}: refused for another reason: {refused}") from None
    else:
        if reason:
            raise SystemExit(f"{name}: accepted, though it should fail as {reason}")
    return {
        "name": name,
        "root": root.hex(),
        "key": key.hex(),
        "value": value.hex(),
        "siblings": [s.hex() for s in siblings],
        "valid": not reason,
        "reason": reason,
    }


def vectors() -> dict[str, Any]:
    """The vectors, computed afresh from the fixed inputs."""
    store = MemoryNodes()
    roots: dict[str, bytes] = {}
    maps = []
    for name, held in MAPS.items():
        pairs = {key: value for key, (_, value) in held.items()}
        root, nodes = apply(EMPTY, pairs, store.fetch)
        store.add(nodes)
        if root != root_of(pairs):
            raise SystemExit(f"{name}: apply and root_of disagree")
        roots[name] = root
        maps.append(
            {
                "name": name,
                "pairs": [
                    {"card_id": card_id, "key": key.hex(), "value": value.hex()}
                    for key, (card_id, value) in sorted(held.items())
                ],
                "root": root.hex(),
            }
        )
    proofs = []
    for name in ("one", "two", "three", "seven", "sixty-four", "deep"):
        for key in sorted(MAPS[name])[:: max(1, len(MAPS[name]) // 4)]:
            value, siblings = prove(roots[name], key, store.fetch)
            proofs.append(proof(f"{name}: {key.hex()[:8]}", roots[name], key, value, siblings))
    root = roots["sixty-four"]
    key = card_key("card-7")
    value, siblings = prove(root, key, store.fetch)
    other_value = value_of("card-8")
    proofs += [
        proof("wrong value", root, key, other_value, siblings, "the proof leads to another root"),
        proof(
            "another card's key",
            root,
            card_key("card-8"),
            value,
            siblings,
            "the proof leads to another root",
        ),
        proof(
            "first sibling flipped",
            root,
            key,
            value,
            [flipped(siblings[0]), *siblings[1:]],
            "the proof leads to another root",
        ),
        proof(
            "deepest sibling flipped",
            root,
            key,
            value,
            [*siblings[:-1], flipped(siblings[-1], 31)],
            "the proof leads to another root",
        ),
        proof("truncated", root, key, value, siblings[:-1], "the proof leads to another root"),
        proof(
            "extended at the bottom",
            root,
            key,
            value,
            [*siblings, value_of("extra")],
            "the proof leads to another root",
        ),
        proof(
            "extended at the top",
            root,
            key,
            value,
            [value_of("extra"), *siblings],
            "the proof leads to another root",
        ),
        proof(
            "another map's root",
            roots["seven"],
            key,
            value,
            siblings,
            "the proof leads to another root",
        ),
        proof(
            "a sibling of 31 bytes",
            root,
            key,
            value,
            [*siblings[:-1], siblings[-1][:31]],
            "a sibling is not 32 bytes",
        ),
        proof(
            "257 siblings",
            root,
            key,
            value,
            [value_of("extra")] * 257,
            "a proof holds at most 256 siblings",
        ),
    ]
    (only,) = MAPS["one"]
    only_value = MAPS["one"][only][1]
    leaf = leaf_hash(only + only_value)
    pushed = node_hash(EMPTY, leaf) if bit(only, 0) else node_hash(leaf, EMPTY)
    proofs.append(
        proof(
            "the leaf pushed below an empty sibling",
            pushed,
            only,
            only_value,
            [EMPTY],
            "the deepest sibling is empty: the proof is not in canonical form",
        )
    )
    proofs.append(
        proof(
            "an empty proof for a map of two",
            roots["two"],
            card_key("card-1"),
            value_of("card-1"),
            [],
            "the proof leads to another root",
        )
    )
    return {
        "format": "cardflow.cardmap/1 test vectors",
        "made_by": "spec/vectors/make_cardmap.py, from ledger/cardmap.py",
        "licence": "Apache-2.0, as cardflow",
        "reasons": "each refused proof's reason says one of: " + "; ".join(PHRASES),
        "encoding": "every key, value, root and sibling in lowercase hex; a key is "
        "SHA-256(UTF-8 card id) where card_id is given, a raw key where it is null",
        "maps": maps,
        "proofs": proofs,
    }


def written(document: dict[str, Any]) -> str:
    """The text of ``cardmap.json`` for ``document``."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    OUT.write_text(written(vectors()), encoding="utf-8")


if __name__ == "__main__":
    main()
