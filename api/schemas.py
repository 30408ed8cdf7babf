"""The HTTP contract's bodies: what callers send, what cardflow answers, how it refuses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializeAsAny,
    StrictBool,
    StrictStr,
    WithJsonSchema,
)

from ledger.entry import Entry, format_timestamp
from ledger.proofs import Consistency, Inclusion
from ledger.store import SignedCheckpoint
from ledger.verify import Report
from workflow.definition import (
    ADJUSTMENTS,
    AGENT_EVIDENCE,
    DEFINITION_VERSION,
    EVIDENCE,
    RULES,
    TRANSITIONS,
    Circumstance,
    Kind,
    Proof,
    events_for,
)
from workflow.diagram import mermaid
from workflow.errors import Condition, WorkflowError
from workflow.policy import DEFAULT_POLICY, Policy, Window
from workflow.rules import allowed_events, channels_allowed
from workflow.service import (
    MAX_BATCH,
    Actor,
    Applicant,
    Batch,
    BatchItem,
    BatchResult,
    Card,
    Found,
    Step,
    SweepReport,
)
from workflow.states import Channel, Event, Presenter, State

Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time as cardflow writes it: RFC 3339, UTC, microseconds, ``Z``."""

EvidenceIn = dict[str, StrictBool | StrictStr]
"""Evidence as the ledger holds it: a confirmation (``true``), a choice or a reference."""

_CARD_ID: Final = "5f0c6f7e-8a52-4c1e-9d8b-3c1f4e2a7b90"
_SUBJECT: Final = "0b7d2c1e-3f4a-4e5b-8c6d-7e8f9a0b1c2d"
_HASH: Final = "9f2c4b1e0d8a7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b"
_REQUEST_ID: Final = "3b1f0c9e-2d4a-4f6b-8e7c-1a2b3c4d5e6f"
_APPLICATION_EVIDENCE: Final[dict[str, Any]] = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}

_ENTRY_EXAMPLE: Final[dict[str, Any]] = {
    "seq": 42,
    "card_id": _CARD_ID,
    "version": 2,
    "kind": "transition",
    "event": "review",
    "from_state": "applied",
    "to_state": "reviewed",
    "channel": "card_center",
    "actor": "api",
    "role": "clerk",
    "presenter": "self",
    "subject": _SUBJECT,
    "occurred_at": "2026-03-02T01:30:00.000000Z",
    "recorded_at": "2026-03-02T01:30:00.123456Z",
    "evidence": {"information_checked": True, "payment_slip": "PS-5F0C6F7E-2"},
    "definition_version": DEFINITION_VERSION,
    "region": "default",
    "policy": DEFAULT_POLICY.label,
    "due_at": None,
    "exclusive": True,
    "idempotency_key": None,
    "batch_id": None,
    "prev_hash": "1c7e" * 16,
    "hash": _HASH,
}

_RULE_EXAMPLE: Final[dict[str, Any]] = {
    "event": "review",
    "channel": "card_center",
    "requires": [
        {
            "key": "information_checked",
            "says": "staff checked the registration information",
            "kind": "confirmed",
            "choices": [],
        }
    ],
    "agent_allowed": False,
    "only_from": None,
    "issues": [
        {
            "key": "payment_slip",
            "says": "the payment slip for the card production fee",
            "kind": "reference",
            "choices": [],
        }
    ],
    "cites": "seed 004",
    "batch": False,
    "financial": False,
    "due": None,
}


class _Request(BaseModel):
    """A request body: an unknown field is a caller's mistake, refused rather than dropped."""

    model_config = ConfigDict(extra="forbid")


