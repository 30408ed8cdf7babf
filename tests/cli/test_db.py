"""``cardflow db upgrade`` and ``cardflow db current``, and every command's refusal of a
schema it does not know or that is behind its head, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.cli.helpers import cardflow, cardflow_process, cardflows_at_once
from tests.contract.helpers import run
from tests.migrations import restore_schema7


def test_empty_then_upgrade_then_current_is_the_head(database_url):
    if database_url.startswith("sqlite"):  # an empty file: current makes none
        Path(make_url(database_url).database or "").touch()
    before = cardflow("db", "current", "--database-url", database_url)
    assert before.exit_code == 1
    assert "no revision: the database holds no cardflow schema" in before.output
    done = cardflow("db", "upgrade", "--database-url", database_url)
    assert done.exit_code == 0, done.output
    assert "created the cardflow schema on " in done.output
    assert "at revision 0002 (head)" in done.output
    now = cardflow("db", "current", "--database-url", database_url)
    assert (now.exit_code, now.output) == (0, "0002 (head)\n")
    again = cardflow("db", "upgrade", "--database-url", database_url)
    assert again.exit_code == 0
    assert "is at revision 0002 (head): nothing to upgrade" in again.output


def test_a_ledger_from_before_migrations_upgrades_then_verifies(database_url):
    url = restore_schema7(database_url)
    current = cardflow("db", "current", "--database-url", url)
    assert current.exit_code == 1
    assert "no revision: the database's cardflow schema was made before" in current.output
    refused = cardflow_process("verify", "--database-url", url)
    assert refused.returncode == 2
    assert "run `cardflow db upgrade` as the database's owner" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = cardflow("db", "upgrade", "--database-url", url)
    assert done.exit_code == 0, done.output
    assert "as the one cardflow made before migrations, and stamped it at revision 0001" in (
        done.output
    )
    assert cardflow("db", "current", "--database-url", url).output == "0002 (head)\n"
    verified = cardflow("verify", "--database-url", url)
    assert verified.exit_code == 0, verified.output
    assert "ledger verified: 11 entries, 3 cards, every hash, link and tree node intact" in (
        verified.output
    )


@pytest.mark.parametrize("command", [("sweep",), ("verify",), ("history", "any-card")])
def test_an_unknown_revision_is_refused_with_what_to_run(database_url, command):
    assert cardflow("db", "upgrade", "--database-url", database_url).exit_code == 0
    run(database_url, "UPDATE alembic_version SET version_num = 'f00d'")
    done = cardflow_process(*command, "--database-url", database_url)
    assert done.returncode == 2
    assert (
        "cardflow: the database's cardflow schema is at revision f00d, which this cardflow "
        "does not know (its newest is 0002)"
    ) in done.stderr
    assert "Traceback" not in done.stderr
    current = cardflow("db", "current", "--database-url", database_url)
    assert current.exit_code == 1
    assert current.output.startswith("f00d: ")
    upgrade = cardflow_process("db", "upgrade", "--database-url", database_url)
    assert upgrade.returncode == 2
    assert "revision f00d, which this cardflow does not know" in upgrade.stderr


def test_serve_refuses_a_schema_behind_or_unknown_before_it_listens(tmp_path):
    url = restore_schema7(f"sqlite:///{tmp_path / 'old.db'}")
    done = cardflow_process("serve", "--port", "1", "--database-url", url)
    assert done.returncode == 2
    assert "made before cardflow kept it by migrations: run `cardflow db upgrade`" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_is_not_made_by_current(tmp_path):
    missing = tmp_path / "none.db"
    done = cardflow_process("db", "current", "--database-url", f"sqlite:///{missing}")
    assert done.returncode == 2
    assert "there is no database at" in done.stderr
    assert not missing.exists()


def test_the_quick_start_still_makes_its_database(tmp_path):
    made = cardflow_process("demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    done = cardflow_process("db", "current", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "0002 (head)\n")


def test_several_processes_upgrade_one_new_database_at_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    said = cardflows_at_once(4, "db", "upgrade", "--database-url", url)
    assert [code for code, _, _ in said] == [0, 0, 0, 0], said
    created = [out for _, out, _ in said if out.startswith("created the cardflow schema")]
    assert len(created) == 1, said
    assert cardflow("db", "current", "--database-url", url).output == "0002 (head)\n"
