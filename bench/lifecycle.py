"""What a transition costs through the use cases, measured against the database's floor.

Runs full lifecycles -- apply, review, produce, collect, activate -- through
``CardService`` on a SQLite file, and beside it, in the same process and in interleaved
rounds, raw ``sqlite3`` doing what a transition must at the least: one UPDATE of the
card, one INSERT of an entry row of the same width, one COMMIT, on a file in the same
journal mode. Prints the median of each per transition, their ratio, and how many SQL
statements and commits cardflow sent per transition (counted with engine events).

    .venv/bin/python bench/lifecycle.py
    .venv/bin/python bench/lifecycle.py --cards 200 --rounds 7
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from pathlib import Path
from typing import Any, Final

import structlog
from sqlalchemy import event

from ledger.sql import SqlLedger
from workflow.identity import check_character
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role

CLERK: Final = Actor("bench-clerk", Role.CLERK)
LIFECYCLE: Final = (
    (
        Event.APPLY,
        Channel.CARD_CENTER,
        {
            "identity_document": "resident_id_card",
            "registration_form": True,
            "photo": True,
            "applicant_signature": True,
        },
    ),
    (Event.REVIEW, Channel.CARD_CENTER, {"information_checked": True}),
    (Event.PRODUCE, Channel.ISSUING_BANK, {"production_batch": "B2026-03"}),
    (
        Event.COLLECT,
        Channel.CARD_CENTER,
        {"collection_notice": "acceptance_receipt", "valid_id": True},
    ),
    (
        Event.ACTIVATE,
        Channel.BANK_OUTLET,
        {"card_presented": True, "original_id": True, "initial_pin_changed": True},
    ),
)
STEPS: Final = len(LIFECYCLE)
_SERIALS: Final = count()


def citizen_id() -> str:
    """A valid citizen ID number no earlier call returned: one live card a person."""
    serial = next(_SERIALS)
    born = date(1950, 1, 1) + timedelta(days=serial // 999)
    first17 = f"110105{born:%Y%m%d}{serial % 999 + 1:03d}"
    return first17 + check_character(first17)


@dataclass
class Counted:
    """SQL statements and commits seen on an engine."""

    statements: int = 0
    commits: int = 0


def counting(ledger: SqlLedger) -> Counted:
    counted = Counted()

    @event.listens_for(ledger.engine, "before_cursor_execute")
    def _statement(*_: Any) -> None:
        counted.statements += 1

    @event.listens_for(ledger.engine, "commit")
    def _commit(*_: Any) -> None:
        counted.commits += 1

    return counted


def lifecycles(service: CardService, cards: int) -> None:
    """Take ``cards`` cards through the whole lifecycle."""
    for _ in range(cards):
        (apply, *steps) = LIFECYCLE
        card = service.apply(
            Applicant("Bench Person", citizen_id()),
            Step(apply[0], apply[1], CLERK, evidence=apply[2]),
        )
        for event_, channel, evidence in steps:
            card = service.transition(card.card_id, Step(event_, channel, CLERK, evidence=evidence))


class RawSqlite:
    """The floor: a card row and an entry row per transition, one commit each."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE cards (id TEXT PRIMARY KEY, state TEXT, version INT)")
        self._db.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, card_id TEXT, body TEXT)")
        self._seq = 0
        self._cards = 0
        self._row = json.dumps({f"field_{i}": "x" * 24 for i in range(22)})

    def lifecycles(self, cards: int) -> None:
        db = self._db
        for _ in range(cards):
            self._cards += 1
            card_id = f"card-{self._cards}"
            db.execute("INSERT INTO cards VALUES (?, 'none', 0)", (card_id,))
            for version in range(1, STEPS + 1):
                self._seq += 1
                db.execute("BEGIN IMMEDIATE")
                db.execute(
                    "UPDATE cards SET state = ?, version = ? WHERE id = ?",
                    (f"state-{version}", version, card_id),
                )
                db.execute("INSERT INTO entries VALUES (?, ?, ?)", (self._seq, card_id, self._row))
                db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=100, help="lifecycles a round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    with tempfile.TemporaryDirectory() as scratch:
        ledger = SqlLedger(f"sqlite:///{Path(scratch) / 'cardflow.db'}")
        ledger.create_schema()
        raw = RawSqlite(Path(scratch) / "raw.db")
        service = CardService(ledger)
        lifecycles(service, 5)  # warm: statement caches, the file's first pages
        raw.lifecycles(5)
        counted = counting(ledger)
        ours: list[float] = []
        floor: list[float] = []
        for _ in range(args.rounds):
            ours.append(timed(lambda: lifecycles(service, args.cards)) / (args.cards * STEPS))
            floor.append(timed(lambda: raw.lifecycles(args.cards)) / (args.cards * STEPS))
        raw.close()
        ledger.dispose()
    transitions = args.rounds * args.cards * STEPS
    mine, base = statistics.median(ours), statistics.median(floor)
    print(f"{args.rounds} rounds of {args.cards} lifecycles ({STEPS} transitions each), medians")
    for said, each in (("cardflow, through the use cases", mine), ("raw sqlite3", base)):
        print(f"{said:<32} {each * 1e3:.3f} ms a transition ({1 / each:,.0f}/s)")
    print(f"cardflow / raw sqlite3 throughput: {base / mine:.3f}")
    print(
        f"SQL statements a transition: {counted.statements / transitions:.1f}; "
        f"commits a transition: {counted.commits / transitions:.2f}"
    )


if __name__ == "__main__":
    main()
