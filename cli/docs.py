"""``cardflow docs``: the features rendered as a static site, their latest results shown."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated

import typer

from livedocs import build_site


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
        if find_spec("pytest_bdd") is None:
            typer.echo(
                "cardflow docs --run: running the features needs pytest-bdd; "
                "install cardflow with its docs extra (pip install 'cardflow[docs]')",
                err=True,
            )
            raise typer.Exit(2)
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
