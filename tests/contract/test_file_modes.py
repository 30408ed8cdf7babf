"""A SQLite ledger's files -- the database, its WAL and its shared memory -- are its
owner's alone: they hold names and ID numbers."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.sql import SqlLedger
from tests.cli.helpers import cardflow
from tests.contract.helpers import open_card
from workflow.service import CardService

SUFFIXES = ("", "-wal", "-shm")


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The umask many systems start with: files world-readable unless made otherwise."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def modes(database: Path) -> dict[str, int]:
    return {
        suffix: stat.S_IMODE(Path(f"{database}{suffix}").stat().st_mode)
        for suffix in SUFFIXES
        if Path(f"{database}{suffix}").exists()
    }


@pytest.mark.usefixtures("lax_umask")
class TestOwnerOnly:
    """Each file SQLite writes for the ledger is created 0600, whatever the umask."""

    def test_after_writes(self, tmp_path):
        database = tmp_path / "deep" / "cardflow.db"
        store = SqlLedger(f"sqlite:///{database}")
        store.create_schema()
        try:
            open_card(CardService(store))
            assert set(modes(database)) == set(SUFFIXES)  # the WAL is open while we look
            assert modes(database) == dict.fromkeys(SUFFIXES, 0o600)
        finally:
            store.dispose()

    def test_through_the_command(self, tmp_path):
        database = tmp_path / "demo.db"
        result = cardflow("demo", "--database-url", f"sqlite:///{database}")
        assert result.exit_code == 0, result.output
        assert modes(database)
        assert set(modes(database).values()) == {0o600}

    def test_an_existing_file_keeps_its_mode(self, tmp_path):
        """A file an operator made (and chose the mode of) is opened as it is."""
        database = tmp_path / "chosen.db"
        database.touch(mode=0o640)
        database.chmod(0o640)
        store = SqlLedger(f"sqlite:///{database}")
        store.create_schema()
        try:
            open_card(CardService(store))
            assert modes(database) == dict.fromkeys(SUFFIXES, 0o640)
        finally:
            store.dispose()
