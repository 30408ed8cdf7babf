"""A ledger found altered while serving: its own problem (503), and a ``critical`` log line.

The stored ledger is tampered with underneath the running app, as a database
administrator would: through SQL on the SQLite file, and through the port on the
in-memory store (which has no SQL to speak).
"""

from __future__ import annotations

import dataclasses

import pytest
from structlog.testing import capture_logs

from ledger.memory import MemoryLedger
from tests.api.conftest import problem
from tests.contract.helpers import as_administrator
from workflow.states import State

BOTH = pytest.mark.parametrize("ledger", ["memory", "sqlite"], indirect=True)
ZEROS = "0" * 64


def rewrite_node(ledger, request, monkeypatch) -> None:
    """The stored tree's node over the oldest entries, which the root is made from, is
    overwritten."""
    top = (ledger.tip().size.bit_length() - 1, 0)
    if isinstance(ledger, MemoryLedger):
        stored = ledger.tree_node
        monkeypatch.setattr(
            ledger,
            "tree_node",
            lambda level, index: bytes(32) if (level, index) == top else stored(level, index),
        )
        return
    as_administrator(
        request.getfixturevalue("sqlite_url"),
        f"UPDATE ledger_tree SET hash = '{ZEROS}' WHERE level = {top[0]} AND idx = 0",
    )


def rewrite_tip_root(ledger, request, monkeypatch) -> None:
    """The root the tip records is overwritten."""
    if isinstance(ledger, MemoryLedger):
        stored = ledger.tip
        monkeypatch.setattr(ledger, "tip", lambda: dataclasses.replace(stored(), root=ZEROS))
        return
    as_administrator(
        request.getfixturevalue("sqlite_url"), f"UPDATE ledger_tip SET root = '{ZEROS}'"
    )


def remove_leaf(ledger, request, monkeypatch) -> None:
    """The first entry's leaf is gone from the stored tree."""
    if isinstance(ledger, MemoryLedger):
        stored = ledger.tree_node
        monkeypatch.setattr(
            ledger,
            "tree_node",
            lambda level, index: None if (level, index) == (0, 0) else stored(level, index),
        )
        return
    as_administrator(
        request.getfixturevalue("sqlite_url"), "DELETE FROM ledger_tree WHERE level = 0 AND idx = 0"
    )


def failed_integrity(response, logs, says: str) -> None:
    """``response`` is the integrity problem saying ``says``, logged once at critical."""
    body = problem(response, 503, "integrity-failure")
    assert body["title"] == "The ledger failed an integrity check"
    assert says in body["detail"]
    (line,) = [entry for entry in logs if entry["log_level"] == "critical"]
    assert line["event"] == "ledger integrity failure"
    assert line["request_id"] == response.headers["x-request-id"] == "tamper-1"
    assert says in line["what"]


@BOTH
class TestIntegrityFailure:
    """What disagreed is said, with no personal data, and no checkpoint is signed over it."""

    @pytest.mark.parametrize("tamper", [rewrite_node, rewrite_tip_root])
    def test_a_rewritten_tree_gets_no_checkpoint(
        self, cards, client, ledger, request, monkeypatch, tamper
    ):
        cards.in_state(State.COLLECTED)
        tamper(ledger, request, monkeypatch)
        with capture_logs() as logs:
            response = client.get("/v1/ledger/checkpoint", headers={"X-Request-ID": "tamper-1"})
        failed_integrity(response, logs, "is not the root the tip records")
        assert ledger.latest_checkpoint() is None

    def test_a_history_with_proofs_on_a_rewritten_tree(
        self, cards, client, ledger, request, monkeypatch
    ):
        card_id = cards.in_state(State.REVIEWED)
        rewrite_node(ledger, request, monkeypatch)
        with capture_logs() as logs:
            response = client.get(
                f"/v1/cards/{card_id}/history",
                params={"proofs": "true"},
                headers={"X-Request-ID": "tamper-1"},
            )
        failed_integrity(response, logs, "is not the root the tip records")
        plain = client.get(f"/v1/cards/{card_id}/history")
        assert plain.status_code == 200

    def test_a_proof_that_needs_a_removed_node(self, cards, client, ledger, request, monkeypatch):
        cards.in_state(State.PRODUCED)
        remove_leaf(ledger, request, monkeypatch)
        with capture_logs() as logs:
            response = client.get(
                "/v1/ledger/entries/1/proof", headers={"X-Request-ID": "tamper-1"}
            )
        failed_integrity(response, logs, "lacks its node at level 0, index 0")

    def test_a_step_on_an_edited_head_is_refused(self, cards, client, ledger, request):
        """The state a DBA wrote into the card's head is not the entries': the step that
        would be decided from it writes nothing."""
        if isinstance(ledger, MemoryLedger):
            pytest.skip("the in-memory store keeps no head apart from its entries")
        card_id = cards.in_state(State.REVIEWED)
        size = ledger.tip().size
        as_administrator(
            request.getfixturevalue("sqlite_url"),
            f"UPDATE ledger_heads SET state = 'collected' WHERE card_id = '{card_id}'",
        )
        with capture_logs() as logs:
            response = cards.step(
                card_id,
                "activate",
                "bank_outlet",
                {"card_presented": True, "original_id": True, "initial_pin_changed": True},
                headers={"X-Request-ID": "tamper-1"},
            )
        failed_integrity(response, logs, f"ledger_heads card {card_id}: state disagrees")
        assert ledger.tip().size == size

    def test_a_proof_the_tree_cannot_give_is_still_the_caller_s(self, cards, client):
        cards.in_state(State.APPLIED)
        with capture_logs() as logs:
            response = client.get("/v1/ledger/entries/9/proof")
        problem(response, 422, "invalid-request")
        assert not [entry for entry in logs if entry["log_level"] == "critical"]
