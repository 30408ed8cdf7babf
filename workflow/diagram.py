"""The lifecycle drawn from the definition table, as Mermaid (for the README and the API)."""

from __future__ import annotations

from workflow.definition import (
    ADJUSTMENTS,
    DEFINITION_VERSION,
    EVIDENCE,
    REPLACEMENT_OPENS,
    ROLE_CHANNELS,
    RULES,
    TRANSITIONS,
    carriers,
)
from workflow.states import Event


def mermaid() -> str:
    """A ``stateDiagram-v2`` with one arrow per transition, labelled event [channels]."""
    lines = ["stateDiagram-v2"]
    for transition in TRANSITIONS:
        source = "[*]" if transition.source is None else str(transition.source)
        channels = ", ".join(str(rule.channel) for rule in carriers(transition))
        lines.append(f"    {source} --> {transition.dest} : {transition.event} [{channels}]")
    lines.append(f"    [*] --> {REPLACEMENT_OPENS} : {Event.REISSUE} (the replacement card)")
    return "\n".join(lines) + "\n"


def rules_markdown() -> str:
    """The (event, channel) rules as a Markdown table, evidence in a clerk's words."""
    rows = [
        "| event | channel | evidence required | an agent may act | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in RULES:
        evidence = "; ".join(EVIDENCE[key].says for key in rule.requires)
        if rule.only_from is not None:
            evidence += f" (only from {', '.join(sorted(rule.only_from))})"
        if rule.issues:
            evidence += f"; issues {', '.join(EVIDENCE[key].says for key in rule.issues)}"
        if rule.financial:
            evidence += "; activates the financial (bank) function"
        if rule.due is not None:
            evidence += f"; only once the card's {rule.due} has run out (`cardflow sweep`)"
        if rule.batch:
            evidence += "; may come in a batch (`POST /v1/batches`)"
        agent = "yes, with both IDs" if rule.agent_allowed else "no"
        rows.append(f"| {rule.event} | {rule.channel} | {evidence} | {agent} | {rule.cites} |")
    return "\n".join(rows) + "\n"


def roles_markdown() -> str:
    """Which channels each role may act through, at most."""
    rows = ["| role | may act through |", "| --- | --- |"]
    for role, channels in ROLE_CHANNELS.items():
        named = ", ".join(sorted(channels)) if channels else "nothing: it reads only"
        rows.append(f"| {role} | {named} |")
    return "\n".join(rows) + "\n"


def adjustments_markdown() -> str:
    """How the applicant's circumstances change what an application must show."""
    rows = [
        "| applicant | an application also shows | and need not show | source |",
        "| --- | --- | --- | --- |",
    ]
    for a in ADJUSTMENTS:
        adds = "; ".join(EVIDENCE[key].says for key in a.adds) or "nothing more"
        waives = "; ".join(EVIDENCE[key].says for key in a.waives) or "-"
        rows.append(f"| {a.says} | {adds} | {waives} | {a.cites} |")
    return "\n".join(rows) + "\n"


def readme_section() -> str:
    """What the README shows between its generated-section markers."""
    return (
        f"```mermaid\n{mermaid()}```\n\n{rules_markdown()}\n{adjustments_markdown()}\n"
        f"{roles_markdown()}\n"
        f"Definition version: `{DEFINITION_VERSION}`.\n"
    )


START_MARKER = "<!-- generated:lifecycle:start -->"
END_MARKER = "<!-- generated:lifecycle:end -->"


def with_generated_section(readme: str) -> str:
    """``readme`` with the text between the lifecycle markers regenerated."""
    head, rest = readme.split(START_MARKER, 1)
    _, tail = rest.split(END_MARKER, 1)
    return f"{head}{START_MARKER}\n{readme_section()}{END_MARKER}{tail}"
