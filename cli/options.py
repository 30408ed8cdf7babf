"""The options several ``cardflow`` commands share, spelled once."""

from __future__ import annotations

from typing import Annotated

import typer

from api.config import DATABASE_URL_ENV

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
