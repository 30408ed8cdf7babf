"""The ``cardflow`` command: the demo, the server, a card's history, the ledger check."""

from __future__ import annotations

import getpass
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final, NoReturn

import click
import typer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from api.config import (
    DATABASE_URL_ENV,
    SWEEP_EVERY_ENV,
    ConfigurationError,
    database_url,
    log_signer,
    runtime_for_command,
)
from api.config import sweep_every as config_sweep_every
from api.demo import run_demo
from api.keys import WRITER_PRIVILEGES as KEYS_WRITER_PRIVILEGES
from api.keys import ApiKey, SqlKeys, UnknownKey
from api.ledger.schemas import EntryOut
from api.livedocs import build_site
from api.logs import configure_logging
from api.sweeps.schemas import SweepOut
from ledger.bundle import BundleError, check_bundle, make_bundle
from ledger.entry import ERASURE, Entry, format_timestamp
from ledger.errors import LedgerError
from ledger.note import Checkpoint, Verifier, open_note
from ledger.sql import WRITER_PRIVILEGES as LEDGER_WRITER_PRIVILEGES
from ledger.sql import SqlLedger, normalise_url, writer_grants
from ledger.verify import Report
from ledger.verify import verify as verify_ledger
from workflow.diagram import readme_section, with_generated_section
from workflow.errors import CardNotFound, StillHolder, WorkflowError
from workflow.service import MAX_SWEEP, Actor
from workflow.states import Channel, ErasureReason, Role

app = typer.Typer(
    name="cardflow",
    help="Run social security cards through their lifecycle, with a verifiable audit ledger.",
    no_args_is_help=True,
    add_completion=False,
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar=DATABASE_URL_ENV,
        help="SQLAlchemy URL of the ledger; default: sqlite:///cardflow.db in this folder.",
        show_default=False,
    ),
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log every transition.")]

_PROGRESS_STEP: Final = 1000
"""Entries between two redraws of a progress bar."""


@app.command()
def demo(url: DatabaseUrl = None, verbose: Verbose = False) -> None:
    """Run a realistic set of cards through every channel, refusals included, and verify."""
    configure_logging(level=logging.INFO if verbose else logging.WARNING)
    chosen = database_url(url)
    typer.echo(f"cardflow demo on {_redacted(chosen)}\n")
    with runtime_for_command(chosen) as runtime:
        shown = run_demo(runtime.service, runtime.audit, say=typer.echo)
    refused = sum(line.startswith("refused") for tale in shown.told for line in tale.lines)
    typer.echo(
        f"{len(shown.told)} stories told, {refused} refusals shown, {shown.surprises} surprises"
    )
    typer.echo(f"channels used: {', '.join(sorted(shown.channels_shown()))}")
    _print_report(shown.report)
    if shown.surprises or not shown.report.ok:
        raise typer.Exit(1)


