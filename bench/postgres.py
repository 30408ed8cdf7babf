"""What concurrent writers get through the use cases on PostgreSQL, against raw psycopg
doing the same statements with the same concurrency.

Full lifecycles (apply, review, produce, collect, activate) are driven by 1, 8 and 32
writer threads, each taking its own cards through one shared ``CardService`` over one
``SqlLedger`` (as a server's thread pool would), on a scratch database made for the run
(``cardflow_bench_<pid>``, dropped afterwards) on the server ``CARDFLOW_BENCH_POSTGRES``
names (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; the role must
be allowed to create databases).

The baseline, in interleaved rounds at each concurrency: the same number of threads,
each with its own psycopg connection, doing per transition what a transition must at
the least -- an UPDATE of the card row (an INSERT for the application), an INSERT of
an entry row as wide as cardflow's, a COMMIT -- in two variants: **raw, tip locked**
also locks a single-row ``tip`` table ``FOR UPDATE`` and advances it in every
transaction, as a sequencer of one ordered log must (cardflow locks its tip the same
way), and **raw, no tip** takes no lock beyond its own rows, so its writers never wait
for each other: the ceiling of what concurrency can give.

Fair: same server, same durability (the server's ``synchronous_commit``, recorded),
same rows per transition, same threads. Not fair, on purpose: cardflow reads the card's
head and checks it against the hashed entries, decides, hashes and writes the tree
under its tip lock, so its serial part is far longer than the baseline's; and its
engine's pool (SQLAlchemy's default, recorded in ``context.cardflow_pool``) holds fewer
connections than 32 threads, which then wait for one, while every raw thread has its
own.

    .venv/bin/python -m bench.postgres [--quick]   # quick: 3 rounds, not 5, of fewer cards
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from typing import Final

import psycopg
import structlog
from sqlalchemy.engine import URL, make_url

from bench.harness import Figure, Report, interleaved, median
from bench.lifecycle import ENTRY_ROW, STATES, STEPS, lifecycles
from ledger.sql import SqlLedger
from workflow.service import CardService

DEFAULT_URL: Final = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONCURRENCY: Final = (1, 8, 32)
_CARD_SERIALS: Final = count()
_CARD_SERIALS_LOCK: Final = threading.Lock()
RAW_SCHEMA: Final = (
    "CREATE TABLE raw_cards (id TEXT PRIMARY KEY, state TEXT NOT NULL, version INT NOT NULL)",
    "CREATE TABLE raw_entries (seq BIGINT PRIMARY KEY, card_id TEXT NOT NULL, body TEXT)",
    "CREATE SEQUENCE raw_entries_free",
    "CREATE TABLE raw_tip (id INT PRIMARY KEY, seq BIGINT NOT NULL)",
    "INSERT INTO raw_tip VALUES (1, 0)",
)


def libpq(url: URL) -> str:
    """``url`` as psycopg takes it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def scratch_database(server: URL) -> Iterator[URL]:
    """A fresh database on ``server`` for this run, dropped when done."""
    name = f"cardflow_bench_{os.getpid()}"
    with psycopg.connect(libpq(server), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name)
    finally:
        with psycopg.connect(libpq(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def in_threads(threads: int, work: Callable[[int], None]) -> float:
    """Seconds ``threads`` threads took, released together, each running
    ``work(its index)``; the first error any raised is raised here."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=body, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    took = time.perf_counter() - started
    if errors:
        raise errors[0]
    return took


class RawWriters:
    """The baseline: one psycopg connection a thread, the same rows per transition."""

    def __init__(self, database: URL, threads: int, *, tip: bool) -> None:
        self._connections = [psycopg.connect(libpq(database)) for _ in range(threads)]
        self._tip = tip

    def _card_ids(self, cards: int) -> list[str]:
        with _CARD_SERIALS_LOCK:
            serials = [next(_CARD_SERIALS) for _ in range(cards)]
        return [f"raw-{serial}" for serial in serials]

    def lifecycles(self, index: int, cards: int) -> None:
        db = self._connections[index]
        for card_id in self._card_ids(cards):
            for version in range(1, STEPS + 1):
                with db.transaction():
                    if self._tip:
                        seq = db.execute("SELECT seq FROM raw_tip WHERE id = 1 FOR UPDATE")
                        row = seq.fetchone()
                        assert row is not None
                        db.execute("UPDATE raw_tip SET seq = %s WHERE id = 1", (row[0] + 1,))
                        number = row[0] + 1
                    else:
                        free = db.execute("SELECT nextval('raw_entries_free')").fetchone()
                        assert free is not None
                        number = -free[0]  # apart from the tip's numbers
                    if version == 1:
                        db.execute("INSERT INTO raw_cards VALUES (%s, %s, 1)", (card_id, STATES[1]))
                    else:
                        db.execute(
                            "UPDATE raw_cards SET state = %s, version = %s WHERE id = %s",
                            (STATES[version], version, card_id),
                        )
                    db.execute(
                        "INSERT INTO raw_entries VALUES (%s, %s, %s)",
                        (number, card_id, ENTRY_ROW),
                    )

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


def contenders(
    service: CardService, raw_tip: RawWriters, raw_free: RawWriters, threads: int, each: int
) -> dict[str, Callable[[], float]]:
    """Each contender at ``threads`` threads, each thread taking ``each`` cards through."""
    return {
        "cardflow": lambda: in_threads(threads, lambda _: lifecycles(service, each)),
        "raw, tip locked": lambda: in_threads(threads, lambda i: raw_tip.lifecycles(i, each)),
        "raw, no tip": lambda: in_threads(threads, lambda i: raw_free.lifecycles(i, each)),
    }


def reachable(server: URL) -> str | None:
    """Why ``server`` cannot be used, or ``None``."""
    try:
        with psycopg.connect(libpq(server), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {server.render_as_string()}: {error}"
    return None


def run(quick: bool) -> Report:
    # Quick: three rounds, so that 32 threads of one lifecycle each stay within seconds.
    cards, rounds = (8, 3) if quick else (64, 5)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    server = make_url(os.environ.get("CARDFLOW_BENCH_POSTGRES", DEFAULT_URL))
    report = Report("postgres", "python -m bench.postgres")
    why_not = reachable(server)
    if why_not is not None:
        print(f"skipped: {why_not}", flush=True)
        report.context["skipped"] = why_not
        return report
    rates: dict[tuple[str, int], float] = {}
    with scratch_database(server) as database:
        ledger = SqlLedger(database.render_as_string(hide_password=False))
        ledger.create_schema()
        service = CardService(ledger)
        with psycopg.connect(libpq(database), autocommit=True) as setup:
            for statement in RAW_SCHEMA:
                setup.execute(statement)
            durability = setup.execute("SHOW synchronous_commit").fetchone()
        lifecycles(service, 3)  # warm: the pool's first connections, statement caches
        for threads in CONCURRENCY:
            each = max(1, cards // threads)
            raw_tip = RawWriters(database, threads, tip=True)
            raw_free = RawWriters(database, threads, tip=False)
            try:
                seen = interleaved(rounds, contenders(service, raw_tip, raw_free, threads, each))
            finally:
                raw_tip.close()
                raw_free.close()
            transitions = threads * each * STEPS
            for name, seconds in seen.items():
                rates[(name, threads)] = transitions / median(seconds)
        report.context.update(
            cards_a_round=cards,
            rounds=rounds,
            concurrency=list(CONCURRENCY),
            synchronous_commit=durability[0] if durability else None,
            cardflow_pool={
                "class": type(ledger.engine.pool).__name__,
                "size": getattr(ledger.engine.pool, "size", lambda: None)(),
                "max_overflow": getattr(ledger.engine.pool, "_max_overflow", None),
            },
        )
        ledger.dispose()
    note = f"medians of {rounds} interleaved rounds"
    for threads in CONCURRENCY:
        for baseline, note_of in (
            ("raw, tip locked", "the baseline locks a one-row tip FOR UPDATE, as cardflow does"),
            ("raw, no tip", "the baseline takes no shared lock"),
        ):
            report.ratio(
                f"cardflow at {threads} writer threads",
                rates[("cardflow", threads)],
                "transitions/s",
                baseline=f"{baseline} at {threads}",
                baseline_value=rates[(baseline, threads)],
                at_least=0.5 if threads == 8 and baseline == "raw, tip locked" else None,
                note=f"{note}; {note_of}",
            )
    for name in ("cardflow", "raw, tip locked", "raw, no tip"):
        growth = rates[(name, 8)] / rates[(name, 1)]
        report.add(
            Figure(
                f"{name}: 8 threads / 1 thread",
                growth,
                "x",
                target="> 1" if name == "cardflow" else None,
                met=growth > 1 if name == "cardflow" else None,
                note="transitions/s at 8 writer threads over those at 1",
            )
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the run")
    print(json.dumps(run(parser.parse_args().quick).context))


if __name__ == "__main__":
    main()
