"""``cardflow witness``: run a witness that cosigns the checkpoints of the logs it follows
(a supervisor's office runs one, apart from the cardflow server it watches)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from api.logs import configure_logging
from cli.options import help_settings
from ledger.cosignature import Cosigner
from ledger.note import NoteError, Verifier

witness = typer.Typer(
    **help_settings(),
    help="A witness (C2SP tlog-witness): it cosigns a log's checkpoints only while the "
    "log grows without rewriting what it showed before.",
    no_args_is_help=True,
)

KeyFile = Annotated[
    Path,
    typer.Option("--key-file", help="The witness's private key (for its owner only)."),
]


@witness.command("init")
def witness_init(
    key_file: KeyFile,
    name: Annotated[
        str,
        typer.Option(
            "--name", help="The witness's name, a schema-less URL such as office.example/w1."
        ),
    ],
) -> None:
    """Make the witness's key in KEY_FILE (readable by its owner only; never replaced)
    and print its public key (<name>+<key id>+<key>): give it to the cardflow server
    (CARDFLOW_WITNESSES) and to whoever checks bundles (verify-bundle --witness)."""
    try:
        cosigner = Cosigner.generate(name)
    except NoteError as bad:
        _refuse(f"--name: {bad}")
    try:
        with os.fdopen(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(f"{cosigner}\n")
    except OSError as cannot:
        _refuse(f"cannot make {key_file}: {cannot}")
    typer.echo(cosigner.key())


@witness.command("key")
def witness_key(key_file: KeyFile) -> None:
    """Print the public key of the witness whose private key is in KEY_FILE."""
    typer.echo(_cosigner(key_file).key())


@witness.command("serve")
def witness_serve(
    key_file: KeyFile,
    log: Annotated[
        list[str],
        typer.Option(
            "--log",
            help="A log's verifier key (<name>+<id>+<key>, as `cardflow audit key` prints "
            "it), or a file holding it; its name is the log's origin. Repeat for more logs, "
            "or for a log's key and those it replaced.",
        ),
    ],
    db: Annotated[
        Path, typer.Option("--db", help="The SQLite file holding each log's latest checkpoint.")
    ] = Path("witness.sqlite"),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7380,
) -> None:
    """Serve POST /add-checkpoint, GET /checkpoints/<origin> (the latest checkpoint
    cosigned for a log) and GET /healthz."""
    import uvicorn

    from witness.core import Witness
    from witness.http import create_witness_app
    from witness.store import WitnessStore

    cosigner = _cosigner(key_file)
    logs = [_log_key(given) for given in log]
    configure_logging()
    store = WitnessStore(str(db))
    try:
        app = create_witness_app(Witness(cosigner, logs, store))
        uvicorn.run(app, host=host, port=port, log_config=None, server_header=False)
    finally:
        store.dispose()


def _cosigner(key_file: Path) -> Cosigner:
    try:
        return Cosigner.parse(key_file.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, ValueError) as unusable:
        _refuse(f"--key-file {key_file}: {unusable}")


def _log_key(given: str) -> Verifier:
    try:
        path = Path(given)
        return Verifier.parse(path.read_text(encoding="utf-8") if path.is_file() else given)
    except (OSError, UnicodeDecodeError, ValueError) as unusable:
        _refuse(f"--log: {unusable}")


def _refuse(why: str) -> NoReturn:
    typer.echo(f"cardflow witness: {why}", err=True)
    raise typer.Exit(2)
