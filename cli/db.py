"""``cardflow db``: the database's schema, kept by migrations -- upgrade it, or say where
it stands."""

from __future__ import annotations

import logging

import typer

from api.config import database_url, redacted
from api.logs import configure_logging
from api.maintenance import Standing, schema_revision, upgrade_schema
from cli.options import DatabaseUrl, help_settings

db = typer.Typer(
    **help_settings(),
    help="The database's schema: upgrade it to this cardflow's, or say which it is.",
    no_args_is_help=True,
)


@db.command("upgrade")
def db_upgrade(url: DatabaseUrl = None) -> None:
    """Bring the schema to this cardflow's newest revision, all or nothing, one process
    at a time: an empty database gets the whole schema; one made by a cardflow from
    before migrations is checked, stamped at revision 1 and upgraded; the append-only
    triggers are made again where they were dropped. Run it as the database's owner,
    before starting the new cardflow. Reads and makes no key."""
    configure_logging(level=logging.WARNING)
    chosen = database_url(url)
    done = upgrade_schema(chosen)
    where = redacted(chosen)
    before = done.before
    if before.standing is Standing.EMPTY:
        typer.echo(f"created the cardflow schema on {where}, at revision {done.after} (head)")
        return
    if done.stamped:
        typer.echo(
            f"recognised the schema on {where} as the one cardflow made before migrations, "
            f"and stamped it at revision {done.start}"
        )
    if done.start == done.after:
        typer.echo(f"{where} is at revision {done.after} (head): nothing to upgrade")
    else:
        typer.echo(f"upgraded {where} from revision {done.start} to {done.after} (head)")


@db.command("current")
def db_current(url: DatabaseUrl = None) -> None:
    """Print the schema's revision and whether it is this cardflow's newest (the head);
    exit 1 if it is not -- behind, from before migrations, unknown to this cardflow, or
    no schema at all -- saying what to run. Changes nothing."""
    configure_logging(level=logging.WARNING)
    found = schema_revision(database_url(url))
    typer.echo(found.told())
    if found.standing is not Standing.HEAD:
        raise typer.Exit(1)
