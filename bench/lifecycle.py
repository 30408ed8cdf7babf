"""What a transition costs through the use cases on SQLite, against the database's floor
and against an event-sourcing library doing the same lifecycle.

Runs full lifecycles -- apply, review, produce, collect, activate -- through
``CardService`` on a SQLite file, and beside it, in the same process and in interleaved
rounds (medians of at least five):

- **raw sqlite3**, the ceiling: per transition one UPDATE of a card row, one INSERT of
  an entry row as wide as cardflow's, one COMMIT (``BEGIN IMMEDIATE`` first, as
  cardflow's writers say). It reads nothing, decides nothing, hashes nothing.
- **eventsourcing** (the ``eventsourcing`` library's SQLite persistence module): the
  card as an aggregate whose five events are the five steps; each command loads the
  aggregate (replaying its events), checks the step is allowed from its state, and
  saves the new event, one transaction each -- what an application built on it does.
  It keeps no hash chain, no tree, no person store and no idempotency receipts.

Fair: all three write a file in WAL mode with ``synchronous=FULL`` (every COMMIT waits
for the disk), one card at a time from one thread, each on its own file in the same
folder. The baselines get FULL set explicitly; cardflow's engine
(``ledger/sql/engine.py``) does not set it and so runs with SQLite's compiled default,
which the report records as read back from each connection (``context.synchronous``).
Not fair, on purpose: cardflow does far more per transition than either baseline (the
checks against the hashed entries, the Merkle tree, the card's head and the person
store), which is the price these figures measure. Statements and commits per
transition are counted on every contender (engine events for cardflow, the sqlite3
trace callback for the others).

    .venv/bin/python -m bench.lifecycle [--quick]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from pathlib import Path
from typing import Any, Final

import structlog
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from sqlalchemy import event as sqlalchemy_event

from bench.harness import Figure, Report, interleaved, median, timed
from ledger.sql import SqlLedger
from workflow.identity import check_character
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role

CLERK: Final = Actor("bench-clerk", Role.CLERK)
Evidence = dict[str, object]
LIFECYCLE: Final[tuple[tuple[Event, Channel, Evidence], ...]] = (
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
STATES: Final = ("none", "applied", "reviewed", "produced", "collected", "activated")
"""The state before and after each step of ``LIFECYCLE``, for the baselines."""
ENTRY_ROW: Final = json.dumps({f"field_{i}": "x" * 24 for i in range(22)})
"""An entry row about as wide as cardflow's 22 fields."""
_SERIALS: Final = count()


def citizen_id() -> str:
    """A valid citizen ID number no earlier call returned: one live card a person."""
    serial = next(_SERIALS)
    born = date(1950, 1, 1) + timedelta(days=serial // 999)
    first17 = f"110105{born:%Y%m%d}{serial % 999 + 1:03d}"
    return first17 + check_character(first17)


@dataclass
class Counted:
    """SQL statements and commits a contender sent."""

    statements: int = 0
    commits: int = 0

    def reset(self) -> None:
        self.statements = self.commits = 0

    def seen(self, sql: str) -> None:
        self.statements += 1
        if sql.strip().upper().startswith(("COMMIT", "END")):
            self.commits += 1


def counting(ledger: SqlLedger) -> Counted:
    """Count what cardflow's engine sends from now on."""
    counted = Counted()

    @sqlalchemy_event.listens_for(ledger.engine, "before_cursor_execute")
    def _statement(*_: Any) -> None:
        counted.statements += 1

    @sqlalchemy_event.listens_for(ledger.engine, "commit")
    def _commit(*_: Any) -> None:
        counted.commits += 1

    return counted


def synchronous_of(ledger: SqlLedger) -> int:
    """The ``synchronous`` setting cardflow's engine's connections run with."""
    with ledger.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())


def lifecycles(service: CardService, cards: int) -> None:
    """Take ``cards`` cards through the whole lifecycle."""
    (apply, *steps) = LIFECYCLE
    for _ in range(cards):
        card = service.apply(
            Applicant("Bench Person", citizen_id()),
            Step(apply[0], apply[1], CLERK, evidence=apply[2]),
        )
        for event_, channel, evidence in steps:
            card = service.transition(card.card_id, Step(event_, channel, CLERK, evidence=evidence))


class RawSqlite:
    """The ceiling: a card row and an entry row per transition, one commit each."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE cards (id TEXT PRIMARY KEY, state TEXT, version INT)")
        self._db.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, card_id TEXT, body TEXT)")
        self._seq = 0
        self._cards = 0
        self.counted = Counted()
        self._db.set_trace_callback(self.counted.seen)

    @property
    def synchronous(self) -> int:
        return int(self._db.execute("PRAGMA synchronous").fetchone()[0])

    def lifecycles(self, cards: int) -> None:
        db = self._db
        for _ in range(cards):
            self._cards += 1
            card_id = f"card-{self._cards}"
            for version in range(1, STEPS + 1):
                self._seq += 1
                db.execute("BEGIN IMMEDIATE")
                if version == 1:
                    db.execute("INSERT INTO cards VALUES (?, ?, 1)", (card_id, STATES[1]))
                else:
                    db.execute(
                        "UPDATE cards SET state = ?, version = ? WHERE id = ?",
                        (STATES[version], version, card_id),
                    )
                db.execute("INSERT INTO entries VALUES (?, ?, ?)", (self._seq, card_id, ENTRY_ROW))
                db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


class EsCard(Aggregate):
    """A card as an event-sourced aggregate: opened by its application, moved by four."""

    @event("Applied")
    def __init__(self, subject: str, channel: str, evidence: Evidence) -> None:
        self.state = STATES[1]
        self.subject = subject
        self.channel = channel
        self.evidence = evidence

    def step(self, name: str, channel: str, evidence: Evidence) -> None:
        """Move one step, if the step is the one allowed from the card's state."""
        at = STATES.index(self.state)
        if at >= STEPS or LIFECYCLE[at][0] != name:
            raise ValueError(f"{name} is not allowed from {self.state}")
        self._moved(name, STATES[at + 1], channel, evidence)

    @event("Moved")
    def _moved(self, name: str, to_state: str, channel: str, evidence: Evidence) -> None:
        self.state = to_state
        self.channel = channel
        self.evidence = evidence


