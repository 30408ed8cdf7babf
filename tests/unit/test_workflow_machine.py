"""The lifecycle machine: the definition table, interpreted by ``transitions``."""

from __future__ import annotations

import tracemalloc

import pytest

from workflow.definition import TRANSITIONS
from workflow.errors import NotFromHere
from workflow.machine import LIFECYCLE, Lifecycle
from workflow.states import Event, State


class TestFire:
    """Firing an event gives the destination the table names, or refuses."""

    @pytest.mark.parametrize(
        "transition", TRANSITIONS, ids=lambda t: f"{t.source}-{t.event}-{t.dest}"
    )
    def test_every_row_of_the_table(self, transition):
        came_from = transition.dest if transition.resumes else None
        fired = LIFECYCLE.fire(transition.source, transition.event, came_from=came_from)
        assert fired is transition.dest

    @pytest.mark.parametrize("came_from", [State.COLLECTED, State.ACTIVATED])
    def test_lifting_a_loss_goes_back_where_the_card_came_from(self, came_from):
        assert (
            LIFECYCLE.fire(State.TEMPORARILY_LOST, Event.LIFT_LOSS, came_from=came_from)
            is came_from
        )

    def test_lifting_a_loss_goes_nowhere_else(self):
        with pytest.raises(NotFromHere, match="back to reviewed"):
            LIFECYCLE.fire(State.TEMPORARILY_LOST, Event.LIFT_LOSS, came_from=State.REVIEWED)

    @pytest.mark.parametrize("event", [e for e in Event if e not in (Event.REISSUE, Event.CANCEL)])
    def test_a_card_reported_lost_is_only_reissued_or_cancelled(self, event):
        with pytest.raises(NotFromHere):
            LIFECYCLE.fire(State.REPORTED_LOST, event)

    @pytest.mark.parametrize("state", [State.REPLACED, State.CANCELLED])
    @pytest.mark.parametrize("event", list(Event))
    def test_nothing_leaves_an_ended_card(self, state, event):
        with pytest.raises(NotFromHere):
            LIFECYCLE.fire(state, event)

    def test_only_apply_starts_a_card(self):
        assert LIFECYCLE.allowed(None) == (Event.APPLY,)
        with pytest.raises(NotFromHere):
            LIFECYCLE.fire(None, Event.REVIEW)

    def test_pairs_missing_from_the_table_are_refused(self):
        table = {(t.source, t.event) for t in TRANSITIONS}
        for state in [None, *State]:
            for event in Event:
                if (state, event) in table:
                    continue
                with pytest.raises(NotFromHere):
                    LIFECYCLE.fire(state, event)


class TestAllowed:
    """The allowed events of a state are exactly the table's rows out of it."""

    @pytest.mark.parametrize("state", list(State))
    def test_matches_the_table(self, state):
        expected = {t.event for t in TRANSITIONS if t.source is state}
        assert set(LIFECYCLE.allowed(state)) == expected


class TestMemory:
    """One machine serves every card; deciding never registers a model."""

    def test_no_model_is_ever_registered(self):
        machine = Lifecycle()
        for _ in range(1000):
            machine.fire(State.COLLECTED, Event.ACTIVATE)
        assert machine.registered_models == 0

    def test_memory_stays_flat_over_many_decisions(self):
        machine = Lifecycle()
        for _ in range(2_000):  # warm caches before measuring
            machine.fire(State.PRODUCED, Event.COLLECT)
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        for _ in range(50_000):
            machine.fire(State.PRODUCED, Event.COLLECT)
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
        assert grown < 64 * 1024, f"memory grew by {grown} bytes over 50,000 decisions"
