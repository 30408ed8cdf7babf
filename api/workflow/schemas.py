"""``/v1/workflow``'s body: the lifecycle and its rules, as the definition states them.

Every example here is made, when the OpenAPI document is, by the code that makes the
real answer: it shows the definition cardflow runs, abridged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from api.shared import examples_of
from workflow.definition import (
    ADJUSTMENTS,
    AGENT_EVIDENCE,
    DEFINITION_VERSION,
    DOCUMENTS,
    EVIDENCE,
    RULES,
    RULES_BY_PAIR,
    TRANSITIONS,
    Adjustment,
    Circumstance,
    Document,
    Kind,
    Proof,
    Rule,
    events_for,
)
from workflow.diagram import mermaid
from workflow.drafts import CLOCK_SKEW
from workflow.identity import NumberShape
from workflow.policy import DEFAULT_POLICY, Policy, Window
from workflow.states import Channel, Event, Presenter, State

_SHOWN: Final = 2
"""How many items of each list the abridged example of the whole workflow shows."""


class ProofOut(BaseModel):
    """A piece of evidence: its key, a clerk's words for it, and the form it takes."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(lambda: ProofOut.of(EVIDENCE["collection_notice"]))
    )

    key: str
    says: str
    kind: Kind
    choices: list[str]

    @classmethod
    def of(cls, proof: Proof) -> ProofOut:
        return cls(key=proof.key, says=proof.says, kind=proof.kind, choices=list(proof.choices))

    @classmethod
    def keyed(cls, keys: Sequence[str]) -> list[ProofOut]:
        return [cls.of(EVIDENCE[key]) for key in keys]


class DocumentOut(BaseModel):
    """An identity document an application may name, and the numbers it carries: an
    application whose number is of another shape is refused (`invalid-identity`,
    `check` = `document`)."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(lambda: DocumentOut.of(DOCUMENTS["passport"]))
    )

    key: str
    says: str
    carries: list[NumberShape]
    cites: str

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        carries = [shape for shape in NumberShape if shape in document.carries]
        return cls(key=document.key, says=document.says, carries=carries, cites=document.cites)


class TransitionOut(BaseModel):
    """An event moving a card from ``source`` (null: no card yet) to ``dest``."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(
            lambda: TransitionOut(
                event=TRANSITIONS[0].event, source=TRANSITIONS[0].source, dest=TRANSITIONS[0].dest
            )
        )
    )

    event: Event
    source: State | None
    dest: State


class ChannelOut(BaseModel):
    """A channel and the events it may carry."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(
            lambda: ChannelOut(channel=Channel.EMPLOYER, events=list(events_for(Channel.EMPLOYER)))
        )
    )

    channel: Channel
    events: list[Event]


class RuleOut(BaseModel):
    """One allowed (event, channel) pair, with the evidence it requires."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(
            lambda: RuleOut.of(RULES_BY_PAIR[Event.REVIEW, Channel.CARD_CENTER])
        )
    )

    event: Event
    channel: Channel
    requires: list[ProofOut]
    agent_allowed: bool = Field(
        description="Whether an agent may act for the insured person (showing both IDs)."
    )
    only_from: list[State] | None = Field(
        description="The only states this pair applies from; null: wherever the event does."
    )
    issues: list[ProofOut] = Field(description="References cardflow issues when it accepts.")
    cites: str
    batch: bool = Field(description="Whether the channel may send it for many cards at once.")
    financial: bool = Field(description="Whether it activates the card's financial function.")
    due: Window | None = Field(
        default=None,
        description="For cardflow's own steps: the window of the region policy that must have "
        "run out (the card's `due_at` passed).",
    )

    @classmethod
    def of(cls, rule: Rule) -> RuleOut:
        return cls(
            event=rule.event,
            channel=rule.channel,
            requires=ProofOut.keyed(rule.requires),
            agent_allowed=rule.agent_allowed,
            only_from=None if rule.only_from is None else sorted(rule.only_from),
            issues=ProofOut.keyed(rule.issues),
            cites=rule.cites,
            batch=rule.batch,
            financial=rule.financial,
            due=rule.due,
        )


