"""Drafts for the contract suite, and a realistic ledger built through the use cases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, create_engine, text

from ledger.entry import GENESIS_HASH, Draft, Entry
from ledger.merkle import EMPTY_ROOT
from ledger.sql import SqlLedger
from ledger.sql.schema import APPEND_ONLY
from tests.people import citizen_id
from workflow.service import Actor, Applicant, CardService, Step
from workflow.states import Channel, Event, Role

CLERK = Actor("clerk-1", Role.CLERK)
ID_NUMBER = "11010519491231002X"
APPLICATION = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}
TO_COLLECTED = (
    (Event.REVIEW, Channel.CARD_CENTER, {"information_checked": True}),
    (Event.PRODUCE, Channel.ISSUING_BANK, {"production_batch": "B2026-03"}),
    (
        Event.COLLECT,
        Channel.CARD_CENTER,
        {"collection_notice": "acceptance_receipt", "valid_id": True},
    ),
)
ACTIVATE = (
    Event.ACTIVATE,
    Channel.BANK_OUTLET,
    {"card_presented": True, "original_id": True, "initial_pin_changed": True},
)


def draft(card_id: str, version: int, **overrides: object) -> Draft:
    fields: dict[str, object] = {
        "card_id": card_id,
        "version": version,
        "kind": "transition",
        "event": "apply" if version == 1 else "review",
        "from_state": None if version == 1 else "applied",
        "to_state": "applied" if version == 1 else "reviewed",
        "channel": "card_center",
        "actor": "clerk-1",
        "role": "clerk",
        "presenter": "self",
        "subject": f"person-{card_id}",
        "occurred_at": datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC),
        "evidence": {"information_checked": True},
        "definition_version": "1+test",
        "region": "default",
        "policy": "default/1+contract",
    }
    fields.update(overrides)
    return Draft(**fields)  # type: ignore[arg-type]


def open_card(service: CardService, steps=TO_COLLECTED) -> str:
    card = service.apply(
        Applicant("Li Lei", citizen_id()),
        Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION),
    )
    for event, channel, evidence in steps:
        service.transition(card.card_id, Step(event, channel, CLERK, evidence=evidence))
    return card.card_id


def run(url: str, *statements: str) -> None:
    """Run ``statements`` in one transaction, as anyone connected to the database could."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def drop_triggers(conn: Connection) -> None:
    """What an owner of the database can do first; the triggers only stop a careless one."""
    for table in APPEND_ONLY:
        if conn.dialect.name == "sqlite":
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        else:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"))


def as_administrator(url: str, *statements: str) -> None:
    """Drop the append-only triggers, then run ``statements``."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            drop_triggers(conn)
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def rewrite(
    url: str, order: Iterable[int], changed: Mapping[int, Mapping[str, Any]] | None = None
) -> None:
    """All a database owner without the signer key can do: empty the ledger, then write
    the entries numbered ``order`` again, in that order (entry ``seq`` with the fields
    ``changed[seq]`` gives it changed), through cardflow's own append, so that every
    hash, link, tree node, head and the tip agree with one another.
    Each is recorded at its first time, so the entries before the first change are
    the same bytes as before."""
    recording: list[datetime] = []
    ledger = SqlLedger(url, clock=lambda: recording[-1])
    try:
        entries = {entry.seq: entry for entry in ledger.scan() if isinstance(entry, Entry)}
        as_administrator(
            url,
            *(
                f"DELETE FROM {table}"
                for table in (
                    "ledger_entries",
                    "ledger_tree",
                    "ledger_checkpoints",
                    "ledger_heads",
                    "ledger_receipts",
                )
            ),
            f"UPDATE ledger_tip SET size = 0, hash = '{GENESIS_HASH}', "
            f"root = '{EMPTY_ROOT.hex()}', frontier = '[]'",
        )
        for seq in order:
            recording.append(entries[seq].recorded_at)
            ledger.append([replace(redrafted(entries[seq]), **(changed or {}).get(seq, {}))])
    finally:
        ledger.dispose()


def redrafted(entry: Entry) -> Draft:
    """The draft ``entry`` was sealed from."""
    return Draft(
        **{f.name: getattr(entry, f.name) for f in fields(Draft) if f.name != "fingerprint"}
    )
