"""``cardflow audit fsck``: the whole ledger checked, with the checkpoints a supervisor kept."""

from __future__ import annotations

import itertools
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest

from api.ledger.runs import SqlRuns
from ledger.note import Signer
from ledger.sql import SqlLedger
from tests.cli.helpers import cardflow, cardflow_process, command
from tests.contract.helpers import as_administrator, rewrite


@pytest.fixture
def demo_url(database_url) -> str:
    done = cardflow("demo", "--database-url", database_url)
    assert done.exit_code == 0, done.output
    return database_url


@pytest.fixture
def kept(demo_url, tmp_path) -> Path:
    """The checkpoint a supervisor printed and kept, over every entry of the demo."""
    note = cardflow("audit", "checkpoint", "--database-url", demo_url)
    assert note.exit_code == 0, note.output
    path = tmp_path / "kept.note"
    path.write_text(note.output)
    return path


def size_of(note: Path) -> int:
    return int(note.read_text().split("\n")[1])


def fsck(url: str, *more: str):
    return cardflow("audit", "fsck", "--database-url", url, *more)


def test_an_untouched_ledger(demo_url, kept, tmp_path):
    key = tmp_path / "trusted.key"
    key.write_text(cardflow("audit", "key").output)
    done = fsck(demo_url, "--checkpoint", str(kept), "--key", str(key))
    assert done.exit_code == 0, done.output
    assert f"ledger verified: {size_of(kept)} entries" in done.output
    assert "signed checkpoints checked: 1 (1 kept by you), signatures by cardflow/ledger+" in (
        done.output
    )


def test_an_edited_entry_is_named(demo_url, kept):
    as_administrator(demo_url, "UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 5")
    done = fsck(demo_url, "--checkpoint", str(kept))
    assert done.exit_code == 1
    assert "first bad sequence number 5" in done.output
    assert "entry 5 was altered: its contents do not match its hash" in done.output


def swappable(url: str) -> int:
    """The first entry that can trade places with the next: other card, other person."""
    ledger = SqlLedger(url)
    try:
        entries = list(ledger.scan())
    finally:
        ledger.dispose()
    return next(
        a.seq
        for a, b in itertools.pairwise(entries)
        if a.card_id != b.card_id and a.subject != b.subject
    )


def test_a_rewrite_only_the_kept_checkpoint_sees(demo_url, kept):
    """Two entries swapped and everything recomputed: the database agrees with itself,
    and only the checkpoint kept outside it tells."""
    size, seq = size_of(kept), swappable(demo_url)
    rewrite(demo_url, [*range(1, seq), seq + 1, seq, *range(seq + 2, size + 1)])
    assert fsck(demo_url).exit_code == 0
    done = fsck(demo_url, "--checkpoint", str(kept))
    assert done.exit_code == 1
    assert (
        f"the checkpoint held for {size} entries signed a root the first {size} entries do not have"
    ) in done.output
    assert (
        f"entries were rewritten: the first entry that differs lies between 1 and {size} "
        f"from what the checkpoint held for {size} entries signed"
    ) in done.output


def test_a_truncated_tail(demo_url, kept):
    size = size_of(kept)
    rewrite(demo_url, range(1, size - 2))
    done = fsck(demo_url, "--checkpoint", str(kept))
    assert done.exit_code == 1
    assert f"first bad sequence number {size - 2}" in done.output
    assert f"and the ledger holds {size - 3} entries: its tail was removed" in done.output
    assert (
        f"entries were removed: the ledger holds {size - 3} entries where the checkpoint "
        f"held for {size} entries signed a tree of {size}, cut from the end or removed from "
        f"the middle; the first entry that differs lies between 1 and {size - 2}"
    ) in done.output


def test_an_entry_edited_in_place_is_named_by_the_stored_tree(demo_url: str, kept: Path) -> None:
    """The kept checkpoint and the stored tree it still agrees with name the entry."""
    size = size_of(kept)
    as_administrator(demo_url, "UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 9")
    done = fsck(demo_url, "--checkpoint", str(kept))
    assert done.exit_code == 1
    assert (
        "entries were rewritten: the first entry that differs is 9 from what the checkpoint "
        f"held for {size} entries signed"
    ) in done.output


