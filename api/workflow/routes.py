"""``/v1/workflow``: the lifecycle and its rules, as the definition cardflow runs states them."""

from __future__ import annotations

from fastapi import APIRouter

from api.access import Capability
from api.dependencies import ALLOWED, Service, in_worker_thread
from api.problems import documented
from api.workflow.schemas import WorkflowOut

router = APIRouter(prefix="/v1/workflow", tags=["workflow"], responses=documented(500))


@router.get("", summary="Describe the workflow", dependencies=[ALLOWED[Capability.PUBLIC]])
@in_worker_thread
def describe(service: Service) -> WorkflowOut:
    """States, events, channels, transitions and the evidence each (event, channel) pair
    requires, all generated from one table, with its version and a Mermaid diagram, and
    the region policy (windows, PIN rule) steps are decided under."""
    return WorkflowOut.from_definition(service.policy)
