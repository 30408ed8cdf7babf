"""What must hold of a ledger after any load, read straight from the database and by
``cardflow audit fsck``: gapless, whole, one winner per card version, and every
acknowledged write there as it was answered."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from ledger.entry import Entry
from ledger.merkle import leaf_hash
from ledger.sql import SqlLedger
from tests.cli.helpers import cardflow
from tests.scale.load import Exchange
from tests.scale.servers import Server

LOCKED = "database is locked"


def assert_no_server_error(exchanges: Iterable[Exchange], servers: Sequence[Server]) -> None:
    """No answer was a 5xx, and no caller or log line was told the database was locked."""
    answered = [exchange for exchange in exchanges if exchange.status is not None]
    failed = [(e.status, e.path, e.text[:300]) for e in answered if (e.status or 0) >= 500]
    assert not failed, failed[:5]
    locked = [(e.status, e.path) for e in answered if "locked" in e.text.lower()]
    assert not locked, locked[:5]
    for server in servers:
        assert LOCKED not in server.logs().lower(), server.log_file


def assert_fsck(url: str) -> str:
    """``cardflow audit fsck`` -- every hash, link and tree node, every stored checkpoint's
    root and signature, every head against a replay of its entries -- finds nothing."""
    checked = cardflow("audit", "fsck", "--database-url", url)
    assert checked.exit_code == 0, checked.output
    assert "ledger verified" in checked.stdout, checked.stdout
    return checked.stdout


def assert_whole(url: str, acknowledged: Iterable[Exchange]) -> list[Entry]:
    """The ledger's entries are 1..N with no gap, each with its leaf in the tree, the tip
    at the last; each card's moving entries are its versions 1..v, one each, its head at
    v; and each acknowledged write is the entry its answer named. The entries, in order."""
    ledger = SqlLedger(url)
    try:
        scanned = list(ledger.scan())
        entries = [entry for entry in scanned if isinstance(entry, Entry)]
        assert len(entries) == len(scanned), "some entries cannot be read"
        total = len(entries)
        assert [entry.seq for entry in entries] == list(range(1, total + 1))
        tip = ledger.tip()
        assert (tip.size, tip.hash) == (total, entries[-1].hash)
        leaves = ledger.tree_nodes_at({(0, i) for i in range(total)})
        missing = [e.seq for e in entries if leaves.get((0, e.seq - 1)) != leaf_hash(e.encode())]
        assert not missing, f"entries without their leaf: {missing[:10]}"

        winners = Counter((entry.card_id, entry.version) for entry in entries if entry.moves)
        assert {count for count in winners.values()} == {1}, [
            place for place, count in winners.items() if count > 1
        ]
        versions: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            if entry.moves:
                versions[entry.card_id].append(entry.version)
        for card_id, seen in versions.items():
            assert seen == list(range(1, len(seen) + 1)), (card_id, seen)
            head = ledger.head(card_id)
            assert head is not None
            assert head.version == len(seen), (card_id, head.version, seen)
        assert {head.card_id for head in ledger.heads()} == set(versions)

        for exchange in acknowledged:
            assert_recorded(exchange, entries)
        return entries
    finally:
        ledger.dispose()


def assert_recorded(exchange: Exchange, entries: Sequence[Entry]) -> None:
    """The entry an accepted write's answer names holds what was asked and answered."""
    answer = exchange.answer
    assert 1 <= answer["last_seq"] <= len(entries), answer
    entry = entries[answer["last_seq"] - 1]
    assert entry.moves, (answer, entry)
    assert (entry.card_id, entry.version, entry.to_state) == (
        answer["card_id"],
        answer["version"],
        answer["state"],
    )
    assert (entry.event, entry.channel) == (exchange.event, exchange.body["channel"])
    assert entry.idempotency_key == exchange.key
    for name, value in exchange.body["evidence"].items():
        assert entry.evidence.get(name) == value, (name, entry.evidence)
