"""The card lifecycle as data: the one table that the machine, the docs and the API read.

Every rule cardflow enforces about *which* event may happen *where* lives here:

* ``TRANSITIONS`` -- which event moves a card from which state to which state;
* ``EVIDENCE`` -- every piece of evidence a channel can record, in a clerk's words;
* ``RULES`` -- one row per (event, channel) pair that is allowed at all, with the
  evidence that pair requires.

The machine (``workflow.machine``), the Mermaid diagram, ``/v1/workflow`` and the
feature coverage test are all generated from these tables, so they cannot disagree.
Sources are the documents in ``shared/seeds`` (cited as ``seed 000`` ... ``seed 004``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from workflow.documents import DOCUMENTS as DOCUMENTS
from workflow.documents import Document as Document
from workflow.policy import Window
from workflow.states import Channel, Event, Presenter, Role, State

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True, slots=True)
class Transition:
    """An event moving a card from ``source`` (``None``: the card does not exist yet).

    What becomes of the card's deadline: ``starts`` a window of the region policy;
    ``keeps`` the one running; ``resumes`` -- the card goes back to the state it came
    from (``dest``), with the deadline it had there. Otherwise no deadline runs.
    """

    event: Event
    source: State | None
    dest: State
    starts: Window | None = None
    keeps: bool = False
    resumes: bool = False


_HELD: Final = (State.COLLECTED, State.ACTIVATED)
"""The states of a card in its holder's hands."""

ENDED: Final[frozenset[State]] = frozenset({State.REPLACED, State.CANCELLED})
"""A card here is over: its person may hold another. Every other card is live, and a
person holds one live card at most."""

TRANSITIONS: Final[tuple[Transition, ...]] = (
    Transition(Event.APPLY, None, State.APPLIED),
    Transition(Event.REVIEW, State.APPLIED, State.REVIEWED),
    Transition(Event.REJECT, State.APPLIED, State.REJECTED),
    Transition(Event.RESUBMIT, State.REJECTED, State.APPLIED),
    Transition(Event.PRODUCE, State.REVIEWED, State.PRODUCED, starts=Window.COLLECTION),
    Transition(Event.RETURN, State.PRODUCED, State.RETURNED),
    Transition(Event.COLLECT, State.PRODUCED, State.COLLECTED, starts=Window.ACTIVATION),
    Transition(Event.COLLECT, State.RETURNED, State.COLLECTED, starts=Window.ACTIVATION),
    Transition(Event.ACTIVATE, State.COLLECTED, State.ACTIVATED, keeps=True),
    Transition(Event.ACTIVATE_FINANCIAL, State.ACTIVATED, State.ACTIVATED),
    *(
        Transition(
            Event.REPORT_TEMPORARY_LOSS, held, State.TEMPORARILY_LOST, starts=Window.TEMPORARY_LOSS
        )
        for held in _HELD
    ),
    *(Transition(Event.LIFT_LOSS, State.TEMPORARILY_LOST, held, resumes=True) for held in _HELD),
    *(
        Transition(Event.REPORT_LOST, source, State.REPORTED_LOST)
        for source in (*_HELD, State.TEMPORARILY_LOST)
    ),
    Transition(Event.REISSUE, State.REPORTED_LOST, State.REPLACED),
    *(Transition(Event.CANCEL, source, State.CANCELLED) for source in State if source not in ENDED),
)

REPLACEMENT_OPENS: Final = State.REVIEWED
"""Where a reissue opens the replacement card: its holder was reviewed for the card it
replaces, so production comes next."""


class Kind(StrEnum):
    """How a piece of evidence is recorded: never as raw personal data."""

    CONFIRMED = "confirmed"  # true: the clerk saw it
    CHOICE = "choice"  # one of a fixed list
    REFERENCE = "reference"  # a short document number issued by the channel


@dataclass(frozen=True, slots=True)
class Proof:
    """One piece of evidence a channel may record, and how a clerk would name it."""

    key: str
    says: str
    kind: Kind = Kind.CONFIRMED
    choices: tuple[str, ...] = ()


def _proofs(*proofs: Proof) -> dict[str, Proof]:
    return {proof.key: proof for proof in proofs}


