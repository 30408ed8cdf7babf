"""Commands a supervisor checks the ledger with: verify, signed checkpoints, a card's
audit bundle, and the whole ledger checked against the checkpoints they kept."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final, NoReturn

import click
import typer

from api.config import (
    NoDatabase,
    database_url,
    inspection_for_command,
    log_signer,
    runtime_for_command,
)
from api.logs import configure_logging
from cli.options import DatabaseUrl, help_settings
from cli.output import print_report
from ledger.bundle import BundleError, check_bundle, make_bundle
from ledger.note import Checkpoint, Verifier, open_note
from workflow.errors import CardNotFound

_PROGRESS_STEP: Final = 1000
"""Entries between two redraws of a progress bar."""

audit = typer.Typer(
    **help_settings(),
    help="Signed checkpoints of the ledger, and the key to check them with.",
    no_args_is_help=True,
)


def verify(url: DatabaseUrl = None) -> None:
    """Recompute every hash; exit 1 and name the first bad entry if anything was altered."""
    configure_logging(level=logging.WARNING)
    with runtime_for_command(database_url(url)) as runtime:
        report = runtime.audit.verify()
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@audit.command("key")
def audit_key() -> None:
    """Print the verifier key checkpoints are signed with (<name>+<key id>+<key>), made
    with its signer key the first time (see CARDFLOW_LOG_KEY_FILE)."""
    typer.echo(log_signer().verifier())


@audit.command("export")
def audit_export(
    card_id: Annotated[str, typer.Argument(help="The card's id.")],
    url: DatabaseUrl = None,
) -> None:
    """Print a card's audit bundle (JSON): every entry of its history, refused attempts
    included, as the bytes that were hashed, each with its inclusion proof against a
    signed checkpoint. Check it anywhere with `cardflow audit verify-bundle`."""
    configure_logging(level=logging.WARNING)
    try:
        with runtime_for_command(database_url(url)) as runtime:
            entries = runtime.service.history(card_id, refusals=True)
            signed, proofs = runtime.audit.prove(entries)
    except CardNotFound as missing:
        typer.echo(missing.detail, err=True)
        raise typer.Exit(2) from None
    typer.echo(
        json.dumps(make_bundle(card_id, entries, signed, proofs), indent=2, ensure_ascii=False)
    )


@audit.command("verify-bundle")
def audit_verify_bundle(
    bundle: Annotated[Path, typer.Argument(help="The bundle, as `audit export` wrote it.")],
    key: Annotated[
        str,
        typer.Option(
            "--key",
            help="The verifier key you trust (<name>+<id>+<key>), or a file holding it.",
        ),
    ],
) -> None:
    """Check a card's audit bundle with no database and no server: the checkpoint's
    signature, every entry's bytes and hash, its place in the signed tree, and that no
    version of the card is missing. Exit 1 naming what failed; 2 if the input is not a
    bundle or a key at all."""
    verifier = _trusted_key(key)
    try:
        document = json.loads(bundle.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as unusable:
        _cannot_check(str(unusable))
    try:
        checked = check_bundle(document, verifier)
    except BundleError as failed:
        typer.echo(f"the bundle does not verify: {failed}")
        raise typer.Exit(1) from None
    typer.echo(
        f"bundle of card {checked.card_id} verified: {checked.entries} entries "
        f"({checked.versions} versions, none missing), each in the tree of "
        f"{checked.checkpoint.size} entries that {checked.checkpoint.origin} signed"
    )


@audit.command("fsck")
def audit_fsck(
    url: DatabaseUrl = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="The verifier key you trust (<name>+<id>+<key>), or a file holding it; "
            "default: the signer's own (CARDFLOW_LOG_KEY or CARDFLOW_LOG_KEY_FILE).",
            show_default=False,
        ),
    ] = None,
    kept: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint you kept, as `audit checkpoint` printed it; repeat for more.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check the whole ledger: recompute every entry's hash and the whole Merkle tree,
    check every stored checkpoint's root and signature and each checkpoint you kept, and
    replay the entries to check every card. A progress bar shows on a terminal. Exit 1
    naming the first bad entry; 2 if a key or a kept checkpoint cannot be read."""
    configure_logging(level=logging.WARNING)
    verifier = _trusted_key(key) if key is not None else log_signer(make=False).verifier()
    held = [_kept_checkpoint(path, verifier) for path in kept or ()]
    try:
        with (
            inspection_for_command(database_url(url)) as opened,
            _progress_bar(opened.entries, "checking entries") as progress,
        ):
            report = opened.audit.verify(progress=progress, verifier=verifier, held=held)
    except NoDatabase as missing:
        _cannot_check(str(missing))
    print_report(report)
    if report.ok:
        typer.echo(
            f"signed checkpoints checked: {report.checkpoints} ({len(held)} kept by you), "
            f"signatures by {verifier}"
        )
    else:
        raise typer.Exit(1)


@audit.command("checkpoint")
def audit_checkpoint(url: DatabaseUrl = None) -> None:
    """Print the ledger's latest checkpoint as a signed note, signing one first if it is
    due (or if none was ever signed)."""
    configure_logging(level=logging.WARNING)
    with runtime_for_command(database_url(url)) as runtime:
        typer.echo(runtime.audit.checkpoint().note, nl=False)


def _trusted_key(given: str) -> Verifier:
    """The verifier key ``given`` on the command line, or in the file it names."""
    try:
        path = Path(given)
        return Verifier.parse(path.read_text(encoding="utf-8") if path.is_file() else given)
    except (OSError, UnicodeDecodeError, ValueError) as unusable:
        _cannot_check(str(unusable))


def _kept_checkpoint(path: Path, verifier: Verifier) -> Checkpoint:
    """The checkpoint in ``path``, once ``verifier``'s signature on it holds."""
    try:
        return Checkpoint.parse(open_note(path.read_text(encoding="utf-8"), verifier))
    except (OSError, UnicodeDecodeError, ValueError) as unusable:
        _cannot_check(f"checkpoint {path}: {unusable}")


def _cannot_check(why: str) -> NoReturn:
    typer.echo(f"cannot check: {why}", err=True)
    raise typer.Exit(2)


@contextmanager
def _progress_bar(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress callback drawing a bar on standard error if it is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:

        def progress(done: int) -> None:
            if done % _PROGRESS_STEP == 0 or done == total:
                bar.update(done - bar.pos)

        yield progress