@app.command()
def serve(
    url: DatabaseUrl = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
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
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    configure_logging()
    os.environ[DATABASE_URL_ENV] = database_url(url)
    if sweep_every is not None:
        os.environ[SWEEP_EVERY_ENV] = str(sweep_every)
    config_sweep_every()  # refuse a bad interval now, not in every worker
    with runtime_for_command(os.environ[DATABASE_URL_ENV]):
        pass  # the schema is created once here, before any worker starts
    uvicorn.run(
        "api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
    )


@app.command()
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
        with runtime_for_command(database_url(url)) as runtime:
            entries = runtime.service.history(card_id, refusals=refusals)
    except CardNotFound as missing:
        typer.echo(missing.detail, err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps([_as_json(entry) for entry in entries], indent=2, ensure_ascii=False))
        return
    for entry in entries:
        typer.echo(_timeline_line(entry))


@app.command()
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
        typer.echo(SweepOut.of(report).model_dump_json(indent=2))
        return
    typer.echo(
        f"swept at {format_timestamp(report.at)}: {len(report.swept)} steps taken, "
        f"{report.done_elsewhere} taken by another sweep, {report.moved_on} cards moved on first"
    )
    for done in report.swept:
        typer.echo(f"  {done.card_id}  {done.event}: {done.from_state} -> {done.to_state}")


@app.command()
def verify(url: DatabaseUrl = None) -> None:
    """Recompute every hash; exit 1 and name the first bad entry if anything was altered."""
    configure_logging(level=logging.WARNING)
    with runtime_for_command(database_url(url)) as runtime:
        report = runtime.audit.verify()
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command("grant-writer")
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
    chosen = database_url(url)
    if make_url(normalise_url(chosen)).get_backend_name() != "postgresql":
        typer.echo("SQLite has no roles: the file's permissions are its access control", err=True)
        raise typer.Exit(2)
    ledger = SqlLedger(chosen)
    try:
        if not dry_run:
            ledger.create_schema()
            SqlKeys(ledger.engine).create_schema()
        with ledger.engine.begin() as conn:
            statements = writer_grants(
                conn, role, {**LEDGER_WRITER_PRIVILEGES, **KEYS_WRITER_PRIVILEGES}
            )
            for statement in [] if dry_run else statements:
                conn.execute(text(statement))
    except (DBAPIError, LedgerError) as refused:
        said = _database_said(refused) if isinstance(refused, DBAPIError) else str(refused)
        typer.echo(f"cardflow grant-writer: {said}", err=True)
        raise typer.Exit(2) from None
    finally:
        ledger.dispose()
    for statement in statements:
        typer.echo(f"{statement};")


@app.command()
def describe(
    readme: Annotated[
        Path | None,
        typer.Option(help="Rewrite the generated section of this README instead of printing."),
    ] = None,
) -> None:
    """Print the lifecycle diagram and the channel rules as Markdown (as in the README)."""
    if readme is None:
        typer.echo(readme_section(), nl=False)
        return
    readme.write_text(with_generated_section(readme.read_text(encoding="utf-8")), encoding="utf-8")


@app.command()
def docs(
    out: Annotated[Path, typer.Option(help="Folder to write the site into.")] = Path("site"),
    results: Annotated[
        Path | None,
        typer.Option(help="A cucumber JSON report (pytest --cucumber-json=PATH) to show."),
    ] = None,
    run: Annotated[
        bool,
        typer.Option("--run", help="Run the features first (pytest tests/bdd) for results."),
    ] = False,
    features: Annotated[Path, typer.Option(help="The feature files.")] = Path("features"),
    seeds: Annotated[
        Path | None, typer.Option(help="The seed documents the features cite.")
    ] = None,
) -> None:
    """Render the features as a static HTML site: each rule with its scenarios and their
    latest results, the event x channel coverage matrix, the state diagram and the seeds."""
    if run:
        results = out / "cucumber.json"
        out.mkdir(parents=True, exist_ok=True)
        ran = subprocess.run(  # noqa: S603 -- a fixed argv: this Python, pytest, our features
            [sys.executable, "-m", "pytest", "-q", "tests/bdd", f"--cucumber-json={results}"],
            check=False,
        )
        if ran.returncode not in (0, 1):
            typer.echo(f"cardflow docs: the features could not be run (pytest {ran.returncode})")
            raise typer.Exit(2)
    try:
        summary = build_site(features=features, out=out, results=results, seeds=seeds)
    except (OSError, ValueError) as unusable:
        typer.echo(f"cardflow docs: {unusable}", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(summary))
    if summary.failed or summary.untold or summary.refusals_untold:
        raise typer.Exit(1)


keys = typer.Typer(help="Make, list and revoke API keys (bearer tokens).", no_args_is_help=True)
app.add_typer(keys, name="keys")
audit = typer.Typer(
    help="Signed checkpoints of the ledger, and the key to check them with.",
    no_args_is_help=True,
)
app.add_typer(audit, name="audit")


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
    ledger = _existing_ledger(database_url(url))
    try:
        with _progress_bar(ledger.tip().size, "checking entries") as progress:
            report = verify_ledger(ledger, progress=progress, verifier=verifier, held=held)
    finally:
        ledger.dispose()
    _print_report(report)
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


person = typer.Typer(
    help="The person store: personal data kept beside the ledger, never in it.",
    no_args_is_help=True,
)
app.add_typer(person, name="person")


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
        with runtime_for_command(database_url(url), make_keys=False) as runtime:
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
            "Default: every channel the role allows."
        ),
    ] = None,
    url: DatabaseUrl = None,
) -> None:
    """Make a key and print its token once: cardflow keeps only a hash of it."""
    with runtime_for_command(database_url(url)) as runtime:
        key, token = runtime.keys.create(name, role, channel or None)
    typer.echo(token)
    typer.echo(f"key {key.key_id}: {_describe_key(key)}", err=True)


