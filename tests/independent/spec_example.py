"""The worked example of ``spec/audit-bundle.md`` section 8, and the writer of its blocks.

The example is made here from the specification's definitions (through ``bundles.py``),
with fixed keys, times and fields, so it comes out the same byte for byte on every run.
Each block marked ``<!-- example: NAME -->`` in the specification is the text
``blocks()`` gives for NAME; after a change to the encoding or to the example, rewrite
them from the repository root with::

    .venv/bin/python -m tests.independent.spec_example

``test_spec_example.py`` fails while the specification's blocks differ from these.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from tests.independent.bundles import Log, map_root, mth, sha, signer

SPEC = Path(__file__).resolve().parents[2] / "spec" / "audit-bundle.md"
BLOCK = re.compile(r"(<!-- example: ([\w-]+) -->\n```\w*\n)(.*?)(\n```)", re.DOTALL)
"""A block of the example: its marker and opening fence, its name, its text, its end."""

LOG = signer("cardflow example log key", "cardflow.example/ledger")
WITNESS = signer("cardflow example witness key", "witness.example/w1", 0x04)
TIME = 1772352000
"""When the witness cosigns: 2026-03-01T08:00:00Z."""
SIZE = 3
CARD = "c-1"

REVIEW_KEY = "review-c-1"
"""The idempotency key of the request entry 3 answers."""
REVIEW_FINGERPRINT = hashlib.sha256(b"cardflow example request").hexdigest()
"""The fingerprint entry 3 carries: in the example, SHA-256 of a fixed ASCII text."""


def example() -> Log:
    """The example's log: ``c-1`` applied for, ``c-2`` applied for, ``c-1`` reviewed."""
    log = Log(LOG)
    log.append("c-1", "apply", "applied")
    log.append("c-2", "apply", "applied")
    log.append(
        "c-1",
        "review",
        "reviewed",
        idempotency_key=REVIEW_KEY,
        fingerprint=REVIEW_FINGERPRINT,
    )
    return log


def values(log: Log) -> str:
    """The ``values`` block: each hash along the way, ``name = hex`` a line."""
    leaves = [sha(b"\x00" + encoded) for encoded in log.encoded]
    pairs = log.map(SIZE)
    lines = [f"entry {seq} hash = {log.hashes[seq - 1]}" for seq in range(1, SIZE + 1)]
    lines += [f"leaf {index} = {leaf.hex()}" for index, leaf in enumerate(leaves)]
    lines.append(f"tree root = {mth(leaves).hex()}")
    cards = ("c-1", "c-2")
    lines += [f"key {card} = {sha(card.encode()).hex()}" for card in cards]
    for card in cards:
        key = sha(card.encode())
        leaf = sha(b"\x00" + key + pairs[key])
        lines.append(f"map leaf {card} = {leaf.hex()}")
    lines.append(f"map root = {map_root(pairs).hex()}")
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    """Each example block's text, by the name its marker gives it."""
    log = example()
    witnesses = [(WITNESS, TIME)]
    return {
        "log-key": LOG.vkey,
        "witness-key": WITNESS.vkey,
        "entry-1": log.encoded[0].decode("utf-8"),
        "entry-3": log.encoded[2].decode("utf-8"),
        "values": values(log),
        "checkpoint": log.checkpoint(SIZE, witnesses).removesuffix("\n"),
        "bundle": json.dumps(log.bundle(CARD, SIZE, witnesses), indent=1, ensure_ascii=False),
    }


def rewritten(text: str) -> str:
    """``text`` (the specification) with every example block replaced by its own text."""
    made = blocks()
    found = {match.group(2) for match in BLOCK.finditer(text)}
    if found != set(made):
        raise ValueError(f"the specification's example blocks are {sorted(found)}")
    return BLOCK.sub(lambda m: m.group(1) + made[m.group(2)] + m.group(4), text)


def main() -> None:
    SPEC.write_text(rewritten(SPEC.read_text("utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
