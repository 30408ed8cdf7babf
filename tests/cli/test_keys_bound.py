"""Keys bound to the database: only ``init`` (or the first ``demo``/``serve`` on a new
embedded database) makes a key, the database records the keys of its owner's first use,
a process with other keys refuses to start saying which key and where it came from, and
the log key rotates with the old checkpoints and bundles still verifying."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from api.config import runtime_for_command
from ledger.binding import person_check
from ledger.memory import MemoryLedger
from ledger.note import Signer
from ledger.sql import SqlLedger
from tests.cli.helpers import cardflow, cardflow_process
from tests.cli.test_writer_role import role as role  # the fixture
from tests.contract.helpers import open_card

READ_ONLY = [
    ("verify",),
    ("history", "no-such-card"),
    ("audit", "key"),
    ("audit", "key", "--bound"),
    ("audit", "fsck"),
    ("audit", "export", "no-such-card"),
    ("audit", "checkpoint"),
    ("keys", "list"),
    ("sweep",),
]


def keys_in(folder: Path) -> dict[str, str]:
    """Environment naming key files in ``folder`` (which may not exist yet)."""
    return {
        "CARDFLOW_PERSON_KEY_FILE": str(folder / "cardflow.person-key"),
        "CARDFLOW_LOG_KEY_FILE": str(folder / "cardflow.log-key"),
    }


def other_keys(folder: Path, *, person: bool = True, log: bool = True) -> dict[str, str]:
    """Key files in ``folder``: new ones where asked, else copies of the tests' own."""
    folder.mkdir(exist_ok=True)
    env = keys_in(folder)
    ours = Path(os.environ["CARDFLOW_PERSON_KEY_FILE"])
    person_text = secrets.token_hex(32) + "\n" if person else ours.read_text()
    log_text = (
        f"{Signer.generate('cardflow/ledger')}\n" if log else ours.with_name("log-key").read_text()
    )
    Path(env["CARDFLOW_PERSON_KEY_FILE"]).write_text(person_text)
    Path(env["CARDFLOW_LOG_KEY_FILE"]).write_text(log_text)
    return env


@pytest.fixture
def demo_url(database_url) -> str:
    done = cardflow("demo", "--database-url", database_url)
    assert done.exit_code == 0, done.output
    return database_url


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda args: " ".join(args))
def test_no_command_but_init_makes_a_key(demo_url, tmp_path, args):
    """Run where there are no keys, a command reads or refuses; it never makes one."""
    away = tmp_path / "elsewhere"
    away.mkdir()
    done = cardflow_process(*args, "--database-url", demo_url, env=keys_in(away), cwd=away)
    assert "Traceback" not in done.stderr
    assert list(away.iterdir()) == []


def test_demo_makes_keys_only_on_a_new_embedded_database(tmp_path, postgres_url):
    here = tmp_path / "here"
    here.mkdir()
    done = cardflow_process("demo", "--database-url", postgres_url, env=keys_in(here), cwd=here)
    assert done.returncode == 2
    assert "there is no key at" in done.stderr
    assert list(here.iterdir()) == []
    embedded = f"sqlite:///{tmp_path / 'new.db'}"
    done = cardflow_process("demo", "--database-url", embedded, env=keys_in(here), cwd=here)
    assert done.returncode == 0, done.stderr
    made = {path.name: path.stat().st_mode & 0o777 for path in here.iterdir()}
    assert made == {"cardflow.person-key": 0o600, "cardflow.log-key": 0o600}


@pytest.mark.parametrize("which", ["person", "log"])
def test_a_process_with_other_keys_refuses_to_start(demo_url, tmp_path, which):
    """Two folders, one database: the second folder's keys are refused by every command
    that would write or sign, with the key and its file named, and nothing is written."""
    env = other_keys(tmp_path / "second", person=which == "person", log=which == "log")
    ledger = SqlLedger(demo_url)
    before = ledger.tip()
    for args in (("sweep",), ("audit", "checkpoint"), ("keys", "list"), ("serve", "--port", "1")):
        done = cardflow_process(*args, "--database-url", demo_url, env=env)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        file = env[f"CARDFLOW_{which.upper()}_KEY_FILE"]
        assert f"the {which} key" in done.stderr
        assert f"{file} (named by $CARDFLOW_{which.upper()}_KEY_FILE)" in done.stderr
        assert "Traceback" not in done.stderr
    assert ledger.tip() == before
    ledger.dispose()


