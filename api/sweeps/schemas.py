"""``/v1/sweeps``' body: the steps cardflow took on cards whose deadline had passed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.examples import CARD_ID, destination
from workflow.definition import deadline_rule
from workflow.service import SweepReport
from workflow.states import Event, State


def _swept(state: State) -> dict[str, Any]:
    """The step a sweep takes on a card in ``state`` whose deadline has passed."""
    rule = deadline_rule(state)
    assert rule is not None, f"no deadline runs for a card {state}"
    return {
        "card_id": CARD_ID,
        "event": str(rule.event),
        "from_state": str(state),
        "to_state": str(destination(rule.event, state)),
    }


class SweptOut(BaseModel):
    """One step the sweep took."""

    model_config = ConfigDict(json_schema_extra={"examples": [_swept(State.PRODUCED)]})

    card_id: str
    event: Event
    from_state: State
    to_state: State


class SweepOut(BaseModel):
    """What one sweep did: the steps it took, the cards another sweep had already moved,
    and the cards that moved on before it could step."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-11-23T02:00:00Z",
                    "swept": [_swept(State.COLLECTED)],
                    "done_elsewhere": 0,
                    "moved_on": 0,
                }
            ]
        }
    )

    at: datetime = Field(description="When the sweep looked: every deadline before it is due.")
    swept: list[SweptOut]
    done_elsewhere: int = Field(description="Steps another sweep took first.")
    moved_on: int = Field(description="Cards that moved before the sweep could step.")

    @classmethod
    def of(cls, report: SweepReport) -> SweepOut:
        return cls(
            at=report.at,
            swept=[
                SweptOut(
                    card_id=done.card_id,
                    event=done.event,
                    from_state=done.from_state,
                    to_state=done.to_state,
                )
                for done in report.swept
            ],
            done_elsewhere=report.done_elsewhere,
            moved_on=report.moved_on,
        )
