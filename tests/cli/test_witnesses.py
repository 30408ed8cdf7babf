"""Two witnesses on loopback and a cardflow database: checkpoints cosigned; a log
rewritten under its own (stolen) key refused by both; a deleted checkpoint caught by
fsck; a witness down never in the way of an append."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import log_signer, runtime_for_command
from api.keys import MemoryKeys
from ledger.cosignature import Cosigner, cosignatures
from ledger.note import Checkpoint, open_note
from tests.cli.helpers import cardflow
from tests.contract.helpers import as_administrator, open_card, rewrite
from witness.core import Witness
from witness.http import create_witness_app
from witness.store import WitnessStore
from workflow.states import Role


@dataclass
class Served:
    """A witness served on a loopback port of its own, in a thread."""

    cosigner: Cosigner
    url: str
    server: uvicorn.Server
    thread: threading.Thread
    store: WitnessStore

    @property
    def vkey(self) -> str:
        return str(self.cosigner.key())

    @property
    def setting(self) -> str:
        return f"{self.url}={self.vkey}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.store.dispose()


def serve_witness(name: str, folder: Path) -> Served:
    cosigner = Cosigner.generate(name)
    store = WitnessStore(str(folder / f"{name.replace('/', '_')}.sqlite"))
    app = create_witness_app(Witness(cosigner, [log_signer().verifier()], store))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "the witness did not start"
    return Served(cosigner, f"http://127.0.0.1:{port}", server, thread, store)


def closed_port_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def witnesses(tmp_path) -> Iterator[list[Served]]:
    served = [serve_witness(f"office{i}.example/w", tmp_path) for i in (1, 2)]
    yield served
    for witness in served:
        witness.stop()


@pytest.fixture
def url(sqlite_url, witnesses, monkeypatch) -> str:
    """A cardflow database with two cards, told of both witnesses."""
    monkeypatch.setenv("CARDFLOW_WITNESSES", " ".join(w.setting for w in witnesses))
    with runtime_for_command(sqlite_url, first_run=True) as runtime:
        open_card(runtime.service)
        open_card(runtime.service)
    return sqlite_url


def witness_now(url: str):
    return cardflow("audit", "witness", "--database-url", url)


def told(done) -> str:
    """What a command printed for its reader, its log lines (JSON) left out."""
    return "".join(line for line in done.output.splitlines(True) if not line.startswith("{"))


def checkpoint_json(url: str) -> dict[str, object]:
    structlog.reset_defaults()  # a command run in this process logged to its own output
    with runtime_for_command(url, existing=True) as runtime:
        keys = MemoryKeys()
        _, token = keys.create("tests", Role.ADMIN, None, None)
        app = create_app(runtime.service, keys, runtime.audit)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            note = client.get("/v1/ledger/checkpoint").text
            body: dict[str, object] = client.get(
                "/v1/ledger/checkpoint", headers={"Accept": "application/json"}
            ).json()
    assert body["note"] == note
    return body


def card_of(url: str) -> str:
    with runtime_for_command(url, existing=True) as runtime:
        return runtime.service.feed(after=0, limit=1)[0].card_id


def bundle_of(url: str, folder: Path, name: str) -> Path:
    done = cardflow("audit", "export", card_of(url), "--database-url", url)
    assert done.exit_code == 0, done.output
    path = folder / name
    path.write_text(done.stdout)
    return path


def verify_bundle(path: Path, witnesses: list[Served], quorum: int):
    given = [arg for w in witnesses for arg in ("--witness", w.vkey)]
    key = str(log_signer().verifier())
    return cardflow(
        "audit", "verify-bundle", str(path), "--key", key, *given, "--quorum", str(quorum)
    )


def copy_of(url: str, folder: Path) -> str:
    """A copy of the SQLite database at ``url`` (no connection is open to it)."""
    source = Path(url.removeprefix("sqlite:///"))
    target = folder / "copy.db"
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return f"sqlite:///{target}"


class TestCosigned:
    """Each witness cosigns the checkpoint, and the server and bundles carry it."""

    def test_both_witnesses_cosign(self, url, witnesses, tmp_path):
        done = witness_now(url)
        assert done.exit_code == 0, done.output
        assert done.output.count("cosigned (the checkpoint of 8 entries)") == 2
        body = checkpoint_json(url)
        assert body["size"] == 8
        assert body["witnesses"] == [
            {"name": w.cosigner.name, "key": w.vkey, "cosigned": True, "last_size": 8}
            for w in witnesses
        ]
        note = str(body["note"])
        assert Checkpoint.parse(open_note(note, log_signer().verifier())).size == 8
        assert len(cosignatures(note, [w.cosigner.key() for w in witnesses])) == 2
        again = witness_now(url)
        assert again.exit_code == 0
        assert again.output.count("had cosigned the checkpoint of 8 entries") == 2
        bundle = bundle_of(url, tmp_path, "bundle.json")
        checked = verify_bundle(bundle, witnesses, 2)
        assert checked.exit_code == 0, checked.output
        assert "cosigned by at least 2 of 2 witnesses" in checked.output

    def test_a_grown_ledger_is_cosigned_from_the_size_last_cosigned(self, url, witnesses):
        assert witness_now(url).exit_code == 0
        with runtime_for_command(url, existing=True) as runtime:
            open_card(runtime.service)
            runtime.audit.checkpoint()  # not due yet: the cadence waits
        grown = cardflow("audit", "witness", "--database-url", url)
        assert grown.exit_code == 0, grown.output
        done = fsck(url, *(arg for w in witnesses for arg in ("--witness", w.url)))
        assert done.exit_code == 0, done.output
        assert "the latest of 2 witness(es) held" in done.output


def fsck(url: str, *more: str):
    return cardflow("audit", "fsck", "--database-url", url, *more)


class TestARewrittenLog:
    """A copy of the database rewritten and re-signed with the log's own key: every
    hash agrees, and no witness cosigns it."""

    def test_refused_by_both_and_its_bundle_has_no_quorum(self, url, witnesses, tmp_path):
        assert witness_now(url).exit_code == 0
        stolen = copy_of(url, tmp_path)
        rewrite(stolen, [1, 2, 3, 5, 4, 6, 7, 8])  # two entries of two cards swapped
        with runtime_for_command(stolen, existing=True) as runtime:
            open_card(runtime.service)
        done = witness_now(stolen)
        assert done.exit_code == 1, done.output
        assert told(done).count("refused (422)") == 2, done.output
        body = checkpoint_json(stolen)
        assert [w["cosigned"] for w in body["witnesses"]] == [False, False]  # type: ignore[index, union-attr]
        bundle = bundle_of(stolen, tmp_path, "rewritten.json")
        checked = verify_bundle(bundle, witnesses, 1)
        assert checked.exit_code == 1
        assert "is cosigned by 0 of the 2 witnesses, fewer than the quorum of 1" in (checked.output)
        assert verify_bundle(bundle, witnesses, 0).exit_code == 0  # the log's key alone: fooled

    def test_a_rewrite_of_one_size_is_refused_too(self, url, witnesses, tmp_path):
        assert witness_now(url).exit_code == 0
        stolen = copy_of(url, tmp_path)
        rewrite(stolen, [1, 2, 3, 5, 4, 6, 7, 8])
        done = witness_now(stolen)
        assert done.exit_code == 1
        assert told(done).count("refused (409)") == 2, done.output
        assert [w["cosigned"] for w in checkpoint_json(stolen)["witnesses"]] == [False, False]  # type: ignore[index, union-attr]
        bundle = bundle_of(stolen, tmp_path, "rewritten.json")
        checked = verify_bundle(bundle, witnesses, 1)
        assert checked.exit_code == 1
        assert "is cosigned by 0 of the 2 witnesses" in checked.output


class TestADeletedCheckpoint:
    """The latest checkpoint deleted from the database: the witnesses still hold it."""

    def test_caught_by_fsck_with_a_witness(self, url, witnesses):
        assert witness_now(url).exit_code == 0
        as_administrator(url, "DELETE FROM ledger_checkpoints WHERE size = 8")
        assert fsck(url).exit_code == 0  # the database agrees with itself
        done = fsck(url, "--witness", witnesses[0].url)
        assert done.exit_code == 1, done.output
        assert (
            f"witness {witnesses[0].url} cosigned checkpoint 8, which the ledger does not "
            "store: a signed checkpoint was deleted"
        ) in done.output

    def test_entries_removed_with_it_are_caught(self, url, witnesses):
        assert witness_now(url).exit_code == 0
        as_administrator(
            url,
            "DELETE FROM ledger_checkpoints WHERE size = 8",
            "DELETE FROM ledger_entries WHERE seq > 4",
            "DELETE FROM ledger_tree WHERE idx * (1 << level) >= 4",
        )
        done = fsck(url, "--witness", witnesses[1].url)
        assert done.exit_code == 1
        assert "its tail was removed" in done.output
        assert "cosigned checkpoint 8, which the ledger does not store" in done.output


class TestAWitnessDown:
    """A witness that does not answer is told, and nothing waits for it."""

    def test_appends_go_on_and_the_route_says_it_has_not_cosigned(
        self, sqlite_url, witnesses, monkeypatch
    ):
        down = closed_port_url()
        setting = f"{down}={Cosigner.generate('down.example/w').key()} {witnesses[0].setting}"
        monkeypatch.setenv("CARDFLOW_WITNESSES", setting)
        with runtime_for_command(sqlite_url, first_run=True) as runtime:
            open_card(runtime.service)
            runtime.audit.checkpoint()
            outcomes = runtime.audit.witness()
            open_card(runtime.service)  # appends go on, the witness still down
            assert runtime.ledger.tip().size == 8
        assert [o.cosigned for o in outcomes] == [False, True]
        assert outcomes[0].said.startswith("unreachable")
        body = checkpoint_json(sqlite_url)
        assert [(w["cosigned"], w["last_size"]) for w in body["witnesses"]] == [  # type: ignore[index, union-attr]
            (False, None),
            (True, 4),
        ]
        done = witness_now(sqlite_url)
        assert done.exit_code == 1
        assert "down.example/w: unreachable" in done.output


def test_the_bundle_keeps_the_format(url, tmp_path):
    """A bundle with cosignatures is still a bundle of the same format."""
    assert witness_now(url).exit_code == 0
    document = json.loads(bundle_of(url, tmp_path, "b.json").read_text())
    assert document["format"] == "cardflow.audit-bundle/2"
    assert document["checkpoint"].count("\u2014 ") == 3


class TestWitnessInit:
    """``cardflow witness init`` makes the witness's key for its owner only, once."""

    def test_makes_the_key_and_prints_its_public_half(self, tmp_path):
        key_file = tmp_path / "w.key"
        done = cardflow(
            "witness", "init", "--key-file", str(key_file), "--name", "office.example/w1"
        )
        assert done.exit_code == 0, done.output
        cosigner = Cosigner.parse(key_file.read_text())
        assert done.output == f"{cosigner.key()}\n"
        assert key_file.stat().st_mode & 0o777 == 0o600
        shown = cardflow("witness", "key", "--key-file", str(key_file))
        assert shown.output == done.output

    def test_never_replaces_a_key(self, tmp_path):
        key_file = tmp_path / "w.key"
        key_file.write_text("kept\n")
        done = cardflow("witness", "init", "--key-file", str(key_file), "--name", "w")
        assert done.exit_code == 2
        assert "cannot make" in done.output
        assert key_file.read_text() == "kept\n"

    def test_a_bad_name_is_told(self, tmp_path):
        done = cardflow("witness", "init", "--key-file", str(tmp_path / "k"), "--name", "a b")
        assert done.exit_code == 2
        assert "--name: a key name is non-empty, with no spaces and no +" in done.output
