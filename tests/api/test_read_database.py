"""The read URL where no replica can be started: search, history and the feed are read
from a second, read-only database (a copy of the primary's SQLite file taken at one
moment, so that what the primary wrote since shows where each answer came from), while
everything that decides or writes stays on the primary."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from api.config import (
    READ_DATABASE_URL_ENV,
    ConfigurationError,
    NoDatabase,
    Runtime,
    open_reader,
    read_database_url,
    runtime_for_command,
)
from ledger.binding import BoundKey, bind, person_check
from ledger.errors import ReadOnly
from ledger.note import Signer
from ledger.sql import SqlLedger
from tests.api.conftest import apply_card, review_card
from workflow.states import Role


def _client(runtime: Runtime) -> TestClient:
    _, token = runtime.keys.create("supervisor-desk", Role.ADMIN)
    app = create_app(runtime.service, runtime.keys, runtime.audit, reader=runtime.reader)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _copy(source: Path, target: Path) -> None:
    """The primary's file as it stands now, copied whole (SQLite's backup, which reads
    the write-ahead log too)."""
    with sqlite3.connect(source) as given, sqlite3.connect(target) as copy:
        given.backup(copy)
    given.close()
    copy.close()


@dataclass
class Lagging:
    """A primary that has written since its copy was taken, and an API reading the copy."""

    client: TestClient
    runtime: Runtime
    copied: list[str]
    since: str
    copy_size: int
    replica: Path


@pytest.fixture
def lagging(tmp_path: Path) -> Iterator[Lagging]:
    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    primary_url = f"sqlite:///{primary}"
    with runtime_for_command(primary_url, first_run=True) as runtime, _client(runtime) as client:
        copied = [apply_card(client), apply_card(client)]
        size = runtime.ledger.tip().size
    _copy(primary, replica)
    with (
        runtime_for_command(primary_url, read_url=f"sqlite:///{replica}") as runtime,
        _client(runtime) as client,
    ):
        since = apply_card(client)
        review_card(client, copied[0])
        yield Lagging(client, runtime, copied, since, size, replica)


class TestReadsFromTheReadDatabase:
    def test_search_is_read_from_the_copy_and_says_so(self, lagging):
        response = lagging.client.get("/v1/cards", params={"limit": 100})
        assert response.status_code == 200, response.text
        assert response.headers["x-cardflow-read-from"] == "replica"
        assert response.headers["x-cardflow-read-size"] == str(lagging.copy_size)
        found = {card["card_id"]: card["state"] for card in response.json()["cards"]}
        assert found == dict.fromkeys(lagging.copied, "applied")  # the review is not there

    def test_the_feed_is_read_from_the_copy(self, lagging):
        response = lagging.client.get("/v1/ledger/entries", params={"limit": 1000})
        assert response.status_code == 200, response.text
        assert response.headers["x-cardflow-read-from"] == "replica"
        seqs = [entry["seq"] for entry in response.json()["entries"]]
        assert seqs == list(range(1, lagging.copy_size + 1))
        assert lagging.runtime.ledger.tip().size > lagging.copy_size

    def test_a_history_read_from_the_copy_lags(self, lagging):
        client = lagging.client
        lagged = client.get(f"/v1/cards/{lagging.copied[0]}/history")
        assert lagged.headers["x-cardflow-read-from"] == "replica"
        assert [e["event"] for e in lagged.json()["entries"]] == ["apply"]
        unseen = client.get(f"/v1/cards/{lagging.since}/history")
        assert unseen.status_code == 404
        assert unseen.headers["x-cardflow-read-from"] == "replica"

    def test_a_history_with_proofs_is_read_from_the_primary(self, lagging):
        client = lagging.client
        response = client.get(f"/v1/cards/{lagging.copied[0]}/history", params={"proofs": True})
        assert response.status_code == 200, response.text
        assert response.headers["x-cardflow-read-from"] == "primary"
        assert "x-cardflow-read-size" not in response.headers
        body = response.json()
        assert [e["event"] for e in body["entries"]] == ["apply", "review"]
        assert len(body["proofs"]) == 2
        since = client.get(f"/v1/cards/{lagging.since}/history", params={"proofs": True})
        assert since.status_code == 200, since.text

    def test_decisions_and_card_reads_stay_on_the_primary(self, lagging):
        client = lagging.client
        card = client.get(f"/v1/cards/{lagging.since}")
        assert card.status_code == 200
        assert "x-cardflow-read-from" not in card.headers
        before = lagging.replica.read_bytes()
        card_id = apply_card(client)
        review_card(client, card_id)
        assert lagging.replica.read_bytes() == before
        assert lagging.runtime.ledger.head(card_id) is not None


class TestWithoutAReadDatabase:
    def test_reads_say_they_come_from_the_primary(self, sqlite_url):
        with runtime_for_command(sqlite_url) as runtime, _client(runtime) as client:
            card_id = apply_card(client)
            for path in ("/v1/cards", f"/v1/cards/{card_id}/history", "/v1/ledger/entries"):
                response = client.get(path)
                assert response.status_code == 200, response.text
                assert response.headers["x-cardflow-read-from"] == "primary"
                assert "x-cardflow-read-size" not in response.headers


class TestTheReadOnlyLedger:
    def test_no_write_is_begun_on_it(self, database_url):
        primary = SqlLedger(database_url)
        primary.create_schema()
        reading = SqlLedger(database_url, read_only=True)
        try:
            with pytest.raises(ReadOnly):
                reading.create_schema()
            with pytest.raises(ReadOnly):
                reading.bind_key(BoundKey("person", "check", 0, datetime.now(UTC)))
            writer = reading.engine.execution_options(cardflow_write=True)
            with pytest.raises(ReadOnly), writer.begin():
                pass
            assert reading.tip().size == 0
            assert primary.bound_keys() == []
        finally:
            reading.dispose()
            primary.dispose()

    def test_its_database_refuses_a_write_sent_anyway(self, database_url):
        primary = SqlLedger(database_url)
        primary.create_schema()
        reading = SqlLedger(database_url, read_only=True)
        try:
            with pytest.raises(DBAPIError), reading.engine.begin() as conn:
                conn.execute(text("UPDATE ledger_tip SET size = size + 1"))
            assert primary.tip().size == 0
        finally:
            reading.dispose()
            primary.dispose()


class TestOpeningTheReader:
    def test_another_ledger_is_refused(self, tmp_path, sqlite_url):
        unbound, other = tmp_path / "unbound.db", tmp_path / "other.db"
        SqlLedger(f"sqlite:///{unbound}").create_schema()
        elsewhere = SqlLedger(f"sqlite:///{other}")
        elsewhere.create_schema()
        log = Signer.generate("elsewhere/ledger").verifier()
        bind(elsewhere, log=log, person=person_check(bytes(32)), now=datetime.now(UTC))
        elsewhere.dispose()
        with runtime_for_command(sqlite_url) as runtime:
            for copy in (unbound, other):
                with pytest.raises(ConfigurationError, match="another ledger"):
                    open_reader(f"sqlite:///{copy}", runtime.ledger)

    def test_a_missing_file_is_not_made(self, tmp_path, sqlite_url):
        missing = tmp_path / "no-replica.db"
        with runtime_for_command(sqlite_url) as runtime, pytest.raises(NoDatabase):
            open_reader(f"sqlite:///{missing}", runtime.ledger)
        assert not missing.exists()

    def test_a_database_without_the_schema_is_refused(self, tmp_path, sqlite_url):
        empty = tmp_path / "empty.db"
        sqlite3.connect(empty).close()
        with (
            runtime_for_command(sqlite_url) as runtime,
            pytest.raises(ConfigurationError, match=READ_DATABASE_URL_ENV),
        ):
            open_reader(f"sqlite:///{empty}", runtime.ledger)

    def test_the_setting_is_read_from_the_environment(self, monkeypatch):
        assert read_database_url() is None
        monkeypatch.setenv(READ_DATABASE_URL_ENV, "postgresql://reader@replica/cardflow")
        assert read_database_url() == "postgresql://reader@replica/cardflow"
        assert read_database_url("sqlite:///given.db") == "sqlite:///given.db"
