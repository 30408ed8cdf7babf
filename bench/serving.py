"""cardflow over HTTP under 64 keep-alive connections: steps a second, latency, errors.

What it measures: ``cardflow serve`` (one uvicorn process, as the README starts it, on a
SQLite file in a temporary folder, its keys made by ``cardflow init``) driven by 64
concurrent keep-alive connections, each applying for a card (``POST /v1/cards``) and
moving it review, produce, collect, activate (``POST /v1/cards/{id}/transitions``) with
a clerk key of the card center and the issuing bank, then applying again: accepted
requests a second (applications and transitions also counted apart), p50 and p99
latency, answers other than 2xx (none should come), and the server's CPU seconds a
request (utime + stime from ``/proc/<pid>/stat``, before and after each window).

Baselines, in the same run and in interleaved rounds (``bench.harness.interleaved``):

* **trivial POST**: cardflow has no route that does nothing, so this is a minimal
  FastAPI app (``bench/naive_app.py``) answering ``POST /trivial``, served by uvicorn
  with the settings ``cardflow serve`` uses (one process, factory, no log config, no
  Server header): the most any app on this stack could answer;
* **naive**: the same app's ``POST /move``, doing one UPDATE, one INSERT of an
  entry-sized row and one COMMIT per request with the raw ``sqlite3`` driver, on a file
  with cardflow's durability (WAL, SQLite's default ``synchronous``).

Fair, and not: all three servers are driven by the same load generator
(``bench/_load.py``: asyncio streams over raw sockets, cheap on purpose, in a process of
its own) and share the machine's cores with it, so every figure includes the client's
cost equally. The naive app checks no key, decides no rule, hashes nothing and grows no
tree, and writes no log line; cardflow does all of it and logs one line per request
(its stderr goes to /dev/null here). The write rate limit is turned off
(``CARDFLOW_RATE_WRITES=off``: one key sends far more than the default 1200 a minute);
checkpoints are signed at their default cadence while the load runs, as when serving.

    .venv/bin/python -m bench --only serving [--quick]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Final

import httpx2 as httpx

from bench._load import Seen, Spec
from bench.harness import Figure, Report, interleaved, median, percentile

CONNECTIONS: Final = 64
P99_MS: Final = 25.0
ROOT: Final = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cardflow_env(folder: Path) -> dict[str, str]:
    """The environment a ``cardflow`` command runs with on ``folder``'s database."""
    return {
        **os.environ,
        "CARDFLOW_DATABASE_URL": f"sqlite:///{folder / 'cardflow.db'}",
        "CARDFLOW_PERSON_KEY_FILE": str(folder / "cardflow.person-key"),
        "CARDFLOW_LOG_KEY_FILE": str(folder / "cardflow.log-key"),
        "CARDFLOW_RATE_WRITES": "off",
        "CARDFLOW_RATE_EXPENSIVE_READS": "off",
        "PYTHONPATH": str(ROOT),
    }


def cardflow(folder: Path, *args: str) -> str:
    """``cardflow ARGS`` on ``folder``'s database; what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=cardflow_env(folder),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout.strip()


def api_key(folder: Path, name: str, role: str, *channels: str) -> str:
    """A new API key's token, as the README's quick start makes one."""
    more = [part for channel in channels for part in ("--channel", channel)]
    return cardflow(folder, "keys", "create", "--name", name, "--role", role, *more)


def serve(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """``cardflow serve`` on ``folder``'s database, answering on ``port``."""
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        env=cardflow_env(folder),
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(port, server, "/v1/workflow")
    return server


