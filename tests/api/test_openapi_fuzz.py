"""Schemathesis against the live OpenAPI document, on SQLite and on PostgreSQL: no input
makes a 5xx, every answer fits the contract -- one operation at a time, and in chains
of operations that pass what one answers to the next (stateful).

Bounded and seeded: ``derandomize`` makes Hypothesis draw the same cases on every run;
``MAX_EXAMPLES`` per operation and ``SCENARIOS`` chains of at most ``STEPS`` calls keep
the whole file within about three minutes on two cores. Cases are drawn from the schema
both as it allows (positive) and as it forbids (negative), with an admin's key.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks
from sqlalchemy import Engine, create_engine, text

from api.app import create_app
from api.keys import MemoryKeys
from ledger.audit import Audit
from ledger.memory import MemoryLedger
from ledger.sql import SqlLedger
from tests.api.conftest import APPLICATION, HAPPY_PATH, NAME
from tests.conftest import POSTGRES_URL, SIGNER
from tests.people import citizen_id
from workflow.service import CardService
from workflow.states import Role

MAX_EXAMPLES: Final = 50
"""Cases per operation and database (there were 25, on the in-memory ledger only)."""
BATCH_ITEMS: Final = 50
"""The most items a drawn batch keeps. Schemathesis tries each array at its largest
(10,000 items), a batch that is bounded but takes seconds on SQL (``test_batches``
covers the largest batch); drawn at every turn, it would take the run's whole budget."""
SCENARIOS: Final = 40
STEPS: Final = 10
"""Stateful chains per database, and the calls in each at most."""
CHECKS: Final = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]
SETTINGS: Final = {
    "derandomize": True,
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,  # one ledger per operation, on purpose
    ],
}


APP: Final = create_app(CardService(MemoryLedger()), MemoryKeys(), Audit(MemoryLedger()))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
"""The document is read once; each test points the app at a ledger of its own."""


class Ledgers:
    """Fresh, empty ledgers on one backend: a file each on SQLite, a schema each on
    PostgreSQL, all removed afterwards."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.opened: list[SqlLedger] = []
        self.schemas: list[str] = []
        self.admin: Engine | None = None

    def serve_a_new_one(self) -> None:
        """Point the app at a new, empty ledger."""
        for done in self.opened[-1:]:
            done.dispose()  # its connections are released: one ledger open at a time
        ledger = SqlLedger(self._new_url())
        ledger.create_schema()
        self.opened.append(ledger)
        APP.state.service = CardService(ledger)
        APP.state.audit = Audit(ledger, signer=SIGNER)

    def _new_url(self) -> str:
        count = len(self.opened)
        if self.url.startswith("sqlite"):
            return f"sqlite:///{self.folder / f'ledger-{count}.db'}"
        if count == 0:
            return self.url
        schema = f"cardflow_fuzz_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        return f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}" + (
            f"options={quote(f'-csearch_path={schema}')}"
        )

    def _admin(self) -> Any:
        if self.admin is None:
            self.admin = create_engine(POSTGRES_URL)
        return self.admin.begin()

    def close(self) -> None:
        for ledger in self.opened[-1:]:
            ledger.dispose()
        for schema in self.schemas:
            with self._admin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        if self.admin is not None:
            self.admin.dispose()


@pytest.fixture
def ledgers(database_url, tmp_path) -> Iterator[Ledgers]:
    """Each SQL backend in turn (``database_url``: SQLite, then PostgreSQL)."""
    made = Ledgers(database_url, tmp_path)
    yield made
    made.close()


@pytest.fixture
def served(ledgers: Ledgers) -> dict[str, str]:
    """The app over a fresh ledger; the headers of an administrator's key for it."""
    ledgers.serve_a_new_one()
    keys = MemoryKeys()
    _, token = keys.create("schemathesis", Role.ADMIN, None)
    APP.state.keys = keys
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, **SETTINGS)
def test_every_operation_answers_within_its_contract(case, served):
    if isinstance(case.body, dict) and isinstance(case.body.get("items"), list):
        case.body["items"] = case.body["items"][:BATCH_ITEMS]
    case.call_and_validate(headers=served, checks=CHECKS)


class Steering:
    """What turns some calls of a chain into ones the rules accept, so that chains reach
    past a first refusal: every other application is a valid one (a fresh ID number,
    complete evidence), every other transition the card's next step on the happy path;
    the calls in between stay as drawn. Every call carries the key."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.turn = 0
        self.progress: dict[str, int] = {}

    def before_call(self, case: Any) -> None:
        case.headers = {**(case.headers or {}), **self.headers}
        self.turn += 1
        if self.turn % 2:
            return
        where = (case.operation.method.upper(), case.operation.path)
        if where == ("POST", "/v1/cards"):
            case.body = {
                "applicant": {"name": NAME, "id_number": citizen_id()},
                "channel": "card_center",
                "evidence": dict(APPLICATION),
            }
        elif where == ("POST", "/v1/cards/{card_id}/transitions"):
            card_id = str(case.path_parameters["card_id"])
            step = self.progress.get(card_id, 0)
            if step < len(HAPPY_PATH):
                event, channel, evidence, _ = HAPPY_PATH[step]
                case.body = {"event": event, "channel": channel, "evidence": dict(evidence)}
                case.headers.pop("If-Match", None)

    def after_call(self, response: Any, case: Any) -> None:
        if case.operation.path == "/v1/cards/{card_id}/transitions" and response.status_code == 200:
            card_id = str(case.path_parameters["card_id"])
            self.progress[card_id] = self.progress.get(card_id, 0) + 1


def test_chains_of_operations_answer_within_the_contract(served, ledgers):
    """Cards made, read, moved and proved in sequences, each call fed by the answers
    before it (links schemathesis infers from the document: a new card's id, an
    entry's sequence number)."""
    machine = schema.as_state_machine()
    links = [name for name, _ in inspect.getmembers(machine) if "___" in name]
    assert len(links) >= 8, f"the document links too few operations: {links}"

    class Chains(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            """Each chain starts from an empty ledger, so that replaying a chain (to
            shrink a failure) meets what it met the first time."""
            ledgers.serve_a_new_one()
            self.steering = Steering(served)

        def before_call(self, case: Any) -> None:
            self.steering.before_call(case)

        def after_call(self, response: Any, case: Any) -> None:
            self.steering.after_call(response, case)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Chains.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, **SETTINGS))