@keys.command("list")
def list_keys(url: DatabaseUrl = None) -> None:
    """List every key, live and revoked; never a token."""
    with runtime_for_command(database_url(url)) as runtime:
        for key in runtime.keys.list():
            typer.echo(f"{key.key_id}  {_describe_key(key)}")


@keys.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `keys list` shows it.")],
    url: DatabaseUrl = None,
) -> None:
    """Revoke a key: its token is refused from now on."""
    with runtime_for_command(database_url(url)) as runtime:
        try:
            key = runtime.keys.revoke(key_id)
        except UnknownKey:
            typer.echo(f"no key with id {key_id!r}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"{key.key_id}  {_describe_key(key)}")


def _existing_ledger(url: str) -> SqlLedger:
    """The ledger at ``url``, opened to read: nothing is created, not even a file."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        _cannot_check(f"there is no database at {parsed.database}")
    return SqlLedger(url)


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


def _describe_key(key: ApiKey) -> str:
    channels = (
        "every channel its role allows" if key.channels is None else ", ".join(sorted(key.channels))
    )
    status = f"revoked {format_timestamp(key.revoked_at)}" if key.revoked_at else "live"
    return f"{key.name}  {key.role}  {channels}  {status}"


def _print_report(report: Report) -> None:
    if report.ok:
        typer.echo(
            f"ledger verified: {report.entries} entries, {report.cards} cards, "
            "every hash, link and tree node intact"
        )
        return
    typer.echo(
        f"ledger FAILED verification: first bad sequence number {report.first_bad_seq}", err=True
    )
    for problem in report.problems:
        typer.echo(f"  - {problem.what}", err=True)


def _timeline_line(entry: Entry) -> str:
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
    moved = f"{entry.from_state or '(none)'} -> {entry.to_state}"
    who = f"{entry.actor} ({entry.role})" + (
        ", for the insured by an agent" if entry.presenter == "agent" else ""
    )
    evidence = ", ".join(
        key if value is True else f"{key}={value}" for key, value in sorted(entry.evidence.items())
    )
    return (
        f"#{entry.seq:<5} {format_timestamp(entry.occurred_at)}  {entry.event:<11} {moved:<28} "
        f"via {entry.channel:<13} by {who}\n        evidence: {evidence or 'none'}"
    )


def _as_json(entry: Entry) -> dict[str, object]:
    """The entry as the HTTP API shows it, so both speak one format."""
    return EntryOut.of(entry).model_dump(mode="json")


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _database_said(error: DBAPIError) -> str:
    """The database's own first line about ``error``, without the statement or its data."""
    return (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]


def main() -> None:
    try:
        app()
    except (ConfigurationError, LedgerError) as wrong:
        typer.echo(f"cardflow: {wrong}", err=True)
        raise SystemExit(2) from None
    except DBAPIError as refused:
        typer.echo(f"cardflow: the database refused: {_database_said(refused)}", err=True)
        raise SystemExit(2) from None
