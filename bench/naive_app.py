"""The floors ``bench/serving.py`` measures cardflow against: a minimal FastAPI app.

* ``POST /trivial`` parses a small JSON body and answers a small one: what the stack
  itself (uvicorn, Starlette, FastAPI, pydantic) costs a POST, with nothing done.
* ``POST /move?card=N`` is the naive way to record a card's step: the body a transition
  sends (event, channel, evidence) parsed as a pydantic model, then on one raw
  ``sqlite3`` connection one UPDATE of the card's row, one INSERT of an entry-sized row
  and one COMMIT, in a file in WAL mode with SQLite's default ``synchronous`` (cardflow's
  own durability: it sets neither more nor less). No key, no rules, no hashes, no tree.

Served by ``python -m bench.naive_app --port P --db FILE`` with the settings ``cardflow
serve`` gives uvicorn (one process, an app factory, no log config, no Server header).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import threading
from typing import Final

from fastapi import FastAPI
from pydantic import BaseModel

DB_ENV: Final = "BENCH_NAIVE_DB"
CARDS: Final = 1024
"""The cards ``/move`` may name (``card`` below this), each a row made at start."""
PADDING: Final = "x" * 420
"""Brings each row to about the size of one of cardflow's entries (its JSON encoding)."""


class Ping(BaseModel):
    ping: int


class Move(BaseModel):
    event: str
    channel: str
    evidence: dict[str, str | bool]


def open_file(path: str) -> sqlite3.Connection:
    """The naive app's file: WAL, default ``synchronous``, autocommit off by hand."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS cards (id INTEGER PRIMARY KEY, state TEXT, version INTEGER)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, card INTEGER, "
        "version INTEGER, event TEXT, channel TEXT, body TEXT)"
    )
    conn.executemany(
        "INSERT OR IGNORE INTO cards VALUES (?, 'applied', 0)", [(n,) for n in range(CARDS)]
    )
    return conn


def create() -> FastAPI:
    """The app, on the file ``$BENCH_NAIVE_DB`` names (a uvicorn factory)."""
    conn = open_file(os.environ[DB_ENV])
    lock = threading.Lock()
    app = FastAPI()

    @app.post("/trivial")
    def trivial(ping: Ping) -> dict[str, int]:
        return {"pong": ping.ping}

    @app.post("/move")
    def move(card: int, step: Move) -> dict[str, int]:
        body = json.dumps({**step.model_dump(), "padding": PADDING}, sort_keys=True)
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            (version,) = conn.execute(
                "UPDATE cards SET state = ?, version = version + 1 WHERE id = ? RETURNING version",
                (step.event, card),
            ).fetchone()
            conn.execute(
                "INSERT INTO entries (card, version, event, channel, body) VALUES (?, ?, ?, ?, ?)",
                (card, version, step.event, step.channel, body),
            )
            conn.execute("COMMIT")
        return {"card": card, "version": version}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    os.environ[DB_ENV] = args.db
    uvicorn.run(
        "bench.naive_app:create",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