def test_a_second_person_key_cannot_open_a_second_live_card(database_url, tmp_path, monkeypatch):
    """What two folders did before: the same ID number opened two live cards."""
    with runtime_for_command(database_url) as runtime:
        open_card(runtime.service)
    env = other_keys(tmp_path / "second", log=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(Exception, match="the person key from"):
        runtime_for_command(database_url).__enter__()


def test_init_binds_once_and_makes_no_key_for_a_bound_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = tmp_path / "first"
    first.mkdir()
    done = cardflow_process("init", "--database-url", url, env=keys_in(first))
    assert done.returncode == 0, done.stderr
    assert "made " in done.stdout
    assert "bound sqlite:///" in done.stdout
    again = cardflow_process("init", "--database-url", url, env=keys_in(first))
    assert again.returncode == 0, again.stderr
    assert "already bound" in again.stdout
    assert "made " not in again.stdout
    second = tmp_path / "second"
    second.mkdir()
    done = cardflow_process("init", "--database-url", url, env=keys_in(second))
    assert done.returncode == 2
    assert "there is no key at" in done.stderr
    assert list(second.iterdir()) == []
    env = other_keys(tmp_path / "third")
    done = cardflow_process("init", "--database-url", url, env=env)
    assert done.returncode == 2
    assert "is not the key this database's person references were made with" in done.stderr


def test_the_writer_role_cannot_bind_keys(postgres_url, role):
    """The owner binds; a writer started on a database bound to no key is told so."""
    assert cardflow("grant-writer", role, "--database-url", postgres_url).exit_code == 0
    writer_url = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    done = cardflow_process("sweep", "--database-url", writer_url)
    assert done.returncode == 2
    assert "this role may not bind them: its owner runs `cardflow init`" in done.stderr
    assert cardflow("init", "--database-url", postgres_url).exit_code == 0
    assert cardflow_process("sweep", "--database-url", writer_url).returncode == 0


def test_the_log_key_rotates_and_old_signatures_still_verify(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert cardflow("demo", "--database-url", url).exit_code == 0
    old_key = cardflow("audit", "key").output.strip()
    card = _a_card(url)
    old_bundle = tmp_path / "old.json"
    old_bundle.write_text(cardflow("audit", "export", card, "--database-url", url).output)

    new_file = tmp_path / "new.key"
    done = cardflow("audit", "rotate-key", "--new-key-file", str(new_file), "--database-url", url)
    assert done.exit_code == 0, done.output
    assert new_file.stat().st_mode & 0o777 == 0o600
    new_key = str(Signer.parse(new_file.read_text()).verifier())
    assert f"new key: {new_key}" in done.output

    stale = cardflow_process("sweep", "--database-url", url)
    assert stale.returncode == 2
    assert "was rotated out of this database" in stale.stderr

    with_new = {"CARDFLOW_LOG_KEY_FILE": str(new_file)}
    assert cardflow_process("demo", "--database-url", url, env=with_new).returncode == 0
    checkpoint = cardflow_process("audit", "checkpoint", "--database-url", url, env=with_new)
    assert checkpoint.returncode == 0, checkpoint.stderr
    new_bundle = tmp_path / "new.json"
    new_bundle.write_text(
        cardflow_process(
            "audit", "export", _a_card(url, last=True), "--database-url", url, env=with_new
        ).stdout
    )

    bound = cardflow("audit", "key", "--bound", "--database-url", url).output
    assert f"{old_key}  signed trees of 0 to" in bound
    assert f"{new_key}  signs trees of" in bound
    assert cardflow("verify", "--database-url", url).exit_code == 0
    assert cardflow("audit", "fsck", "--database-url", url).exit_code == 0
    both = cardflow("audit", "fsck", "--database-url", url, "--key", old_key, "--key", new_key)
    assert both.exit_code == 0, both.output
    only_new = cardflow("audit", "fsck", "--database-url", url, "--key", new_key)
    assert only_new.exit_code == 1
    assert cardflow("audit", "verify-bundle", str(old_bundle), "--key", old_key).exit_code == 0
    assert cardflow("audit", "verify-bundle", str(new_bundle), "--key", new_key).exit_code == 0
    assert cardflow("audit", "verify-bundle", str(new_bundle), "--key", old_key).exit_code == 1


def test_a_checkpoint_is_signed_only_with_the_bound_key(service, audit):
    """Under the cache of a process that was started before a rotation, say."""
    from ledger.audit import Audit
    from ledger.binding import bind
    from ledger.errors import CheckpointRefused

    ledger = service.ledger
    if not isinstance(ledger, MemoryLedger):
        pytest.skip("one backend is enough for the signer's check")
    stranger = Signer.generate("cardflow.test/ledger")
    bind(ledger, log=stranger.verifier(), person=person_check(b"k" * 32), now=datetime.now(UTC))
    open_card(service)
    with pytest.raises(CheckpointRefused, match="is not the key the database is bound to"):
        audit.checkpoint()
    assert Audit(ledger, signer=stranger).checkpoint().size == ledger.tip().size


def _a_card(url: str, *, last: bool = False) -> str:
    """The card of the ledger's first entry, or of its last."""
    ledger = SqlLedger(url)
    try:
        entries = ledger.entries_after(ledger.tip().size - 1 if last else 0, 1)
        return entries[0].card_id
    finally:
        ledger.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ("verify",),
        ("history", "no-such-card"),
        ("audit", "fsck"),
        ("audit", "export", "no-such-card"),
        ("audit", "checkpoint"),
        ("audit", "key", "--bound"),
        ("audit", "rotate-key", "--new-key-file", "new.key"),
        ("keys", "list"),
        ("keys", "revoke", "no-such-key"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_command_that_reads_makes_no_database(tmp_path, args):
    nowhere = tmp_path / "nowhere.db"
    done = cardflow_process(*args, "--database-url", f"sqlite:///{nowhere}", cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    assert f"there is no database at {nowhere}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not nowhere.exists()
    assert not (tmp_path / "new.key").exists()
