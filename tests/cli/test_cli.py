"""The ``cardflow`` command, run as a user would: demo, history, verify, serve."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.config import (
    KeyMissing,
    make_keys,
    person_key,
    person_key_source,
    receipt_window,
    runtime_for_command,
)
from cli.main import app
from ledger.note import Checkpoint, Signer, Verifier, open_note
from ledger.sql import SqlLedger
from ledger.store import RECEIPT_WINDOW
from tests.cli.helpers import cardflow, cardflow_process, cardflows_at_once
from tests.conftest import FakeClock
from tests.contract.helpers import open_card
from workflow.service import CardService
from workflow.states import Channel

runner = CliRunner()


@pytest.fixture
def demo_url(database_url) -> str:
    result = cardflow("demo", "--database-url", database_url)
    assert result.exit_code == 0, result.output
    return database_url


def verified_entries(output: str) -> int:
    return int(output.split("ledger verified: ")[1].split()[0])


def first_card(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        card_id = conn.execute(
            text("SELECT card_id FROM ledger_entries WHERE seq = 1")
        ).scalar_one()
    engine.dispose()
    return str(card_id)


class TestHelp:
    """Every command explains itself."""

    @pytest.mark.parametrize(
        "command", [[], ["demo"], ["serve"], ["history"], ["verify"], ["sweep"], ["docs"]]
    )
    def test_help(self, command):
        result = cardflow(*command, "--help")
        assert result.exit_code == 0
        assert "Usage" in result.output


class TestDemo:
    """The demo moves cards through every channel, shows refusals and verifies."""

    def test_every_channel_and_a_verified_ledger(self, demo_url):
        result = cardflow("demo", "--database-url", demo_url)
        assert result.exit_code == 0, result.output
        used = result.output.split("channels used: ")[1].splitlines()[0].split(", ")
        assert sorted(used) == sorted(Channel)
        for state in ("activated", "reported_lost", "returned", "cancelled"):
            assert f": {state} (version " in result.output
        assert "every attempt came out as its story says" in result.output
        assert "refused" in result.output
        assert "ledger verified:" in result.output

    def test_batches_are_part_of_the_story(self, demo_url):
        result = cardflow("demo", "--database-url", demo_url)
        assert re.search(r"apply +via employer: batch ", result.output)
        assert "3 of 5 items accepted" in result.output
        assert re.search(r"produce +via issuing_bank: batch ", result.output)
        engine = create_engine(demo_url)
        with engine.connect() as conn:
            batches = conn.execute(
                text(
                    "SELECT count(DISTINCT batch_id) FROM ledger_entries WHERE batch_id IS NOT NULL"
                )
            ).scalar_one()
        engine.dispose()
        assert batches == 4

    def test_running_twice_is_safe(self, sqlite_url):
        first, second = (cardflow("demo", "--database-url", sqlite_url) for _ in range(2))
        assert (first.exit_code, second.exit_code) == (0, 0), second.output
        assert verified_entries(second.output) == 2 * verified_entries(first.output)

    def test_reads_the_url_from_the_environment(self, sqlite_url, monkeypatch):
        monkeypatch.setenv("CARDFLOW_DATABASE_URL", sqlite_url)
        result = cardflow("demo")
        assert result.exit_code == 0, result.output
        assert "cardflow.db" in result.output


class TestHistory:
    """A card's history reads as a timeline, or as JSON."""

    def test_timeline(self, demo_url):
        result = cardflow("history", first_card(demo_url), "--database-url", demo_url)
        assert result.exit_code == 0, result.output
        assert "(none) -> applied" in result.output
        assert "evidence:" in result.output

    def test_json(self, demo_url):
        result = cardflow("history", first_card(demo_url), "--database-url", demo_url, "--json")
        entries = json.loads(result.output)
        assert entries[0]["seq"] == 1
        assert [e["version"] for e in entries] == list(range(1, len(entries) + 1))
        assert entries[0]["occurred_at"].endswith("Z")

    def test_refusals_on_request(self, demo_url):
        card_id = first_card(demo_url)
        plain = cardflow("history", card_id, "--database-url", demo_url)
        full = cardflow("history", card_id, "--database-url", demo_url, "--refusals")
        assert "REFUSED" not in plain.output
        assert "REFUSED produce via issuing_bank" in full.output
        assert "transition_not_allowed -- not allowed from applied" in full.output

    def test_unknown_card(self, demo_url):
        result = runner.invoke(app, ["history", "no-such-card", "--database-url", demo_url])
        assert result.exit_code == 2
        assert "no card" in result.output


