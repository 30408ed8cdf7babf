"""The command line's JSON is the HTTP API's: a card's history and a sweep, written
alike key for key, value for value, without the command importing the API's schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Runtime, runtime_for_command
from api.ledger.schemas import EntryOut
from api.sweeps.schemas import SweepOut
from cli.output import sweep_json
from tests.cli.helpers import cardflow
from tests.cli.test_cli import first_card, overdue_card
from workflow.service import CardService, SweepReport, Swept
from workflow.states import Event, Role, State


@pytest.fixture
def runtime(sqlite_url) -> Iterator[Runtime]:
    with runtime_for_command(sqlite_url) as runtime:
        yield runtime


@pytest.fixture
def http(runtime) -> Iterator[TestClient]:
    """The HTTP API over the same database, as an administrator."""
    _, token = runtime.keys.create("tests-admin", Role.ADMIN)
    app = create_app(runtime.service, runtime.keys, runtime.audit)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def indented(document: object) -> str:
    """``document`` as the command line prints JSON: key order kept, two spaces."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class TestHistory:
    """``cardflow history --json`` prints the entries ``GET .../history`` answers with."""

    @pytest.mark.parametrize("refusals", [False, True], ids=["accepted", "with-refusals"])
    def test_the_same_entries(self, sqlite_url, http, runtime, refusals):
        assert cardflow("demo", "--database-url", sqlite_url).exit_code == 0
        card_id = first_card(sqlite_url)
        asked = ["--refusals"] if refusals else []
        printed = cardflow("history", card_id, "--json", *asked, "--database-url", sqlite_url)
        assert printed.exit_code == 0, printed.output
        answered = http.get(f"/v1/cards/{card_id}/history", params={"include_refusals": refusals})
        assert answered.status_code == 200, answered.text
        assert printed.output == indented(answered.json()["entries"])
        entries = runtime.service.history(card_id, refusals=refusals)
        assert printed.output == indented(
            [EntryOut.of(entry).model_dump(mode="json") for entry in entries]
        )

    def test_every_entry_of_the_demo(self, sqlite_url, runtime):
        assert cardflow("demo", "--database-url", sqlite_url).exit_code == 0
        entries = runtime.service.feed(after=0, limit=1000)
        assert entries
        for entry in entries:
            shown = EntryOut.of(entry).model_dump(mode="json")
            assert list(entry.document().items()) == list(shown.items())


class TestSweep:
    """``cardflow sweep --json`` prints the report ``POST /v1/sweeps`` answers with."""

    def test_the_same_report(self, sqlite_url, http, runtime, monkeypatch):
        overdue = {overdue_card(sqlite_url) for _ in range(2)}
        reports: list[SweepReport] = []
        sweep = CardService.sweep

        def recorded(self: CardService, **asked: object) -> SweepReport:
            reports.append(sweep(self, **asked))
            return reports[-1]

        monkeypatch.setattr(CardService, "sweep", recorded)
        printed = cardflow("sweep", "--json", "--database-url", sqlite_url)
        assert printed.exit_code == 0, printed.output
        (report,) = reports
        assert {done.card_id for done in report.swept} == overdue
        assert printed.output == SweepOut.of(report).model_dump_json(indent=2) + "\n"
        monkeypatch.setattr(runtime.service, "sweep", lambda **_: report)
        answered = http.post("/v1/sweeps")
        assert answered.status_code == 200, answered.text
        assert printed.output == indented(answered.json())

    @pytest.mark.parametrize(
        "at",
        [
            datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
            datetime(2026, 11, 23, 2, 0, 0, 120000, tzinfo=UTC),
            datetime(2026, 11, 23, 2, 0, 0, 1, tzinfo=timezone(timedelta(hours=8))),
        ],
        ids=["whole-seconds", "microseconds", "another-offset"],
    )
    @pytest.mark.parametrize("steps", [0, 2], ids=["none-taken", "two-taken"])
    def test_written_as_the_api_writes_it(self, at, steps):
        swept = [
            Swept(f"card-{n}", Event.REPORT_LOST, State.COLLECTED, State.REPORTED_LOST)
            for n in range(steps)
        ]
        report = SweepReport(at, swept, done_elsewhere=1, moved_on=2)
        assert sweep_json(report) == SweepOut.of(report).model_dump_json(indent=2)
