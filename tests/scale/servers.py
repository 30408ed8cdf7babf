"""``cardflow serve`` as processes of their own: started on a database made ready for
them, asked when they answer, stopped, or killed with SIGKILL, process group and all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx2 as httpx

from tests.cli.helpers import cardflow, command
from tests.cli.test_cli import free_port

SERVE_ENV: Final = {
    # many clients share one key: the per-key rates would refuse most of the load
    "CARDFLOW_RATE_WRITES": "off",
    "CARDFLOW_RATE_EXPENSIVE_READS": "off",
    # every losing racer's attempt is noted on the card, so losers write too
    "CARDFLOW_REFUSAL_NOTES": "off",
    # checkpoints are signed while the load runs, by every process, racing each other
    "CARDFLOW_CHECKPOINT_ENTRIES": "25",
    "CARDFLOW_CHECKPOINT_SECONDS": "1",
}
"""What every server under test runs with, beside the keys the test session set."""
STARTUP_SECONDS: Final = 60.0


def _cardflow() -> list[str]:
    """``.venv/bin/cardflow`` beside this Python, as an operator runs it; else ``-m cli``."""
    script = Path(sys.executable).with_name("cardflow")
    return [str(script)] if script.exists() else command()


def prepared(url: str) -> str:
    """Initialise the database at ``url`` once, as its owner would, and make an admin key
    (it acts through every channel); the key's token. (In this process: the commands are
    the same, and a test is spared two interpreters' start.)"""
    made = cardflow("init", "--database-url", url)
    assert made.exit_code == 0, made.output
    key = cardflow(
        "keys", "create", "--database-url", url, "--name", "load-writer", "--role", "admin"
    )
    assert key.exit_code == 0, key.output
    return key.stdout.strip()


@dataclass
class Server:
    """One ``cardflow serve`` process (with its workers, if any) on ``url``."""

    url: str
    folder: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    env: Mapping[str, str] = field(default_factory=dict)
    """Settings beside ``SERVE_ENV`` (which they override), e.g. the desk's session times."""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.folder / f"serve-{self.port}-{self.starts}.log"

    def start(self) -> Server:
        """Start serving on this server's port and return once it answers."""
        self.starts += 1
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *_cardflow(),
                    "serve",
                    "--database-url",
                    self.url,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env={**os.environ, **SERVE_ENV, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if httpx.get(f"{self.base}/v1/workflow", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, f"serve exited: {self.logs()[-4000:]}"
            assert time.monotonic() < deadline, f"serve never answered: {self.logs()[-4000:]}"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the serve process and every process of its group: nothing it held
        (connections, transactions, the SQLite file's locks) is let go cleanly."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._until_group_gone()

    def stop(self) -> None:
        """Stop the server as an operator would (SIGTERM), or kill it if it will not go."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        self._until_group_gone()

    def _until_group_gone(self) -> None:
        """Wait for the group's other processes (uvicorn's workers, which end with their
        supervisor) to go; SIGKILL any still there after ten seconds, and give up five
        seconds later (one left unreaped by its new parent never goes)."""
        assert self.process is not None
        for tenth in range(150):
            try:
                os.killpg(self.process.pid, signal.SIGKILL if tenth >= 100 else 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def serving(self) -> set[int]:
        """The processes of this server's group holding a client's connection now (Linux:
        their sockets' inodes, matched with the established connections on its port)."""
        assert self.process is not None
        established = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                local, state, inode = (line.split()[i] for i in (1, 3, 9))
                if int(local.rpartition(":")[2], 16) == self.port and state == "01":
                    established.add(f"socket:[{inode}]")
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rpartition(")")[2].split()[2]) != self.process.pid:
                    continue
                held = {os.readlink(fd) for fd in (stat.parent / "fd").iterdir()}
            except (OSError, ValueError):
                continue
            if held & established:
                found.add(int(stat.parent.name))
        return found

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for path in sorted(self.folder.glob(f"serve-{self.port}-*.log"))
        )