EVIDENCE: Final[Mapping[str, Proof]] = _proofs(
    Proof("identity_document", "a valid identity document", Kind.CHOICE, tuple(DOCUMENTS)),
    Proof("registration_form", "the completed registration form"),
    Proof("photo", "a photo of the applicant"),
    Proof("applicant_signature", "the applicant's signature on the form"),
    Proof(
        "unit_letter",
        "the unit's letter of introduction or labour-security certificate",
        Kind.CHOICE,
        ("letter_of_introduction", "labour_security_certificate"),
    ),
    Proof("unit_seal", "the unit's official seal"),
    Proof("person_in_charge_id", "the ID of the unit's person in charge"),
    Proof(
        "guardian_link",
        "the guardian's household register listing the child, or the child's birth certificate",
        Kind.CHOICE,
        ("guardians_household_register", "birth_certificate"),
    ),
    Proof("proof_of_work", "the relevant proof of work"),
    Proof("authorisation_letter", "the insured person's letter authorising the agent"),
    Proof("agent_id_documents", "the original and a copy of the agent's ID"),
    Proof("insured_id_documents", "the original and a copy of the insured person's ID"),
    Proof("information_checked", "staff checked the registration information"),
    Proof(
        "rejection_reason",
        "the reason the review failed",
        Kind.CHOICE,
        ("information_mismatch", "photo_unusable", "document_invalid", "form_incomplete"),
    ),
    Proof("corrections_made", "the corrected materials"),
    Proof("production_batch", "the issuing bank's production batch number", Kind.REFERENCE),
    Proof(
        "collection_notice",
        "the acceptance receipt or the phone notice",
        Kind.CHOICE,
        ("acceptance_receipt", "phone_notice"),
    ),
    Proof("valid_id", "a valid ID shown at the counter"),
    Proof("card_presented", "the social security card itself"),
    Proof("original_id", "the original identity document"),
    Proof("initial_pin_changed", "the initial PIN changed"),
    Proof("operator_identity_check", "identity verified by the 12333 operator"),
    Proof(
        "first_settlement",
        "the first outpatient registration or hospitalisation settled with the card",
        Kind.CHOICE,
        ("outpatient_registration", "hospitalisation"),
    ),
    Proof(
        "medical_insurance_card_inserted_first",
        "the original medical insurance card inserted first",
    ),
    Proof("first_purchase", "the first purchase settled with the card"),
    Proof("payment_slip", "the payment slip for the card production fee", Kind.REFERENCE),
    Proof(
        "deadline_expired",
        "the deadline that expired",
        Kind.CHOICE,
        tuple(str(window) for window in Window),
    ),
    Proof(
        "cancellation_reason",
        "why the card is cancelled",
        Kind.CHOICE,
        ("death", "settled_abroad", "moved_out_of_province"),
    ),
    Proof(
        "cancellation_proof",
        "the death certificate, the proof of settling abroad or the transfer-out certificate",
    ),
    Proof("replaced_by", "the card that replaces this one", Kind.REFERENCE),
    Proof("replaces", "the lost card this one replaces", Kind.REFERENCE),
)

PIN_PROOF: Final = "initial_pin_changed"
"""Required where a rule names it only if the region policy says the PIN must change."""

_APPLICATION: Final = ("identity_document", "registration_form", "photo", "applicant_signature")
_UNIT_BATCH: Final = ("unit_letter", "unit_seal", "person_in_charge_id")
_COLLECTION: Final = ("collection_notice", "valid_id")
_PRODUCED: Final = frozenset({State.PRODUCED})

AGENT_EVIDENCE: Final[tuple[str, ...]] = ("agent_id_documents", "insured_id_documents")
"""What an agent shows on top, wherever an agent may stand in (seed 000)."""


class Circumstance(StrEnum):
    """Something about the applicant that changes what an application must show."""

    CHILD = "child"
    """Under 16 on the day of application."""
    YOUNG_CHILD = "young_child"
    """6 or under on the day of application (and so a child too)."""
    FOREIGNER = "foreigner"
    """Holds a foreign permanent residence ID: a foreign worker."""
    REPRESENTED = "represented"
    """An adult for whom an agent applies."""


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What a circumstance adds to an application's evidence, and what it waives (no
    longer required, still accepted if shown)."""

    circumstance: Circumstance
    says: str
    adds: tuple[str, ...]
    waives: tuple[str, ...]
    cites: str


ADJUSTMENTS: Final[tuple[Adjustment, ...]] = (
    Adjustment(
        Circumstance.CHILD,
        "a child under 16",
        ("guardian_link",),
        (),
        "DESIGN.md (a household register suffices for a child); the birth certificate of a child "
        "not on the guardian's register is region practice",
    ),
    Adjustment(
        Circumstance.YOUNG_CHILD,
        "a child of 6 or under",
        (),
        ("photo",),
        "region practice: no photo for a child of 6 or under; not in the seeds",
    ),
    Adjustment(
        Circumstance.FOREIGNER,
        "a foreign worker",
        ("proof_of_work",),
        (),
        "seed 004 (a foreign worker also provides the relevant proof of work)",
    ),
    Adjustment(
        Circumstance.REPRESENTED,
        "an adult an agent applies for",
        ("authorisation_letter",),
        (),
        "seed 000 (both parties' IDs); the authorisation letter is region practice",
    ),
)
"""How the applicant's circumstances change an application (``apply`` only)."""

