"""The lifecycle drawn from the definition table, as Mermaid (for the README and the API)."""

from __future__ import annotations

from workflow.definition import RULES, TRANSITIONS


def mermaid() -> str:
    """A ``stateDiagram-v2`` with one arrow per transition, labelled event [channels]."""
    lines = ["stateDiagram-v2"]
    for transition in TRANSITIONS:
        source = "[*]" if transition.source is None else str(transition.source)
        channels = ", ".join(
            str(rule.channel)
            for rule in RULES
            if rule.event is transition.event
            and (rule.only_from is None or transition.source in rule.only_from)
        )
        lines.append(f"    {source} --> {transition.dest} : {transition.event} [{channels}]")
    return "\n".join(lines) + "\n"
