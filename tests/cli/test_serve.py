"""``cardflow serve`` as a deployment meets it: the headers a real server sends, and
workers that never outlive their supervisor."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from api.config import runtime_for_command
from ledger.sql import SqlLedger
from tests.cli.test_cli import free_port
from workflow.states import Role

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process tree from /proc"
)


def serve(url: str, port: int, *more: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), *more],
        env={**os.environ, "CARDFLOW_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def answering(port: int, server: subprocess.Popen[bytes], within: float = 30) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/v1/workflow", timeout=1)
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.2)


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def workers_of(pid: int) -> set[int]:
    """The children uvicorn spawned to serve (not multiprocessing's helpers)."""
    return {
        child
        for child in children_of(pid)
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    }


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'served.db'}"


@pytest.fixture
def stopped() -> Iterator[list[subprocess.Popen[bytes] | int]]:
    """Servers to stop, and worker pids to kill, whatever the test did."""
    started: list[subprocess.Popen[bytes] | int] = []
    yield started
    orphans = [pid for pid in started if isinstance(pid, int)]
    for server in started:
        if isinstance(server, int):
            continue
        orphans.extend(children_of(server.pid))
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=15)
    for pid in orphans:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


class TestHeaders:
    """A real server names no software and keeps answers out of caches."""

    def test_no_server_header_and_no_caching(self, url, stopped):
        port = free_port()
        stopped.append(server := serve(url, port))
        response = answering(port, server)
        assert response.status_code == 200
        assert "server" not in response.headers
        assert "date" in response.headers
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


class TestReadUrl:
    """``serve --read-url`` reads search, history and the feed there, and refuses to
    start on a database that holds another ledger."""

    def test_the_feed_is_read_from_the_read_url(self, url, stopped):
        with runtime_for_command(url, first_run=True) as runtime:
            _, token = runtime.keys.create("follower", Role.ADMIN)
        port = free_port()
        stopped.append(server := serve(url, port, "--read-url", url))
        assert answering(port, server).status_code == 200
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/ledger/entries",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-cardflow-read-from"] == "replica"
        assert response.headers["x-cardflow-read-size"] == "0"

    def test_another_ledger_is_refused_before_serving(self, url, tmp_path):
        other = f"sqlite:///{tmp_path / 'other.db'}"
        SqlLedger(other).create_schema()
        done = subprocess.run(
            [sys.executable, "-m", "cli", "serve", "--port", str(free_port()), "--read-url", other],
            env={**os.environ, "CARDFLOW_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert "CARDFLOW_READ_DATABASE_URL" in done.stderr
        assert "another ledger" in done.stderr


class TestWorkersEndWithTheirSupervisor:
    """Killing ``serve --workers 2``'s own process, even with SIGKILL, leaves no worker on
    the port, and a server started right after binds it."""

    @pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
    def test_killed_supervisor_leaves_the_port_free(self, url, stopped, how):
        port = free_port()
        stopped.append(server := serve(url, port, "--workers", "2"))
        assert answering(port, server).status_code == 200
        deadline = time.monotonic() + 20
        while len(workers_of(server.pid)) < 2:
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.2)
        workers = children_of(server.pid)
        stopped.extend(workers)
        server.send_signal(how)
        server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) or port_taken(port):
            assert time.monotonic() < deadline, (
                f"workers {[p for p in workers if alive(p)]} outlived their supervisor"
            )
            time.sleep(0.1)
        stopped.append(again := serve(url, port))
        assert answering(port, again).status_code == 200
