"""What cardflow imports is what a plain install brings: each package's imports declared."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path
from typing import Final

from packaging.requirements import Requirement

from cli import docs
from tests.cli.helpers import cardflow

ROOT: Final = Path(__file__).resolve().parents[2]
SHIPPED: Final = ("workflow", "ledger", "api", "cli", "livedocs", "witness")
PROJECT: Final = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    return Requirement(requirement).name.lower().replace("_", "-")


def _imported(package: str) -> dict[str, Path]:
    """Each top-level module a shipped package imports anywhere (at the top or inside a
    function), with a file that imports it."""
    found: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], path.relative_to(ROOT))
    return found


def _third_party(package: str) -> dict[str, Path]:
    return {
        module: path
        for module, path in _imported(package).items()
        if module not in sys.stdlib_module_names
        and module not in SHIPPED
        and module not in ("__future__", "_typeshed")  # _typeshed: types only
    }


class TestDeclared:
    """A plain ``pip install cardflow`` runs every shipped module: nothing is imported
    that only arrives with an extra, or as another package's dependency."""

    def test_every_third_party_import_is_a_declared_dependency(self):
        declared = {_name(requirement) for requirement in PROJECT["dependencies"]}
        postgres_only = {_name(r) for r in PROJECT["optional-dependencies"]["postgres"]}
        distributions = packages_distributions()
        undeclared = {}
        for package in SHIPPED:
            for module, path in _third_party(package).items():
                names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
                if not names & (declared | postgres_only):
                    undeclared[module] = str(path)
        assert undeclared == {}

    def test_the_postgres_driver_is_only_the_postgres_extra(self):
        """psycopg is named by URL, never imported at the top of a module a plain
        install loads."""
        for package in SHIPPED:
            assert "psycopg" not in _third_party(package)

    def test_fastapi_floor_brings_starlette_one(self):
        """The FastAPI floor is a release that itself requires Starlette 1.x, and the
        test client's HTTP library is httpx2 alone."""
        floor = next(r for r in PROJECT["dependencies"] if _name(r) == "fastapi")
        assert Requirement(floor).specifier.contains("0.164.0")
        assert not Requirement(floor).specifier.contains("0.163.2")
        installed = [Requirement(r) for r in requires("fastapi") or []]
        starlette = next(r for r in installed if r.name == "starlette" and not r.marker)
        assert not starlette.specifier.contains("0.46.0")
        dev = {_name(r) for r in PROJECT["optional-dependencies"]["dev"]}
        assert "httpx2" in dev
        assert "httpx" not in dev


class TestDocsExtra:
    """``cardflow docs --run`` needs pytest-bdd, which only the docs extra brings: without
    it the command says which extra to install, rather than failing inside pytest."""

    def test_run_without_pytest_bdd_names_the_extra(self, tmp_path, monkeypatch):
        monkeypatch.setattr(docs, "find_spec", lambda name: None)
        result = cardflow("docs", "--run", "--out", str(tmp_path / "site"))
        assert result.exit_code == 2
        assert "cardflow[docs]" in result.output
        assert not (tmp_path / "site").exists()

    def test_the_docs_extra_brings_what_run_imports(self):
        extra = {_name(r) for r in PROJECT["optional-dependencies"]["docs"]}
        assert {"pytest", "pytest-bdd"} <= extra
