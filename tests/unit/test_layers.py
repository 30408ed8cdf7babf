"""The house keeps its rooms: what each layer may import, read from the source itself."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", ".git", "node_modules", "build", "dist"}
THE_MACHINE = ROOT / "workflow" / "machine.py"
LEDGER_PORT = "ledger.store"
FRAMEWORKS = ("fastapi", "starlette", "pydantic", "sqlalchemy")


def python_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED & set(path.relative_to(ROOT).parts) and "site-packages" not in path.parts
    )


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, written out in full (``from a import b`` gives
    ``a.b`` as well as ``a``, since ``b`` may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def the_ledger_beyond_its_port(name: str) -> bool:
    """A name in ``ledger`` that is not the port, nor a name the port module holds."""
    return within(name, "ledger") and name != "ledger" and not within(name, LEDGER_PORT)


WORKFLOW = [path for path in python_files() if path.is_relative_to(ROOT / "workflow")]
EVERYWHERE = python_files()


def named(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(ROOT)) for path in paths]


class TestWorkflow:
    """``workflow/`` is pure rules: it reaches the ledger through its port, and no framework."""

    @pytest.mark.parametrize("path", WORKFLOW, ids=named(WORKFLOW))
    def test_reaches_the_ledger_through_its_port_only(self, path):
        beyond = sorted({name for name in imported(path) if the_ledger_beyond_its_port(name)})
        assert not beyond, f"{path.name} imports {beyond}: use {LEDGER_PORT}"

    @pytest.mark.parametrize("path", WORKFLOW, ids=named(WORKFLOW))
    def test_imports_no_framework(self, path):
        frameworks = sorted(
            {name for name in imported(path) for f in FRAMEWORKS if within(name, f)}
        )
        assert not frameworks, f"{path.name} imports {frameworks}"


class TestTheMachine:
    """Only the machine speaks to the ``transitions`` library."""

    def test_the_machine_does(self):
        assert any(within(name, "transitions") for name in imported(THE_MACHINE))

    @pytest.mark.parametrize("path", EVERYWHERE, ids=named(EVERYWHERE))
    def test_no_other_module_does(self, path):
        if path == THE_MACHINE:
            return
        assert not any(within(name, "transitions") for name in imported(path))


class TestTheChecks:
    """The checks above see what they must (a check that sees nothing passes anything)."""

    def test_they_read_every_workflow_module(self):
        assert {path.name for path in WORKFLOW} >= {"machine.py", "rules.py", "service.py"}

    @pytest.mark.parametrize(
        ("source", "beyond"),
        [
            ("from ledger.entry import Draft", True),
            ("from ledger import entry", True),
            ("import ledger.sql", True),
            ("from ledger.store import Draft", False),
            ("from ledger import store", False),
            ("import ledger.store", False),
        ],
    )
    def test_the_port_and_beyond(self, tmp_path, source, beyond):
        module = tmp_path / "module.py"
        module.write_text(source + "\n", encoding="utf-8")
        assert any(the_ledger_beyond_its_port(name) for name in imported(module)) is beyond