class ApplicantIn(_Request):
    """The registration form's personal data: stored apart from the ledger, never echoed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Li Lei",
                    "id_number": "11010519491231002X",
                    "gender": "female",
                    "ethnicity": "Han",
                    "nationality": "CHN",
                    "address": "1 Fuxing Road, Haidian District, Beijing",
                    "contact_number": "13800000000",
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(
        min_length=1,
        max_length=32,
        description="The 18-character citizen ID number, also the social security number.",
    )
    gender: str | None = Field(default=None, max_length=32)
    ethnicity: str | None = Field(default=None, max_length=64)
    nationality: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=300)
    contact_number: str | None = Field(default=None, max_length=32)

    def to_applicant(self) -> Applicant:
        return Applicant(
            name=self.name,
            id_number=self.id_number,
            gender=self.gender,
            ethnicity=self.ethnicity,
            nationality=self.nationality,
            address=self.address,
            contact_number=self.contact_number,
        )


class _StepIn(_Request):
    """What every write names: the channel, who presented, the evidence, and when."""

    channel: Channel
    presenter: Presenter = Presenter.SELF
    evidence: EvidenceIn = Field(default_factory=dict)
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it happened, as the channel claims; with a time zone."
    )

    def _step(self, event: Event, actor: Actor, idempotency_key: str | None) -> Step:
        return Step(
            event=event,
            channel=self.channel,
            actor=actor,
            presenter=self.presenter,
            evidence=self.evidence,
            occurred_at=self.occurred_at,
            idempotency_key=idempotency_key,
        )


class ApplicationIn(_StepIn):
    """An application for a card, as the channel that took it reports it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "applicant": {"name": "Li Lei", "id_number": "11010519491231002X"},
                    "channel": "card_center",
                    "presenter": "self",
                    "evidence": _APPLICATION_EVIDENCE,
                    "occurred_at": "2026-03-02T09:15:00+08:00",
                }
            ]
        }
    )

    applicant: ApplicantIn

    def to_step(self, actor: Actor, idempotency_key: str | None) -> Step:
        return self._step(Event.APPLY, actor, idempotency_key)


class TransitionIn(_StepIn):
    """One event for an existing card, as the channel that carried it reports it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event": "review",
                    "channel": "card_center",
                    "evidence": {"information_checked": True},
                    "expected_version": 1,
                },
                {
                    "event": "activate",
                    "channel": "bank_outlet",
                    "presenter": "agent",
                    "evidence": {
                        "card_presented": True,
                        "original_id": True,
                        "initial_pin_changed": True,
                        "agent_id_documents": True,
                        "insured_id_documents": True,
                    },
                    "occurred_at": "2026-04-10T14:02:00+08:00",
                },
            ]
        }
    )

    event: Event
    expected_version: int | None = Field(
        default=None,
        ge=1,
        description="Refuse with 409 unless the card is still at this version (or use If-Match).",
    )

    def to_step(self, actor: Actor, idempotency_key: str | None) -> Step:
        return self._step(self.event, actor, idempotency_key)


class AllowedEventOut(BaseModel):
    """An event the card allows now, and the channels that may carry it from here."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"event": "collect", "channels": ["employer", "card_center"]}]
        }
    )

    event: Event
    channels: list[Channel]

    @classmethod
    def listing(cls, state: State | None, events: Sequence[Event]) -> list[AllowedEventOut]:
        """``events`` with their channels, leaving out rules that only apply elsewhere."""
        return [
            cls(
                event=event,
                channels=list(channels_allowed(event, state)),
            )
            for event in events
        ]


