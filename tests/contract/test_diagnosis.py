"""What verify says was done when the entries no longer give a signed root: rewritten,
removed from the middle or cut from the end, and the first entry that differs -- on a
ledger filled through the use cases (``test_tampering``'s), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from ledger.checkpoints import sign_checkpoint
from ledger.note import Checkpoint
from ledger.proofs import node_source, root_at
from ledger.sql import SqlLedger
from ledger.verify import Problem
from tests.conftest import SIGNER, FakeClock
from tests.contract.helpers import as_administrator, rewrite
from tests.contract.test_tampering import SIZE, held_report, kept_checkpoint, populate


@pytest.fixture
def stored(database_url: str, clock: FakeClock) -> str:
    return populate(database_url, clock)


def resign(url: str, clock: FakeClock) -> None:
    """Sign the ledger as it now stands, as whoever holds the log key could."""
    clock.advance(minutes=5)
    ledger = SqlLedger(url)
    try:
        sign_checkpoint(ledger, SIGNER, clock.now)
    finally:
        ledger.dispose()


def said(url: str, *held: Checkpoint) -> list[Problem]:
    return list(held_report(url, *held).problems)


class TestRewritten:
    """An entry changed and every later hash, node, head and the tip recomputed, and the
    ledger signed again: only the checkpoints a supervisor held tell, and they say where."""

    CHANGED = 7

    def _rewrite(self, url: str, clock: FakeClock) -> None:
        rewrite(url, range(1, SIZE + 1), {self.CHANGED: {"actor": "clerk-2"}})
        resign(url, clock)

    def test_named_by_two_checkpoints_in_a_row(self, stored: str, clock: FakeClock) -> None:
        kept = [kept_checkpoint(stored, clock, size=size) for size in (6, 7, SIZE)]
        self._rewrite(stored, clock)
        problems = said(stored, *kept)
        assert (
            Problem(
                7,
                "entries were rewritten: the first entry that differs is 7 from what the "
                "checkpoint held for 7 entries signed",
            )
            in problems
        )
        assert any("(the log was forked)" in p.what for p in problems)

    def test_bracketed_by_the_checkpoints_either_side(self, stored: str, clock: FakeClock) -> None:
        kept = [kept_checkpoint(stored, clock, size=size) for size in (4, 10)]
        self._rewrite(stored, clock)
        assert Problem(
            None,
            "entries were rewritten: the first entry that differs lies between 5 and "
            "10 from what the checkpoint held for 10 entries signed (the checkpoint "
            "held for 4 entries still agrees)",
        ) in said(stored, *kept)

    def test_edited_in_place_the_stored_tree_names_it(self, stored: str, clock: FakeClock) -> None:
        """Left as it was, the stored tree is the signed one: a search over it names the
        entry with no checkpoint of that size."""
        kept = kept_checkpoint(stored, clock)
        as_administrator(stored, "UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = 7")
        assert Problem(
            7,
            "entries were rewritten: the first entry that differs is 7 from what the "
            f"checkpoint held for {SIZE} entries signed",
        ) in said(stored, kept)


class TestRemoved:
    """Entries deleted from the middle: renumbered so the log runs on, or leaving a gap."""

    def test_renumbered(self, stored: str, clock: FakeClock) -> None:
        """The refusal (entry 8) deleted, so that every card's versions still run on."""
        kept = [kept_checkpoint(stored, clock, size=size) for size in (7, 8, SIZE)]
        rewrite(stored, [seq for seq in range(1, SIZE + 1) if seq != 8])
        resign(stored, clock)
        assert Problem(
            8,
            f"entries were removed from the middle: the ledger holds {SIZE - 1} entries "
            f"where the checkpoint held for {SIZE} entries signed a tree of {SIZE}, and "
            "later ones moved up; the first entry that differs is 8 from what the "
            "checkpoint held for 8 entries signed",
        ) in said(stored, *kept)

    def test_renumbered_with_one_checkpoint_kept(self, stored: str, clock: FakeClock) -> None:
        kept = kept_checkpoint(stored, clock)
        rewrite(stored, [seq for seq in range(1, SIZE + 1) if seq != 8])
        assert Problem(
            None,
            f"entries were removed: the ledger holds {SIZE - 1} entries where the "
            f"checkpoint held for {SIZE} entries signed a tree of {SIZE}, cut from the end "
            f"or removed from the middle; the first entry that differs lies between 1 and "
            f"{SIZE} from what the checkpoint held for {SIZE} entries signed ({SIZE} would "
            "mean cut from the end)",
        ) in said(stored, kept)

    def test_a_gap(self, stored: str, clock: FakeClock) -> None:
        kept = kept_checkpoint(stored, clock)
        as_administrator(stored, "DELETE FROM ledger_entries WHERE seq = 5")
        problems = said(stored, kept)
        assert problems[0] == Problem(5, "entry 5 is missing")
        assert (
            Problem(
                5,
                "entries were removed from the middle: entry 5 is missing and later ones "
                "keep their numbers (a gap)",
            )
            in problems
        )


class TestCut:
    """The tail deleted and the tip moved back: the ledger is a prefix of what was signed."""

    def test_with_the_stored_tree_left(self, stored: str, clock: FakeClock) -> None:
        kept = kept_checkpoint(stored, clock)
        ledger = SqlLedger(stored)
        try:
            tenth = ledger.entries_after(9, 1)[0]
            root_of_ten = root_at(node_source(ledger), 10).hex()
        finally:
            ledger.dispose()
        as_administrator(
            stored,
            "DELETE FROM ledger_entries WHERE seq > 10",
            f"UPDATE ledger_tip SET size = 10, hash = '{tenth.hash}', root = '{root_of_ten}'",
        )
        assert Problem(
            11,
            f"entries were cut from the end: the ledger's 10 entries are a prefix of the "
            f"tree of {SIZE} that the checkpoint held for {SIZE} entries signed, and "
            f"entries 11 to {SIZE} are gone",
        ) in said(stored, kept)

    def test_everything_recomputed_and_a_checkpoint_of_the_prefix_kept(
        self, stored: str, clock: FakeClock
    ) -> None:
        kept = [kept_checkpoint(stored, clock, size=size) for size in (10, SIZE)]
        rewrite(stored, range(1, 11))
        assert Problem(
            11,
            f"entries were cut from the end: the ledger's 10 entries are a prefix of the "
            f"tree of {SIZE} that the checkpoint held for {SIZE} entries signed, and "
            f"entries 11 to {SIZE} are gone",
        ) in said(stored, *kept)
