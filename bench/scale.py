"""Supervisors' reads at 1,000,000 cards against the same reads at 10,000, in one run.

What it measures: two ``cardflow serve`` processes, one on a SQLite file of 10,000
cards (50,000 entries), one on a file of 1,000,000 cards (5,000,000 entries), both
filled by ``bench/fill.py`` (real ledgers: the use cases draft every step, the one
planner seals it, a checkpoint is signed), each asked over HTTP, one call at a time on
a keep-alive connection, with a supervisor's key:

* a card's history, ``GET /v1/cards/{id}/history`` (the first page, no proofs), on
  random cards of the file;
* a search, ``GET /v1/cards?state=&channel=&opened_from=&opened_before=``, a random
  state, channel and 30-day window of the two years the cards were opened over.

p50 and p99 of each at both sizes, in interleaved rounds (the sizes taking turns), and
each server's resident memory (``VmRSS`` in ``/proc/<pid>/status``) after its calls. The
baseline is the small file, served by the same code in the same run: the figures say
how the reads grow with the ledger, not how fast they are in themselves.

Fair, and not: the files are filled once and kept in ``bench/.cache/`` (git-ignored),
reused while their ``filled.json`` says the same sizes, since 5,000,000 entries take
far longer to fill than a run should (the fill's rate is reported, measured when the
file was made); the operating system's file cache is warm for both files alike after
the first round. The expensive-read rate limit is off (``CARDFLOW_RATE_EXPENSIVE_READS``:
a search is an expensive read, and one key asks far more than 120 a minute). SQLite
only; ``--quick`` compares 2,000 cards (10,000 entries) with 10,000 (50,000).

    .venv/bin/python -m bench --only scale [--quick]
    .venv/bin/python -m bench.scale --cards 1000000 --entries 5000000   # other sizes
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import httpx2 as httpx

from bench.fill import DATABASE, FILLED, fill
from bench.harness import RESULTS, Figure, Report, interleaved, median, percentile
from bench.serving import api_key, free_port, serve, stop

CACHE: Final = Path(__file__).resolve().parent / ".cache"
SMALL: Final = (10_000, 50_000)
LARGE: Final = (1_000_000, 5_000_000)
QUICK: Final = ((2_000, 10_000), (10_000, 50_000))
STATES: Final = ("produced", "collected", "activated", "reported_lost")
CHANNELS: Final = ("card_center", "bank_outlet", "hotline_12333", "hospital")
WINDOW: Final = timedelta(days=30)


@dataclass
class Size:
    """One filled file, its server, and what the calls to it saw."""

    cards: int
    entries: int
    folder: Path
    filled: dict[str, float]
    cached: bool
    card_ids: list[str] = field(default_factory=list)
    opened: tuple[datetime, datetime] = (datetime.min, datetime.min)
    server: subprocess.Popen[bytes] | None = None
    client: httpx.Client | None = None
    seen: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    rss_kib: int = 0

    @property
    def label(self) -> str:
        return f"{self.cards:,} cards"


def prepared(cards: int, entries: int) -> Size:
    """The cached file of ``cards`` cards and about ``entries`` entries, filled now if
    there is none (or the one there is of other sizes, or incomplete)."""
    folder = CACHE / f"scale-{cards}-{entries}"
    record = folder / FILLED
    if record.exists():
        filled = json.loads(record.read_text())
        if filled.get("cards") == cards:
            return Size(cards, int(filled["entries"]), folder, filled, cached=True)
    shutil.rmtree(folder, ignore_errors=True)
    made = fill(folder, cards, entries)
    return Size(cards, made.entries, folder, json.loads(record.read_text()), cached=False)


def sample(size: Size, count: int) -> None:
    """Random cards of the file, and the span their cards were opened over."""
    conn = sqlite3.connect(f"file:{size.folder / DATABASE}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT card_id FROM ledger_heads ORDER BY random() LIMIT ?", (count,)
        ).fetchall()
        first, last = conn.execute(
            "SELECT min(opened_at), max(opened_at) FROM ledger_heads"
        ).fetchone()
    finally:
        conn.close()
    size.card_ids = [card_id for (card_id,) in rows]
    size.opened = (_moment(first), _moment(last))


def _moment(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def history_call(size: Size, chance: random.Random) -> str:
    return f"/v1/cards/{chance.choice(size.card_ids)}/history"


def search_call(size: Size, chance: random.Random) -> str:
    first, last = size.opened
    start = first + (last - first - WINDOW) * chance.random() if last - first > WINDOW else first
    return (
        f"/v1/cards?state={chance.choice(STATES)}&channel={chance.choice(CHANNELS)}"
        f"&opened_from={_stamp(start)}&opened_before={_stamp(start + WINDOW)}"
    )


def calls(size: Size, kind: str, count: int, seed: int) -> float:
    """``count`` calls of ``kind`` to ``size``'s server; their median seconds."""
    assert size.client is not None
    chance = random.Random(seed)
    made = history_call if kind == "history" else search_call
    took = []
    for _ in range(count):
        path = made(size, chance)
        started = time.perf_counter()
        response = size.client.get(path)
        took.append(time.perf_counter() - started)
        if response.status_code != 200:
            size.errors += 1
    size.seen.setdefault(kind, []).extend(took)
    return median(took)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def run(quick: bool, sizes: tuple[tuple[int, int], tuple[int, int]] | None = None) -> Report:
    (small_cards, small_entries), (large_cards, large_entries) = sizes or (
        QUICK if quick else (SMALL, LARGE)
    )
    report = Report("scale", f"python -m bench --only scale{' --quick' if quick else ''}")
    small = prepared(small_cards, small_entries)
    large = prepared(large_cards, large_entries)
    rounds, per_round = (4, 50) if quick else (5, 100)
    try:
        for size in (small, large):
            sample(size, 2000)
            token = api_key(size.folder, f"desk-{int(time.time())}", "supervisor")
            size.server = serve(size.folder, port := free_port())
            size.client = httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            calls(size, "history", 20, seed=0)  # warm up, not counted
            calls(size, "search", 20, seed=0)
            size.seen.clear()
        seeds = iter(range(1, 1_000_000))

        def block(size: Size, kind: str) -> Callable[[], float]:
            return lambda: calls(size, kind, per_round, next(seeds))

        interleaved(
            rounds,
            {
                f"{kind} {size.label}": block(size, kind)
                for kind in ("history", "search")
                for size in (small, large)
            },
        )
        for size in (small, large):
            assert size.server is not None
            size.rss_kib = rss_kib(size.server.pid)
    finally:
        for size in (small, large):
            if size.client is not None:
                size.client.close()
            if size.server is not None:
                stop(size.server)
    _figures(report, small, large)
    report.context.update(
        rounds=rounds,
        calls_a_round=per_round,
        sizes={
            size.label: {"entries": size.entries, "cached": size.cached, "fill": size.filled}
            for size in (small, large)
        },
    )
    return report


