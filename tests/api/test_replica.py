"""Search, history and the feed served from a real PostgreSQL streaming replica.

The test makes its own primary (``initdb`` as the ``postgres`` user, in a temporary
folder, on a free port, ``wal_level=replica``), a replica of it (``pg_basebackup -R``)
on another port, and a read-only role on the primary that replication carries to the
replica; cardflow's primary URL is the temporary primary and its read URL the replica.
Replay is paused while a card is written, so that each answer shows where it was read:
the machine's own PostgreSQL server is never touched. It runs as root only (to act as
``postgres``), and needs PostgreSQL's binaries in ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from api.config import runtime_for_command
from tests.api.conftest import apply_card, review_card
from workflow.states import Role

READER: Final = "cardflow_reader"
READER_TABLES: Final = ("ledger_entries", "ledger_heads", "ledger_tip", "ledger_keys")
"""What a replica's reader needs: the entries, the heads, the tip and the binding."""
CATCH_UP_SECONDS: Final = 20.0


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _skip_unless_possible() -> Path:
    if os.geteuid() != 0:
        pytest.skip("starting a replica takes root (to run PostgreSQL as postgres)")
    binaries = _binaries()
    if binaries is None or shutil.which("runuser") is None:
        pytest.skip("no PostgreSQL binaries in /usr/lib/postgresql/*/bin, or no runuser")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user to run PostgreSQL as")
    return binaries


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Cluster:
    """A PostgreSQL server in ``folder``, run as ``postgres``."""

    binaries: Path
    folder: Path
    port: int
    log: Path

    def run(self, program: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.binaries / program), *args]
        done = subprocess.run(
            command, cwd=self.folder.parent, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{program} failed: {done.stderr or done.stdout}"

    def configure(self, lines: str) -> None:
        with (self.folder / "postgresql.conf").open("a") as conf:
            conf.write(lines)

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder), "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self) -> None:
        if (self.folder / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.folder), "-m", "immediate", "-w", "stop")

    def url(self, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/postgres"

    def errors(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if "ERROR:" in line]


@dataclass
class Replicated:
    primary: Cluster
    replica: Cluster
    primary_admin: Engine
    replica_admin: Engine

    def caught_up(self) -> None:
        """Wait until the replica has replayed everything the primary has written."""
        with self.primary_admin.connect() as conn:
            lsn = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
        waited = 0.0
        while True:
            with self.replica_admin.connect() as conn:
                done = conn.execute(
                    text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}
                ).scalar_one()
            if done:
                return
            assert waited < CATCH_UP_SECONDS, "the replica did not catch up"
            time.sleep(0.05)
            waited += 0.05

    def replay(self, *, paused: bool) -> None:
        call = "pg_wal_replay_pause()" if paused else "pg_wal_replay_resume()"
        with self.replica_admin.connect() as conn:
            conn.execute(text(f"SELECT {call}"))
            conn.commit()


@pytest.fixture
def replicated() -> Iterator[Replicated]:
    binaries = _skip_unless_possible()
    folder = Path(tempfile.mkdtemp(prefix="cardflow-replica-"))
    shutil.chown(folder, "postgres", "postgres")
    primary = Cluster(binaries, folder / "primary", _free_port(), folder / "primary.log")
    replica = Cluster(binaries, folder / "replica", _free_port(), folder / "replica.log")
    engines: list[Engine] = []
    try:
        primary.run("initdb", "-D", str(primary.folder), "-A", "trust", "-U", "postgres", "-N")
        primary.configure(
            f"port = {primary.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{folder}'\nwal_level = replica\n"
            "max_wal_senders = 4\nfsync = off\n"
        )
        with (primary.folder / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        primary.start()
        primary.run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(replica.folder), "-R", "-X", "stream", "-c", "fast", "-N"),
        )
        replica.configure(f"port = {replica.port}\nhot_standby = on\n")
        replica.start()
        engines = [create_engine(primary.url()), create_engine(replica.url())]
        yield Replicated(primary, replica, *engines)
    finally:
        for engine in engines:
            engine.dispose()
        replica.stop()
        primary.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _make_reader(admin: Engine) -> None:
    """A login role that may only read what search, history and the feed read."""
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {READER} LOGIN"))
        conn.execute(text(f"GRANT SELECT ON {', '.join(READER_TABLES)} TO {READER}"))


def test_reads_are_served_from_the_replica(replicated):
    primary_url = replicated.primary.url()
    with runtime_for_command(primary_url):
        pass  # the schema made and the keys bound, as `cardflow init` does
    _make_reader(replicated.primary_admin)
    replicated.caught_up()
    read_url = replicated.replica.url(READER)
    with runtime_for_command(primary_url, read_url=read_url) as runtime:
        _, token = runtime.keys.create("supervisor-desk", Role.ADMIN)
        app = create_app(runtime.service, runtime.keys, runtime.audit, reader=runtime.reader)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            first = [apply_card(client), apply_card(client)]
            replicated.caught_up()
            replicated.replay(paused=True)
            later = apply_card(client)  # written on the primary, not replayed yet
            review_card(client, first[0])
            tip = runtime.ledger.tip().size

            search = client.get("/v1/cards", params={"limit": 100})
            assert search.status_code == 200, search.text
            assert search.headers["x-cardflow-read-from"] == "replica"
            lagging = int(search.headers["x-cardflow-read-size"])
            assert lagging == 2 < tip
            assert {c["card_id"]: c["state"] for c in search.json()["cards"]} == dict.fromkeys(
                first, "applied"
            )
            feed = client.get("/v1/ledger/entries", params={"limit": 1000})
            assert feed.headers["x-cardflow-read-from"] == "replica"
            assert [e["seq"] for e in feed.json()["entries"]] == [1, 2]
            unseen = client.get(f"/v1/cards/{later}/history")
            assert (unseen.status_code, unseen.headers["x-cardflow-read-from"]) == (404, "replica")
            proved = client.get(f"/v1/cards/{later}/history", params={"proofs": True})
            assert proved.status_code == 200, proved.text
            assert proved.headers["x-cardflow-read-from"] == "primary"
            assert client.get(f"/v1/cards/{later}").status_code == 200  # read on the primary

            replicated.replay(paused=False)
            replicated.caught_up()
            search = client.get("/v1/cards", params={"limit": 100})
            assert search.headers["x-cardflow-read-size"] == str(tip)
            states = {c["card_id"]: c["state"] for c in search.json()["cards"]}
            assert states == {first[0]: "reviewed", first[1]: "applied", later: "applied"}
            history = client.get(f"/v1/cards/{later}/history")
            assert history.status_code == 200, history.text
            assert history.headers["x-cardflow-read-from"] == "replica"
            feed = client.get("/v1/ledger/entries", params={"after": 2})
            assert [e["seq"] for e in feed.json()["entries"]] == list(range(3, tip + 1))

    # Every write went to the primary: the replica never refused one, and would have said so.
    assert replicated.replica.errors() == []
    writer = create_engine(read_url)
    try:
        with pytest.raises(DBAPIError, match="read-only"), writer.begin() as conn:
            conn.execute(text("UPDATE ledger_tip SET size = size + 1"))
    finally:
        writer.dispose()
    assert any("read-only transaction" in line for line in replicated.replica.errors())