def serve_naive(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """``bench/naive_app.py`` on its own file in ``folder``, answering on ``port``."""
    naive = folder / "naive.db"
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.naive_app", "--port", str(port), "--db", str(naive)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(port, server, "/openapi.json")
    return server


def wait_for(port: int, server: subprocess.Popen[bytes], path: str, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).raise_for_status()
            return
        except httpx.TransportError:
            if server.poll() is not None:
                gone = f"the server on port {port} exited ({server.returncode})"
                raise RuntimeError(gone) from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cpu_seconds(pid: int) -> float:
    """The user and system CPU seconds ``pid`` has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(spec: Spec) -> Seen:
    """Run the load generator in a process of its own; what it saw."""
    done = subprocess.run(
        [sys.executable, "-m", "bench._load", json.dumps(asdict(spec))],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=spec.seconds + 120,
        check=True,
    )
    return Seen(**json.loads(done.stdout))


class Contender:
    """One server under load, window after window: what each window saw, and the CPU
    the server spent in it."""

    def __init__(self, server: subprocess.Popen[bytes], spec: Spec) -> None:
        self.server = server
        self.spec = spec
        self.windows: list[Seen] = []
        self.cpu: list[float] = []

    def __call__(self) -> float:
        """One window; the accepted requests a second it saw."""
        before = cpu_seconds(self.server.pid)
        seen = load(self.spec)
        self.cpu.append(cpu_seconds(self.server.pid) - before)
        self.windows.append(seen)
        # the next window's people are new ones: a person holds one live card at most
        self.spec = Spec(
            **{
                **asdict(self.spec),
                "first_serial": self.spec.first_serial + seen.people + self.spec.connections,
            }
        )
        return seen.count() / seen.seconds

    def latencies(self, kind: str | None = None) -> list[float]:
        return [
            value
            for seen in self.windows
            for name, values in seen.latencies.items()
            if kind is None or name == kind
            for value in values
        ]

    def rate(self, kind: str) -> float:
        return median([len(seen.latencies.get(kind, [])) / seen.seconds for seen in self.windows])

    def errors(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for seen in self.windows:
            for key, count in seen.errors.items():
                found[key] = found.get(key, 0) + count
        return found

    def cpu_per_request(self) -> float:
        return sum(self.cpu) / max(1, sum(seen.count() for seen in self.windows))


def run(quick: bool) -> Report:
    rounds, seconds = (2, 4.0) if quick else (5, 20.0)
    report = Report("serving", f"python -m bench --only serving{' --quick' if quick else ''}")
    with tempfile.TemporaryDirectory(prefix="bench-http-") as name:
        folder = Path(name)
        cardflow(folder, "init")
        token = api_key(folder, "bank-core", "clerk", "card_center", "issuing_bank")
        ours = serve(folder, cardflow_port := free_port())
        floor = serve_naive(folder, naive_port := free_port())
        try:
            contenders = {
                "cardflow": Contender(ours, Spec(cardflow_port, "lifecycle", seconds, token=token)),
                "trivial POST": Contender(floor, Spec(naive_port, "trivial", seconds)),
                "naive sqlite3": Contender(floor, Spec(naive_port, "naive", seconds)),
            }
            for contender in contenders.values():  # warm up: imports, caches, the first files
                contender.spec = Spec(**{**asdict(contender.spec), "seconds": 2.0})
                contender()
                contender.spec = Spec(**{**asdict(contender.spec), "seconds": seconds})
                contender.windows.clear()
                contender.cpu.clear()
            rates = interleaved(rounds, contenders)
        finally:
            stop(ours)
            stop(floor)
    _figures(report, contenders, {name: median(found) for name, found in rates.items()})
    report.context.update(
        rounds=rounds,
        seconds_a_window=seconds,
        connections=CONNECTIONS,
        rates_by_round={name: [round(r, 1) for r in found] for name, found in rates.items()},
        server="one uvicorn process each; cardflow with CARDFLOW_RATE_WRITES=off",
        client="bench/_load.py, asyncio over raw sockets, a process of its own",
    )
    return report


def _figures(report: Report, contenders: dict[str, Contender], rates: dict[str, float]) -> None:
    ours = contenders["cardflow"]
    rate = rates["cardflow"]
    note = "applications and transitions, accepted requests a second, median of rounds"
    report.ratio(
        "cardflow steps a second",
        rate,
        "req/s",
        baseline="trivial POST",
        baseline_value=rates["trivial POST"],
        at_least=0.3,
        note=note,
    )
    report.ratio(
        "cardflow steps a second",
        rate,
        "req/s",
        baseline="naive sqlite3",
        baseline_value=rates["naive sqlite3"],
        at_least=1.5,
        note=note,
    )
    report.add(Figure("cardflow applications a second", ours.rate("apply"), "req/s"))
    report.add(Figure("cardflow transitions a second", ours.rate("transition"), "req/s"))
    everything = ours.latencies()
    p99 = percentile(everything, 0.99) * 1000
    report.add(Figure("cardflow p50 latency", percentile(everything, 0.5) * 1000, "ms"))
    report.add(
        Figure("cardflow p99 latency", p99, "ms", target=f"<= {P99_MS} ms", met=p99 <= P99_MS)
    )
    for kind in ("apply", "transition"):
        values = ours.latencies(kind)
        if values:
            report.add(
                Figure(f"cardflow p99 latency, {kind}", percentile(values, 0.99) * 1000, "ms")
            )
    errors = ours.errors()
    report.add(
        Figure(
            "cardflow answers other than 2xx",
            float(sum(errors.values())),
            "answers",
            target="0",
            met=not errors,
            note=", ".join(f"{key}: {count}" for key, count in sorted(errors.items())) or None,
        )
    )
    report.ratio(
        "cardflow server CPU a request",
        ours.cpu_per_request() * 1000,
        "ms",
        baseline="naive sqlite3",
        baseline_value=contenders["naive sqlite3"].cpu_per_request() * 1000,
    )
    for name in ("trivial POST", "naive sqlite3"):
        floor = contenders[name]
        values = floor.latencies()
        report.add(
            Figure(
                f"{name} p99 latency",
                percentile(values, 0.99) * 1000,
                "ms",
                note=f"server CPU {floor.cpu_per_request() * 1000:.3f} ms a request; "
                f"{sum(floor.errors().values())} answers other than 2xx",
            )
        )
