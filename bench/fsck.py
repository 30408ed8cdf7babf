"""How long a whole check of the ledger takes, measured against reading it.

Fills a fresh ledger with ``--entries`` entries (two per card, in appends of 1000), then
times on it, in this process: reading every entry back (``Ledger.scan``, the floor any
check pays) and ``verify`` (what ``cardflow verify`` and ``cardflow audit fsck`` run:
every hash, link and tree node, every checkpoint, every card's replay). Prints what it
saw, best of ``--rounds``, and the ratio of the two.

    .venv/bin/python bench/fsck.py                      # SQLite in a temporary file
    .venv/bin/python bench/fsck.py --database-url postgresql://postgres@127.0.0.1/bench

A ``--database-url`` must name an empty database: the bench refuses one holding entries.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ledger.checkpoints import sign_checkpoint
from ledger.entry import Draft
from ledger.note import Signer
from ledger.sql import SqlLedger
from ledger.verify import verify

_APPEND: int = 1000
"""Entries per append while filling."""


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


def best(rounds: int, work: Callable[[], object]) -> float:
    """The fastest of ``rounds`` runs of ``work``, in seconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database; default: SQLite in /tmp")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        ledger = SqlLedger(url)
        try:
            ledger.create_schema()
            if ledger.tip().size:
                parser.error(f"{url} already holds entries")
            filled = fill(ledger, args.entries)
            sign_checkpoint(ledger, Signer.generate("cardflow.bench/ledger"), datetime.now(UTC))
            size = ledger.tip().size
            scan = best(args.rounds, lambda: sum(1 for _ in ledger.scan()))
            report = verify(ledger)
            if not report.ok:
                raise SystemExit(f"the bench ledger does not verify: {report.problems}")
            check = best(args.rounds, lambda: verify(ledger))
        finally:
            ledger.dispose()
    print(f"{ledger.dialect}: {size} entries, filled in {filled:.2f} s ({size / filled:.0f}/s)")
    print(f"read every entry (scan):  {scan:.3f} s  ({size / scan:,.0f} entries/s)")
    print(f"whole check (verify):     {check:.3f} s  ({size / check:,.0f} entries/s)")
    print(f"verify / scan:            {check / scan:.1f}x")


if __name__ == "__main__":
    main()
