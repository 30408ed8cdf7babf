"""Databases as the cardflow from before migrations left them (``tests/data/schema7``),
put where a test's URL points, and a look at a schema exactly as the database holds it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.sql import migrate

SCHEMA7: Final = Path(__file__).resolve().parent / "data" / "schema7"
DUMPED_SCHEMA: Final = "cardflow_schema7"
"""The schema the PostgreSQL dump was taken from; a test restores it under its own."""


def with_second_revision(folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run with the migrations and a second revision after them (an index more), made in
    ``folder``, so that a database at the first is behind the head; the new head."""
    copied = folder / "migrations"
    shutil.copytree(migrate.MIGRATIONS, copied, ignore=shutil.ignore_patterns("__pycache__"))
    (copied / "versions" / "r0003_test.py").write_text(
        '"""An index more."""\n'
        "from alembic import op\n"
        'revision = "0003"\n'
        'down_revision = "0002"\n'
        "branch_labels = None\n"
        "depends_on = None\n"
        "def upgrade():\n"
        '    op.create_index("ledger_tip_size", "ledger_tip", ["size"])\n'
        "def downgrade():\n"
        '    op.drop_index("ledger_tip_size", "ledger_tip")\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(migrate, "MIGRATIONS", copied)
    migrate.scripts.cache_clear()
    return "0003"


def use_schema7_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with the keys the schema-7 ledgers are bound to."""
    monkeypatch.setenv("CARDFLOW_PERSON_KEY_FILE", str(SCHEMA7 / "cardflow.person-key"))
    monkeypatch.setenv("CARDFLOW_LOG_KEY_FILE", str(SCHEMA7 / "cardflow.log-key"))


def current_schema(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT current_schema()")).scalar_one())
    finally:
        engine.dispose()


def restore_schema7(url: str) -> str:
    """Put the schema-7 ledger at ``url`` (a SQLite file not made yet, or an empty
    PostgreSQL schema), as the cardflow of before migrations left it; ``url`` again."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        shutil.copyfile(SCHEMA7 / "cardflow.db", parsed.database or "")
        return url
    schema = current_schema(url)
    dump = (SCHEMA7 / "cardflow.sql").read_text(encoding="utf-8")
    lines = [line for line in dump.splitlines() if not line.startswith("\\")]  # psql's own
    script = (
        "\n".join(lines)
        .replace(f"CREATE SCHEMA {DUMPED_SCHEMA};", "")
        .replace(f"{DUMPED_SCHEMA}.", f'"{schema}".')
    )
    engine = create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            raw.cursor().execute(script)
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return url


def schema_as_held(url: str) -> list[str]:
    """Every table's columns, every index, constraint and trigger of the schema at
    ``url``, as the database itself states them (its own DDL, sorted), Alembic's table
    left out: two schemas are the same exactly when these are."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                rows = conn.execute(
                    text(
                        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                        "AND tbl_name != 'alembic_version'"
                    )
                )
                return sorted(str(row.sql) for row in rows)
            queries = (
                "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || "
                "coalesce(character_maximum_length::text, '') || ' ' || is_nullable || ' ' || "
                "coalesce(column_default, '') FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name != 'alembic_version'",
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename != 'alembic_version'",
                "SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
                "AND conrelid::regclass::text != 'alembic_version'",
                "SELECT tgname || ' ' || tgenabled::text || ' ' || pg_get_triggerdef(t.oid) "
                "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal",
                "SELECT proname || ' ' || prosrc FROM pg_proc "
                "WHERE pronamespace = current_schema()::regnamespace",
            )
            schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
            held = [
                str(value) for query in queries for value in conn.execute(text(query)).scalars()
            ]
            return sorted(
                line.replace(f"{schema}.", "").replace(f'"{schema}".', "") for line in held
            )
    finally:
        engine.dispose()