class TestVerify:
    """Verify passes an untouched ledger and names the first bad entry of a tampered one."""

    def test_untouched(self, demo_url):
        result = cardflow("verify", "--database-url", demo_url)
        assert result.exit_code == 0
        assert "every hash, link and tree node intact" in result.output

    def test_tampered(self, demo_url):
        engine = create_engine(demo_url)
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("DROP TRIGGER ledger_entries_no_update"))
            else:
                conn.execute(text("DROP TRIGGER ledger_entries_no_change ON ledger_entries"))
            conn.execute(text("UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 3"))
        engine.dispose()
        result = runner.invoke(app, ["verify", "--database-url", demo_url])
        assert result.exit_code == 1
        assert "first bad sequence number 3" in result.output
        assert "entry 3 was altered" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestServe:
    """``cardflow serve`` answers HTTP on the embedded default."""

    def test_serves_the_workflow(self, tmp_path):
        port = free_port()
        env = {**os.environ, "CARDFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/v1/workflow", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            assert response.status_code == 200
            assert "applied" in response.json()["states"]
        finally:
            server.terminate()
            server.wait(timeout=10)
        assert (tmp_path / "served.db").exists()

    def test_sweeps_on_a_schedule(self, tmp_path):
        url = f"sqlite:///{tmp_path / 'served.db'}"
        card_id = overdue_card(url)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port), "--sweep-every", "0.2"],
            env={**os.environ, "CARDFLOW_DATABASE_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while state_of(url, card_id) != "reported_lost":
                assert time.monotonic() < deadline, "the server never swept"
                assert server.poll() is None, "the server stopped"
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=10)

    def test_a_bad_sweep_interval_is_named(self, tmp_path):
        done = cardflow_process(
            "serve",
            "--sweep-every",
            "-1",
            env={"CARDFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        )
        assert done.returncode == 2
        assert "CARDFLOW_SWEEP_EVERY is '-1.0'" in done.stderr
        assert "Traceback" not in done.stderr


def overdue_card(url: str, days: int = 301) -> str:
    """A card collected ``days`` ago and never activated at a bank, in the ledger at ``url``."""
    clock = FakeClock(datetime.now(UTC) - timedelta(days=days))
    ledger = SqlLedger(url, clock=clock)
    ledger.create_schema()
    card_id = open_card(CardService(ledger, clock=clock))
    ledger.dispose()
    return card_id


def state_of(url: str, card_id: str) -> str:
    ledger = SqlLedger(url)
    head = ledger.head(card_id)
    ledger.dispose()
    assert head is not None
    return head.state


class TestSweep:
    """``cardflow sweep`` takes the steps whose deadline has passed, once."""

    def test_reports_lost_a_card_past_its_activation_window(self, database_url):
        overdue, on_time = overdue_card(database_url), overdue_card(database_url, days=299)
        first = cardflow("sweep", "--database-url", database_url)
        assert first.exit_code == 0, first.output
        assert "1 steps taken" in first.output
        assert f"{overdue}  report_lost: collected -> reported_lost" in first.output
        assert (state_of(database_url, overdue), state_of(database_url, on_time)) == (
            "reported_lost",
            "collected",
        )
        again = cardflow("sweep", "--database-url", database_url, "--json")
        assert json.loads(again.output)["swept"] == []

    def test_two_processes_at_once_take_each_step_once(self, sqlite_url):
        cards = [overdue_card(sqlite_url) for _ in range(20)]
        said = cardflows_at_once(2, "sweep", "--json", "--database-url", sqlite_url)
        assert [code for code, _, _ in said] == [0, 0], said
        reports = [json.loads(out) for _, out, _ in said]
        swept = [done["card_id"] for report in reports for done in report["swept"]]
        assert sorted(swept) == sorted(cards)
        assert {state_of(sqlite_url, card) for card in cards} == {"reported_lost"}
        assert cardflow("verify", "--database-url", sqlite_url).exit_code == 0


class TestStartingTogether:
    """Commands started at once on a new database create its schema, and bind it to the
    keys, once between them."""

    def test_six_at_once(self, database_url):
        said = cardflows_at_once(6, "sweep", "--database-url", database_url)
        assert [code for code, _, _ in said] == [0] * 6, said
        assert cardflow("verify", "--database-url", database_url).exit_code == 0


class TestKeys:
    """``cardflow keys`` makes, lists and revokes keys; the token works over HTTP."""

    def test_create_list_revoke(self, sqlite_url):
        made = runner.invoke(
            app,
            [
                "keys",
                "create",
                "--name",
                "icbc-0231",
                "--role",
                "clerk",
                "--channel",
                "bank_outlet",
                "--database-url",
                sqlite_url,
            ],
        )
        assert made.exit_code == 0, made.output
        token = made.stdout.strip().splitlines()[0]
        assert token.startswith("cf_")
        key_id = token.split("_")[1]
        listed = cardflow("keys", "list", "--database-url", sqlite_url)
        assert f"{key_id}  icbc-0231  clerk  bank_outlet  reads card  live" in listed.output
        assert token not in listed.output
        revoked = cardflow("keys", "revoke", key_id, "--database-url", sqlite_url)
        assert "revoked" in revoked.output
        unknown = runner.invoke(app, ["keys", "revoke", "nope", "--database-url", sqlite_url])
        assert unknown.exit_code == 2

    def test_a_follower_is_made_with_its_reads(self, sqlite_url):
        made = cardflow(
            "keys",
            "create",
            "--name",
            "bank-mirror",
            "--role",
            "system",
            "--read",
            "feed",
            "--read",
            "history",
            "--database-url",
            sqlite_url,
        )
        key_id = made.stdout.strip().splitlines()[0].split("_")[1]
        listed = cardflow("keys", "list", "--database-url", sqlite_url)
        assert (
            f"{key_id}  bank-mirror  system  every channel its role allows  reads feed, history"
            in listed.output
        )

    def test_a_published_read_is_no_scope(self, sqlite_url: str) -> None:
        made = cardflow(
            "keys",
            "create",
            "--name",
            "m",
            "--role",
            "system",
            "--read",
            "proofs",
            "--database-url",
            sqlite_url,
        )
        assert made.exit_code == 2, made.output
        assert "--read proofs is not a scope: anyone may read it without a key" in made.output

    def test_a_read_the_role_may_not_hold_is_refused(self, sqlite_url):
        refused = runner.invoke(
            app,
            [
                "keys",
                "create",
                "--name",
                "counter",
                "--role",
                "clerk",
                "--read",
                "history",
                "--database-url",
                sqlite_url,
            ],
        )
        assert refused.exit_code == 2
        assert (
            "a clerk key may not be made with --read history; it may read: card" in refused.output
        )
        assert "cf_" not in refused.output
        assert cardflow("keys", "list", "--database-url", sqlite_url).output == ""


class TestSettings:
    """Settings from the environment are checked, and a bad one is named, not traced back."""

    def run(self, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
        return cardflow_process(
            "sweep", env={"CARDFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env}
        )

    @pytest.mark.parametrize("hours", ["soon", "0", "-3", "9000000"])
    def test_a_bad_idempotency_window_is_named(self, tmp_path, hours):
        done = self.run(tmp_path, CARDFLOW_IDEMPOTENCY_HOURS=hours)
        assert done.returncode == 2
        assert f"CARDFLOW_IDEMPOTENCY_HOURS is '{hours}'" in done.stderr
        assert "Traceback" not in done.stderr

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("CARDFLOW_CHECKPOINT_ENTRIES", "0"),
            ("CARDFLOW_CHECKPOINT_SECONDS", "1.5"),
            ("CARDFLOW_SWEEP_EVERY", "never"),
            ("CARDFLOW_SWEEP_EVERY", "90000"),
            ("CARDFLOW_DESK_TIME_ZONE", "Mars/Base"),
        ],
    )
    def test_every_setting_is_read_through_one_model(self, tmp_path, name, value):
        done = self.run(tmp_path, **{name: value})
        assert done.returncode == 2
        assert f"{name} is '{value}': give a" in done.stderr
        assert "Traceback" not in done.stderr

    def test_a_good_one_is_used(self, monkeypatch):
        monkeypatch.setenv("CARDFLOW_IDEMPOTENCY_HOURS", "1.5")
        assert receipt_window() == timedelta(hours=1.5)
        monkeypatch.delenv("CARDFLOW_IDEMPOTENCY_HOURS")
        assert receipt_window() == RECEIPT_WINDOW

    def test_a_bad_policy_file_is_named(self, tmp_path):
        policy = tmp_path / "north.toml"
        policy.write_text("[windows]\nactivation_days = -1\n")
        done = self.run(tmp_path, CARDFLOW_POLICY=str(policy))
        assert done.returncode == 2
        assert "CARDFLOW_POLICY: activation_window is -1 days" in done.stderr
        assert "Traceback" not in done.stderr

    def test_the_person_key_is_made_once_for_its_owner_only(self, tmp_path, monkeypatch):
        path = tmp_path / "keys" / "person.key"
        path.parent.mkdir()
        monkeypatch.setenv("CARDFLOW_PERSON_KEY_FILE", str(path))
        with pytest.raises(KeyMissing, match="there is no key at"):
            person_key()
        assert not path.exists()
        assert person_key_source() in make_keys()
        first = person_key()
        assert len(first) == 32
        assert path.stat().st_mode & 0o777 == 0o600
        assert person_key_source() not in make_keys()
        assert person_key() == first
        number = "11010519491231002X"
        with runtime_for_command(f"sqlite:///{tmp_path / 'x.db'}") as runtime:
            made = runtime.service.person_ref(number)
        assert made == hmac.new(first, number.encode(), hashlib.sha256).hexdigest()

    @pytest.mark.parametrize("content", ["not hex", "abcd"])
    def test_a_bad_person_key_is_named(self, tmp_path, content):
        key = tmp_path / "bad.key"
        key.write_text(content)
        done = self.run(tmp_path, CARDFLOW_PERSON_KEY_FILE=str(key))
        assert done.returncode == 2
        assert f"CARDFLOW_PERSON_KEY_FILE: {key}" in done.stderr
        assert "Traceback" not in done.stderr

    def test_entries_record_the_policy_named(self, tmp_path):
        policy = tmp_path / "north.toml"
        policy.write_text('region = "north"\nversion = "7"\n')
        done = cardflow_process(
            "demo",
            env={
                "CARDFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                "CARDFLOW_POLICY": str(policy),
            },
        )
        assert done.returncode == 0, done.stderr
        engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
        with engine.connect() as conn:
            labels = conn.execute(text("SELECT DISTINCT region, policy FROM ledger_entries")).all()
        engine.dispose()
        ((region, label),) = labels
        assert region == "north"
        assert label.startswith("north/7+")

    def test_a_database_of_another_schema_is_named(self, tmp_path):
        made = self.run(tmp_path)
        assert made.returncode == 0, made.stderr
        engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
        with engine.begin() as conn:
            conn.execute(text("UPDATE ledger_tip SET schema_version = 1"))
        engine.dispose()
        done = self.run(tmp_path)
        assert done.returncode == 2
        assert "the database holds cardflow schema 1" in done.stderr
        assert "Traceback" not in done.stderr


class TestDocs:
    """``cardflow docs`` renders the features, with the results of running them."""

    FEATURES = Path(__file__).resolve().parents[2] / "features"

    def test_without_results_every_scenario_is_not_run(self, tmp_path):
        result = cardflow("docs", "--out", str(tmp_path), "--features", str(self.FEATURES))
        assert result.exit_code == 0, result.output
        assert "0 passed, 0 failed, 0 skipped" in result.output
        assert "0 allowed pairs untold" in result.output
        assert (tmp_path / "index.html").is_file()
        assert (tmp_path / "activate.html").is_file()

    def test_run_shows_each_scenarios_latest_result(self, tmp_path):
        done = cardflow_process("docs", "--run", "--out", str(tmp_path), cwd=self.FEATURES.parent)
        assert done.returncode == 0, done.stdout + done.stderr
        summary = done.stdout.strip().splitlines()[-1]
        assert " 0 failed" in summary, summary
        assert " 0 not run" in summary, summary
        assert " 0 results unmatched" in summary, summary
        assert "passed" in (tmp_path / "index.html").read_text()

    def test_a_missing_features_folder_is_named(self, tmp_path):
        result = cardflow("docs", "--out", str(tmp_path), "--features", str(tmp_path / "none"))
        assert result.exit_code == 2
        assert "none" in result.output


class TestAudit:
    """``cardflow audit``: the verifier key and a signed checkpoint that checks out with it."""

    def test_key_and_checkpoint(self, demo_url):
        key = cardflow("audit", "key")
        assert key.exit_code == 0, key.output
        verifier = Verifier.parse(key.output)
        assert cardflow("audit", "key").output == key.output
        note = cardflow("audit", "checkpoint", "--database-url", demo_url)
        assert note.exit_code == 0, note.output
        signed = Checkpoint.parse(open_note(note.output, verifier))
        ledger = SqlLedger(demo_url)
        try:
            assert (signed.size, signed.root.hex()) == (ledger.tip().size, ledger.tip().root)
        finally:
            ledger.dispose()

    def test_the_key_from_the_environment(self, tmp_path, monkeypatch):
        signer = Signer.generate("cardflow.test/from-env")
        monkeypatch.setenv("CARDFLOW_LOG_KEY", str(signer))
        monkeypatch.setenv("CARDFLOW_LOG_KEY_FILE", str(tmp_path / "never-made.key"))
        assert cardflow("audit", "key").output == f"{signer.verifier()}\n"
        assert not (tmp_path / "never-made.key").exists()

    def test_a_bad_log_key_in_the_environment_is_named_not_shown(self):
        secret = "PRIVATE+KEY+x+00000000+c2VjcmV0LWtleS1tYXRlcmlhbA=="
        done = cardflow_process("audit", "key", env={"CARDFLOW_LOG_KEY": secret})
        assert done.returncode == 2
        assert "CARDFLOW_LOG_KEY: not a signer key" in done.stderr
        assert "c2VjcmV0" not in done.stderr + done.stdout

    def test_a_bad_log_key_is_named(self, tmp_path, monkeypatch):
        bad = tmp_path / "log.key"
        bad.write_text("PRIVATE+KEY+nothing")
        done = cardflow_process("audit", "key", env={"CARDFLOW_LOG_KEY_FILE": str(bad)})
        assert done.returncode == 2
        assert "CARDFLOW_LOG_KEY_FILE: not a signer key" in done.stderr
        assert "Traceback" not in done.stderr
