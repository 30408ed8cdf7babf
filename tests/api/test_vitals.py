"""``/healthz``, ``/readyz`` and ``/metrics``: alive without the database, ready only when
every check holds (and saying which fails, never with a 500), and each count moving when
the thing it counts happens, under labels that never carry what a caller sent."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.keys import MemoryKeys
from api.vitals import readiness
from api.vitals.metrics import scheduled_sweep
from api.vitals.multiprocess import MULTIPROCESS_ENV, shared_counts
from ledger.audit import Audit
from ledger.sql import SqlLedger, migrate
from tests.api.conftest import (
    BAD_CHECK_ID_NUMBER,
    MEMORY_ONLY,
    NAME,
    Cards,
    apply_card,
    review_card,
)
from tests.api.test_batches import application, applications
from tests.cli.test_cli import free_port
from tests.conftest import SIGNER
from tests.migrations import with_second_revision
from tests.people import citizen_id
from workflow.service import CardService
from workflow.states import Role, State

ROOT: Final = Path(__file__).resolve().parents[2]
DASHBOARD: Final = ROOT / "deploy" / "grafana" / "cardflow.json"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    """Every sample ``/metrics`` answers, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def count(samples: Samples, name: str, **labels: str) -> float:
    """The sample named ``name`` with exactly ``labels``; 0 if none is (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def transitions(samples: Samples, event: str, channel: str, outcome: str) -> float:
    return count(
        samples, "cardflow_transitions_total", event=event, channel=channel, outcome=outcome
    )


@pytest.fixture
def dead_app() -> Iterator[TestClient]:
    """An app over a PostgreSQL URL nothing listens at: its database is gone."""
    ledger = SqlLedger(f"postgresql://postgres@127.0.0.1:{free_port()}/gone")
    app = create_app(CardService(ledger), MemoryKeys(), Audit(ledger, signer=SIGNER))
    with TestClient(app) as client:
        yield client
    ledger.dispose()


class TestHealthz:
    """Alive is answered by the process alone."""

    @MEMORY_ONLY
    def test_ok_with_no_key(self, anonymous):
        response = anonymous.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    def test_ok_while_the_database_is_gone(self, dead_app):
        assert dead_app.get("/healthz").json() == {"status": "ok"}
        assert dead_app.get("/readyz").status_code == 503


class TestReadyz:
    """Ready when the database answers, the schema is the head and the signer is loaded;
    else 503 naming each check that fails and why."""

    def test_ready_on_every_backend(self, anonymous):
        response = anonymous.get("/readyz")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "ready"
        assert set(body["checks"]) == {"database", "schema", "signer"}
        assert all(check["ok"] for check in body["checks"].values())
        assert body["checks"]["signer"]["detail"] == f"checkpoints are signed as {SIGNER.name}"

    def test_no_signer(self, service, keys, ledger):
        app = create_app(service, keys, Audit(ledger))
        with TestClient(app) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["signer"] == {
            "ok": False,
            "detail": "no log key is loaded: checkpoints cannot be signed (CARDFLOW_LOG_KEY_FILE)",
        }
        assert checks["database"]["ok"]
        assert checks["schema"]["ok"]

    def test_the_database_gone_is_a_503_not_a_500(self, dead_app):
        response = dead_app.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["status"] == "not ready"
        assert body["checks"]["database"] == {
            "ok": False,
            "detail": "the database cannot be reached (OperationalError)",
        }
        assert body["checks"]["schema"] == {"ok": False, "detail": "not read: no database"}
        assert body["checks"]["signer"]["ok"]

    def test_a_database_that_does_not_answer_is_told_in_time(self, sqlite_url, monkeypatch):
        ledger = SqlLedger(sqlite_url)
        ledger.create_schema()
        released = threading.Event()
        monkeypatch.setattr(readiness, "_look", lambda _ledger: released.wait(30))
        app = create_app(CardService(ledger), MemoryKeys(), Audit(ledger, signer=SIGNER))
        try:
            with TestClient(app) as client:
                began = time.monotonic()
                response = client.get("/readyz")
                waited = time.monotonic() - began
        finally:
            released.set()
            ledger.dispose()
        assert response.status_code == 503
        assert response.json()["checks"]["database"]["detail"] == (
            "the database did not answer within 1 s"
        )
        assert waited < 5

    def test_a_schema_behind_the_head(self, sqlite_url, tmp_path, monkeypatch):
        ledger = SqlLedger(sqlite_url)
        ledger.create_schema()
        app = create_app(CardService(ledger), MemoryKeys(), Audit(ledger, signer=SIGNER))
        try:
            with TestClient(app) as client:
                assert client.get("/readyz").status_code == 200
                with_second_revision(tmp_path, monkeypatch)
                response = client.get("/readyz")
        finally:
            migrate.scripts.cache_clear()
            ledger.dispose()
        assert response.status_code == 503
        schema = response.json()["checks"]["schema"]
        assert schema["ok"] is False
        assert "revision 0002, behind this cardflow's 0003" in schema["detail"]
        assert response.json()["checks"]["database"]["ok"]


@MEMORY_ONLY
class TestStepCounts:
    """Every apply, transition and batch item is counted by event, channel and outcome."""

    def test_an_apply(self, client):
        before = scrape(client)
        apply_card(client)
        after = scrape(client)
        assert transitions(after, "apply", "card_center", "done") == (
            transitions(before, "apply", "card_center", "done") + 1
        )

    def test_a_transition_and_a_refused_one(self, client, cards: Cards):
        card_id = cards.new()
        before = scrape(client)
        review_card(client, card_id)
        refused = cards.step(card_id, "review", "card_center", {"information_checked": True})
        assert refused.status_code == 409
        after = scrape(client)
        for outcome in ("done", "refused"):
            assert transitions(after, "review", "card_center", outcome) == (
                transitions(before, "review", "card_center", outcome) + 1
            )
        kind = {"kind": "transition-not-allowed"}
        assert count(after, "cardflow_refusals_total", **kind) == (
            count(before, "cardflow_refusals_total", **kind) + 1
        )

    def test_a_batch_counts_each_item(self, client):
        bad = application(2)
        bad["applicant"]["id_number"] = BAD_CHECK_ID_NUMBER
        before = scrape(client)
        response = client.post(
            "/v1/batches", json=applications([application(1), bad, application(3)])
        )
        assert response.status_code == 200, response.text
        assert [item["status"] for item in response.json()["items"]] == [201, 422, 201]
        after = scrape(client)
        assert transitions(after, "apply", "employer", "done") == (
            transitions(before, "apply", "employer", "done") + 2
        )
        assert transitions(after, "apply", "employer", "refused") == (
            transitions(before, "apply", "employer", "refused") + 1
        )

    def test_a_request_refused_before_its_step_is_no_step(self, anonymous, client):
        before = scrape(client)
        assert anonymous.post("/v1/cards", json={}).status_code == 401
        after = scrape(client)
        assert transitions(after, "apply", "card_center", "refused") == (
            transitions(before, "apply", "card_center", "refused")
        )
        kind = {"kind": "unauthenticated"}
        assert count(after, "cardflow_refusals_total", **kind) == (
            count(before, "cardflow_refusals_total", **kind) + 1
        )


@MEMORY_ONLY
class TestRequestTimes:
    """Request times are labelled with the route's template, never the path sent."""

    def test_the_route_is_the_template(self, client, cards: Cards):
        card_id = cards.new()
        labels = {"route": "/v1/cards/{card_id}", "method": "GET", "status": "2xx"}
        before = count(scrape(client), "cardflow_request_seconds_count", **labels)
        assert client.get(f"/v1/cards/{card_id}").status_code == 200
        response = client.get("/metrics")
        assert card_id not in response.text
        after = scrape(client)
        assert count(after, "cardflow_request_seconds_count", **labels) == before + 1
        routes = {
            dict(labels)["route"] for name, labels in after if name.startswith("cardflow_request")
        }
        assert all(route.startswith("/") or route == "(no route)" for route in routes)
        assert not any(card_id in route for route in routes)

    def test_a_path_no_route_takes_and_a_made_up_method(self, client):
        before = scrape(client)
        assert client.get("/v1/nothing/11010519491231002X").status_code == 404
        assert client.request("BREW", "/v1/workflow").status_code == 405
        after = scrape(client)
        lost = {"route": "(no route)", "method": "GET", "status": "4xx"}
        assert count(after, "cardflow_request_seconds_count", **lost) == (
            count(before, "cardflow_request_seconds_count", **lost) + 1
        )
        brewed = {"route": "/v1/workflow", "method": "other", "status": "4xx"}
        assert count(after, "cardflow_request_seconds_count", **brewed) == (
            count(before, "cardflow_request_seconds_count", **brewed) + 1
        )

    def test_no_personal_data_card_or_key(self, client, cards: Cards, keys):
        _, token = keys.create("metrics-reader", Role.SUPERVISOR)
        number = citizen_id()
        applied = cards.apply(applicant={"name": NAME, "id_number": number})
        assert applied.status_code == 201, applied.text
        text = client.get("/metrics").text
        for said in (NAME, number, applied.json()["card_id"], token, "cf_"):
            assert said not in text