class CardOut(BaseModel):
    """A card as it stands now; personal data is never part of it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "card_id": _CARD_ID,
                    "state": "applied",
                    "version": 1,
                    "last_seq": 41,
                    "allowed_events": [
                        {"event": "review", "channels": ["card_center"]},
                        {"event": "reject", "channels": ["card_center"]},
                    ],
                }
            ]
        }
    )

    card_id: str
    state: State
    version: int
    last_seq: int
    allowed_events: list[AllowedEventOut]
    due_at: datetime | None = Field(
        default=None,
        description="When the card's running deadline (see the region policy in "
        "`/v1/workflow`) falls; past it, a sweep takes the system's step. Absent when none "
        "runs.",
    )
    replaced_by: str | None = Field(
        default=None, description="For a card replaced by reissue: the card that replaces it."
    )

    @classmethod
    def of(cls, card: Card) -> CardOut:
        return cls(
            card_id=card.card_id,
            state=card.state,
            version=card.version,
            last_seq=card.last_seq,
            allowed_events=AllowedEventOut.listing(card.state, card.allowed),
            due_at=card.due_at,
            replaced_by=card.replaced_by,
        )


class EntryOut(BaseModel):
    """One ledger entry, every field as hashed (``subject`` is an opaque person reference)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ENTRY_EXAMPLE]})

    seq: int
    card_id: str
    version: int
    kind: str
    event: str
    from_state: str | None
    to_state: str
    channel: str
    actor: str
    role: str
    presenter: str
    subject: str
    occurred_at: Timestamp
    recorded_at: Timestamp
    evidence: dict[str, bool | str]
    definition_version: str
    region: str = Field(description="The region the card is kept under, whose policy decided.")
    policy: str = Field(
        description="The label of the region policy the step was decided under: "
        "region/version+digest."
    )
    due_at: Timestamp | None = Field(
        description="When the card's next deadline falls after this step (collection, "
        "financial activation, or the lapse of a temporary loss report); null: none runs."
    )
    exclusive: bool = Field(
        description="Whether, after this step, this is the one live card of its person."
    )
    idempotency_key: str | None
    batch_id: str | None = Field(description="The batch that wrote the entry, if one did.")
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls(**entry.unhashed(), hash=entry.hash)


class HistoryOut(BaseModel):
    """A card's ledger entries, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"card_id": _CARD_ID, "entries": [_ENTRY_EXAMPLE]}]}
    )

    card_id: str
    entries: list[EntryOut]
    checkpoint: str | None = Field(
        default=None,
        description="With `proofs=true`: a signed checkpoint (C2SP signed note) covering "
        "every entry, checked with the key from `/v1/ledger/key`.",
    )
    proofs: list[InclusionOut] | None = Field(
        default=None,
        description="With `proofs=true`: each entry's inclusion proof against `checkpoint`, "
        "in the order of `entries`.",
    )

    @classmethod
    def of(
        cls,
        card_id: str,
        entries: Sequence[Entry],
        *,
        checkpoint: SignedCheckpoint | None = None,
        proofs: Sequence[Inclusion] = (),
    ) -> HistoryOut:
        return cls(
            card_id=card_id,
            entries=[EntryOut.of(entry) for entry in entries],
            checkpoint=None if checkpoint is None else checkpoint.note,
            proofs=None if checkpoint is None else [InclusionOut.of(p) for p in proofs],
        )


class FeedOut(BaseModel):
    """A page of the ledger in sequence order; ask again with ``after=next_after``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"entries": [], "next_after": 42}]})

    entries: list[EntryOut]
    next_after: int = Field(
        description="The last sequence number returned, or ``after`` when none was."
    )

    @classmethod
    def of(cls, entries: Sequence[Entry], *, after: int) -> FeedOut:
        return cls(
            entries=[EntryOut.of(entry) for entry in entries],
            next_after=entries[-1].seq if entries else after,
        )


class VerifyProblemOut(BaseModel):
    """One thing the check found wrong, at the entry where it shows (if it shows in one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"seq": 7, "what": "entry 7 was altered: its contents do not match its hash"}
            ]
        }
    )

    seq: int | None
    what: str


class InclusionOut(BaseModel):
    """Entry ``seq`` is leaf ``seq - 1`` of the ledger's Merkle tree of ``tree_size``
    entries (RFC 6962): hash ``leaf_hash`` up the ``path`` and you reach ``root``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seq": 6,
                    "leaf_index": 5,
                    "tree_size": 8,
                    "leaf_hash": "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
                    "root": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
                    "path": [
                        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                    ],
                }
            ]
        }
    )

    seq: int
    leaf_index: int = Field(description="The leaf's index in the tree: `seq - 1`.")
    tree_size: int
    leaf_hash: str = Field(description="SHA-256(0x00 || the entry's canonical bytes), hex.")
    root: str = Field(description="The root of the tree of `tree_size` entries, hex.")
    path: list[str] = Field(description="The audit path, leaf end first, hex.")

    @classmethod
    def of(cls, proof: Inclusion) -> InclusionOut:
        return cls(
            seq=proof.seq,
            leaf_index=proof.seq - 1,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            root=proof.root.hex(),
            path=[node.hex() for node in proof.path],
        )


