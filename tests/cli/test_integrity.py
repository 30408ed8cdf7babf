"""A command that finds the stored ledger changed underneath says what, exits 2, and
logs it at ``critical``, as the server does."""

from __future__ import annotations

import pytest

from cli.main import main
from ledger.sql import SqlLedger
from tests.cli.helpers import cardflow
from tests.contract.helpers import as_administrator, draft


def test_a_rewritten_tip_stops_the_command(sqlite_url, monkeypatch, capsys):
    assert cardflow("init", "--database-url", sqlite_url).exit_code == 0
    ledger = SqlLedger(sqlite_url)
    try:
        ledger.append([draft("a", 1)])
    finally:
        ledger.dispose()
    as_administrator(sqlite_url, f"UPDATE ledger_tip SET root = '{'0' * 64}'")
    monkeypatch.setattr(
        "sys.argv", ["cardflow", "audit", "checkpoint", "--database-url", sqlite_url]
    )
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert "cardflow: the stored tree's root" in err
    assert "is not the root the tip records" in err
    (line,) = [line for line in (out + err).splitlines() if "ledger integrity failure" in line]
    assert "critical" in line
    assert "CheckpointRefused" in line