def test_a_checkpoint_signed_with_another_key(demo_url, kept, tmp_path):
    forged = tmp_path / "forged.note"
    text = kept.read_text().split("\n\n")[0] + "\n"
    forged.write_text(Signer.generate("cardflow/ledger").sign(text))
    done = fsck(demo_url, "--checkpoint", str(forged))
    assert done.exit_code == 2
    assert f"cannot check: checkpoint {forged}: the note carries no signature of" in done.output


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--key", "not-a-key", "cannot check: a verifier key is name+id+key"),
        ("--checkpoint", "/no/such/file", "cannot check: checkpoint /no/such/file:"),
    ],
    ids=["bad-key", "missing-checkpoint"],
)
def test_unusable_input(demo_url, option, value, says):
    done = fsck(demo_url, option, value)
    assert done.exit_code == 2
    assert says in done.output


def test_no_key_is_made_where_there_is_none(demo_url, tmp_path):
    """An auditor's machine holds no signer key: fsck checks with the log keys the
    database is bound to, or with the one they trust, and never makes a key."""
    missing = tmp_path / "no.key"
    away = {"CARDFLOW_LOG_KEY_FILE": str(missing), "CARDFLOW_PERSON_KEY_FILE": str(missing)}
    done = cardflow_process("audit", "fsck", "--database-url", demo_url, env=away)
    assert done.returncode == 0, done.stderr
    bound = cardflow("audit", "key").output.strip()
    assert f"signatures by {bound}" in done.stdout
    key = tmp_path / "trusted.key"
    key.write_text(bound)
    done = cardflow_process(
        "audit", "fsck", "--database-url", demo_url, "--key", str(key), env=away
    )
    assert done.returncode == 0, done.stderr
    assert not missing.exists()


def test_a_key_the_database_was_not_signed_with_fails(demo_url):
    assert cardflow("audit", "checkpoint", "--database-url", demo_url).exit_code == 0
    stranger = Signer.generate("cardflow/ledger").verifier()
    done = fsck(demo_url, "--key", str(stranger))
    assert done.exit_code == 1
    assert "the note carries no signature of" in done.output
    assert "first bad sequence number" not in done.output  # no entry is bad: none named


def test_no_database_is_made_where_there_is_none(tmp_path):
    nowhere = tmp_path / "nowhere.db"
    done = fsck(f"sqlite:///{nowhere}")
    assert done.exit_code == 2
    assert f"cannot check: there is no database at {nowhere}" in done.output
    assert not nowhere.exists()


def test_a_progress_bar_on_a_terminal(sqlite_url):
    assert cardflow("demo", "--database-url", sqlite_url).exit_code == 0
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            command("audit", "fsck", "--database-url", sqlite_url),
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
            check=False,
        )
        os.close(terminal)
        drawn = _read_all(controller)
    finally:
        os.close(controller)
    assert done.returncode == 0, drawn
    assert re.search(r"checking entries\s+\[#+\]\s+100%", drawn), drawn
    assert b"ledger verified" in done.stdout


def test_no_progress_bar_when_not_a_terminal(sqlite_url):
    assert cardflow("demo", "--database-url", sqlite_url).exit_code == 0
    done = cardflow_process("audit", "fsck", "--database-url", sqlite_url)
    assert done.returncode == 0, done.stderr
    assert "checking entries" not in done.stderr


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal's other end is closed: all was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_a_check_kept_with_record_is_the_last_check(demo_url, kept):
    engine = SqlLedger(demo_url)
    try:
        runs = SqlRuns(engine.engine)
        assert fsck(demo_url).exit_code == 0
        assert runs.last_finished() is None  # without --record, nothing is written
        assert fsck(demo_url, "--record").exit_code == 0
        clean = runs.last_finished()
        assert clean is not None
        assert clean.report is not None
        assert (clean.report.ok, clean.report.entries) == (True, size_of(kept))
        as_administrator(demo_url, "UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 5")
        assert fsck(demo_url, "--record").exit_code == 1
        bad = runs.last_finished()
        assert bad is not None
        assert bad.report is not None
        assert (bad.report.ok, bad.report.first_bad_seq) == (False, 5)
        assert bad.started_at >= clean.started_at
    finally:
        engine.dispose()