class ConsistencyOut(BaseModel):
    """The ledger's tree of ``first`` entries is a prefix of its tree of ``second``
    (RFC 6962): nothing recorded by then was changed, removed or reordered since."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first": 2,
                    "second": 5,
                    "first_root": "fac54203e7cc696cf0dfcb42c92a1d9d"
                    "baf70ad9e621f4bd8d98662f00e3c125",
                    "second_root": "4e3bbb1f7b478dcfe71fb631631519a3"
                    "bca12c9aefca1612bfce4c13a86264d4",
                    "path": [
                        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    ],
                }
            ]
        }
    )

    first: int
    second: int
    first_root: str
    second_root: str
    path: list[str]

    @classmethod
    def of(cls, proof: Consistency) -> ConsistencyOut:
        return cls(
            first=proof.first,
            second=proof.second,
            first_root=proof.first_root.hex(),
            second_root=proof.second_root.hex(),
            path=[node.hex() for node in proof.path],
        )


class VerifyOut(BaseModel):
    """What recomputing the ledger found; ``ok`` is false if anything was altered."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ok": True,
                    "entries": 42,
                    "cards": 9,
                    "checkpoints": 3,
                    "first_bad_seq": None,
                    "problems": [],
                }
            ]
        }
    )

    ok: bool
    entries: int
    cards: int
    checkpoints: int = Field(
        description="How many signed checkpoints the entries were checked against."
    )
    first_bad_seq: int | None
    problems: list[VerifyProblemOut]

    @classmethod
    def of(cls, report: Report) -> VerifyOut:
        return cls(
            ok=report.ok,
            entries=report.entries,
            cards=report.cards,
            checkpoints=report.checkpoints,
            first_bad_seq=report.first_bad_seq,
            problems=[VerifyProblemOut(seq=p.seq, what=p.what) for p in report.problems],
        )


class ProofOut(BaseModel):
    """A piece of evidence: its key, a clerk's words for it, and the form it takes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "collection_notice",
                    "says": "the acceptance receipt or the phone notice",
                    "kind": "choice",
                    "choices": ["acceptance_receipt", "phone_notice"],
                }
            ]
        }
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


class TransitionOut(BaseModel):
    """An event moving a card from ``source`` (null: no card yet) to ``dest``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event": "apply", "source": None, "dest": "applied"}]}
    )

    event: Event
    source: State | None
    dest: State


class ChannelOut(BaseModel):
    """A channel and the events it may carry."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"channel": "employer", "events": ["apply", "collect"]}]}
    )

    channel: Channel
    events: list[Event]


class RuleOut(BaseModel):
    """One allowed (event, channel) pair, with the evidence it requires."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RULE_EXAMPLE]})

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


class AdjustmentOut(BaseModel):
    """How one circumstance of the applicant changes what an application must show."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "circumstance": "young_child",
                    "says": "a child of 6 or under",
                    "adds": [],
                    "waives": ["photo"],
                    "cites": "region practice",
                }
            ]
        }
    )

    circumstance: Circumstance
    says: str
    adds: list[str] = Field(description="Evidence keys the application must show as well.")
    waives: list[str] = Field(description="Evidence keys no longer required (still accepted).")
    cites: str


class PinRuleOut(BaseModel):
    """The PIN a new card is issued with, and whether a bank outlet must see it changed."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"initial": "123456", "must_change": True}]}
    )

    initial: str
    must_change: bool


