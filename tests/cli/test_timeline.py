"""``cardflow history``'s timeline: one column per field, lined up for every event."""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import create_engine, text

from cli.output import timeline_line
from ledger.entry import Entry
from ledger.memory import MemoryLedger
from tests.cli.helpers import cardflow
from tests.contract.helpers import open_card
from workflow.definition import TRANSITIONS
from workflow.service import CardService
from workflow.states import Channel


def an_entry() -> Entry:
    service = CardService(MemoryLedger())
    return service.history(open_card(service))[-1]


def columns(line: str) -> tuple[int, int]:
    """Where the channel and the actor columns start on a timeline's first line."""
    first = line.splitlines()[0]
    return first.index(" via "), first.index(" by ")


class TestColumns:
    """Every transition the definition has, through every channel, puts ``via`` and
    ``by`` in the same columns: the longest event name decides the width."""

    def test_every_event_and_channel_lines_up(self):
        entry = an_entry()
        lines = [
            timeline_line(
                dataclasses.replace(
                    entry,
                    event=str(t.event),
                    from_state=None if t.source is None else str(t.source),
                    to_state=str(t.dest),
                    channel=str(channel),
                )
            )
            for t in TRANSITIONS
            for channel in Channel
        ]
        assert len({columns(line) for line in lines}) == 1, "\n".join(lines[:3])

    def test_a_real_history_lines_up(self, sqlite_url):
        """The demo's three longest histories, as the command prints them."""
        assert cardflow("demo", "--database-url", sqlite_url).exit_code == 0
        engine = create_engine(sqlite_url)
        with engine.connect() as conn:
            card_ids = [
                row[0]
                for row in conn.execute(
                    text(
                        "SELECT card_id FROM ledger_entries GROUP BY card_id "
                        "ORDER BY count(*) DESC LIMIT 3"
                    )
                )
            ]
        engine.dispose()
        starts = set()
        for card_id in card_ids:
            shown = cardflow("history", card_id, "--database-url", sqlite_url)
            assert shown.exit_code == 0, shown.output
            for line in shown.output.splitlines():
                if re.match(r"#\d+ ", line) and " -> " in line:
                    starts.add(columns(line))
        assert len(starts) == 1