def _figures(report: Report, small: Size, large: Size) -> None:
    for kind, call in (("history", "GET /v1/cards/{id}/history"), ("search", "GET /v1/cards?…")):
        ours, floor = large.seen[kind], small.seen[kind]
        note = f"{call}, {len(ours)} calls at each size"
        report.ratio(
            f"{kind} p50 at {large.label}",
            percentile(ours, 0.5) * 1000,
            "ms",
            baseline=f"p50 at {small.label}",
            baseline_value=percentile(floor, 0.5) * 1000,
            note=note,
        )
        report.ratio(
            f"{kind} p99 at {large.label}",
            percentile(ours, 0.99) * 1000,
            "ms",
            baseline=f"p99 at {small.label}",
            baseline_value=percentile(floor, 0.99) * 1000,
            at_most=1.5,
            note=note,
        )
    report.ratio(
        f"server memory at {large.label}",
        large.rss_kib / 1024,
        "MiB",
        baseline=f"at {small.label}",
        baseline_value=small.rss_kib / 1024,
        at_most=1.1,
        note="VmRSS after the calls",
    )
    errors = small.errors + large.errors
    report.add(Figure("answers other than 200", errors, "answers", target="0", met=not errors))
    for size in (small, large):
        made = "measured when the cached file was made" if size.cached else "measured now"
        report.add(
            Figure(
                f"fill rate, {size.label}",
                size.filled["rate"],
                "entries/s",
                note=f"{size.entries:,} entries in {size.filled['seconds']:.0f} s, {made}; "
                f"checkpoint signed in {size.filled['checkpoint_seconds']:.1f} s",
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=LARGE[0], help="the large size's cards")
    parser.add_argument("--entries", type=int, default=LARGE[1], help="its entries")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = run(False, (SMALL, (args.cards, args.entries)))
    report.command = f"python -m bench.scale --cards {args.cards} --entries {args.entries}"
    report.write(args.out)


if __name__ == "__main__":
    main()