class EsCards(Application[uuid.UUID]):
    """The use cases over the aggregate: load it, decide, save the new event."""

    def apply(self, subject: str, channel: str, evidence: Evidence) -> uuid.UUID:
        card = EsCard(subject, channel, evidence)
        self.save(card)
        return card.id

    def move(self, card_id: uuid.UUID, name: str, channel: str, evidence: Evidence) -> None:
        card: EsCard = self.repository.get(card_id)
        card.step(name, channel, evidence)
        self.save(card)


EVENTSOURCING_COUNTED: Final = Counted()
"""What the durable pool's connections sent (one eventsourcing run in a process)."""


class DurableSQLitePool(SQLiteConnectionPool):
    """eventsourcing's SQLite pool, its connections set to ``synchronous=FULL`` (the
    library sets WAL and leaves ``synchronous`` at SQLite's default)."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        raw: sqlite3.Connection = connection._sqlite_conn
        raw.execute("PRAGMA synchronous=FULL")
        raw.set_trace_callback(EVENTSOURCING_COUNTED.seen)
        return connection


class DurableSQLiteFactory(SQLiteFactory):
    """eventsourcing's SQLite persistence module with ``DurableSQLitePool``."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        pool.close()  # it has made no connection yet
        self.datastore.pool = DurableSQLitePool(
            db_name=pool.db_name, lock_timeout=pool.lock_timeout
        )


def eventsourcing_app(path: Path) -> EsCards:
    return EsCards(
        env={
            "PERSISTENCE_MODULE": f"{__name__}:{DurableSQLiteFactory.__qualname__}",
            "SQLITE_DBNAME": str(path),
        }
    )


def es_lifecycles(app: EsCards, cards: int) -> None:
    (apply, *steps) = LIFECYCLE
    for serial in range(cards):
        card_id = app.apply(f"{serial:064x}", apply[1], apply[2])
        for event_, channel, evidence in steps:
            app.move(card_id, event_, channel, evidence)


def es_synchronous(app: EsCards) -> int:
    factory = app.factory
    assert isinstance(factory, DurableSQLiteFactory)
    with factory.datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA synchronous")
        return int(cursor.fetchone()[0])


def per_transition(work: Callable[[int], None], cards: int) -> Callable[[], float]:
    """A contender: seconds a transition, over ``cards`` whole lifecycles."""
    return lambda: timed(lambda: work(cards)) / (cards * STEPS)


def run(quick: bool) -> Report:
    cards, rounds = (10, 5) if quick else (100, 7)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    report = Report("lifecycle", "python -m bench.lifecycle")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        ledger = SqlLedger(f"sqlite:///{folder / 'cardflow.db'}")
        ledger.create_schema()
        service = CardService(ledger)
        raw = RawSqlite(folder / "raw.db")
        app = eventsourcing_app(folder / "eventsourcing.db")
        # Warm each: statement caches, the files' first pages.
        lifecycles(service, 3)
        raw.lifecycles(3)
        es_lifecycles(app, 3)
        ours = counting(ledger)
        raw.counted.reset()
        EVENTSOURCING_COUNTED.reset()
        seen = interleaved(
            rounds,
            {
                "cardflow": per_transition(lambda n: lifecycles(service, n), cards),
                "raw sqlite3": per_transition(raw.lifecycles, cards),
                "eventsourcing": per_transition(lambda n: es_lifecycles(app, n), cards),
            },
        )
        counts = {
            name: (counted.statements, counted.commits)
            for name, counted in (
                ("cardflow", ours),
                ("raw sqlite3", raw.counted),
                ("eventsourcing", EVENTSOURCING_COUNTED),
            )
        }
        report.context.update(
            cards_a_round=cards,
            rounds=rounds,
            transitions_a_lifecycle=STEPS,
            journal_mode="wal",
            synchronous={
                "cardflow": synchronous_of(ledger),
                "raw sqlite3": raw.synchronous,
                "eventsourcing": es_synchronous(app),
            },
            sqlite=sqlite3.sqlite_version,
        )
        raw.close()
        app.close()
        ledger.dispose()
    rate = {name: 1 / median(seconds) for name, seconds in seen.items()}
    note = f"medians of {rounds} interleaved rounds of {cards} lifecycles, WAL"
    report.ratio(
        "cardflow transitions/s",
        rate["cardflow"],
        "transitions/s",
        baseline="raw sqlite3",
        baseline_value=rate["raw sqlite3"],
        at_least=0.6,
        note=note,
    )
    report.ratio(
        "cardflow transitions/s",
        rate["cardflow"],
        "transitions/s",
        baseline="eventsourcing",
        baseline_value=rate["eventsourcing"],
        at_least=1.5,
        note=note,
    )
    transitions = rounds * cards * STEPS
    for name, (statements, commits) in counts.items():
        report.add(Figure(f"{name} statements", statements / transitions, "a transition"))
        report.add(Figure(f"{name} commits", commits / transitions, "a transition"))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the run")
    print(json.dumps(run(parser.parse_args().quick).context))


if __name__ == "__main__":
    main()
