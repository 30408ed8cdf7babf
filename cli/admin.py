"""Commands the database's owner runs: the writer role, API keys, a person's erasure."""

from __future__ import annotations

import getpass
import logging
import sys
from typing import Annotated

import typer

from api.config import database_url, runtime_for_command
from api.keys import READS, ApiKey, Capability, ReadNotGrantable, UnknownKey
from api.logs import configure_logging
from api.maintenance import make_writer
from cli.options import DatabaseUrl, help_settings
from ledger.entry import format_timestamp
from ledger.errors import DatabaseRefused, LedgerError, NoRoles
from workflow.errors import StillHolder, WorkflowError
from workflow.service import Actor
from workflow.states import Channel, ErasureReason, Role

keys = typer.Typer(
    **help_settings(), help="Make, list and revoke API keys (bearer tokens).", no_args_is_help=True
)
person = typer.Typer(
    **help_settings(),
    help="The person store: personal data kept beside the ledger, never in it.",
    no_args_is_help=True,
)


def grant_writer(
    role: Annotated[
        str, typer.Argument(help="An existing PostgreSQL role, e.g. made by CREATE ROLE … LOGIN.")
    ],
    url: DatabaseUrl = None,
    dry_run: Annotated[
        bool, typer.Option("--print", help="Print the statements; run nothing.")
    ] = False,
) -> None:
    """On PostgreSQL, give ROLE what cardflow needs to run and no more: INSERT and SELECT
    on the ledger's tables (never UPDATE, DELETE or TRUNCATE), what appends need on the
    state beside them, reading the API keys. Creates the schema first if it is missing.
    Run it with the owner's URL, then run cardflow with ROLE's."""
    configure_logging(level=logging.WARNING)
    try:
        statements = make_writer(database_url(url), role, dry_run=dry_run)
    except NoRoles as none:
        typer.echo(str(none), err=True)
        raise typer.Exit(2) from None
    except LedgerError as refused:
        said = refused.said if isinstance(refused, DatabaseRefused) else str(refused)
        typer.echo(f"cardflow grant-writer: {said}", err=True)
        raise typer.Exit(2) from None
    for statement in statements:
        typer.echo(f"{statement};")


@person.command("erase")
def person_erase(
    reason: Annotated[
        ErasureReason, typer.Option(help="Why: the person's request, death, moving away…")
    ],
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            help="The person's reference as entries name them (`subject`), instead of "
            "the ID number.",
            show_default=False,
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(help="Who erases, as the entries record it; default: your login name."),
    ] = None,
    url: DatabaseUrl = None,
) -> None:
    """Erase a person's personal data (name, ID number, details) and note it on each of
    their cards. The ID number is read from standard input (asked for, unechoed, on a
    terminal), never from the command line. Every hash, proof and checkpoint holds
    afterwards: entries name the person by a keyed reference only. Exit 1 if a card
    of theirs is still live, or if readers kept the write-ahead log from being cleared
    (run it again); 2 if the person or the input is unknown, or it could not be done."""
    configure_logging(level=logging.WARNING)
    id_number = None if subject is not None else _id_number_from_input()
    actor = Actor(by or getpass.getuser(), Role.ADMIN)
    try:
        with runtime_for_command(database_url(url), existing=True) as runtime:
            done = runtime.service.erase_person(actor, reason, id_number=id_number, subject=subject)
    except StillHolder as refused:
        typer.echo(f"erasure refused: {refused.detail}", err=True)
        raise typer.Exit(1) from None
    except WorkflowError as wrong:
        typer.echo(f"cannot erase: {wrong.detail}", err=True)
        raise typer.Exit(2) from None
    if done.erased:
        seqs = ", ".join(str(entry.seq) for entry in done.entries)
        typer.echo(
            f"erased the personal data of person {done.subject}; noted on "
            f"{len(done.cards)} card(s) by entries {seqs}"
        )
    else:
        typer.echo(f"person {done.subject} holds no personal data any more: nothing written")
    if not done.journal_clear:
        typer.echo(
            "the database's write-ahead log still holds a copy: readers kept it busy. "
            "Run the same command again once they are done.",
            err=True,
        )
        raise typer.Exit(1)


def _id_number_from_input() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("ID number", hide_input=True)).strip()
    return sys.stdin.readline().strip()


@keys.command("create")
def create_key(
    name: Annotated[str, typer.Option(help="Who holds the key, e.g. 'icbc-branch-0231'.")],
    role: Annotated[Role, typer.Option(help="clerk, system, supervisor or admin.")],
    channel: Annotated[
        list[Channel] | None,
        typer.Option(
            help="A channel the key may act through; repeat for more. "
            "Default: every channel the role allows. One of: " + ", ".join(Channel) + ".",
            metavar="CHANNEL",
            show_default=False,
        ),
    ] = None,
    read: Annotated[
        list[Capability] | None,
        typer.Option(
            help="What the key may read; repeat for more. Default: what its role reads (see "
            "the README's access table); a system key follows the ledger only with --read "
            "feed (and history). The checkpoint, the log's keys and the proofs need no key.",
            metavar="|".join(READS),
            show_default=False,
        ),
    ] = None,
    url: DatabaseUrl = None,
) -> None:
    """Make a key and print its token once: cardflow keeps only a hash of it."""
    with runtime_for_command(database_url(url)) as runtime:
        try:
            key, token = runtime.keys.create(name, role, channel or None, read or None)
        except ReadNotGrantable as refused:
            typer.echo(str(refused), err=True)
            raise typer.Exit(2) from None
    typer.echo(token)
    typer.echo(f"key {key.key_id}: {_describe_key(key)}", err=True)


@keys.command("list")
def list_keys(url: DatabaseUrl = None) -> None:
    """List every key, live and revoked; never a token."""
    with runtime_for_command(database_url(url), existing=True) as runtime:
        for key in runtime.keys.list():
            typer.echo(f"{key.key_id}  {_describe_key(key)}")


@keys.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `keys list` shows it.")],
    url: DatabaseUrl = None,
) -> None:
    """Revoke a key: its token is refused from now on."""
    with runtime_for_command(database_url(url), existing=True) as runtime:
        try:
            key = runtime.keys.revoke(key_id)
        except UnknownKey:
            typer.echo(f"no key with id {key_id!r}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"{key.key_id}  {_describe_key(key)}")


def _describe_key(key: ApiKey) -> str:
    channels = (
        "every channel its role allows" if key.channels is None else ", ".join(sorted(key.channels))
    )
    status = f"revoked {format_timestamp(key.revoked_at)}" if key.revoked_at else "live"
    reads = f"reads {', '.join(sorted(key.reads)) or 'nothing'}"
    return f"{key.name}  {key.role}  {channels}  {reads}  {status}"
