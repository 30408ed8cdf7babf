"""How fast the whole check runs, measured against hashing the same bytes and nothing else.

Fills a fresh ledger on SQLite with N entries (two per card, in appends of 1000;
100,000, or 10,000 with ``--quick``) and signs a checkpoint of it, then measures in
interleaved rounds, in this process:

- **fsck**: ``Audit.verify`` with every core's worker (``jobs=os.cpu_count()``), the code
  path ``cardflow audit fsck`` runs -- every entry read, decoded, re-encoded and
  re-hashed, the tree grown and compared node by node with the stored one, the
  checkpoint's root, signature and card map, every receipt and every card's head.
- **raw hashing**, the ceiling: the same entries' canonical bytes, made once before the
  rounds and held in memory (reading them is not timed), each hashed as its leaf is,
  ``SHA-256(0x00 || bytes)``, then the tree's interior nodes level by level,
  ``SHA-256(0x01 || left || right)``, up to the root. Every hashed input is under
  hashlib's 2048-byte threshold for releasing the GIL, so threads cannot share it out;
  it runs on both cores as two processes (``fork``), each hashing the leaves of half of
  the entries held since before the fork and folding its half's subtrees, the parent
  folding the two, and on one core in a loop; the faster of the two, per round, is the
  baseline (the figure says which).

The figure is fsck's entries a second and its ratio to the baseline's (target >= 0.4).

    .venv/bin/python -m bench --only fsck [--quick]
    .venv/bin/python -m bench.fsck [--entries 100000] [--rounds 5] [--postgres]

``--postgres`` runs the same on the PostgreSQL of ``CARDFLOW_BENCH_POSTGRES`` (an empty
database: the bench refuses one holding entries).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from bench.harness import Report, interleaved, median, timed
from ledger.audit import Audit
from ledger.checkpoints import sign_checkpoint
from ledger.entry import Draft, Entry
from ledger.note import Signer
from ledger.sql import SqlLedger

_APPEND: Final = 1000
"""Entries per append while filling."""
POSTGRES: Final = os.environ.get(
    "CARDFLOW_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _draft(card: int, version: int) -> Draft:
    return Draft(
        card_id=f"bench-{card:08d}",
        version=version,
        kind="transition",
        event="apply" if version == 1 else "review",
        from_state=None if version == 1 else "applied",
        to_state="applied" if version == 1 else "reviewed",
        channel="card_center",
        actor="bench-clerk",
        role="clerk",
        presenter="self",
        subject=f"{card:064x}",
        occurred_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        evidence={"information_checked": True} if version == 2 else {"photo": True},
        definition_version="bench",
        region="default",
        policy="default/bench",
    )


def fill(ledger: SqlLedger, entries: int) -> float:
    """Append ``entries`` entries; the seconds it took."""
    cards = entries // 2
    started = time.perf_counter()
    for first in range(0, cards, _APPEND // 2):
        batch = range(first, min(cards, first + _APPEND // 2))
        ledger.append([_draft(card, 1) for card in batch] + [_draft(card, 2) for card in batch])
    return time.perf_counter() - started


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962's root over ``leaves`` (leaf hashes), folded level by level."""
    sha = hashlib.sha256
    level = list(leaves)
    while len(level) > 1:
        paired = [
            sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0] if level else sha(b"").digest()


def leaf_hashes(encoded: Sequence[bytes]) -> list[bytes]:
    sha = hashlib.sha256
    return [sha(b"\x00" + data).digest() for data in encoded]


def one_core(encoded: Sequence[bytes]) -> bytes:
    """Every leaf, then every interior node, in this process."""
    return tree_root(leaf_hashes(encoded))


_HELD: list[bytes] = []
"""The bytes the forked hashers read: held before the fork, so none are sent to them."""