CHILD_UNTIL: Final = 16
"""The age from which an applicant is no longer a child."""
YOUNG_CHILD_UNTIL: Final = 7
"""The age from which a child's application needs a photo."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One allowed (event, channel) pair and the evidence it requires."""

    event: Event
    channel: Channel
    requires: tuple[str, ...]
    cites: str
    agent_allowed: bool = True
    only_from: frozenset[State] | None = field(default=None)
    issues: tuple[str, ...] = ()
    """References cardflow itself issues when the step is accepted."""
    batch: bool = False
    """Whether the channel may send this event for many cards in one batch."""
    financial: bool = False
    """Whether the step activates the card's financial (bank) function."""
    due: Window | None = None
    """The window that must have run out (the card's due time passed) for the step."""


RULES: Final[tuple[Rule, ...]] = (
    Rule(
        Event.APPLY,
        Channel.EMPLOYER,
        _APPLICATION + _UNIT_BATCH,
        "seed 000, seed 004",
        batch=True,
    ),
    Rule(Event.APPLY, Channel.COMMUNITY, _APPLICATION, "seed 001", batch=True),
    Rule(Event.APPLY, Channel.CARD_CENTER, _APPLICATION, "seed 000, seed 004"),
    Rule(Event.APPLY, Channel.BANK_OUTLET, _APPLICATION, "seed 001"),
    Rule(
        Event.REVIEW,
        Channel.CARD_CENTER,
        ("information_checked",),
        "seed 004",
        agent_allowed=False,
        issues=("payment_slip",),
    ),
    Rule(Event.REJECT, Channel.CARD_CENTER, ("rejection_reason",), "seed 004", agent_allowed=False),
    Rule(Event.RESUBMIT, Channel.EMPLOYER, ("corrections_made", *_UNIT_BATCH), "seed 004"),
    Rule(Event.RESUBMIT, Channel.COMMUNITY, ("corrections_made",), "seed 004"),
    Rule(Event.RESUBMIT, Channel.CARD_CENTER, ("corrections_made",), "seed 004"),
    Rule(Event.RESUBMIT, Channel.BANK_OUTLET, ("corrections_made",), "seed 004"),
    Rule(
        Event.PRODUCE,
        Channel.ISSUING_BANK,
        ("production_batch",),
        "seed 002",
        agent_allowed=False,
        batch=True,
    ),
    Rule(
        Event.RETURN,
        Channel.SYSTEM,
        ("deadline_expired",),
        "region policy (collection window); not in the seeds",
        agent_allowed=False,
        due=Window.COLLECTION,
    ),
    Rule(Event.COLLECT, Channel.EMPLOYER, _COLLECTION, "seed 000", only_from=_PRODUCED),
    Rule(Event.COLLECT, Channel.COMMUNITY, _COLLECTION, "seed 001", only_from=_PRODUCED),
    Rule(Event.COLLECT, Channel.CARD_CENTER, _COLLECTION, "seed 000"),
    Rule(Event.COLLECT, Channel.BANK_OUTLET, _COLLECTION, "seed 000", only_from=_PRODUCED),
    Rule(Event.ACTIVATE, Channel.CARD_CENTER, ("card_presented", "original_id"), "seed 003"),
    Rule(
        Event.ACTIVATE,
        Channel.BANK_OUTLET,
        ("card_presented", "original_id", "initial_pin_changed"),
        "seed 000, seed 001",
        financial=True,
    ),
    Rule(
        Event.ACTIVATE,
        Channel.HOTLINE_12333,
        ("operator_identity_check",),
        "seed 000",
        agent_allowed=False,
    ),
    Rule(
        Event.ACTIVATE,
        Channel.HOSPITAL,
        ("first_settlement",),
        "seed 001, seed 002",
        agent_allowed=False,
    ),
    Rule(
        Event.ACTIVATE,
        Channel.PHARMACY,
        ("medical_insurance_card_inserted_first", "first_purchase"),
        "seed 001, seed 002",
        agent_allowed=False,
    ),
    Rule(
        Event.ACTIVATE_FINANCIAL,
        Channel.BANK_OUTLET,
        ("card_presented", "original_id", "initial_pin_changed"),
        "seed 001, seed 002",
        financial=True,
    ),
    Rule(
        Event.REPORT_TEMPORARY_LOSS,
        Channel.CARD_CENTER,
        ("valid_id",),
        "DESIGN.md (loss reports); the temporary report is not in the seeds",
    ),
    Rule(
        Event.REPORT_TEMPORARY_LOSS,
        Channel.HOTLINE_12333,
        ("operator_identity_check",),
        "DESIGN.md (loss reports); the temporary report is not in the seeds",
        agent_allowed=False,
    ),
    Rule(Event.LIFT_LOSS, Channel.CARD_CENTER, ("valid_id",), "not in the seeds"),
    Rule(
        Event.LIFT_LOSS,
        Channel.HOTLINE_12333,
        ("operator_identity_check",),
        "not in the seeds",
        agent_allowed=False,
    ),
    Rule(
        Event.LIFT_LOSS,
        Channel.SYSTEM,
        ("deadline_expired",),
        "region policy (temporary loss validity); not in the seeds",
        agent_allowed=False,
        due=Window.TEMPORARY_LOSS,
    ),
    Rule(Event.REPORT_LOST, Channel.CARD_CENTER, ("valid_id",), "DESIGN.md"),
    Rule(Event.REPORT_LOST, Channel.BANK_OUTLET, ("valid_id",), "DESIGN.md"),
    Rule(
        Event.REPORT_LOST,
        Channel.SYSTEM,
        ("deadline_expired",),
        "seed 001",
        agent_allowed=False,
        only_from=frozenset(_HELD),
        due=Window.ACTIVATION,
    ),
    Rule(
        Event.REISSUE,
        Channel.CARD_CENTER,
        ("valid_id", "photo"),
        "not in the seeds",
        issues=("payment_slip",),
    ),
    Rule(
        Event.REISSUE,
        Channel.BANK_OUTLET,
        ("valid_id", "photo"),
        "not in the seeds",
        issues=("payment_slip",),
    ),
    Rule(
        Event.CANCEL,
        Channel.CARD_CENTER,
        ("cancellation_reason", "cancellation_proof"),
        "not in the seeds",
    ),
)

