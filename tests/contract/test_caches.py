"""Every cache the ledger keeps, edited as a database administrator would, then used.

A cache is a column no entry hash, tree node or signature covers (``CACHES`` in
``ledger/sql/hashed.py``). For each one: the next write that would read it refuses
(``CacheDisagrees``, nothing written) and ``verify`` names the card or the row. A
column of the schema in none of ``CACHES``, ``COVERED`` and ``BESIDE`` fails here, and
so does a cache without a case below: a new cache is checked, or it is not merged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from ledger.checkpoints import CheckpointRefused, sign_checkpoint
from ledger.errors import CacheDisagrees
from ledger.sql import SqlLedger
from ledger.sql.hashed import BESIDE, CACHES, COVERED
from ledger.sql.schema import metadata
from tests.conftest import SIGNER
from tests.contract.helpers import ACTIVATE, APPLICATION, CLERK, as_administrator
from tests.contract.test_tampering import populate, report_for, stored_state
from tests.people import citizen_id
from workflow.service import Applicant, CardService, Step
from workflow.states import Channel, Event

C_SEQ = 12
"""Card C's last entry: it is collected, its activation deadline running."""
KEY = "activate-c-1"


def test_every_column_is_a_cache_a_covered_fact_or_named_beside():
    classified: dict[str, str] = {}
    for table, columns in CACHES.items():
        for column in columns:
            classified[f"{table}.{column}"] = "cache"
    for table in metadata.tables.values():
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            kinds = [
                kind
                for kind, held in (
                    ("cache", name in classified),
                    ("covered", table.name in COVERED),
                    ("beside", name in BESIDE or table.name in BESIDE),
                )
                if held
            ]
            assert len(kinds) == 1, f"{name} is {kinds or 'unclassified'}"
    named = {name.split(".")[0] for name in classified} | set(COVERED)
    named |= {name.split(".")[0] for name in BESIDE}
    assert named <= set(metadata.tables), named - set(metadata.tables)


def test_every_cache_has_a_case():
    cases = {(table, column) for table, column, *_ in EDITS}
    declared = {(table, column) for table, columns in CACHES.items() for column in columns}
    assert cases == declared


def _card_c(url: str) -> str:
    ledger = SqlLedger(url)
    try:
        (entry,) = ledger.entries_after(C_SEQ - 1, 1)
        return entry.card_id
    finally:
        ledger.dispose()


@contextmanager
def _service(url: str, clock) -> Iterator[CardService]:
    ledger = SqlLedger(url, clock=clock)
    try:
        clock.advance(minutes=1)
        yield CardService(ledger, clock=clock)
    finally:
        ledger.dispose()


def _activate_renamed(url: str, clock) -> None:
    _activate(url, clock, card="c-renamed")


def _activate(url: str, clock, *, key: str | None = None, card: str | None = None) -> None:
    card = card or _card_c(url)
    event, channel, evidence = ACTIVATE
    with _service(url, clock) as service:
        service.transition(
            card, Step(event, channel, CLERK, evidence=evidence, idempotency_key=key)
        )


def _apply(url: str, clock, number: str) -> None:
    with _service(url, clock) as service:
        service.apply(
            Applicant("李雷", number),
            Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION),
        )


def _apply_again(url: str, clock) -> None:
    """An application for card C's person, whose live card C is."""
    ledger = SqlLedger(url)
    try:
        (entry,) = ledger.entries_after(C_SEQ - 1, 1)
        person = ledger.person(entry.subject)
    finally:
        ledger.dispose()
    assert person is not None
    _apply(url, clock, person.id_number)


def _retry(url: str, clock) -> None:
    _activate(url, clock, key=KEY)


def _sweep(url: str, clock) -> None:
    with _service(url, clock) as service:
        service.sweep()


def _sign(url: str, clock) -> None:
    ledger = SqlLedger(url, clock=clock)
    try:
        sign_checkpoint(ledger, SIGNER, clock.now)
    finally:
        ledger.dispose()