class PolicyOut(BaseModel):
    """The region policy this cardflow decides under; every entry records its label."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**DEFAULT_POLICY.as_dict(), "label": DEFAULT_POLICY.label}]
        }
    )

    region: str
    version: str
    label: str = Field(description="What each ledger entry records: region/version+digest.")
    windows: dict[Window, int] = Field(description="Each window's length in days.")
    pin: PinRuleOut

    @classmethod
    def of(cls, policy: Policy) -> PolicyOut:
        return cls(
            region=policy.region,
            version=policy.version,
            label=policy.label,
            windows={window: policy.days(window) for window in Window},
            pin=PinRuleOut(initial=policy.initial_pin, must_change=policy.pin_must_change),
        )


class WorkflowOut(BaseModel):
    """The lifecycle and its rules, generated from the definition cardflow runs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "definition_version": DEFINITION_VERSION,
                    "states": ["applied", "reviewed"],
                    "events": ["apply", "review"],
                    "presenters": ["self", "agent"],
                    "channels": [{"channel": "card_center", "events": ["apply", "review"]}],
                    "transitions": [
                        {"event": "apply", "source": None, "dest": "applied"},
                        {"event": "review", "source": "applied", "dest": "reviewed"},
                    ],
                    "rules": [_RULE_EXAMPLE],
                    "agent_evidence": [
                        {
                            "key": "agent_id_documents",
                            "says": "the original and a copy of the agent's ID",
                            "kind": "confirmed",
                            "choices": [],
                        }
                    ],
                    "evidence": [],
                    "applicant_circumstances": [],
                    "mermaid": "stateDiagram-v2\n    [*] --> applied : apply [card_center]\n",
                    "policy": {**DEFAULT_POLICY.as_dict(), "label": DEFAULT_POLICY.label},
                }
            ]
        }
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
            rules=[
                RuleOut(
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
                for rule in RULES
            ],
            applicant_circumstances=[
                AdjustmentOut(
                    circumstance=a.circumstance,
                    says=a.says,
                    adds=list(a.adds),
                    waives=list(a.waives),
                    cites=a.cites,
                )
                for a in ADJUSTMENTS
            ],
            agent_evidence=ProofOut.keyed(AGENT_EVIDENCE),
            evidence=[ProofOut.of(proof) for proof in EVIDENCE.values()],
            mermaid=mermaid(),
        )


class Problem(BaseModel):
    """An RFC 9457 problem: ``type`` is stable, ``detail`` speaks to a person."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/card-not-found",
                    "title": "Card not found",
                    "status": 404,
                    "detail": f"no card with id {_CARD_ID!r}",
                    "request_id": _REQUEST_ID,
                }
            ]
        }
    )

    type: str = Field(description="A URI naming the kind of problem; see the API description.")
    title: str
    status: int
    detail: str
    request_id: str = Field(description="Quote it when reporting the problem.")


class ValidationIssue(BaseModel):
    """One place where a request does not fit the contract."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "loc": ["body", "channel"],
                    "msg": "Input should be 'employer', 'community' or 'card_center'",
                    "type": "enum",
                }
            ]
        }
    )

    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(Problem):
    """The request does not fit the contract: malformed JSON, a wrong type, an unknown name."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/validation-error",
                    "title": "Request does not fit the contract",
                    "status": 422,
                    "detail": "body.event: Input should be 'apply', 'review' or 'reject'",
                    "request_id": _REQUEST_ID,
                    "errors": [
                        {
                            "loc": ["body", "event"],
                            "msg": "Input should be 'apply', 'review' or 'reject'",
                            "type": "enum",
                        }
                    ],
                }
            ]
        }
    )

    errors: list[ValidationIssue]


class EvidenceProblem(Problem):
    """Evidence missing, not asked for, or of the wrong form, each in a clerk's words."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/invalid-evidence",
                    "title": "Evidence missing or malformed",
                    "status": 422,
                    "detail": "review through card_center refused, missing: "
                    "staff checked the registration information",
                    "request_id": _REQUEST_ID,
                    "event": "review",
                    "channel": "card_center",
                    "missing": ["staff checked the registration information"],
                    "unknown": [],
                    "malformed": [],
                }
            ]
        }
    )

    event: Event
    channel: Channel
    missing: list[str]
    unknown: list[str]
    malformed: list[str]


