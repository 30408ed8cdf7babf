"""What the ``cardflow`` command prints: timelines, reports, and JSON in the HTTP API's
own format, written from cardflow's records so the command needs no HTTP schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Final

import typer

from ledger.entry import ERASURE, Entry, format_timestamp
from ledger.verify import Report
from workflow.definition import TRANSITIONS
from workflow.service import SweepReport
from workflow.states import Channel


def _moved(source: str | None, dest: str) -> str:
    return f"{source or '(none)'} -> {dest}"


EVENT_WIDTH: Final = max(len(transition.event) for transition in TRANSITIONS)
MOVE_WIDTH: Final = max(len(_moved(t.source, t.dest)) for t in TRANSITIONS)
CHANNEL_WIDTH: Final = max(len(channel) for channel in Channel)
"""A timeline's columns, as wide as the longest event, move and channel the definition
has, so that every line of every history lines up."""


def print_report(report: Report) -> None:
    if report.ok:
        typer.echo(
            f"ledger verified: {report.entries} entries, {report.cards} cards, "
            "every hash, link and tree node intact"
        )
        return
    first = report.first_bad_seq
    typer.echo(
        "ledger FAILED verification"
        + ("" if first is None else f": first bad sequence number {first}"),
        err=True,
    )
    for problem in report.problems:
        typer.echo(f"  - {problem.what}", err=True)


def entries_json(entries: Sequence[Entry]) -> str:
    """The entries as the HTTP API shows them, so both speak one format."""
    return json.dumps([entry.document() for entry in entries], indent=2, ensure_ascii=False)


def sweep_json(report: SweepReport) -> str:
    """The sweep as ``POST /v1/sweeps`` answers it: the same keys in the same order, the
    same values, the time written as the API writes it."""
    document = asdict(report)
    document["at"] = _api_time(report.at)
    return json.dumps(document, indent=2, ensure_ascii=False)


def _api_time(moment: datetime) -> str:
    """ISO 8601 with ``Z`` for UTC, microseconds only if there are any: how the API's
    sweep report (a plain datetime, unlike an entry's timestamps) writes a time."""
    written = moment.isoformat()
    return written.removesuffix("+00:00") + "Z" if written.endswith("+00:00") else written


def timeline_line(entry: Entry) -> str:
    if entry.kind == ERASURE:
        return (
            f"#{entry.seq:<5} {format_timestamp(entry.occurred_at)}  ERASED the holder's "
            f"personal data ({entry.evidence.get('reason')}) by {entry.actor} ({entry.role}) "
            f"while {entry.to_state}"
        )
    if not entry.moves:
        return (
            f"#{entry.seq:<5} {format_timestamp(entry.occurred_at)}  REFUSED {entry.event} "
            f"via {entry.channel} by {entry.actor} ({entry.role}) while {entry.to_state}: "
            f"{entry.evidence.get('refused')} -- {entry.evidence.get('reason')}"
        )
    moved = _moved(entry.from_state, entry.to_state)
    who = f"{entry.actor} ({entry.role})" + (
        ", for the insured by an agent" if entry.presenter == "agent" else ""
    )
    evidence = ", ".join(
        key if value is True else f"{key}={value}" for key, value in sorted(entry.evidence.items())
    )
    return (
        f"#{entry.seq:<5} {format_timestamp(entry.occurred_at)}  {entry.event:<{EVENT_WIDTH}} "
        f"{moved:<{MOVE_WIDTH}} via {entry.channel:<{CHANNEL_WIDTH}} by {who}\n"
        f"        evidence: {evidence or 'none'}"
    )
