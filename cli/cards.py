"""Commands about cards: a card's history, the deadline sweep, the lifecycle described."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from api.app import access_section, with_access_section
from api.config import database_url, runtime_for_command
from api.logs import configure_logging
from cli.options import DatabaseUrl
from cli.output import entries_json, sweep_json, timeline_line
from ledger.entry import format_timestamp
from workflow.diagram import readme_section, with_generated_section
from workflow.errors import CardNotFound
from workflow.service import MAX_SWEEP


def history(
    card_id: Annotated[str, typer.Argument(help="The card's id.")],
    url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    refusals: Annotated[
        bool, typer.Option("--refusals", help="Also show refused attempts.")
    ] = False,
) -> None:
    """Show a card's history as a timeline, oldest first."""
    configure_logging(level=logging.WARNING)
    try:
        with runtime_for_command(database_url(url), existing=True) as runtime:
            entries = runtime.service.history(card_id, refusals=refusals)
    except CardNotFound as missing:
        typer.echo(missing.detail, err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(entries_json(entries))
        return
    for entry in entries:
        typer.echo(timeline_line(entry))


def sweep(
    url: DatabaseUrl = None,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_SWEEP, help="Take at most this many steps.")
    ] = MAX_SWEEP,
    as_json: Annotated[
        bool, typer.Option("--json", help="The report as one JSON document.")
    ] = False,
) -> None:
    """Take cardflow's own step on every card whose deadline has passed.

    A produced card not collected within the collection window is returned; a collected
    card whose financial function is not active within the activation window is reported
    lost; a temporary loss report past its validity lapses. Run it from a scheduler (or
    use `serve --sweep-every`): several sweeps at once, or one run twice, take each step
    once.
    """
    configure_logging(level=logging.WARNING)
    with runtime_for_command(database_url(url)) as runtime:
        report = runtime.service.sweep(limit=limit)
    if as_json:
        typer.echo(sweep_json(report))
        return
    typer.echo(
        f"swept at {format_timestamp(report.at)}: {len(report.swept)} steps taken, "
        f"{report.done_elsewhere} taken by another sweep, {report.moved_on} cards moved on first"
    )
    for done in report.swept:
        typer.echo(f"  {done.card_id}  {done.event}: {done.from_state} -> {done.to_state}")


def describe(
    readme: Annotated[
        Path | None,
        typer.Option(help="Rewrite the generated section of this README instead of printing."),
    ] = None,
) -> None:
    """Print the lifecycle diagram, the channel rules and who may call what, as Markdown
    (as in the README)."""
    if readme is None:
        typer.echo(readme_section())
        typer.echo(access_section(), nl=False)
        return
    text = readme.read_text(encoding="utf-8")
    readme.write_text(with_access_section(with_generated_section(text)), encoding="utf-8")
