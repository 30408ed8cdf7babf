"""The schema by migrations, on SQLite and PostgreSQL: the head makes exactly what the code
reads and writes and what cardflow made before migrations; a database from before is
recognised and upgraded; a schema behind the head, or at a revision unknown here, is
refused with what to run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, inspect, text

from api.config import runtime_for_command
from ledger.errors import SchemaMismatch
from ledger.sql import SqlLedger, metadata
from ledger.sql import migrate as migrations
from ledger.sql.migrate import Standing, differences
from ledger.sql.migrations.versions import r0001_schema_7 as first
from tests.conftest import POSTGRES_URL
from tests.contract.helpers import ACTIVATE, APPLICATION, CLERK, TO_COLLECTED, run
from tests.migrations import (
    restore_schema7,
    schema_as_held,
    use_schema7_keys,
    with_second_revision,
)
from tests.people import citizen_id
from workflow.service import Applicant, Step
from workflow.states import Channel, Event


def differences_at(url: str, target=metadata) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return differences(conn, target)
    finally:
        engine.dispose()


def revision_table(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if "alembic_version" not in inspect(conn).get_table_names():
                return []
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def schema7_url(database_url) -> str:
    """The ledger the cardflow of before migrations made, at ``database_url``."""
    return restore_schema7(database_url)


@pytest.fixture
def beside(database_url, tmp_path) -> Iterator[str]:
    """Another empty database of the kind ``database_url`` is."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'beside.db'}"
        return
    schema = f"cardflow_test_{uuid.uuid4().hex[:12]}"
    run(POSTGRES_URL, f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    run(POSTGRES_URL, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def second_revision(tmp_path, monkeypatch) -> Iterator[str]:
    """This cardflow with a second revision, so that a database at the first is behind."""
    yield with_second_revision(tmp_path, monkeypatch)
    migrations.scripts.cache_clear()


class TestTheHead:
    """An empty database opened is made by the migrations, and is exactly the schema."""

    def test_an_empty_database_is_made_at_the_head(self, database_url):
        ledger = SqlLedger(database_url)
        ledger.create_schema()
        found = ledger.revision()
        ledger.dispose()
        assert (found.standing, found.found, found.head) == (Standing.HEAD, "0002", "0002")
        assert revision_table(database_url) == ["0002"]

    def test_the_head_is_the_schema_the_code_uses(self, database_url):
        ledger = SqlLedger(database_url)
        ledger.create_schema()
        ledger.dispose()
        assert differences_at(database_url) == []

    def test_revision_two_adds_the_desks_sessions_and_nothing_else(self, database_url):
        ledger = SqlLedger(database_url)
        ledger.create_schema()
        ledger.dispose()
        beyond_revision_one = differences_at(database_url, first.SCHEMA)
        assert sorted((d[0], d[1].name) for d in beyond_revision_one) == [
            ("remove_index", "desk_sessions_key"),
            ("remove_index", "desk_sessions_seen"),
            ("remove_table", "desk_sessions"),
        ]

    def test_the_comparison_sees_a_difference(self, database_url):
        ledger = SqlLedger(database_url)
        ledger.create_schema()
        ledger.dispose()
        run(database_url, "DROP INDEX ledger_heads_due")
        (found,) = differences_at(database_url)
        assert found[0] == "add_index"
        assert found[1].name == "ledger_heads_due"

    def test_revision_one_is_exactly_what_cardflow_made_before(self, database_url, beside):
        """Tables, columns, indexes, constraints, triggers and the trigger function, as
        the database states them, against the ones the cardflow of before made."""
        ledger = SqlLedger(database_url)
        with migrations.schema_transaction(ledger.engine) as conn:
            migrations.command.upgrade(migrations._config(conn), "0001")
        ledger.dispose()
        assert schema_as_held(database_url) == schema_as_held(restore_schema7(beside))

    def test_the_tip_row_is_the_empty_ledger_s(self, database_url):
        ledger = SqlLedger(database_url)
        ledger.create_schema()
        tip = ledger.tip()
        ledger.dispose()
        assert (tip.size, tip.hash, tip.root) == (0, first.GENESIS_HASH, first.EMPTY_ROOT)

    def test_downgrade_leaves_nothing_of_cardflow(self, database_url):
        ledger = SqlLedger(database_url)
        ledger.create_schema()
        with migrations.schema_transaction(ledger.engine) as conn:
            migrations.command.downgrade(migrations._config(conn), "base")
        with ledger.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        ledger.create_schema()  # made again from nothing
        ledger.dispose()
        assert differences_at(database_url) == []


class TestFromBeforeMigrations:
    """A database the cardflow of before migrations made is recognised, checked,
    stamped at revision 1 and upgraded; nothing opens it before."""

    def test_it_is_refused_until_upgraded(self, schema7_url, monkeypatch):
        use_schema7_keys(monkeypatch)
        with (
            pytest.raises(SchemaMismatch, match="run `cardflow db upgrade`"),
            runtime_for_command(schema7_url),
        ):
            pass
        assert revision_table(schema7_url) == []  # nothing stamped by opening it

    def test_upgraded_it_verifies_and_takes_new_entries(self, schema7_url, monkeypatch):
        use_schema7_keys(monkeypatch)
        ledger = SqlLedger(schema7_url)
        assert ledger.revision().standing is Standing.UNVERSIONED
        done = ledger.upgrade_schema()
        ledger.dispose()
        assert (done.before.standing, done.stamped, done.start, done.after) == (
            Standing.UNVERSIONED,
            True,
            "0001",
            "0002",
        )
        assert revision_table(schema7_url) == ["0002"]
        assert differences_at(schema7_url) == []
        with runtime_for_command(schema7_url) as runtime:
            report = runtime.audit.verify()
            assert (report.ok, report.entries, report.cards, report.checkpoints) == (
                True,
                11,
                3,
                1,
            )
            # someone new: the people the ledger was made with hold their cards
            card = runtime.service.apply(
                Applicant("Han Meimei", citizen_id("310101")),
                Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION),
            )
            for event, channel, evidence in (*TO_COLLECTED, ACTIVATE):
                runtime.service.transition(
                    card.card_id, Step(event, channel, CLERK, evidence=evidence)
                )
            runtime.audit.checkpoint()
            report = runtime.audit.verify()
        assert (report.ok, report.entries, report.checkpoints) == (True, 16, 2)

    def test_tables_that_are_not_schema_7_s_are_not_stamped(self, schema7_url):
        run(schema7_url, "DROP INDEX ledger_entries_batch")
        ledger = SqlLedger(schema7_url)
        try:
            with pytest.raises(SchemaMismatch, match="not those of cardflow schema 7") as told:
                ledger.upgrade_schema()
        finally:
            ledger.dispose()
        assert "ledger_entries_batch" in str(told.value)
        assert revision_table(schema7_url) == []

    def test_another_schema_version_is_not_stamped(self, schema7_url):
        engine = create_engine(schema7_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE ledger_tip SET schema_version = 6"))  # the tip is no log
        engine.dispose()
        ledger = SqlLedger(schema7_url)
        try:
            with pytest.raises(SchemaMismatch, match="holds cardflow schema 6"):
                ledger.upgrade_schema()
        finally:
            ledger.dispose()
        assert revision_table(schema7_url) == []


class TestRefused:
    """A schema this cardflow does not know, or one behind its head, is not opened."""

    def test_an_unknown_revision(self, database_url):
        ledger = SqlLedger(database_url)
        ledger.create_schema()
        run(database_url, "UPDATE alembic_version SET version_num = 'f00d'")
        try:
            with pytest.raises(SchemaMismatch, match="revision f00d, which this cardflow"):
                ledger.create_schema()
            with pytest.raises(SchemaMismatch, match="revision f00d"):
                ledger.check_schema()
            with pytest.raises(SchemaMismatch, match="revision f00d"):
                ledger.upgrade_schema()
        finally:
            ledger.dispose()
        assert revision_table(database_url) == ["f00d"]

    def test_behind_the_head_until_upgraded(self, database_url, second_revision):
        ledger = SqlLedger(database_url)
        try:
            with migrations.schema_transaction(ledger.engine) as conn:
                migrations.command.upgrade(migrations._config(conn), "0001")
            found = ledger.revision()
            assert (found.standing, found.found, found.head) == (Standing.BEHIND, "0001", "0003")
            with pytest.raises(SchemaMismatch, match="behind this cardflow's 0003: run `cardflow"):
                ledger.create_schema()
            assert revision_table(database_url) == ["0001"]  # not upgraded by opening it
            done = ledger.upgrade_schema()
            assert (done.start, done.after, done.stamped) == ("0001", "0003", False)
            ledger.create_schema()
        finally:
            ledger.dispose()
        assert revision_table(database_url) == ["0003"]

    def test_an_empty_database_is_not_read_as_a_ledger(self, database_url):
        ledger = SqlLedger(database_url)
        try:
            with pytest.raises(SchemaMismatch, match="holds no cardflow schema"):
                ledger.check_schema()
        finally:
            ledger.dispose()
