"""The HTTP and scale benchmarks' parts, kept from rotting: the load generator against a
tiny server of its own, the people it makes up, and the bulk filler's ledgers."""

from __future__ import annotations

import asyncio
import importlib
import json
import sqlite3
from datetime import date

from fastapi.testclient import TestClient

import bench.naive_app
from bench.__main__ import BENCHES
from bench._load import STEPS, Spec, drive, id_number
from bench.fill import DATABASE, fill, lengths
from ledger.sql import SqlLedger
from ledger.verify import verify
from workflow.identity import parse_identity_number


async def _serve_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: list[str]):
    """A keep-alive HTTP/1.1 server that answers every POST: a new card to an
    application, a step to a transition, and a 409 to every tenth request."""
    while True:
        line = await reader.readline()
        if not line:
            break
        length = 0
        while (header := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = header.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        json.loads(await reader.readexactly(length))
        path = line.split()[1].decode()
        log.append(path)
        status = "409 Conflict" if len(log) % 10 == 0 else "201 Created"
        body = json.dumps({"card_id": f"card-{len(log)}"}).encode()
        writer.write(f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
    writer.close()


def _drive(workload: str, log: list[str]):
    async def main():
        server = await asyncio.start_server(lambda r, w: _serve_once(r, w, log), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await drive(Spec(port, workload, seconds=0.5, connections=4, token="t"))

    return asyncio.run(main())


class TestLoadGenerator:
    def test_it_counts_every_answer_and_every_error(self):
        log: list[str] = []
        seen = _drive("trivial", log)
        assert seen.count() == len(log) > 10
        assert set(log) == {"/trivial"}
        assert seen.errors == {"trivial 409": len(log) // 10}
        assert seen.seconds >= 0.5

    def test_a_lifecycle_applies_then_moves_the_card_it_was_given(self):
        log: list[str] = []
        seen = _drive("lifecycle", log)
        assert seen.latencies["apply"]
        assert seen.latencies["transition"]
        moved = [path for path in log if path.endswith("/transitions")]
        assert moved
        assert all(path.startswith("/v1/cards/card-") for path in moved)
        # a refused step starts a new card: no lane ever runs past the last step
        assert len(moved) <= len(STEPS) * len(seen.latencies["apply"])


class TestPeople:
    def test_each_serial_is_a_valid_id_number_of_its_own(self):
        serials = [0, 1, 999, 1000, 359_999, 5_000_000, 17_999_999, 24_999_999]
        serials += range(10_000_000, 11_000_000, 997)  # the fill's, every month's end
        numbers = [id_number(serial) for serial in serials]
        assert len(set(numbers)) == len(numbers)
        for number in numbers:
            assert parse_identity_number(number, today=date(2026, 1, 1)).number == number


class TestFill:
    def test_lengths_average_the_entries_asked_for(self):
        assert sum(lengths(1000, 5000)) == 5000
        assert set(lengths(10, 50)) == {3, 4, 5, 6, 7}

    def test_a_filled_ledger_verifies(self, tmp_path):
        filled = fill(tmp_path, 10, 50, batch=4)
        assert (filled.cards, filled.entries) == (10, 50)
        ledger = SqlLedger(f"sqlite:///{tmp_path / DATABASE}")
        try:
            assert verify(ledger).ok
            assert ledger.latest_checkpoint() is not None
        finally:
            ledger.dispose()
        conn = sqlite3.connect(tmp_path / DATABASE)
        states = dict(conn.execute("SELECT state, count(*) FROM ledger_heads GROUP BY state"))
        conn.close()
        assert states == {"produced": 2, "collected": 2, "activated": 4, "reported_lost": 2}


class TestNaiveApp:
    def test_each_move_updates_its_card_and_adds_an_entry(self, tmp_path, monkeypatch):
        monkeypatch.setenv(bench.naive_app.DB_ENV, str(tmp_path / "naive.db"))
        event, channel, evidence = STEPS[0]
        body = {"event": event, "channel": channel, "evidence": evidence}
        with TestClient(bench.naive_app.create()) as client:
            assert client.post("/trivial", json={"ping": 3}).json() == {"pong": 3}
            for version in (1, 2):
                answer = client.post("/move?card=7", json=body)
                assert answer.json() == {"card": 7, "version": version}
        conn = sqlite3.connect(tmp_path / "naive.db")
        assert conn.execute("SELECT count(*) FROM entries WHERE card = 7").fetchone() == (2,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        conn.close()


def test_the_runner_knows_both_benchmarks():
    for name in ("serving", "scale"):
        assert name in BENCHES
        assert callable(importlib.import_module(f"bench.{name}").run)
