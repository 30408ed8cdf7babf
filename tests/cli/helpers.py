"""Running the ``cardflow`` command in tests: in this process, or as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from cli.main import app

_RUNNER = CliRunner()


def cardflow(*args: str, given: str | None = None) -> Result:
    """``cardflow ARGS`` in this process, ``given`` as its standard input."""
    return _RUNNER.invoke(app, list(args), input=given, catch_exceptions=False)


def command(*args: str) -> list[str]:
    """The argv that runs ``cardflow ARGS`` with this Python."""
    return [sys.executable, "-m", "cli", *args]


def cardflow_process(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, **more: Any
) -> subprocess.CompletedProcess[str]:
    """``cardflow ARGS`` as a process of its own, ``env`` added to this environment."""
    return subprocess.run(
        command(*args),
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **more,
    )


def cardflows_at_once(count: int, *args: str) -> list[tuple[int, str, str]]:
    """``count`` processes of ``cardflow ARGS`` started together: each one's exit code,
    standard output and standard error."""
    started = [
        subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    said = [process.communicate(timeout=120) for process in started]
    return [
        (process.returncode, out, err) for process, (out, err) in zip(started, said, strict=True)
    ]
