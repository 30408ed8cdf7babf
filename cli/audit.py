"""Commands a supervisor checks the ledger with: verify, signed checkpoints, a card's
audit bundle, and the whole ledger checked against the checkpoints they kept."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final, NoReturn

import click
import typer

from api.config import NoDatabase, database_url, log_signer, runtime_for_command
from api.logs import configure_logging
from api.maintenance import NotKept, inspection_for_command
from cli.options import DatabaseUrl, help_settings
from cli.output import print_report
from ledger.binding import AnyOf, Keyring
from ledger.bundle import BundleError, check_bundle
from ledger.cosignature import CosignerKey
from ledger.errors import WitnessUnreachable
from ledger.leaves import default_jobs
from ledger.note import Checkpoint, Signer, Verifier, opened_note
from ledger.witnessing import Witness, witness_checkpoint
from workflow.errors import CardNotFound

_PROGRESS_STEP: Final = 1000
"""Entries between two redraws of a progress bar."""

audit = typer.Typer(
    **help_settings(),
    help="Signed checkpoints of the ledger, and the key to check them with.",
    no_args_is_help=True,
)


def verify(url: DatabaseUrl = None) -> None:
    """Recompute every hash and check every checkpoint with the log keys the database is
    bound to; exit 1 and name the first bad entry if anything was altered. Reads only:
    needs no key, makes nothing. (`cardflow audit fsck --key` checks with a key you hold.)"""
    configure_logging(level=logging.WARNING)
    try:
        with inspection_for_command(database_url(url)) as opened:
            report = opened.audit.verify()
    except NoDatabase as missing:
        _cannot_check(str(missing))
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@audit.command("key")
def audit_key(
    bound: Annotated[
        bool,
        typer.Option(
            "--bound",
            help="Print instead every log key the database is bound to, rotated ones "
            "included, each with the trees it signs.",
        ),
    ] = False,
    url: DatabaseUrl = None,
) -> None:
    """Print the verifier key (<name>+<key id>+<key>) of this machine's log key
    (CARDFLOW_LOG_KEY or CARDFLOW_LOG_KEY_FILE): what checkpoints are signed with. Makes
    no key."""
    if not bound:
        typer.echo(log_signer().verifier())
        return
    try:
        with inspection_for_command(database_url(url)) as opened:
            keys = opened.audit.log_keys()
    except NoDatabase as missing:
        _cannot_check(str(missing))
    if not keys.keys:
        _cannot_check("the database is bound to no log key yet")
    for verifier, first, last in keys.ranges():
        if last is None:
            typer.echo(f"{verifier}  signs trees of {first} entries and more (the current key)")
        else:
            typer.echo(f"{verifier}  signed trees of {first} to {last} entries")


@audit.command("rotate-key")
def audit_rotate_key(
    new_key_file: Annotated[
        Path,
        typer.Option(
            "--new-key-file",
            help="Where to write the new signer key (for its owner only); must not exist.",
        ),
    ],
    url: DatabaseUrl = None,
) -> None:
    """Replace the log key: sign a last checkpoint of the ledger as it stands with the
    current key, then bind the database to a new key, made in NEW_KEY_FILE, for every
    larger tree. Checkpoints and bundles signed before still verify with the old key.
    Run it with the current key in place (stop the servers first), then restart them
    with CARDFLOW_LOG_KEY_FILE naming the new file."""
    configure_logging(level=logging.WARNING)
    chosen = database_url(url)
    with runtime_for_command(chosen, existing=True) as runtime:
        old = runtime.audit.verifier()
        new = Signer.generate(old.name)
        try:
            with os.fdopen(
                os.open(new_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w"
            ) as out:
                out.write(f"{new}\n")
        except OSError as cannot:
            _cannot_check(f"cannot write {new_key_file}: {cannot}")
        try:
            keys = runtime.audit.rotate(new)
        except ValueError as refused:
            new_key_file.unlink()
            _cannot_check(str(refused))
    first, _ = keys.keys[-1]
    typer.echo(f"old key: {old}  signs trees of up to {first - 1} entries")
    typer.echo(f"new key: {new.verifier()}  signs trees of {first} entries and more")
    typer.echo(
        f"restart cardflow with CARDFLOW_LOG_KEY_FILE={new_key_file}, and give supervisors "
        "the new key; keep the old one for the checkpoints and bundles it signed"
    )


@audit.command("export")
def audit_export(
    card_id: Annotated[str, typer.Argument(help="The card's id.")],
    url: DatabaseUrl = None,
) -> None:
    """Print a card's audit bundle (JSON): every entry of its history, refused attempts
    included, as the bytes that were hashed, each with its inclusion proof against a
    signed checkpoint, which carries the cosignatures witnesses gave it. Check it
    anywhere with `cardflow audit verify-bundle`."""
    configure_logging(level=logging.WARNING)
    try:
        with runtime_for_command(database_url(url), existing=True) as runtime:
            entries = runtime.service.history(card_id, refusals=True)
            made = runtime.audit.bundle(card_id, entries)
    except CardNotFound as missing:
        typer.echo(missing.detail, err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(made, indent=2, ensure_ascii=False))


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
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="A witness key you trust (<name>+<id>+<key>, as `cardflow witness init` "
            "printed it), or a file holding it; repeat for more.",
            show_default=False,
        ),
    ] = None,
    quorum: Annotated[
        int,
        typer.Option(
            "--quorum",
            min=0,
            help="How many of the --witness keys must have cosigned the checkpoint.",
        ),
    ] = 0,
) -> None:
    """Check a card's audit bundle with no database and no server: the checkpoint's
    signature and at least QUORUM witnesses' cosignatures of it, every entry's bytes and
    hash, its place in the signed tree, and that no version of the card is missing. Exit
    1 naming what failed; 2 if the input is not a bundle or a key at all."""
    verifier = _trusted_key(key)
    witnesses = [_witness_key(given) for given in witness or ()]
    if quorum > len(witnesses):
        _cannot_check(f"--quorum {quorum} needs as many --witness keys; {len(witnesses)} given")
    try:
        document = json.loads(bundle.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as unusable:
        _cannot_check(str(unusable))
    try:
        checked = check_bundle(document, verifier, witnesses, quorum)
    except BundleError as failed:
        typer.echo(f"the bundle does not verify: {failed}")
        raise typer.Exit(1) from None
    typer.echo(
        f"bundle of card {checked.card_id}: {checked.says()} -- all {checked.entries} of its "
        f"entries ({checked.versions} versions) in the tree of {checked.checkpoint.size} "
        f"entries that {checked.checkpoint.origin} signed, none dropped, repeated, "
        "reordered or left out"
        + (f"; cosigned by at least {quorum} of {len(witnesses)} witnesses" if quorum else "")
    )


@audit.command("fsck")
def audit_fsck(
    url: DatabaseUrl = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            help="A verifier key you trust (<name>+<id>+<key>), or a file holding it; "
            "repeat for a log key and those it replaced. Default: the log keys the "
            "database says it is bound to (which whoever runs it could change).",
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
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="A witness's URL: the latest checkpoint it cosigned for this log must be "
            "one the ledger stores, and grew into; repeat for more.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            min=1,
            help="Worker processes that read and re-hash the entries (the report is the "
            "same with any number). Default: 1, the command's own process.",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Keep the result in the database as the last whole-ledger check, which "
            "the desk's ledger page and GET /v1/ledger/verify show (needs a role that may "
            "write there). Default: write nothing.",
        ),
    ] = False,
) -> None:
    """Check the whole ledger: recompute every entry's hash and the whole Merkle tree,
    check every stored checkpoint's root and signature, each checkpoint you kept and the
    latest each witness cosigned, and replay the entries to check every card. A progress
    bar shows on a terminal. Exit 1 naming the first bad entry; 2 if a key, a kept
    checkpoint or a witness cannot be read."""
    configure_logging(level=logging.WARNING)
    trusted = AnyOf(tuple(_trusted_key(given) for given in key)) if key else None
    try:
        with inspection_for_command(database_url(url)) as opened:
            keys: Keyring = trusted or opened.audit.log_keys()
            if not keys.verifiers_for(opened.entries):
                _cannot_check("the database is bound to no log key: name the one you trust")
            held = [_kept_checkpoint(path, keys) for path in kept or ()]
            origin = keys.verifiers_for(opened.entries)[0].name
            witnessed = [_witnessed(url, origin, keys) for url in witness or ()]
            started_at, began = datetime.now(UTC), time.perf_counter()
            with _progress_bar(opened.entries, "checking entries") as progress:
                report = opened.audit.verify(
                    progress=progress,
                    keys=keys,
                    held=held,
                    witnessed=witnessed,
                    jobs=jobs or default_jobs(),
                )
            if keep:
                opened.keep(report, started_at, time.perf_counter() - began)
    except NoDatabase as missing:
        _cannot_check(str(missing))
    except NotKept as refused:
        _cannot_check(f"--record: {refused}")
    print_report(report)
    if report.ok:
        typer.echo(
            f"signed checkpoints checked: {report.checkpoints} ({len(held)} kept by you), "
            f"signatures by {keys.describe()}"
            + (f"; the latest of {len(witnessed)} witness(es) held" if witnessed else "")
        )
    else:
        raise typer.Exit(1)


@audit.command("checkpoint")
def audit_checkpoint(url: DatabaseUrl = None) -> None:
    """Print the ledger's latest checkpoint as a signed note, signing one first if it is
    due (or if none was ever signed)."""
    configure_logging(level=logging.WARNING)
    with runtime_for_command(database_url(url), existing=True) as runtime:
        typer.echo(runtime.audit.checkpoint().note, nl=False)


@audit.command("witness")
def audit_witness(
    url: DatabaseUrl = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="A witness, <URL>=<witness key>; repeat for more. Default: those "
            "CARDFLOW_WITNESSES names.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Ask each witness now to cosign the latest checkpoint (signing one first if it is
    due), as the server does in the background, and keep the cosignatures. Exit 1 if a
    witness did not cosign, saying what it answered; appends never wait for this."""
    configure_logging(level=logging.WARNING)
    try:
        asked = [Witness.parse(given) for given in witness or ()]
    except ValueError as unusable:
        _cannot_check(f"--witness: {unusable}")
    with runtime_for_command(database_url(url), existing=True) as runtime:
        audit = runtime.audit.with_witnesses(asked) if asked else runtime.audit
        if not audit.witnessing.witnesses:
            _cannot_check("no witness is named: give --witness or set CARDFLOW_WITNESSES")
        audit.checkpoint()
        outcomes = {outcome.witness: outcome for outcome in audit.witness()}
        statuses = audit.witnessed().witnesses
    for status in statuses:
        done = outcomes.get(status.witness)
        name = status.witness.key.name
        if done is None:
            typer.echo(f"{name}: had cosigned the checkpoint of {status.last_size} entries")
        else:
            typer.echo(f"{name}: {done.said} (the checkpoint of {done.size} entries)")
    if not all(status.cosigned for status in statuses):
        raise typer.Exit(1)