class UnknownNameProblem(Problem):
    """A name outside cardflow's vocabulary; ``valid`` lists the ones it knows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/unknown-name",
                    "title": "Unknown name",
                    "status": 422,
                    "detail": "unknown presenter 'proxy'; valid: self, agent",
                    "request_id": _REQUEST_ID,
                    "valid": ["self", "agent"],
                }
            ]
        }
    )

    valid: list[str]


class IdentityProblem(Problem):
    """An ID number that fails a check; ``check`` names which, the number is never repeated."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/invalid-identity",
                    "title": "Invalid identity number",
                    "status": 422,
                    "detail": "the ID number's check character is wrong",
                    "request_id": _REQUEST_ID,
                    "check": "check_character",
                }
            ]
        }
    )

    check: str


class ChannelProblem(Problem):
    """The channel never carries the event (or not for an agent)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/channel-not-allowed",
                    "title": "Channel not allowed",
                    "status": 422,
                    "detail": "produce through card_center is not allowed: the card_center "
                    "channel never carries produce; channels that may carry produce: "
                    "issuing_bank",
                    "request_id": _REQUEST_ID,
                    "event": "produce",
                    "channel": "card_center",
                    "allowed_channels": ["issuing_bank"],
                }
            ]
        }
    )

    event: Event
    channel: Channel
    allowed_channels: list[Channel]


class PermissionProblem(Problem):
    """The caller's role or channels do not allow the request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/not-permitted",
                    "title": "Not permitted",
                    "status": 403,
                    "detail": "pharmacy-0042#3f9a1c2b7d4e may not act: it may not act through "
                    "bank_outlet",
                    "request_id": _REQUEST_ID,
                    "channel": "bank_outlet",
                    "permitted_channels": ["pharmacy"],
                }
            ]
        }
    )

    channel: Channel | None
    permitted_channels: list[Channel]


class TransitionProblem(Problem):
    """The event is not allowed in the card's current state; here is what is."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/transition-not-allowed",
                    "title": "Transition not allowed now",
                    "status": 409,
                    "detail": f"card {_CARD_ID} is applied: activate through bank_outlet is "
                    "not allowed now; allowed now: review, reject",
                    "request_id": _REQUEST_ID,
                    "card_id": _CARD_ID,
                    "state": "applied",
                    "event": "activate",
                    "channel": "bank_outlet",
                    "allowed_events": [
                        {"event": "review", "channels": ["card_center"]},
                        {"event": "reject", "channels": ["card_center"]},
                    ],
                }
            ]
        }
    )

    card_id: str
    state: State | None
    event: Event
    channel: Channel
    allowed_events: list[AllowedEventOut]


class StaleProblem(Problem):
    """The card moved on since the caller read it: read it again, then decide."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/stale-version",
                    "title": "Stale version",
                    "status": 409,
                    "detail": f"card {_CARD_ID} is at version 2, not 1: read it again and retry",
                    "request_id": _REQUEST_ID,
                    "card_id": _CARD_ID,
                    "expected_version": 1,
                    "current_version": 2,
                    "state": "reviewed",
                    "allowed_events": [{"event": "produce", "channels": ["issuing_bank"]}],
                }
            ]
        }
    )

    card_id: str
    expected_version: int
    current_version: int
    state: State
    allowed_events: list[AllowedEventOut]


InvalidInputProblem = (
    ValidationProblem
    | EvidenceProblem
    | ChannelProblem
    | IdentityProblem
    | UnknownNameProblem
    | Problem
)
"""Every body a 422 may carry."""


