"""What one batch of applications costs through the use case ``POST /v1/batches`` runs,
against inserting the same rows in bulk.

An employer's batch of 10,000 applications (1,000 with ``--quick``) goes through
``CardService.batch`` (``workflow/batches.py``: items decided, then written, 500 to a
transaction) on a SQLite file, and beside it, in interleaved rounds (medians of five),
raw ``sqlite3`` inserts the same number of card rows and entry rows (each as wide as
cardflow's) with two ``executemany`` calls in one transaction. Both files are in WAL
with ``synchronous=FULL`` (set explicitly on the baseline; cardflow's engine leaves it
at SQLite's default, read back into ``context.synchronous``) and both grow round by
round, each round adding a batch to the same file.

Fair: the same number of cards and entries reach the disk, the items are built before
the clock starts for both, and every item must be accepted (the run fails otherwise).
Not fair, on purpose: the baseline checks nothing and commits once; cardflow checks
each applicant's ID number and evidence and that the person holds no live card,
stores each person's details apart from the ledger, hashes every entry into the chain
and the Merkle tree, and commits once a chunk -- the figure is what all that costs.

    .venv/bin/python -m bench.batch [--quick]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from itertools import count
from pathlib import Path
from typing import Final

import structlog

from bench.harness import Figure, Report, interleaved, median, timed
from bench.lifecycle import ENTRY_ROW, LIFECYCLE, citizen_id, counting, synchronous_of
from ledger.sql import SqlLedger
from workflow.service import Actor, Applicant, Batch, BatchItem, CardService
from workflow.states import Channel, Event, Role

HR: Final = Actor("bench-hr", Role.CLERK, frozenset({Channel.EMPLOYER}))
UNIT: Final = {
    "unit_letter": "letter_of_introduction",
    "unit_seal": True,
    "person_in_charge_id": True,
}
APPLICATION: Final = LIFECYCLE[0][2]


def applications(items: int) -> Batch:
    """An employer's batch of ``items`` applications, every applicant new."""
    return Batch(
        Event.APPLY,
        Channel.EMPLOYER,
        HR,
        [
            BatchItem(applicant=Applicant("Bench Worker", citizen_id()), evidence=APPLICATION)
            for _ in range(items)
        ],
        evidence=UNIT,
    )


def through_cardflow(service: CardService, items: int) -> float:
    """Seconds one batch of ``items`` applications took through the use case."""
    batch = applications(items)
    accepted: list[int] = []
    took = timed(lambda: accepted.append(service.batch(batch).accepted))
    if accepted != [items]:
        raise RuntimeError(f"cardflow accepted {accepted} of {items} applications")
    return took


class RawBatch:
    """The baseline: the batch's card rows and entry rows, bulk-inserted, one commit."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE cards (id TEXT PRIMARY KEY, state TEXT, version INT)")
        self._db.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, card_id TEXT, body TEXT)")
        self._serials = count(1)

    @property
    def synchronous(self) -> int:
        return int(self._db.execute("PRAGMA synchronous").fetchone()[0])

    def insert(self, items: int) -> float:
        """Seconds one batch of ``items`` card and entry rows took."""
        serials = [next(self._serials) for _ in range(items)]
        cards = [(f"card-{serial}", "applied", 1) for serial in serials]
        entries = [(serial, f"card-{serial}", ENTRY_ROW) for serial in serials]

        def write() -> None:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO cards VALUES (?, ?, ?)", cards)
            db.executemany("INSERT INTO entries VALUES (?, ?, ?)", entries)
            db.execute("COMMIT")

        return timed(write)

    def close(self) -> None:
        self._db.close()


def run(quick: bool) -> Report:
    items, rounds = (1_000, 5) if quick else (10_000, 5)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    report = Report("batch", "python -m bench.batch")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        ledger = SqlLedger(f"sqlite:///{folder / 'cardflow.db'}")
        ledger.create_schema()
        service = CardService(ledger)
        raw = RawBatch(folder / "raw.db")
        through_cardflow(service, 10)  # warm: statement caches, the files' first pages
        raw.insert(10)
        counted = counting(ledger)
        seen = interleaved(
            rounds,
            {
                "cardflow": lambda: through_cardflow(service, items),
                "raw sqlite3": lambda: raw.insert(items),
            },
        )
        statements, commits = counted.statements, counted.commits
        report.context.update(
            items=items,
            rounds=rounds,
            journal_mode="wal",
            synchronous={"cardflow": synchronous_of(ledger), "raw sqlite3": raw.synchronous},
            sqlite=sqlite3.sqlite_version,
        )
        raw.close()
        ledger.dispose()
    report.ratio(
        f"cardflow, a batch of {items:,} applications",
        items / median(seen["cardflow"]),
        "applications/s",
        baseline="raw sqlite3 executemany",
        baseline_value=items / median(seen["raw sqlite3"]),
        at_least=0.15,
        note=f"medians of {rounds} interleaved rounds, WAL",
    )
    report.add(Figure("cardflow statements", statements / (rounds * items), "an application"))
    report.add(Figure("cardflow commits", commits / rounds, "a batch"))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the run")
    print(json.dumps(run(parser.parse_args().quick).context))


if __name__ == "__main__":
    main()