class AdjustmentOut(BaseModel):
    """How one circumstance of the applicant changes what an application must show."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(
            lambda: AdjustmentOut.of(
                next(a for a in ADJUSTMENTS if a.circumstance is Circumstance.YOUNG_CHILD)
            )
        )
    )

    circumstance: Circumstance
    says: str
    adds: list[str] = Field(description="Evidence keys the application must show as well.")
    waives: list[str] = Field(description="Evidence keys no longer required (still accepted).")
    cites: str

    @classmethod
    def of(cls, adjustment: Adjustment) -> AdjustmentOut:
        return cls(
            circumstance=adjustment.circumstance,
            says=adjustment.says,
            adds=list(adjustment.adds),
            waives=list(adjustment.waives),
            cites=adjustment.cites,
        )


class PinRuleOut(BaseModel):
    """The PIN a new card is issued with, and whether a bank outlet must see it changed."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(lambda: PolicyOut.of(DEFAULT_POLICY).pin)
    )

    initial: str
    must_change: bool


class ClaimsOut(BaseModel):
    """How far from the moment cardflow records a step its channel may say it happened."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(lambda: PolicyOut.of(DEFAULT_POLICY).claims)
    )

    backdating_hours: int = Field(
        description="At most this long before it is recorded; an older claim is refused "
        "(422). Deadlines run from when a step is recorded, never from the time claimed."
    )
    future_minutes: int = Field(
        description="At most this far ahead of cardflow's clock, for a channel's clock skew."
    )


class PolicyOut(BaseModel):
    """The region policy this cardflow decides under; every entry records its label."""

    model_config = ConfigDict(json_schema_extra=examples_of(lambda: PolicyOut.of(DEFAULT_POLICY)))

    region: str
    version: str
    label: str = Field(description="What each ledger entry records: region/version+digest.")
    windows: dict[Window, int] = Field(description="Each window's length in days.")
    pin: PinRuleOut
    claims: ClaimsOut

    @classmethod
    def of(cls, policy: Policy) -> PolicyOut:
        return cls(
            region=policy.region,
            version=policy.version,
            label=policy.label,
            windows={window: policy.days(window) for window in Window},
            pin=PinRuleOut(initial=policy.initial_pin, must_change=policy.pin_must_change),
            claims=ClaimsOut(
                backdating_hours=policy.backdating_hours,
                future_minutes=int(CLOCK_SKEW.total_seconds() // 60),
            ),
        )


class WorkflowOut(BaseModel):
    """The lifecycle and its rules, generated from the definition cardflow runs."""

    model_config = ConfigDict(
        json_schema_extra=examples_of(lambda: WorkflowOut.abridged(DEFAULT_POLICY))
    )

    definition_version: str
    states: list[State]
    events: list[Event]
    presenters: list[Presenter]
    channels: list[ChannelOut]
    transitions: list[TransitionOut]
    rules: list[RuleOut]
    agent_evidence: list[ProofOut] = Field(
        description="What an agent shows on top, wherever an agent may act."
    )
    evidence: list[ProofOut] = Field(description="Every piece of evidence any rule names.")
    identity_documents: list[DocumentOut] = Field(
        description="Each `identity_document` an application may name, with the shapes of "
        "number it carries."
    )
    applicant_circumstances: list[AdjustmentOut] = Field(
        description="How an applicant's age, nationality or agent changes an application "
        "(`apply` only): cardflow reads the circumstances from the identity number."
    )
    mermaid: str = Field(description="The lifecycle as a Mermaid stateDiagram-v2.")
    policy: PolicyOut = Field(description="The region policy steps are decided under.")

    @classmethod
    def from_definition(cls, policy: Policy) -> WorkflowOut:
        return cls(
            policy=PolicyOut.of(policy),
            definition_version=DEFINITION_VERSION,
            states=list(State),
            events=list(Event),
            presenters=list(Presenter),
            channels=[
                ChannelOut(channel=channel, events=list(events_for(channel))) for channel in Channel
            ],
            transitions=[
                TransitionOut(event=t.event, source=t.source, dest=t.dest) for t in TRANSITIONS
            ],
            rules=[RuleOut.of(rule) for rule in RULES],
            applicant_circumstances=[AdjustmentOut.of(a) for a in ADJUSTMENTS],
            agent_evidence=ProofOut.keyed(AGENT_EVIDENCE),
            evidence=[ProofOut.of(proof) for proof in EVIDENCE.values()],
            identity_documents=[DocumentOut.of(document) for document in DOCUMENTS.values()],
            mermaid=mermaid(),
        )

    @classmethod
    def abridged(cls, policy: Policy) -> WorkflowOut:
        """The answer with only the first few items of each list, for the docs."""
        full = cls.from_definition(policy)
        lines = full.mermaid.splitlines(keepends=True)
        shortened: dict[str, Any] = {
            name: value[:_SHOWN]
            for name, value in full.model_dump(exclude={"mermaid"}).items()
            if isinstance(value, list)
        }
        return cls.model_validate(
            {**full.model_dump(), **shortened, "mermaid": "".join(lines[: _SHOWN + 1])}
        )