class ConditionProblem(Problem):
    """The card's state allows the event, but a condition of the step fails."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://cardflow.dev/problems/condition-not-met",
                    "title": "Condition not met",
                    "status": 409,
                    "detail": "apply is not allowed now: the applicant already holds card "
                    f"{_CARD_ID}, which is live; a person holds one live card at most (a lost "
                    "card is replaced by reissue)",
                    "request_id": _REQUEST_ID,
                    "card_id": None,
                    "state": None,
                    "event": "apply",
                    "condition": "one_live_card",
                    "holder": _CARD_ID,
                    "allowed_events": [],
                }
            ]
        }
    )

    card_id: str | None = Field(description="The card; null where the step would open one.")
    state: State | None
    event: Event
    condition: Condition
    holder: str | None = Field(
        default=None, description="For `one_live_card`: the live card the person holds."
    )
    allowed_events: list[AllowedEventOut]


ConflictProblem = TransitionProblem | ConditionProblem | StaleProblem
"""Every body a 409 may carry."""


class _BatchItemIn(_Request):
    """What one item of a batch says of its own: who presented, its evidence, and when."""

    presenter: Presenter = Presenter.SELF
    evidence: EvidenceIn = Field(
        default_factory=dict, description="This item's evidence; the batch's is added to it."
    )
    occurred_at: AwareDatetime | None = None


class ApplicationItemIn(_BatchItemIn):
    """One application in an employer's or a community office's batch."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "applicant": {"name": "Li Lei", "id_number": "11010519491231002X"},
                    "evidence": _APPLICATION_EVIDENCE,
                    "occurred_at": "2026-11-20T10:00:00+08:00",
                }
            ]
        }
    )

    applicant: ApplicantIn

    def to_item(self) -> BatchItem:
        return BatchItem(
            applicant=self.applicant.to_applicant(),
            presenter=self.presenter,
            evidence=self.evidence,
            occurred_at=self.occurred_at,
        )


class MoveItemIn(_BatchItemIn):
    """One card in an issuing bank's batch."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"card_id": _CARD_ID, "expected_version": 2}]}
    )

    card_id: str = Field(min_length=1, max_length=64)
    expected_version: int | None = Field(
        default=None, ge=1, description="Refuse this item unless the card is at this version."
    )

    def to_item(self) -> BatchItem:
        return BatchItem(
            card_id=self.card_id,
            expected_version=self.expected_version,
            presenter=self.presenter,
            evidence=self.evidence,
            occurred_at=self.occurred_at,
        )


class _BatchIn(_Request):
    channel: Channel
    evidence: EvidenceIn = Field(
        default_factory=dict,
        description="Shown once for the whole batch and recorded on every item's entry.",
    )

    def _batch(
        self, event: Event, items: Sequence[BatchItem], actor: Actor, key: str | None
    ) -> Batch:
        return Batch(event, self.channel, actor, items, self.evidence, key)


class ApplicationBatchIn(_BatchIn):
    """Applications collected by an employer or a community office, sent together."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event": "apply",
                    "channel": "employer",
                    "evidence": {
                        "unit_letter": "letter_of_introduction",
                        "unit_seal": True,
                        "person_in_charge_id": True,
                    },
                    "items": [
                        {
                            "applicant": {"name": "Li Lei", "id_number": "11010519491231002X"},
                            "evidence": _APPLICATION_EVIDENCE,
                        }
                    ],
                }
            ]
        }
    )

    event: Literal[Event.APPLY]
    items: list[ApplicationItemIn] = Field(min_length=1, max_length=MAX_BATCH)

    def to_batch(self, actor: Actor, key: str | None) -> Batch:
        return self._batch(self.event, [item.to_item() for item in self.items], actor, key)


class ProductionBatchIn(_BatchIn):
    """Cards an issuing bank has produced, reported together."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event": "produce",
                    "channel": "issuing_bank",
                    "evidence": {"production_batch": "B-2026-11"},
                    "items": [{"card_id": _CARD_ID, "expected_version": 2}],
                }
            ]
        }
    )

    event: Literal[Event.PRODUCE]
    items: list[MoveItemIn] = Field(min_length=1, max_length=MAX_BATCH)

    def to_batch(self, actor: Actor, key: str | None) -> Batch:
        return self._batch(self.event, [item.to_item() for item in self.items], actor, key)


BatchIn = Annotated[ApplicationBatchIn | ProductionBatchIn, Field(discriminator="event")]


class SweptOut(BaseModel):
    """One step the sweep took."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "card_id": _CARD_ID,
                    "event": "return",
                    "from_state": "produced",
                    "to_state": "returned",
                }
            ]
        }
    )

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
                    "swept": [
                        {
                            "card_id": _CARD_ID,
                            "event": "report_lost",
                            "from_state": "collected",
                            "to_state": "reported_lost",
                        }
                    ],
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


