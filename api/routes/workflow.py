"""``/v1/workflow``: the lifecycle and its rules, as the definition cardflow runs states them."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter

from api.problems import documented
from api.schemas import WorkflowOut

router = APIRouter(prefix="/v1/workflow", tags=["workflow"], responses=documented(500))

_DEFINITION: Final = WorkflowOut.from_definition()


@router.get("", summary="Describe the workflow")
def describe() -> WorkflowOut:
    """States, events, channels, transitions and the evidence each (event, channel) pair
    requires, all generated from one table, with its version and a Mermaid diagram."""
    return _DEFINITION
