"""The card map's stored nodes, edited as a database administrator would: they are
content-addressed, so the next checkpoint, the next bundle and verify all refuse them."""

from __future__ import annotations

import pytest

from ledger.audit import Audit
from ledger.checkpoints import CheckpointRefused, sign_checkpoint
from ledger.sql import SqlLedger
from tests.conftest import SIGNER
from tests.contract.helpers import as_administrator, draft
from tests.contract.test_tampering import report_for


def _grown(url: str, clock) -> None:
    ledger = SqlLedger(url, clock=clock)
    ledger.create_schema()
    try:
        ledger.append([draft("a", 1), draft("b", 1)])
        sign_checkpoint(ledger, SIGNER, clock.now)
        ledger.append([draft("a", 2), draft("c", 1)])
    finally:
        ledger.dispose()


def test_an_edited_map_node_is_refused_everywhere(database_url, clock):
    _grown(database_url, clock)
    as_administrator(
        database_url, f"UPDATE ledger_map_nodes SET value = '{'0' * 64}' WHERE value IS NOT NULL"
    )
    ledger = SqlLedger(database_url, clock=clock)
    try:
        with pytest.raises(CheckpointRefused, match="does not hash to its own hash"):
            sign_checkpoint(ledger, SIGNER, clock.now)
        audit = Audit(ledger, clock=clock, signer=SIGNER)
        with pytest.raises(CheckpointRefused, match="card map"):
            audit.bundle("a", ledger.entries_for("a"))
    finally:
        ledger.dispose()
    report = report_for(database_url)
    assert any("card map of checkpoint 2 cannot be read" in p.what for p in report.problems), (
        report.problems
    )


def test_a_deleted_map_node_is_refused(database_url, clock):
    _grown(database_url, clock)
    as_administrator(database_url, "DELETE FROM ledger_map_nodes")
    ledger = SqlLedger(database_url, clock=clock)
    try:
        with pytest.raises(CheckpointRefused, match="is not stored"):
            sign_checkpoint(ledger, SIGNER, clock.now)
    finally:
        ledger.dispose()