def _witness_key(given: str) -> CosignerKey:
    """The witness key ``given`` on the command line, or in the file it names."""
    try:
        path = Path(given)
        return CosignerKey.parse(path.read_text(encoding="utf-8") if path.is_file() else given)
    except (OSError, UnicodeDecodeError, ValueError) as unusable:
        _cannot_check(f"--witness: {unusable}")


def _witnessed(url: str, origin: str, keys: Keyring) -> tuple[str, Checkpoint]:
    """The latest checkpoint the witness at ``url`` cosigned for ``origin``, once the
    log's signature on it holds, named for the report."""
    try:
        note = witness_checkpoint(url, origin)
    except WitnessUnreachable as down:
        _cannot_check(f"witness {url}: {down}")
    if note is None:
        _cannot_check(f"witness {url} holds no checkpoint of {origin}")
    try:
        size = Checkpoint.parse(note.rpartition("\n\n")[0] + "\n").size
        return f"witness {url}", Checkpoint.parse(opened_note(note, keys.verifiers_for(size)))
    except ValueError as unusable:
        _cannot_check(f"witness {url}'s checkpoint: {unusable}")


def _trusted_key(given: str) -> Verifier:
    """The verifier key ``given`` on the command line, or in the file it names."""
    try:
        path = Path(given)
        return Verifier.parse(path.read_text(encoding="utf-8") if path.is_file() else given)
    except (OSError, UnicodeDecodeError, ValueError) as unusable:
        _cannot_check(str(unusable))


def _kept_checkpoint(path: Path, keys: Keyring) -> Checkpoint:
    """The checkpoint in ``path``, once the signature on it of a key of ``keys`` that may
    sign a tree of its size holds."""
    try:
        text = path.read_text(encoding="utf-8")
        size = Checkpoint.parse(text.rpartition("\n\n")[0] + "\n").size
        return Checkpoint.parse(opened_note(text, keys.verifiers_for(size)))
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