class TestSweepCounts:
    """A sweep's run and each step it took are counted, on request and on schedule."""

    @MEMORY_ONLY
    def test_a_sweep_on_request(self, client, cards: Cards, clock):
        cards.in_state(State.PRODUCED)
        clock.advance(days=200)
        before = scrape(client)
        response = client.post("/v1/sweeps")
        assert response.status_code == 200, response.text
        assert [step["event"] for step in response.json()["swept"]] == ["return"]
        after = scrape(client)
        runs = {"trigger": "request", "outcome": "done"}
        assert count(after, "cardflow_sweep_runs_total", **runs) == (
            count(before, "cardflow_sweep_runs_total", **runs) + 1
        )
        assert count(after, "cardflow_sweep_steps_total", event="return") == (
            count(before, "cardflow_sweep_steps_total", event="return") + 1
        )

    @MEMORY_ONLY
    def test_a_sweep_on_schedule(self, client, service):
        before = scrape(client)
        scheduled_sweep(service)()
        runs = {"trigger": "schedule", "outcome": "done"}
        assert count(scrape(client), "cardflow_sweep_runs_total", **runs) == (
            count(before, "cardflow_sweep_runs_total", **runs) + 1
        )


class TestLedgerFigures:
    """The ledger's size and its latest checkpoint are read at each scrape."""

    def test_size_and_checkpoint_move(self, client, cards: Cards, clock, ledger):
        first = scrape(client)
        assert count(first, "cardflow_ledger_up") == 1
        assert count(first, "cardflow_ledger_entries") == ledger.tip().size == 0
        assert ("cardflow_checkpoint_size", frozenset()) not in first
        card_id = cards.new()
        assert client.get(f"/v1/cards/{card_id}/history", params={"proofs": "true"}).is_success
        signed = scrape(client)
        assert count(signed, "cardflow_ledger_entries") == 1
        assert count(signed, "cardflow_checkpoint_size") == 1
        age = (datetime.now(UTC) - clock.now).total_seconds()
        assert count(signed, "cardflow_checkpoint_age_seconds") == pytest.approx(age, abs=5)
        clock.advance(hours=1)
        review_card(client, card_id)
        assert client.get(f"/v1/cards/{card_id}/history", params={"proofs": "true"}).is_success
        later = scrape(client)
        assert (
            count(later, "cardflow_ledger_entries") == count(later, "cardflow_checkpoint_size") == 2
        )
        assert count(later, "cardflow_checkpoint_age_seconds") == pytest.approx(age - 3600, abs=5)

    def test_the_database_gone_leaves_them_out(self, dead_app):
        samples = scrape(dead_app)
        assert count(samples, "cardflow_ledger_up") == 0
        assert not {name for name, _ in samples} & {
            "cardflow_ledger_entries",
            "cardflow_checkpoint_size",
            "cardflow_checkpoint_age_seconds",
        }
        assert any(name == "cardflow_request_seconds_count" for name, _ in samples)

    @MEMORY_ONLY
    def test_openmetrics_when_asked(self, anonymous):
        response = anonymous.get("/metrics", headers={"Accept": "application/openmetrics-text"})
        assert response.headers["content-type"].startswith("application/openmetrics-text")
        assert response.text.endswith("# EOF\n")


