"""``cli/`` is a client of the use cases and the wiring: no SQL, no HTTP schemas."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parents[2] / "cli"
MODULES = sorted(CLI.glob("*.py"))

ALLOWED_API = {
    "api.config",
    "api.maintenance",
    "api.app",
    "api.lifeline",
    "api.vitals.multiprocess",
    "api.logs",
    "api.keys",
}
"""The wiring and its commands that maintain a database, the server and its workers' ties
to it and to each other's counts (for ``serve``), logging, the keys store, the docs
generator."""

ONE_PLACE = ("api.keys", "livedocs")
"""Modules that move later: each imported from one module of ``cli/`` only."""


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at its top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def imports_of(path: Path) -> set[str]:
    return set(imported(path))


def api_allowed(name: str) -> bool:
    """Whether importing ``name`` keeps to the allowed parts of ``api/``: an allowed
    module, or a name from one (``from api import config`` names ``api.config``)."""
    if name.split(".")[0] != "api" or name == "api":
        return True
    return name in ALLOWED_API or name.rsplit(".", 1)[0] in ALLOWED_API


def test_the_check_sees_what_it_forbids(tmp_path):
    module = tmp_path / "wrong.py"
    module.write_text(
        "import sqlalchemy.exc\nfrom api.schemas import SweepOut\n"
        "def f():\n    from api.routes import cards\n",
        encoding="utf-8",
    )
    names = imports_of(module)
    assert "sqlalchemy.exc" in names
    assert {"api.schemas", "api.routes", "api.routes.cards"} <= names
    assert not any(api_allowed(name) for name in ("api.schemas", "api.routes.cards"))
    assert api_allowed("api.config.database_url")


def test_there_are_modules_to_check():
    assert {"main.py", "demo.py", "output.py"} <= {path.name for path in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
class TestEachModule:
    """Each module of ``cli/`` keeps to the use cases and the wiring."""

    def test_no_sqlalchemy(self, path):
        assert not {name for name in imports_of(path) if name.split(".")[0] == "sqlalchemy"}

    def test_only_the_allowed_api_modules(self, path):
        reached = sorted(name for name in imports_of(path) if not api_allowed(name))
        assert not reached, f"{path.name} imports {reached}"

    def test_no_sql_adapter(self, path):
        names = imports_of(path)
        assert not {name for name in names if name.startswith("ledger.sql")}
        assert "SqlLedger" not in path.read_text(encoding="utf-8")

    def test_never_the_ledger_behind_the_use_cases(self, path):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        reached = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in {"ledger", "engine"}
        ]
        assert not reached, f"{path.name} reaches into the ledger at lines {reached}"

    def test_no_module_over_600_lines(self, path):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 600


@pytest.mark.parametrize("module", ONE_PLACE)
def test_imported_from_one_place(module):
    importers = [
        path.name
        for path in MODULES
        if any(name == module or name.startswith(f"{module}.") for name in imports_of(path))
    ]
    assert len(importers) <= 1, f"{module} is imported by {importers}"
