"""The one place cardflow meets the ``transitions`` library.

A single ``Machine`` is built from ``workflow.definition.TRANSITIONS`` and shared by
every card. Cards are never registered with it: each decision fires the event on a
throw-away subject that holds only the current state, so memory stays flat however
many cards exist and no lock is needed between threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from transitions import Machine, MachineError

from workflow.definition import TRANSITIONS, Transition
from workflow.states import Event, State

NEW: Final = "new"
"""The machine's name for "no card yet": the source of ``apply``."""


class _Subject:
    """What the machine moves: the state only, for the length of one decision."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class NotFromHere(Exception):
    """The event has no transition out of the given state."""


class Lifecycle:
    """The card lifecycle, interpreted by ``transitions`` from the definition table."""

    def __init__(self, transitions: Sequence[Transition] = TRANSITIONS) -> None:
        self._machine = Machine(
            model=None,
            states=[NEW, *(str(state) for state in State)],
            initial=NEW,
            transitions=[
                {
                    "trigger": str(t.event),
                    "source": NEW if t.source is None else str(t.source),
                    "dest": str(t.dest),
                }
                for t in transitions
            ],
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )

    @property
    def registered_models(self) -> int:
        """How many models the machine holds: always zero, and tests keep it so."""
        return len(self._machine.models)

    def fire(self, state: State | None, event: Event) -> State:
        """The state ``event`` leads to from ``state``; raises ``NotFromHere`` if none."""
        subject = _Subject(NEW if state is None else str(state))
        try:
            self._machine.events[str(event)].trigger(subject)
        except (MachineError, KeyError) as refused:
            raise NotFromHere(f"{event} has no transition from {subject.state}") from refused
        return State(subject.state)

    def allowed(self, state: State | None) -> tuple[Event, ...]:
        """The events with a transition out of ``state``, in definition order."""
        source = NEW if state is None else str(state)
        return tuple(Event(name) for name in self._machine.get_triggers(source))


LIFECYCLE: Final = Lifecycle()