Then = Callable[[str, object], None]
HEADS = "UPDATE ledger_heads SET {set} WHERE card_id = '{card}'"
EDITS: list[tuple[str, str, str, Then, str]] = [
    # (table, column, the edit, the write that must refuse, what verify says)
    # a renamed head: a step on the card it now names has no entries to stand on
    ("ledger_heads", "card_id", HEADS.format(set="card_id = 'c-renamed'", card="{card}"),
     _activate_renamed, "has entries but no head"),
    ("ledger_heads", "version", HEADS.format(set="version = 3", card="{card}"),
     _activate, "version 3"),
    ("ledger_heads", "state", HEADS.format(set="state = 'produced'", card="{card}"),
     _activate, "state produced"),
    ("ledger_heads", "last_seq", HEADS.format(set="last_seq = 11", card="{card}"),
     _activate, "last_seq 11"),
    ("ledger_heads", "subject", HEADS.format(set="subject = 'someone-else'", card="{card}"),
     _activate, "subject someone-else"),
    ("ledger_heads", "region", HEADS.format(set="region = 'elsewhere'", card="{card}"),
     _activate, "region elsewhere"),
    ("ledger_heads", "opened_seq", HEADS.format(set="opened_seq = 99", card="{card}"),
     _activate, "opened_seq 99"),
    ("ledger_heads", "opened_at", HEADS.format(set="opened_at = updated_at", card="{card}"),
     _activate, "opened_at"),
    ("ledger_heads", "updated_at", HEADS.format(set="updated_at = opened_at", card="{card}"),
     _activate, "updated_at"),
    ("ledger_heads", "occurred_at", HEADS.format(set="occurred_at = opened_at", card="{card}"),
     _activate, "occurred_at"),
    # a deadline moved into the past: the sweep would report the card lost
    ("ledger_heads", "due_at", HEADS.format(set="due_at = opened_at", card="{card}"),
     _sweep, "due_at"),
    # the one live card let go: a second card for the same person
    ("ledger_heads", "exclusive", HEADS.format(set="exclusive = false", card="{card}"),
     _apply_again, "exclusive False"),
    ("ledger_tip", "size", "UPDATE ledger_tip SET size = 11", _activate, "bypassed the tip"),
    ("ledger_tip", "hash", f"UPDATE ledger_tip SET hash = '{'0' * 64}'", _activate,
     "is not the last entry the ledger recorded"),
    ("ledger_tip", "root", f"UPDATE ledger_tip SET root = '{'0' * 64}'", _activate,
     "Merkle root recorded"),
    ("ledger_tip", "frontier", f"UPDATE ledger_tip SET frontier = '[\"{'0' * 64}\"]'",
     _activate, "frontier recorded"),
    # a retry is answered from its receipt: renamed, the key's entry has none
    ("ledger_receipts", "actor", "UPDATE ledger_receipts SET actor = 'clerk-2'", _retry,
     "receipt of clerk-2"),
    ("ledger_receipts", "key", "UPDATE ledger_receipts SET key = 'other'", _retry,
     "is not what the entry says"),
    ("ledger_receipts", "fingerprint", "UPDATE ledger_receipts SET fingerprint = 'f'", _retry,
     "is not what the entry says"),
    ("ledger_receipts", "card_id", "UPDATE ledger_receipts SET card_id = 'x'", _retry,
     "is not what the entry says"),
    ("ledger_receipts", "version", "UPDATE ledger_receipts SET version = 9", _retry,
     "is not what the entry says"),
    ("ledger_receipts", "seq", "UPDATE ledger_receipts SET seq = 12", _retry,
     "is not what the entry says"),
    ("ledger_receipts", "recorded_at",
     "UPDATE ledger_receipts SET recorded_at = (SELECT opened_at FROM ledger_heads LIMIT 1)",
     _retry, "is not what the entry says"),
    ("ledger_checkpoints", "root", f"UPDATE ledger_checkpoints SET root = '{'0' * 64}'",
     _sign, "stored apart from what it signed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "column", "edit", "then", "named"),
    EDITS,
    ids=[f"{table}.{column}" for table, column, *_ in EDITS],
)
def test_an_edited_cache_is_refused_when_used_and_named_by_verify(
    database_url, clock, table, column, edit, then, named
):
    url = populate(database_url, clock)
    card = _card_c(url)
    if table == "ledger_receipts":  # a keyed step leaves the receipt its retry reads
        _activate(url, clock, key=KEY)
    if table == "ledger_checkpoints":
        _sign(url, clock)
        _apply_again_elsewhere(url, clock)  # the ledger grows: a new checkpoint is due
    if column == "due_at":
        clock.advance(days=1)  # the edited deadline has passed, the real one has not
    as_administrator(url, edit.format(card=card))
    before = stored_state(url)
    raised = CheckpointRefused if table == "ledger_checkpoints" else CacheDisagrees
    with pytest.raises(raised) as refused:
        (then)(url, clock)
    if isinstance(refused.value, CacheDisagrees):
        assert refused.value.table == table
        # a receipt renamed away is one missing for the key its entry was written with
        renamed = table == "ledger_receipts" and column in ("actor", "key")
        assert refused.value.column == ("key" if renamed else column), refused.value
    assert stored_state(url) == before, "a refused write left something behind"
    report = report_for(url)
    assert not report.ok
    assert any(named in problem.what for problem in report.problems), report.problems
    if table == "ledger_heads":
        assert any(card in problem.what for problem in report.problems), report.problems


def test_an_edited_receipt_is_refused_on_the_retry_that_reads_it(database_url, clock):
    """A retry is answered from its receipt: a receipt pointing at another entry would
    answer with that entry, so the read itself is checked."""
    url = populate(database_url, clock)
    _activate(url, clock, key=KEY)
    as_administrator(url, "UPDATE ledger_receipts SET version = 4")
    with pytest.raises(CacheDisagrees, match="version"):
        _activate(url, clock, key=KEY)


def test_an_honest_ledger_passes_every_check(database_url, clock):
    url = populate(database_url, clock)
    _activate(url, clock, key=KEY)
    size = stored_state(url)[0].size
    _activate(url, clock, key=KEY)  # the retry is answered from its receipt
    assert stored_state(url)[0].size == size
    _apply_again_elsewhere(url, clock)
    _sign(url, clock)
    assert report_for(url).ok


def _apply_again_elsewhere(url: str, clock) -> None:
    _apply(url, clock, citizen_id())
