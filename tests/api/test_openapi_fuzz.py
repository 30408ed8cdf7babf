"""Schemathesis against the live OpenAPI document: no input makes a 5xx, every answer fits.

Bounded and seeded: ``derandomize`` makes Hypothesis draw the same cases on every run,
``MAX_EXAMPLES`` per operation keeps the whole run well under a minute on two cores.
Cases are drawn from the schema both as it allows (positive) and as it forbids
(negative), with an admin's key, over the in-memory ledger.
"""

from __future__ import annotations

from typing import Final

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from api.app import create_app
from api.keys import MemoryKeys
from ledger.audit import Audit
from ledger.memory import MemoryLedger
from tests.conftest import SIGNER
from workflow.service import CardService
from workflow.states import Role

MAX_EXAMPLES: Final = 25
CHECKS: Final = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]

_ledger = MemoryLedger()
_keys = MemoryKeys()
_, _TOKEN = _keys.create("schemathesis", Role.ADMIN, None)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(CardService(_ledger), _keys, Audit(_ledger, signer=SIGNER))
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_within_its_contract(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {_TOKEN}"}, checks=CHECKS)