RULES_BY_PAIR: Final[Mapping[tuple[Event, Channel], Rule]] = {
    (rule.event, rule.channel): rule for rule in RULES
}


ROLE_CHANNELS: Final[Mapping[Role, frozenset[Channel]]] = {
    Role.CLERK: frozenset(Channel) - {Channel.SYSTEM},
    Role.SYSTEM: frozenset(Channel),
    Role.ADMIN: frozenset(Channel),
    Role.SUPERVISOR: frozenset(),
}
"""The channels each role may act through at most; a principal may be narrowed further.
Supervisors read only; only cardflow's own system principals speak for the system."""


def channels_for(event: Event) -> tuple[Channel, ...]:
    """The channels that may carry ``event``, in table order."""
    return tuple(rule.channel for rule in RULES if rule.event is event)


def events_for(channel: Channel) -> tuple[Event, ...]:
    """The events ``channel`` may carry, in table order."""
    return tuple(rule.event for rule in RULES if rule.channel is channel)


def carriers(transition: Transition) -> tuple[Rule, ...]:
    """The rules that may take ``transition``: its event's, where they reach its source."""
    return tuple(
        rule
        for rule in RULES
        if rule.event is transition.event
        and (rule.only_from is None or transition.source in rule.only_from)
    )


def batch_rules() -> tuple[Rule, ...]:
    """The (event, channel) pairs a channel may send for many cards in one batch."""
    return tuple(rule for rule in RULES if rule.batch)


FINANCIAL_MOVES: Final[frozenset[tuple[Event, Channel]]] = frozenset(
    (rule.event, rule.channel) for rule in RULES if rule.financial
)
"""The steps that activate a card's financial function: only a bank outlet's (seed 001)."""


