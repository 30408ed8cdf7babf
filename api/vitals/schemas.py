"""The bodies of ``/healthz`` and ``/readyz``: what an orchestrator's probe reads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.vitals.readiness import Readiness


class HealthOut(BaseModel):
    """The process is up and answering."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"] = "ok"


class CheckOut(BaseModel):
    """One condition of readiness."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ok": True, "detail": "the database answered"}]}
    )

    ok: bool
    detail: str = Field(description="What was found, or why the condition fails.")


class ReadyOut(BaseModel):
    """Whether the process can serve, and each check that says so."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "not ready",
                    "checks": {
                        "database": {"ok": True, "detail": "the database answered"},
                        "schema": {"ok": True, "detail": "at revision 0001 (head)"},
                        "signer": {
                            "ok": False,
                            "detail": "no log key is loaded: checkpoints cannot be signed "
                            "(CARDFLOW_LOG_KEY_FILE)",
                        },
                    },
                }
            ]
        }
    )

    status: Literal["ready", "not ready"]
    checks: dict[str, CheckOut] = Field(
        description="`database` (reachable, a query answered within a second), `schema` (at "
        "this cardflow's migrations' head), `signer` (the log key checkpoints are signed with "
        "is loaded)."
    )

    @classmethod
    def of(cls, readiness: Readiness) -> ReadyOut:
        return cls(
            status="ready" if readiness.ready else "not ready",
            checks={c.name: CheckOut(ok=c.ok, detail=c.detail) for c in readiness.checks},
        )
