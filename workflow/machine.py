"""The one place cardflow meets the ``transitions`` library.

A single ``Machine`` is built from ``workflow.definition.TRANSITIONS`` and shared by
every card. Cards are never registered with it: each decision fires the event on a
throw-away subject that holds only the current state, so memory stays flat however
many cards exist and no lock is needed between threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from transitions import EventData, Machine, MachineError

from workflow.definition import TRANSITIONS, Transition
from workflow.errors import NotFromHere
from workflow.states import Event, State

NEW: Final = "new"
"""The machine's name for "no card yet": the source of ``apply``."""


class _Subject:
    """What the machine moves, for the length of one decision: the state, and the state
    the card came from where a transition goes back there."""

    __slots__ = ("came_from", "state")

    def __init__(self, state: str, came_from: str | None) -> None:
        self.state = state
        self.came_from = came_from


def _came_from(dest: str) -> Callable[[EventData], bool]:
    """The condition of a transition that goes back: only to where the card came from."""

    def went_there(event: EventData) -> bool:
        subject = event.model
        return isinstance(subject, _Subject) and subject.came_from == dest

    return went_there


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
                    "conditions": [_came_from(str(t.dest))] if t.resumes else [],
                }
                for t in transitions
            ],
            auto_transitions=False,
            ignore_invalid_triggers=False,
            send_event=True,
        )

    @property
    def registered_models(self) -> int:
        """How many models the machine holds: always zero, and tests keep it so."""
        return len(self._machine.models)

    def fire(self, state: State | None, event: Event, *, came_from: State | None = None) -> State:
        """The state ``event`` leads to from ``state``; raises ``NotFromHere`` if none.

        ``came_from`` is the state the card was in before ``state``: a transition that
        goes back (``Transition.resumes``) goes there and nowhere else.
        """
        source = NEW if state is None else str(state)
        subject = _Subject(source, None if came_from is None else str(came_from))
        try:
            moved = self._machine.events[str(event)].trigger(subject)
        except (MachineError, KeyError) as refused:
            raise NotFromHere(f"{event} has no transition from {source}") from refused
        if not moved:
            raise NotFromHere(f"{event} has no transition from {source} back to {came_from}")
        return State(subject.state)

    def allowed(self, state: State | None) -> tuple[Event, ...]:
        """The events with a transition out of ``state``, in definition order."""
        source = NEW if state is None else str(state)
        return tuple(Event(name) for name in self._machine.get_triggers(source))


LIFECYCLE: Final = Lifecycle()