def dashboard_metrics() -> set[str]:
    """Every metric name a query of the dashboard reads."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in board["panels"] for target in panel.get("targets", ())]
    assert exprs, "the dashboard has no queries"
    return {name for expr in exprs for name in re.findall(r"\bcardflow_[a-z_]+\b", expr)}


@MEMORY_ONLY
class TestDashboard:
    """The Grafana dashboard reads only metrics cardflow exports, and shows each of them."""

    def exported(self, client: TestClient, cards: Cards, clock) -> dict[str, set[str]]:
        """Each family cardflow exports, with its samples' names, once everything has
        happened that makes a sample: steps done and refused, a sweep, a checkpoint."""
        card_id = cards.in_state(State.PRODUCED)
        assert cards.step(card_id, "review", "card_center", {}).status_code == 409
        clock.advance(days=200)
        assert client.post("/v1/sweeps").status_code == 200
        assert client.get(f"/v1/cards/{card_id}/history", params={"proofs": "true"}).is_success
        text = client.get("/metrics").text
        return {
            family.name: {sample.name for sample in family.samples}
            for family in text_string_to_metric_families(text)
        }

    def test_every_query_reads_an_exported_metric(self, client, cards, clock):
        exported = set().union(*self.exported(client, cards, clock).values())
        assert dashboard_metrics() <= exported, sorted(dashboard_metrics() - exported)

    def test_every_exported_metric_is_shown(self, client, cards, clock):
        shown = dashboard_metrics()
        families = self.exported(client, cards, clock)
        assert all(families.values()), "a family without samples is not checked"
        missing = sorted(name for name, samples in families.items() if not samples & shown)
        assert not missing, f"the dashboard shows nothing of {missing}"


class TestSharedCounts:
    """``serve --workers N`` gives its workers one emptied folder for their counts."""

    def test_one_worker_keeps_its_counts_in_process(self, monkeypatch):
        monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
        with shared_counts(1) as folder:
            assert folder is None
            assert MULTIPROCESS_ENV not in os.environ

    def test_several_workers_get_a_folder_of_their_own(self, monkeypatch):
        monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
        with shared_counts(2) as folder:
            assert folder is not None
            assert folder.is_dir()
            assert os.environ[MULTIPROCESS_ENV] == str(folder)
            (folder / "counter_1234.db").write_bytes(b"")
        assert not folder.exists()
        assert MULTIPROCESS_ENV not in os.environ

    def test_a_folder_named_is_emptied_of_old_counts_and_kept(self, tmp_path, monkeypatch):
        named = tmp_path / "metrics"
        named.mkdir()
        (named / "counter_99.db").write_bytes(b"old")
        (named / "notes.txt").write_text("not a count file")
        monkeypatch.setenv(MULTIPROCESS_ENV, str(named))
        with shared_counts(1) as folder:
            assert folder == named
            assert sorted(p.name for p in named.iterdir()) == ["notes.txt"]
        assert named.is_dir()
