"""The ``cardflow`` command: the demo, the server, a card's history, the ledger check.

Every command is a client of the use cases and the wiring in ``api.config``; the
commands live by area (``cards``, ``audit``, ``admin``, ``db``, ``docs``) and are named here.
"""

from __future__ import annotations

import logging
import os
from typing import Annotated, Final

import structlog
import typer

from api.config import (
    DATABASE_URL_ENV,
    READ_DATABASE_URL_ENV,
    SWEEP_EVERY_ENV,
    ConfigurationError,
    database_url,
    initialise,
    log_key_source,
    person_key_source,
    read_database_url,
    redacted,
    runtime_for_command,
)
from api.config import sweep_every as config_sweep_every
from api.lifeline import mark_supervisor
from api.logs import configure_logging
from api.vitals.multiprocess import shared_counts
from cli import admin, audit, cards, db, docs, witness
from cli.demo import run_demo
from cli.options import DatabaseUrl, Verbose, help_settings
from cli.output import print_report
from ledger.errors import CacheDisagrees, CheckpointRefused, LedgerError
from ledger.grants import refusals_told

GRACEFUL_SHUTDOWN_SECONDS: Final = 5
"""How long ``serve`` lets requests under way finish once told to stop (SIGTERM): then
it closes their connections and stops, whatever they were doing."""

app = typer.Typer(
    **help_settings(),
    name="cardflow",
    help="Run social security cards through their lifecycle, with a verifiable audit ledger.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def demo(url: DatabaseUrl = None, verbose: Verbose = False) -> None:
    """Run a realistic set of cards through every channel, refusals included, and verify."""
    configure_logging(level=logging.INFO if verbose else logging.WARNING)
    chosen = database_url(url)
    typer.echo(f"cardflow demo on {redacted(chosen)}\n")
    with runtime_for_command(chosen, first_run=True) as runtime:
        shown = run_demo(runtime.service, runtime.audit, say=typer.echo)
    for line in shown.summary():
        typer.echo(line)
    typer.echo(f"channels used: {', '.join(sorted(shown.channels_shown()))}")
    print_report(shown.report)
    if shown.surprises or not shown.report.ok:
        raise typer.Exit(1)


@app.command()
def init(url: DatabaseUrl = None) -> None:
    """Make the database's keys where they are missing -- the person key and the log key
    (see CARDFLOW_PERSON_KEY_FILE, CARDFLOW_LOG_KEY_FILE) -- create the schema, and bind
    the database to the keys, so that a process run with other keys refuses to start.
    Run once, as the database's owner; running it again changes nothing. Keep the key
    files with the backups: without them no one can find a person's cards again."""
    configure_logging(level=logging.WARNING)
    chosen = database_url(url)
    done = initialise(chosen)
    for source in done.made:
        typer.echo(f"made {source}")
    typer.echo(
        f"{'bound' if done.bound else 'already bound:'} {redacted(chosen)} to the person key "
        f"in {person_key_source()} and the log key in {log_key_source()}"
    )
    typer.echo(f"checkpoints are signed by {done.verifier}")


@app.command()
def serve(
    url: DatabaseUrl = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    read_url: Annotated[
        str | None,
        typer.Option(
            "--read-url",
            envvar=READ_DATABASE_URL_ENV,
            help="SQLAlchemy URL of a read-only copy of the ledger (a streaming replica): "
            "search, history without proofs and the feed are read there, and may lag.",
            show_default=False,
        ),
    ] = None,
    sweep_every: Annotated[
        float | None,
        typer.Option(
            "--sweep-every",
            envvar=SWEEP_EVERY_ENV,
            help="Sweep the deadlines every SECONDS while serving (as `cardflow sweep`).",
            metavar="SECONDS",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs; /healthz, /readyz and /metrics for
    operators). With more than one worker, the workers keep their counts in one folder
    (PROMETHEUS_MULTIPROC_DIR, else one made for the server's life), so /metrics from any
    of them counts them all."""
    import uvicorn

    configure_logging()
    os.environ[DATABASE_URL_ENV] = database_url(url)
    reading = read_database_url(read_url)
    if reading is not None:
        os.environ[READ_DATABASE_URL_ENV] = reading
    if sweep_every is not None:
        os.environ[SWEEP_EVERY_ENV] = str(sweep_every)
    config_sweep_every()  # refuse a bad interval now, not in every worker
    with runtime_for_command(os.environ[DATABASE_URL_ENV], read_url=reading, first_run=True):
        pass  # the schema is created and the keys bound once here, before any worker starts
    mark_supervisor()
    with shared_counts(workers):
        uvicorn.run(
            "api.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )


app.command()(cards.history)
app.command()(cards.sweep)
app.command()(audit.verify)
app.command("grant-writer")(admin.grant_writer)
app.command()(cards.describe)
app.command()(docs.docs)
app.add_typer(db.db, name="db")
app.add_typer(admin.keys, name="keys")
app.add_typer(audit.audit, name="audit")
app.add_typer(admin.person, name="person")
app.add_typer(witness.witness, name="witness")


def main() -> None:
    try:
        with refusals_told():
            app()
    except (ConfigurationError, LedgerError) as wrong:
        if isinstance(wrong, CacheDisagrees | CheckpointRefused):
            # the stored ledger was changed underneath: what disagreed, never personal data
            structlog.get_logger("cardflow").critical(
                "ledger integrity failure", error=type(wrong).__name__, what=str(wrong)
            )
        typer.echo(f"cardflow: {wrong}", err=True)
        raise SystemExit(2) from None