def _half(bounds: tuple[int, int]) -> list[bytes]:
    """The perfect subtrees' roots over ``_HELD[start:end]`` (``start`` aligned), largest
    first: what the parent folds with the other half's."""
    start, end = bounds
    leaves = leaf_hashes(_HELD[start:end])
    roots: list[bytes] = []
    at = 0
    while at < len(leaves):
        size = 1 << ((len(leaves) - at).bit_length() - 1)
        roots.append(tree_root(leaves[at : at + size]))
        at += size
    return roots


def both_cores(pool: multiprocessing.pool.Pool, size: int) -> bytes:
    """Each half of the leaves hashed and folded in one of two processes; the parent
    folds what they give, right to left, as RFC 6962 splits the tree."""
    split = 1 << ((size - 1).bit_length() - 1) if size > 1 else size
    left, right = pool.map(_half, [(0, split), (split, size)])
    roots = left + right
    folded = roots[-1]
    for root in reversed(roots[:-1]):
        folded = hashlib.sha256(b"\x01" + root + folded).digest()
    return folded


def measure(url: str, entries: int, rounds: int, report: Report, label: str) -> None:
    """Fill the ledger at ``url``, then the interleaved rounds; the figures into ``report``."""
    ledger = SqlLedger(url)
    try:
        ledger.create_schema()
        if ledger.tip().size:
            raise SystemExit(f"{url} already holds entries")
        filled = fill(ledger, entries)
        signer = Signer.generate("cardflow.bench/ledger")
        sign_checkpoint(ledger, signer, datetime.now(UTC))
        audit = Audit(ledger, signer=signer)
        cores = os.cpu_count() or 1
        size = ledger.tip().size
        first = audit.verify(jobs=cores)
        if not first.ok:
            raise SystemExit(f"the bench ledger does not verify: {first.problems}")
        encoded = [item.encode() for item in ledger.scan() if isinstance(item, Entry)]
        root = bytes.fromhex(ledger.tip().root)
        _HELD[:] = encoded
        which: list[str] = []
        with multiprocessing.get_context("fork").Pool(2) as pool:
            if one_core(encoded) != root or both_cores(pool, size) != root:
                raise SystemExit("the raw hashing does not give the ledger's root")

            def raw() -> float:
                single = timed(lambda: one_core(encoded))
                double = timed(lambda: both_cores(pool, size))
                which.append("two processes" if double < single else "one loop")
                return min(single, double)

            seen = interleaved(
                rounds,
                {
                    "fsck, 1 job": lambda: timed(lambda: audit.verify(jobs=1)),
                    f"fsck, {cores} jobs": lambda: timed(lambda: audit.verify(jobs=cores)),
                    "raw": raw,
                },
            )
        _HELD.clear()
    finally:
        ledger.dispose()
    ceiling = size / median(seen["raw"])
    fastest = max(set(which), key=which.count)
    report.context[f"{label}_entries"] = size
    report.context[f"{label}_filled_per_second"] = round(size / filled)
    report.context[f"{label}_raw_fastest"] = fastest
    for contender in (name for name in seen if name != "raw"):
        report.ratio(
            f"{contender}, {label}, {size:,} entries",
            size / median(seen[contender]),
            "entries/s",
            baseline=f"raw SHA-256 of the same bytes ({fastest})",
            baseline_value=ceiling,
            at_least=0.4,
            note=f"median of {rounds} interleaved rounds",
        )


def run(
    quick: bool, *, entries: int | None = None, rounds: int | None = None, postgres: bool = False
) -> Report:
    """The benchmark, as ``python -m bench`` runs it."""
    entries = entries or (10_000 if quick else 100_000)
    rounds = rounds or (3 if quick else 5)
    report = Report("fsck", "python -m bench --only fsck" + (" --quick" if quick else ""))
    with tempfile.TemporaryDirectory() as scratch:
        measure(f"sqlite:///{Path(scratch) / 'bench.db'}", entries, rounds, report, "sqlite")
    if postgres:
        measure(POSTGRES, entries, rounds, report, "postgresql")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="also on CARDFLOW_BENCH_POSTGRES")
    args = parser.parse_args()
    run(False, entries=args.entries, rounds=args.rounds, postgres=args.postgres)


if __name__ == "__main__":
    main()
