"""The independent verifier and its bundle maker import nothing of cardflow."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ALLOWED = {"cryptography", "tests"}


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name} imports relatively"
            found.add(node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            found.add("__import__")
    return found


class TestImports:
    """Standard library and ``cryptography`` only; ``tests.independent`` among themselves."""

    @pytest.mark.parametrize("name", ["verify_bundle.py", "bundles.py", "spec_example.py"])
    def test_only_the_standard_library_and_cryptography(self, name):
        for module in imported(HERE / name):
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or top in ALLOWED, f"{name} imports {module}"
            assert top not in {"importlib", "__import__"}, f"{name} imports {module}"
            if top == "tests":
                assert module.startswith("tests.independent."), f"{name} imports {module}"

    def test_the_check_sees_a_cardflow_import(self, tmp_path):
        sample = tmp_path / "sample.py"
        sample.write_text("from ledger.cardmap import verify_proof\nimport api\n")
        assert {"ledger.cardmap", "api"} <= imported(sample)
        assert not {"ledger", "api"} & (sys.stdlib_module_names | ALLOWED)