class BatchItemOut(BaseModel):
    """What became of one item: the card it opened or moved, or the problem that refused it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"index": 0, "status": 200, "card_id": _CARD_ID, "state": "produced", "version": 3},
                {
                    "index": 1,
                    "status": 404,
                    "problem": {
                        "type": "https://cardflow.dev/problems/card-not-found",
                        "title": "Card not found",
                        "status": 404,
                        "detail": "no card with id 'c-0042'",
                        "request_id": _REQUEST_ID,
                    },
                },
            ]
        }
    )

    index: int = Field(description="The item's place in the batch, from 0.")
    status: int = Field(description="The status the item would have had as a request alone.")
    card_id: str | None = None
    state: State | None = None
    version: int | None = None
    problem: SerializeAsAny[Problem] | None = None


class BatchOut(BaseModel):
    """Every item's outcome, in item order; the batch id is on every entry it wrote."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "0e5d3b0a-6a3e-5c1f-9f6e-2d4b8a7c1e90",
                    "event": "apply",
                    "channel": "employer",
                    "accepted": 1,
                    "refused": 1,
                    "items": [
                        {
                            "index": 0,
                            "status": 201,
                            "card_id": _CARD_ID,
                            "state": "applied",
                            "version": 1,
                            "problem": None,
                        },
                        {
                            "index": 1,
                            "status": 422,
                            "card_id": None,
                            "state": None,
                            "version": None,
                            "problem": {
                                "type": "https://cardflow.dev/problems/invalid-identity",
                                "title": "Invalid identity number",
                                "status": 422,
                                "detail": "the ID number's check character does not match",
                                "request_id": _REQUEST_ID,
                            },
                        },
                    ],
                }
            ]
        }
    )

    batch_id: str
    event: Event
    channel: Channel
    accepted: int
    refused: int
    items: list[BatchItemOut]

    @classmethod
    def of(
        cls, batch: Batch, result: BatchResult, problem: Callable[[WorkflowError], Problem]
    ) -> BatchOut:
        opened = 201 if batch.event is Event.APPLY else 200
        items = [
            BatchItemOut(
                index=index,
                status=opened,
                card_id=outcome.card_id,
                state=outcome.state,
                version=outcome.version,
            )
            if isinstance(outcome, Card)
            else BatchItemOut(index=index, status=problem(outcome).status, problem=problem(outcome))
            for index, outcome in enumerate(result.outcomes)
        ]
        return cls(
            batch_id=result.batch_id,
            event=batch.event,
            channel=batch.channel,
            accepted=result.accepted,
            refused=len(items) - result.accepted,
            items=items,
        )


_FOUND_EXAMPLE: Final[dict[str, Any]] = {
    "card_id": _CARD_ID,
    "state": "collected",
    "version": 4,
    "last_seq": 97,
    "allowed_events": [
        allowed.model_dump(mode="json")
        for allowed in AllowedEventOut.listing(State.COLLECTED, allowed_events(State.COLLECTED))
    ],
    "region": "default",
    "opened_at": "2026-03-02T01:15:00.000000Z",
    "updated_at": "2026-04-01T06:40:12.000000Z",
}


class FoundOut(CardOut):
    """A card a search found, with where it is kept and when it opened and last moved."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FOUND_EXAMPLE]})

    region: str
    opened_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def found(cls, found: Found) -> FoundOut:
        return cls(
            **CardOut.of(found.card).model_dump(),
            region=found.region,
            opened_at=found.opened_at,
            updated_at=found.updated_at,
        )


class SearchOut(BaseModel):
    """One page of cards, oldest opened first; follow ``next_cursor`` for the next."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cards": [_FOUND_EXAMPLE],
                    "next_cursor": "b3BlbmVkOjk3",
                }
            ]
        }
    )

    cards: list[FoundOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; `null` on the last page."
    )