def required_evidence(
    rule: Rule,
    presenter: Presenter,
    circumstances: frozenset[Circumstance] = frozenset(),
    *,
    pin_must_change: bool = True,
) -> tuple[Proof, ...]:
    """What must be shown for ``rule`` when ``presenter`` stands at the channel for an
    applicant in ``circumstances`` (which count for ``apply`` only)."""
    keys = list(rule.requires)
    for adjustment in adjustments_for(rule, circumstances):
        keys = [key for key in keys if key not in adjustment.waives] + list(adjustment.adds)
    keys += AGENT_EVIDENCE if presenter is Presenter.AGENT else ()
    return tuple(EVIDENCE[key] for key in keys if pin_must_change or key != PIN_PROOF)


def circumstances_of(age: int, *, foreigner: bool, presenter: Presenter) -> frozenset[Circumstance]:
    """The circumstances of an applicant ``age`` years old on the day they apply."""
    found = set()
    if age < CHILD_UNTIL:
        found.add(Circumstance.CHILD)
    if age < YOUNG_CHILD_UNTIL:
        found.add(Circumstance.YOUNG_CHILD)
    if foreigner:
        found.add(Circumstance.FOREIGNER)
    if presenter is Presenter.AGENT and age >= CHILD_UNTIL:
        found.add(Circumstance.REPRESENTED)
    return frozenset(found)


def waived_evidence(rule: Rule, circumstances: frozenset[Circumstance]) -> tuple[str, ...]:
    """What ``rule`` no longer requires of an applicant in ``circumstances``, but accepts."""
    return tuple(key for a in adjustments_for(rule, circumstances) for key in a.waives)


def adjustments_for(rule: Rule, circumstances: frozenset[Circumstance]) -> tuple[Adjustment, ...]:
    """The adjustments that change ``rule`` for an applicant in ``circumstances``."""
    if rule.event is not Event.APPLY:
        return ()
    return tuple(a for a in ADJUSTMENTS if a.circumstance in circumstances)


def deadline_rule(state: State) -> Rule | None:
    """The system's step for a card in ``state`` whose deadline has passed, if any."""
    for rule in RULES:
        leaves = any(t.event is rule.event and t.source is state for t in TRANSITIONS)
        if rule.due is not None and leaves and (rule.only_from is None or state in rule.only_from):
            return rule
    return None


HISTORY_EVENTS: Final[frozenset[Event]] = frozenset(
    {t.event for t in TRANSITIONS if t.resumes} | {r.event for r in RULES if r.financial}
)
"""Events whose decision reads the card's past: where it came from, and whether its
financial function is already active."""


_READERS_WORDS: Final = frozenset({"says", "cites"})
"""Fields written for readers: a change to them changes no decision, so no version."""


def _row(record: DataclassInstance, *, leaving: frozenset[str] = frozenset()) -> list[object]:
    """Every field of ``record`` that decides something, in field order, as JSON: a
    field added to a table's record enters the digest without anyone listing it."""
    return [
        _plain(getattr(record, column.name))
        for column in fields(record)
        if column.name not in _READERS_WORDS | leaving
    ]


def _plain(value: object) -> object:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def definition_digest() -> str:
    """The digest of the tables as they stand: what ``DEFINITION_VERSION`` is made of."""
    table = {
        "transitions": [[t.event, t.source, t.dest] for t in TRANSITIONS],
        "evidence": [_row(proof) for proof in EVIDENCE.values()],
        "agent": list(AGENT_EVIDENCE),
        "adjustments": [_row(adjustment) for adjustment in ADJUSTMENTS],
        "ages": [CHILD_UNTIL, YOUNG_CHILD_UNTIL],
        "roles": {role: sorted(channels) for role, channels in ROLE_CHANNELS.items()},
        "rules": [_row(rule) for rule in RULES],
        "deadlines": [_row(t, leaving=frozenset({"dest"})) for t in TRANSITIONS],
        "ended": sorted(ENDED),
        "documents": {key: sorted(d.carries) for key, d in DOCUMENTS.items()},
        "replacement": REPLACEMENT_OPENS,
    }
    encoded = json.dumps(table, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


DEFINITION_DIGEST: Final[str] = definition_digest()
DEFINITION_VERSION: Final[str] = f"1+{DEFINITION_DIGEST[:12]}"
"""Recorded on every ledger entry: the series, then a digest of the tables above, so a
changed rule can never be recorded under an old version."""
