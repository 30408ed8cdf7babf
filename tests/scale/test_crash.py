"""A server killed with SIGKILL in the middle of its load, and started again: what it
acknowledged is in the ledger as it was answered, nothing half-written is, and every
request it never answered, retried with its Idempotency-Key, lands exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from ledger.entry import Entry
from ledger.sql import SqlLedger
from ledger.sql.schema import entries_table
from tests.scale.checks import assert_fsck, assert_no_server_error, assert_whole
from tests.scale.load import STEPS, Callers, Exchange, new_key
from tests.scale.servers import Server, prepared
from workflow.batches import CHUNK

pytestmark = pytest.mark.processes

CLIENTS = 6
"""Clients writing at once, each opening cards and walking them to activated."""
BATCH_AFTER = 60
"""Acknowledged writes before an employer's batch is sent beside them."""
BATCH_ITEMS = 2 * CHUNK
"""The batch's applications: written a chunk to a transaction, so the kill falls between."""
LOAD_SECONDS = 90.0
"""How long the load may take to reach the kill."""


def until_unanswered(callers: Callers, stop: threading.Event) -> None:
    """Open cards and walk each to activated, every request with an Idempotency-Key of its
    own, until a request goes unanswered (or is refused) or ``stop`` is set."""
    while not stop.is_set():
        opened = callers.apply(0, key=new_key())
        if not opened.accepted:
            return
        for step in range(len(STEPS)):
            moved = callers.move(0, opened.answer["card_id"], step, key=new_key())
            if not moved.accepted:
                return


def batch_entries(ledger: SqlLedger, key: str) -> int:
    """How many of the batch's items have committed, read as any reader of the file would."""
    with ledger.engine.connect() as conn:
        like = entries_table.c.idempotency_key.like(f"{key}/%")
        return int(conn.execute(select(func.count()).where(like)).scalar_one())


def landed(entries: Sequence[Entry], key: str | None) -> list[Entry]:
    return [entry for entry in entries if entry.idempotency_key == key]


def answered_as(retry: Exchange, entry: Entry) -> bool:
    said = retry.answer
    return (said["card_id"], said["version"], said["last_seq"]) == (
        entry.card_id,
        entry.version,
        entry.seq,
    )


def load_then_kill(server: Server, callers: Callers, batch_key: str) -> Future[Exchange]:
    """Clients walking cards, then a batch beside them; SIGKILL the server once the batch's
    first chunk has committed and before it is answered. The batch's future."""
    stop = threading.Event()
    ledger = SqlLedger(server.url)
    try:
        with ThreadPoolExecutor(CLIENTS + 1) as pool:
            clients = [pool.submit(until_unanswered, callers, stop) for _ in range(CLIENTS)]
            deadline = time.monotonic() + LOAD_SECONDS
            while sum(e.accepted for e in callers.exchanges) < BATCH_AFTER:
                assert time.monotonic() < deadline, "the load was too slow to reach the batch"
                assert not any(client.done() for client in clients), callers.exchanges[-1]
                time.sleep(0.05)
            batch = pool.submit(callers.batch, 0, BATCH_ITEMS, key=batch_key)
            while not batch_entries(ledger, batch_key):
                assert time.monotonic() < deadline, "the batch's first chunk never committed"
                assert not batch.done(), batch.result().text[:300]
                time.sleep(0.02)
            server.kill()
            stop.set()
            assert not batch.result(timeout=120).accepted, "the batch was answered before the kill"
            for client in clients:
                client.result(timeout=120)
    finally:
        ledger.dispose()
    return batch


class TestKilledUnderLoad:
    """SIGKILL ``serve`` while clients write through it and a batch is half written, then
    start it again."""

    def test_acknowledged_writes_survive_and_retries_land_once(
        self, backend_url, servers, tmp_path
    ):
        token = prepared(backend_url)
        servers.append(server := Server(backend_url, tmp_path).start())
        callers = Callers([server.base], token)
        batch_key = new_key()
        batch = load_then_kill(server, callers, batch_key).result()

        assert_no_server_error(callers.exchanges, servers)
        unanswered = [e for e in callers.exchanges if e.status is None and e is not batch]
        assert len(unanswered) == CLIENTS, "each client stops at its first unanswered request"
        acknowledged = [exchange for exchange in callers.exchanges if exchange.accepted]
        # Checked as the kill left it, before anything opens the database again ...
        entries = assert_whole(backend_url, acknowledged)
        assert_fsck(backend_url)
        before = {exchange.key: landed(entries, exchange.key) for exchange in unanswered}
        assert all(len(found) <= 1 for found in before.values()), before
        items_before = {
            int(entry.idempotency_key.rpartition("/")[2]): entry
            for entry in entries
            if entry.idempotency_key and entry.idempotency_key.startswith(f"{batch_key}/")
        }
        # whole chunks or nothing: the items that landed are the first k chunks' own
        assert len(items_before) % CHUNK == 0, len(items_before)
        assert set(items_before) == set(range(len(items_before)))
        assert 0 < len(items_before) < BATCH_ITEMS

        server.start()
        retried = [callers.retry(exchange) for exchange in [*unanswered, batch]]
        # a second retry of each request, but not of the batch: its first retry already
        # answered half its items from their receipts, and the ledger shows each once
        again = [callers.retry(exchange) for exchange in unanswered]
        callers.close()
        assert all(r.accepted for r in retried), [(r.status, r.text[:300]) for r in retried]
        assert [r.status for r in retried[:-1]] == [r.status for r in again]

        # ... and after the retries, against a server started on what it left.
        entries = assert_whole(backend_url, [*acknowledged, *retried[:-1], *again])
        for exchange, retry, repeat in zip(unanswered, retried[:-1], again, strict=True):
            (entry,) = landed(entries, exchange.key)
            if before[exchange.key]:
                assert entry == before[exchange.key][0], "a retry wrote again"
            assert answered_as(retry, entry), (retry.answer, entry)
            assert answered_as(repeat, entry), (repeat.answer, entry)
        items = retried[-1].answer["items"]
        assert [item["status"] for item in items] == [201] * BATCH_ITEMS
        for index, item in enumerate(items):
            (entry,) = landed(entries, f"{batch_key}/{index}")
            assert (item["card_id"], item["version"]) == (entry.card_id, entry.version)
            if index in items_before:
                assert entry == items_before[index], "a retried batch wrote an item again"
        assert_fsck(backend_url)
        assert_no_server_error(callers.exchanges, servers)
        print(
            f"killed after {len(acknowledged)} acknowledged writes and {len(items_before)} of"
            f" the batch's {BATCH_ITEMS} items; of the {CLIENTS} other requests unanswered,"
            f" {sum(map(bool, before.values()))} had landed"
        )
