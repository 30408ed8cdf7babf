"""The PostgreSQL writer role: cardflow runs with INSERT and SELECT on its ledger, and
the database refuses that role every way of changing what was written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from api.config import runtime_for_command
from api.maintenance import upgrade_schema
from ledger.errors import SchemaMismatch
from ledger.sql import WRITER_PRIVILEGES, migrate
from tests.cli.helpers import cardflow, cardflow_process
from tests.conftest import POSTGRES_URL
from tests.contract.helpers import ACTIVATE, CLERK, drop_triggers, open_card
from tests.migrations import with_second_revision
from workflow.service import Step


@pytest.fixture
def role(postgres_url) -> Iterator[str]:
    """A login role of its own, holding nothing yet."""
    name = f"cardflow_writer_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
    yield name
    with admin.begin() as conn:
        conn.execute(text(f'DROP OWNED BY "{name}"'))
        conn.execute(text(f'DROP ROLE "{name}"'))
    admin.dispose()


@pytest.fixture
def writer_url(postgres_url, role) -> str:
    """The owner has made the schema, bound it to the keys and granted ``role``; cardflow
    connects as ``role``."""
    assert cardflow("init", "--database-url", postgres_url).exit_code == 0
    granted = cardflow("grant-writer", role, "--database-url", postgres_url)
    assert granted.exit_code == 0, granted.output
    return make_url(postgres_url).set(username=role).render_as_string(hide_password=False)


def as_writer(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_the_statements(postgres_url, role):
    printed = cardflow("grant-writer", role, "--database-url", postgres_url, "--print")
    assert printed.exit_code == 0, printed.output
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []  # printing creates nothing
    engine.dispose()
    lines = printed.output.splitlines()
    assert lines[0].startswith("REVOKE ALL ON ")
    grants = {line.split(" ON ")[1].split(" TO ")[0].split(".")[-1]: line for line in lines[2:]}
    for table in ("ledger_entries", "ledger_tree", "ledger_checkpoints"):
        assert grants[table].startswith("GRANT SELECT, INSERT ON ")
    assert set(grants) == {*WRITER_PRIVILEGES, "api_keys"}
    assert grants["api_keys"].startswith("GRANT SELECT ON ")


def test_cardflow_runs_as_the_writer(writer_url):
    with runtime_for_command(writer_url) as runtime:
        service = runtime.service
        card = open_card(service)
        event, channel, evidence = ACTIVATE
        service.transition(card, Step(event, channel, CLERK, evidence=evidence))
        runtime.audit.checkpoint()
        service.sweep()
        report = runtime.audit.verify()
        assert report.ok, report.problems
        assert report.checkpoints == 1
    assert cardflow("verify", "--database-url", writer_url).exit_code == 0
    assert cardflow("audit", "fsck", "--database-url", writer_url).exit_code == 0
    assert cardflow("keys", "list", "--database-url", writer_url).exit_code == 0


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 1", "permission denied"),
        ("DELETE FROM ledger_entries", "permission denied"),
        ("TRUNCATE ledger_entries", "permission denied"),
        ("UPDATE ledger_tree SET hash = hash", "permission denied"),
        ("DELETE FROM ledger_checkpoints", "permission denied"),
        ("ALTER TABLE ledger_entries DISABLE TRIGGER ALL", "must be owner"),
        ("DROP TRIGGER ledger_entries_no_change ON ledger_entries", "must be owner"),
        ("DROP TABLE ledger_entries", "must be owner"),
        ("SET session_replication_role = replica", "permission denied"),
        ("UPDATE api_keys SET revoked_at = NULL", "permission denied"),
    ],
    ids=[
        "update",
        "delete",
        "truncate",
        "tree",
        "checkpoints",
        "disable-triggers",
        "drop-trigger",
        "drop-table",
        "replica-role",
        "keys",
    ],
)
def test_the_writer_cannot_change_what_was_written(writer_url, statement, refusal):
    with runtime_for_command(writer_url) as runtime:
        open_card(runtime.service)
        runtime.audit.checkpoint()
    with pytest.raises(DBAPIError, match=refusal):
        as_writer(writer_url, statement)
    assert cardflow("verify", "--database-url", writer_url).exit_code == 0


def test_the_writer_refuses_to_run_without_the_triggers(postgres_url, writer_url):
    """An owner who drops the triggers leaves a schema the writer will not run on."""
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        drop_triggers(conn)
    engine.dispose()
    done = cardflow_process("sweep", "--database-url", writer_url)
    assert done.returncode == 2
    assert "append-only triggers" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_writer_opens_the_head_and_refuses_one_behind(writer_url, tmp_path, monkeypatch):
    """The writer may run no DDL: it opens a schema at the head as it is, and one behind
    the head is refused, naming the owner's command; nothing is changed."""
    with runtime_for_command(writer_url) as runtime:
        open_card(runtime.service)
    assert cardflow("db", "current", "--database-url", writer_url).output == "0002 (head)\n"
    try:
        with_second_revision(tmp_path, monkeypatch)
        with (
            pytest.raises(
                SchemaMismatch,
                match="behind this cardflow's 0003: run `cardflow db upgrade` as the "
                "database's owner",
            ),
            runtime_for_command(writer_url),
        ):
            pass
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
            upgrade_schema(writer_url)
        assert cardflow("db", "current", "--database-url", writer_url).exit_code == 1
    finally:
        migrate.scripts.cache_clear()


def test_the_writer_makes_no_keys(writer_url):
    done = cardflow_process(
        "keys", "create", "--name", "icbc-0231", "--role", "clerk", "--database-url", writer_url
    )
    assert done.returncode == 2
    assert "cardflow: the database refused: permission denied for table api_keys" in done.stderr


def test_sqlite_has_no_roles(sqlite_url):
    done = cardflow("grant-writer", "anyone", "--database-url", sqlite_url)
    assert done.exit_code == 2
    assert "SQLite has no roles" in done.output


def test_the_owner_is_no_writer(postgres_url):
    """Revoking from the owner would take away its own privileges, and leave an owner."""
    assert cardflow("keys", "list", "--database-url", postgres_url).exit_code == 0
    done = cardflow("grant-writer", "postgres", "--database-url", postgres_url)
    assert done.exit_code == 2
    assert "postgres owns the ledger's tables or is the role connected" in done.output
    assert (
        cardflow(
            "keys", "create", "--name", "n", "--role", "admin", "--database-url", postgres_url
        ).exit_code
        == 0
    )


def test_an_unknown_role(postgres_url):
    done = cardflow("grant-writer", "no_such_role_at_all", "--database-url", postgres_url)
    assert done.exit_code == 2
    assert 'role "no_such_role_at_all" does not exist' in done.output
