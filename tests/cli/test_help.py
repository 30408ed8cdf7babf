"""Every command's help reads well at any terminal width: prose wrapped to the terminal,
never cut mid-sentence, no placeholder after a flag."""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterator
from contextlib import redirect_stdout
from functools import cache
from typing import Any
from unittest.mock import patch

import pytest
import typer

from cli.main import app

WIDTHS = (80, 120)


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, command in getattr(group, "commands", {}).items():
        yield from commands(command, (*path, name))


COMMAND = typer.main.get_command(app)
ALL = list(commands(COMMAND))


@cache
def help_of(path: tuple[str, ...], width: int) -> str:
    """The help as a terminal of ``width`` columns shows it. (Not through ``CliRunner``,
    which forces 80 columns.)"""
    shown = io.StringIO()
    with patch.dict(os.environ, {"COLUMNS": str(width)}), redirect_stdout(shown):
        COMMAND.main([*path, "--help"], prog_name="cardflow", standalone_mode=False)
    return shown.getvalue()


def paragraphs(lines: list[str]) -> Iterator[list[str]]:
    """Runs of prose lines at one indent: a description's paragraphs, a definition's
    wrapped help."""
    run: list[str] = []
    for line in [*lines, ""]:
        if line.strip() and (not run or _indent(line) == _indent(run[-1])):
            run.append(line)
            continue
        if run:
            yield run
        run = [line] if line.strip() else []


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def description(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Usage:")) + 1
    end = next((i for i, line in enumerate(lines) if line.endswith(":") and i > start), None)
    return lines[start:end]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ALL, ids=lambda path: " ".join(path) or "cardflow")
class TestHelp:
    """``cardflow … --help`` at 80 and 120 columns."""

    def test_fits_the_terminal(self, path, width):
        for line in help_of(path, width).splitlines():
            assert len(line) <= width, line

    def test_prose_is_wrapped_to_the_terminal_not_where_the_docstring_broke(self, path, width):
        """Each line of a paragraph but its last is full: its next word would not fit."""
        for run in paragraphs(description(help_of(path, width))):
            for line, following in itertools.pairwise(run):
                next_word = following.split()[0]
                assert len(line) + 1 + len(next_word) > width - 2, (line, following)

    def test_no_placeholder_after_a_flag(self, path, width):
        output = help_of(path, width)
        assert "<bool>" not in output
        assert "[default: False]" not in output

    def test_the_command_list_is_whole(self, path, width):
        """A command's first paragraph is listed whole, wrapped, never cut with "..."."""
        output = help_of(path, width)
        if "Commands:" in output:
            listed = output.partition("Commands:")[2]
            assert "..." not in listed
