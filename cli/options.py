"""The options several ``cardflow`` commands share, spelled once."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from api.config import DATABASE_URL_ENV


class CommandGroup(TyperGroup):
    """A group whose command list gives each command's first paragraph whole, wrapped
    to the terminal, where click would cut it to one line and end it with "..."."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            said = command.short_help or (command.help or "").partition("\f")[0]
            rows.append((name, " ".join(said.strip().split("\n\n")[0].split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def help_settings() -> dict[str, Any]:
    """How every ``cardflow`` group writes its help: click's formatter, which joins a
    docstring's lines into paragraphs and wraps them to the terminal's width (typer's
    rich panels keep a docstring's line breaks in the command list, and show ``<bool>``
    after each flag, which takes no value)."""
    return {
        "cls": CommandGroup,
        "rich_markup_mode": None,
        # No cap: click then wraps to the terminal's width, read when help is printed.
        "context_settings": {"max_content_width": sys.maxsize},
    }


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
