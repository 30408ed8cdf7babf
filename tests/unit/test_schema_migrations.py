"""The migrations ship with a plain install, and form one line of revisions."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Final

from ledger.sql.migrate import MIGRATIONS, head, scripts

ROOT: Final = Path(__file__).resolve().parents[2]
SETUPTOOLS: Final = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_folder_of_the_migrations_is_a_package_shipped():
    folders = {MIGRATIONS, *(path.parent for path in MIGRATIONS.rglob("*.py"))}
    for folder in folders:
        assert (folder / "__init__.py").is_file(), folder
        name = ".".join(folder.relative_to(ROOT).parts)
        assert name in SETUPTOOLS["packages"], name


def test_the_revision_template_is_package_data():
    assert (MIGRATIONS / "script.py.mako").is_file()
    assert "script.py.mako" in SETUPTOOLS["package-data"]["ledger.sql.migrations"]


def test_one_line_of_revisions_from_0001_to_the_head():
    found = scripts()
    assert found.get_heads() == [head()]
    line = [script.revision for script in found.walk_revisions()]  # newest first
    assert line[-1] == "0001"
    assert found.get_revision("0001").down_revision is None
    assert len(set(line)) == len(line)
