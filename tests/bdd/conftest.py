"""The step library behind ``features/``: business words in, use cases of ``CardService`` out.

Steps never speak HTTP: they drive the service over an in-memory ledger, so each
scenario states a rule and checks it against the same code the API and CLI call.
Evidence is written in a clerk's words; ``PHRASES`` turns those words into the
evidence the rules expect, reading the ``says`` texts of ``EVIDENCE`` so that a
renamed proof breaks the features loudly instead of silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

import pytest
from pytest_bdd import given, parsers, then, when

from api.access import Capability, default_reads, grantable_reads, permits
from api.problems import refusal_problem
from ledger.audit import Audit
from ledger.bundle import BundleError, check_bundle
from ledger.entry import ERASURE, REFUSAL, Entry
from ledger.memory import MemoryLedger
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.note import Checkpoint
from ledger.store import Head, SignedCheckpoint, Tip
from livedocs import grammar
from livedocs.grammar import EVENT_WORDS
from tests.conftest import SIGNER, FakeClock
from workflow.definition import AGENT_EVIDENCE, EVIDENCE, Kind
from workflow.errors import (
    ChannelNotAllowed,
    Condition,
    ConditionNotMet,
    InvalidEvidence,
    InvalidIdentity,
    MisdatedStep,
    NotPermitted,
    PersonHoldsCard,
    StillHolder,
    TransitionNotAllowed,
    WorkflowError,
)
from workflow.identity import check_character
from workflow.moments import timestamp
from workflow.policy import DEFAULT_POLICY, Window
from workflow.service import (
    ERASE_EVENT,
    SWEEPER,
    Actor,
    Applicant,
    Batch,
    BatchItem,
    Card,
    CardService,
    Erasure,
    Search,
    Step,
    SweepReport,
    issued_reference,
)
from workflow.states import SAID, Channel, ErasureReason, Event, Presenter, Role, State

NOT_YET_ENFORCED: Final = "not_yet_enforced"
"""The tag of a scenario stating a rule of the seeds that ``workflow/`` does not enforce yet."""


def pytest_configure(config: pytest.Config) -> None:
    for channel in Channel:
        config.addinivalue_line("markers", f"{channel}: scenarios through the {channel} channel")


def pytest_bdd_apply_tag(tag: str, function: Callable[..., object]) -> bool | None:
    """Run a not-yet-enforced rule as a strict xfail: it fails loudly once the rule holds."""
    if tag != NOT_YET_ENFORCED:
        return None
    pytest.mark.xfail(
        strict=True,
        reason="a rule the seeds state that workflow/ does not enforce yet",
    )(function)
    return True


# -- words: the vocabularies and the wording the docs read are livedocs.grammar's ----------

_POLICY_FIELDS: Final[Mapping[Window, str]] = {
    Window.ACTIVATION: "activation_days",
    Window.COLLECTION: "collection_days",
    Window.TEMPORARY_LOSS: "temporary_loss_days",
}


def words(pattern: str) -> parsers.parse:
    """``parsers.parse`` that knows cardflow's events, states, channels and checks, the
    vocabularies of ``livedocs.grammar``, which the living docs read the steps with."""
    return parsers.parse(pattern, extra_types=dict(grammar.TYPES))


def events_from(text: str) -> set[Event]:
    """The events a list like "activated or reported lost" names."""
    return {EVENT_WORDS[said] for said in re.split(r", | or ", text)}


def _choice(key: str, choice: str) -> dict[str, object]:
    assert choice in EVIDENCE[key].choices, f"{choice} is not a choice of {key}"
    return {key: choice}


PHRASES: Final[Mapping[str, Mapping[str, object]]] = {
    # Every proof confirmed by sight is named exactly as the catalogue says it.
    **{proof.says: {key: True} for key, proof in EVIDENCE.items() if proof.kind is Kind.CONFIRMED},
    # A proof that is one of a list is named by the choice itself.
    "a resident ID card": _choice("identity_document", "resident_id_card"),
    "the household register": _choice("identity_document", "household_register"),
    "a passport": _choice("identity_document", "passport"),
    "a Hong Kong and Macao travel permit": _choice("identity_document", "hk_macao_travel_permit"),
    "a military officer's card": _choice("identity_document", "military_officer_card"),
    "a foreign permanent residence ID": _choice(
        "identity_document", "foreign_permanent_residence_id"
    ),
    "a Hong Kong, Macao or Taiwan residence permit": _choice(
        "identity_document", "hk_macao_taiwan_residence_permit"
    ),
    "the guardian's household register listing the child": _choice(
        "guardian_link", "guardians_household_register"
    ),
    "the child's birth certificate": _choice("guardian_link", "birth_certificate"),
    "the unit's letter of introduction": _choice("unit_letter", "letter_of_introduction"),
    "the unit's labour-security certificate": _choice("unit_letter", "labour_security_certificate"),
    "the acceptance receipt": _choice("collection_notice", "acceptance_receipt"),
    "the phone notice": _choice("collection_notice", "phone_notice"),
    "the first outpatient registration settled with the card": _choice(
        "first_settlement", "outpatient_registration"
    ),
    "the first hospitalisation settled with the card": _choice(
        "first_settlement", "hospitalisation"
    ),
    "information that does not match": _choice("rejection_reason", "information_mismatch"),
    "an unusable photo": _choice("rejection_reason", "photo_unusable"),
    "an invalid document": _choice("rejection_reason", "document_invalid"),
    "an incomplete form": _choice("rejection_reason", "form_incomplete"),
    "the activation window expired": _choice("deadline_expired", "activation_window"),
    "the collection window expired": _choice("deadline_expired", "collection_window"),
    "the temporary loss validity expired": _choice("deadline_expired", "temporary_loss_validity"),
    "the holder's death": _choice("cancellation_reason", "death"),
    "the holder settled abroad": _choice("cancellation_reason", "settled_abroad"),
    "the holder moved out of the province": _choice("cancellation_reason", "moved_out_of_province"),
    # What an agent shows, said the way a clerk says it at the counter.
    "both IDs": dict.fromkeys(AGENT_EVIDENCE, True),
}
"""The clerk's words for each piece of evidence, and what the rules record for them."""

_BATCH: Final = re.compile(r"production batch (?P<batch>\S+)")
_SEPARATOR: Final = re.compile(r"(?:, | and |$)")
_PHRASE_ORDER: Final = sorted(PHRASES, key=len, reverse=True)


def evidence_from(text: str) -> dict[str, object]:
    """The evidence a list like "the phone notice and a valid ID shown at the counter" names.

    Phrases are matched longest first, since some (the agent's "original and a copy")
    contain "and" themselves.
    """
    text = text.strip()
    if text == "nothing":
        return {}
    evidence: dict[str, object] = {}
    rest = text
    while rest:
        batch = _BATCH.match(rest)
        phrase = next((p for p in _PHRASE_ORDER if rest.startswith(p)), None)
        if phrase is not None and _SEPARATOR.match(rest, len(phrase)):
            evidence.update(PHRASES[phrase])
            rest = rest[len(phrase) :]
        elif batch is not None:
            evidence["production_batch"] = batch["batch"]
            rest = rest[batch.end() :]
        else:
            raise AssertionError(f"no evidence is called {rest!r}; known: {sorted(PHRASES)}")
        separator = _SEPARATOR.match(rest)
        assert separator is not None, f"expected a comma or 'and' before {rest!r}"
        rest = rest[separator.end() :]
    return evidence


# -- the desk: what a scenario has in hand --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The ledger's tip, every card's head and one card's history, before a step is tried."""

    tip: Tip
    heads: tuple[Head, ...]
    history: tuple[Entry, ...]


@dataclass(slots=True)
class Desk:
    """The applicant, their card, and the outcome of the last thing tried."""

    applicant: Applicant
    card: Card | None = None
    attempted: Step | None = None
    refusal: WorkflowError | None = None
    before: Snapshot | None = None
    accepted: list[Step] = field(default_factory=list)
    swept: SweepReport | None = None
    kept: SignedCheckpoint | None = None
    bundle: dict[str, Any] | None = None
    erasure: Erasure | None = None
    dated: datetime | None = None
    """When the clerk says the next step happened (``None``: they say nothing)."""

    @property
    def card_id(self) -> str:
        assert self.card is not None, "no card has been opened"
        return self.card.card_id


WANG_FANG: Final = Applicant(name="Wang Fang", id_number="11010519491231002X")

HAPPY_PATH: Final[tuple[tuple[Event, Channel, str], ...]] = (
    (
        Event.APPLY,
        Channel.CARD_CENTER,
        "a resident ID card, the completed registration form, a photo of the applicant "
        "and the applicant's signature on the form",
    ),
    (Event.REVIEW, Channel.CARD_CENTER, "staff checked the registration information"),
    (Event.PRODUCE, Channel.ISSUING_BANK, "production batch B2026-001"),
    (
        Event.COLLECT,
        Channel.CARD_CENTER,
        "the acceptance receipt and a valid ID shown at the counter",
    ),
    (
        Event.ACTIVATE,
        Channel.BANK_OUTLET,
        "the social security card itself, the original identity document "
        "and the initial PIN changed",
    ),
)
REJECTION: Final = (Event.REJECT, Channel.CARD_CENTER, "an unusable photo")
LOSS: Final = (Event.REPORT_LOST, Channel.CARD_CENTER, "a valid ID shown at the counter")
TEMPORARY_LOSS: Final = (
    Event.REPORT_TEMPORARY_LOSS,
    Channel.HOTLINE_12333,
    "identity verified by the 12333 operator",
)
RETURN: Final = (Event.RETURN, Channel.SYSTEM, "the collection window expired")
REISSUE: Final = (
    Event.REISSUE,
    Channel.CARD_CENTER,
    "a valid ID shown at the counter and a photo of the applicant",
)
CANCELLATION: Final = (
    Event.CANCEL,
    Channel.CARD_CENTER,
    "the holder's death and the death certificate, the proof of settling abroad or the "
    "transfer-out certificate",
)

ROUTES: Final[Mapping[State, tuple[tuple[Event, Channel, str], ...]]] = {
    State.APPLIED: HAPPY_PATH[:1],
    State.REVIEWED: HAPPY_PATH[:2],
    State.REJECTED: (*HAPPY_PATH[:1], REJECTION),
    State.PRODUCED: HAPPY_PATH[:3],
    State.RETURNED: (*HAPPY_PATH[:3], RETURN),
    State.COLLECTED: HAPPY_PATH[:4],
    State.ACTIVATED: HAPPY_PATH,
    State.TEMPORARILY_LOST: (*HAPPY_PATH[:4], TEMPORARY_LOSS),
    State.REPORTED_LOST: (*HAPPY_PATH[:4], LOSS),
    State.REPLACED: (*HAPPY_PATH[:4], LOSS, REISSUE),
    State.CANCELLED: (*HAPPY_PATH[:1], CANCELLATION),
}
"""How a card reaches each state the ordinary way, for scenarios that start there; the
system's steps wait for their deadline to pass."""

SUPERVISOR: Final = Actor("supervisor-li", Role.SUPERVISOR)


def clerk_at(channel: Channel) -> Actor:
    """Whoever speaks for ``channel``: its own clerk, or cardflow itself for the system."""
    if channel is Channel.SYSTEM:
        return Actor("cardflow-deadlines", Role.SYSTEM)
    return Actor(f"clerk-{channel}", Role.CLERK, frozenset({channel}))


def snapshot(service: CardService, card_id: str | None) -> Snapshot:
    history = () if card_id is None else tuple(service.history(card_id))
    return Snapshot(service.ledger.tip(), tuple(service.ledger.heads()), history)


def attempt(
    service: CardService,
    desk: Desk,
    event: Event,
    channel: Channel,
    evidence: str,
    presenter: Presenter = Presenter.SELF,
    *,
    actor: Actor | None = None,
    opening: bool = False,
) -> None:
    """Try one step, keeping the card it leads to or the refusal that stops it."""
    step = Step(
        event,
        channel,
        actor or clerk_at(channel),
        presenter,
        evidence_from(evidence),
        occurred_at=desk.dated,
    )
    desk.dated = None
    desk.attempted = step
    desk.refusal = None
    desk.before = snapshot(service, None if opening else desk.card_id)
    try:
        if opening:
            desk.card = service.apply(desk.applicant, step)
        else:
            desk.card = service.transition(desk.card_id, step)
    except WorkflowError as refusal:
        desk.refusal = refusal
    else:
        desk.accepted.append(step)


def refusal(desk: Desk) -> WorkflowError:
    assert desk.refusal is not None, f"{desk.attempted} was accepted, not refused"
    return desk.refusal


def refused_since(service: CardService, desk: Desk) -> list[Entry]:
    """What the ledger gained since the refused step was tried."""
    refusal(desk)
    assert desk.before is not None
    return service.ledger.entries_after(desk.before.tip.size, 100)


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture
def service(clock: FakeClock) -> CardService:
    """The use cases over the in-memory ledger: the rules, without a database to wait on."""
    return CardService(MemoryLedger(clock=clock), clock=clock)


@pytest.fixture
def audit(service: CardService, clock: FakeClock) -> Audit:
    """Proofs, checkpoints and the full check, over the service's ledger."""
    return Audit(service.ledger, clock=clock, signer=SIGNER)


ADMINISTRATOR: Final = Actor("admin-zhou", Role.ADMIN)
"""Who erases personal data at the card center."""


# -- Given ---------------------------------------------------------------------------------


@given(words("an applicant {name} with citizen ID {id_number}"), target_fixture="desk")
@given(
    words("an applicant {name} with foreign permanent residence ID {id_number}"),
    target_fixture="desk",
)
@given(words("an applicant {name} with residence permit {id_number}"), target_fixture="desk")
def an_applicant(name: str, id_number: str) -> Desk:
    return Desk(Applicant(name=name, id_number=id_number))


@given(
    words("an applicant {name} whose citizen ID gives a birth date that never was"),
    target_fixture="desk",
)
def an_applicant_born_on_no_day(name: str) -> Desk:
    first17 = "110105" + "19490230" + "002"
    return Desk(Applicant(name=name, id_number=first17 + check_character(first17)))


@given(words("a card that has been {state:State}"), target_fixture="desk")
def a_card_that_has_been(service: CardService, clock: FakeClock, state: State) -> Desk:
    desk = Desk(WANG_FANG)
    for event, channel, evidence in ROUTES[state]:
        if channel is Channel.SYSTEM:
            assert desk.card is not None
            assert desk.card.due_at is not None
            clock.now = max(clock.now, desk.card.due_at)
        attempt(service, desk, event, channel, evidence, opening=event is Event.APPLY)
        assert desk.refusal is None, f"the ordinary way to {state} was refused: {desk.refusal}"
    assert desk.card is not None
    assert desk.card.state is state
    return desk


@given(words("{days:d} days pass"))
@when(words("{days:d} days pass"))
def days_pass(clock: FakeClock, days: int) -> None:
    clock.advance(days=days)


@given(words("a region policy whose {window:Window} is {days:d} days"), target_fixture="service")
def a_region_policy(clock: FakeClock, window: Window, days: int) -> CardService:
    policy = replace(DEFAULT_POLICY, region="test-region", **{_POLICY_FIELDS[window]: days})
    return CardService(MemoryLedger(clock=clock), clock=clock, policy=policy)


@given(
    words("a region policy that lets a channel date a step at most {hours:d} hours back"),
    target_fixture="service",
)
def a_policy_with_backdating(clock: FakeClock, hours: int) -> CardService:
    policy = replace(DEFAULT_POLICY, region="test-region", backdating_hours=hours)
    return CardService(MemoryLedger(clock=clock), clock=clock, policy=policy)


@given(words("the clerk dates the next step {hours:d} hours back"))
def dated_hours_back(clock: FakeClock, desk: Desk, hours: int) -> None:
    desk.dated = clock.now - timedelta(hours=hours)


@given(words("the clerk dates the next step {days:d} days back"))
def dated_days_back(clock: FakeClock, desk: Desk, days: int) -> None:
    desk.dated = clock.now - timedelta(days=days)


@given(words("the clerk dates the next step {minutes:d} minutes ahead"))
def dated_ahead(clock: FakeClock, desk: Desk, minutes: int) -> None:
    desk.dated = clock.now + timedelta(minutes=minutes)


@given(
    "a region policy that does not make the holder change the initial PIN", target_fixture="service"
)
def a_policy_without_pin_change(clock: FakeClock) -> CardService:
    policy = replace(DEFAULT_POLICY, region="test-region", pin_must_change=False)
    return CardService(MemoryLedger(clock=clock), clock=clock, policy=policy)


# -- When ----------------------------------------------------------------------------------


@when(words(grammar.APPLIES))
def the_applicant_applies(
    service: CardService, desk: Desk, channel: Channel, evidence: str
) -> None:
    attempt(service, desk, Event.APPLY, channel, evidence, opening=True)


@when(words(grammar.AGENT_APPLIES))
def an_agent_applies(service: CardService, desk: Desk, channel: Channel, evidence: str) -> None:
    attempt(service, desk, Event.APPLY, channel, evidence, Presenter.AGENT, opening=True)


@given(words(grammar.CARD_IS))
@when(words(grammar.CARD_IS))
def the_card_is(
    service: CardService, desk: Desk, event: Event, channel: Channel, evidence: str
) -> None:
    attempt(service, desk, event, channel, evidence)


@when(words(grammar.CARD_IS_BY_AN_AGENT))
def the_card_is_by_an_agent(
    service: CardService, desk: Desk, event: Event, channel: Channel, evidence: str
) -> None:
    attempt(service, desk, event, channel, evidence, Presenter.AGENT)


@when(words(grammar.CARD_IS_BY_A_SUPERVISOR))
def the_card_is_by_a_supervisor(
    service: CardService, desk: Desk, event: Event, channel: Channel, evidence: str
) -> None:
    attempt(service, desk, event, channel, evidence, actor=SUPERVISOR)


@when(words(grammar.CARD_IS_BY_A_CLERK))
def the_card_is_by_another_clerk(
    service: CardService,
    desk: Desk,
    event: Event,
    holder: Channel,
    channel: Channel,
    evidence: str,
) -> None:
    attempt(service, desk, event, channel, evidence, actor=clerk_at(holder))


@when("the deadline sweep runs")
def the_sweep_runs(service: CardService, desk: Desk) -> None:
    desk.swept = service.sweep()
    if desk.card is not None:
        desk.card = service.card(desk.card_id)


@given("a supervisor keeps a signed checkpoint of the ledger")
def a_kept_checkpoint(audit: Audit, service: CardService, desk: Desk) -> None:
    desk.kept = audit.checkpoint()


@given(words("the holder's personal data is erased because of {reason:Reason}"))
@when(words("the holder's personal data is erased because of {reason:Reason}"))
def erase_the_holder(service: CardService, desk: Desk, reason: ErasureReason) -> None:
    desk.before = snapshot(service, desk.card_id)
    desk.refusal, desk.erasure = None, None
    try:
        desk.erasure = service.erase_person(
            ADMINISTRATOR, reason, id_number=desk.applicant.id_number
        )
    except WorkflowError as refused:
        desk.refusal = refused


@given("the clerk turns to the replacement card")
@when("the clerk turns to the replacement card")
def turn_to_the_replacement(service: CardService, desk: Desk) -> None:
    assert desk.card is not None
    assert desk.card.replaced_by is not None
    desk.card = service.card(desk.card.replaced_by)


# -- Then: accepted ------------------------------------------------------------------------


@then(words("the card is {state:State}"))
def the_card_is_now(service: CardService, desk: Desk, state: State) -> None:
    assert desk.refusal is None, f"refused: {desk.refusal}"
    assert desk.card is not None
    assert desk.card.state is state
    assert service.card(desk.card_id).state is state


@then(words("the sweep took {count:d} step"))
@then(words("the sweep took {count:d} steps"))
def the_sweep_took(desk: Desk, count: int) -> None:
    assert desk.swept is not None, "no sweep has run"
    assert len(desk.swept.swept) == count, desk.swept


@then(words("the card is due {days:d} days after it was {event:Event}"))
def due_after(service: CardService, desk: Desk, days: int, event: Event) -> None:
    card = service.card(desk.card_id)
    (last,) = [e for e in service.history(desk.card_id) if e.event == event][-1:]
    assert card.due_at == last.recorded_at + timedelta(days=days)


@then(words("the step is recorded as happening {hours:d} hours before it was recorded"))
def recorded_as_claimed(service: CardService, desk: Desk, hours: int) -> None:
    last = service.history(desk.card_id)[-1]
    assert last.recorded_at - last.occurred_at == timedelta(hours=hours)


@then("no deadline runs for the card")
def no_deadline(service: CardService, desk: Desk) -> None:
    assert service.card(desk.card_id).due_at is None


@then(words("cardflow recorded {evidence}"))
def cardflow_recorded(service: CardService, desk: Desk, evidence: str) -> None:
    last = service.history(desk.card_id)[-1]
    assert (last.channel, last.actor) == (Channel.SYSTEM, SWEEPER.name)
    for key, value in evidence_from(evidence).items():
        assert last.evidence[key] == value


@then(words("the card is replaced by a new card, which is {state:State}"))
def replaced_by_a_new_card(service: CardService, desk: Desk, state: State) -> None:
    lost = service.card(desk.card_id)
    assert lost.state is State.REPLACED
    assert lost.replaced_by is not None
    assert service.card(lost.replaced_by).state is state


@then("the two cards' histories name each other")
def histories_name_each_other(audit: Audit, service: CardService, desk: Desk) -> None:
    lost = service.card(desk.card_id)
    assert lost.replaced_by is not None
    reissued = service.history(desk.card_id)[-1]
    (opened, *_) = service.history(lost.replaced_by)
    assert (reissued.event, opened.event) == (Event.REISSUE, Event.REISSUE)
    assert reissued.evidence["replaced_by"] == lost.replaced_by
    assert opened.evidence["replaces"] == desk.card_id
    assert opened.subject == reissued.subject
    assert audit.verify().ok


@then(words("a supervisor looking for cards whose financial function is not active {finds}"))
def supervisor_search(service: CardService, desk: Desk, finds: str) -> None:
    assert finds in ("finds it", "does not find it")
    found = service.search(Search(financial=False)).found
    assert (desk.card_id in {f.card.card_id for f in found}) is (finds == "finds it")


def _told(entries: Sequence[Entry], columns: Sequence[str]) -> list[dict[str, str]]:
    """Each entry as a supervisor reads it, in the columns the scenario's table asks for."""
    rows = []
    for entry in entries:
        row = {
            "step": SAID[Event(entry.event)],
            "channel": entry.channel,
            "card is now": entry.to_state.replace("_", " "),
            "outcome": "accepted" if entry.moves else "refused",
        }
        rows.append({column: row[column] for column in columns})
    return rows


@then(words("the card's history tells, in order:"))
def the_history_tells(service: CardService, desk: Desk, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    expected = [dict(zip(header, row, strict=True)) for row in rows]
    assert _told(service.history(desk.card_id), header) == expected


@then(words("the card's record, refused attempts included, tells in order:"))
def the_record_tells(service: CardService, desk: Desk, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    expected = [dict(zip(header, row, strict=True)) for row in rows]
    assert _told(service.history(desk.card_id, refusals=True), header) == expected


@then("every step is recorded with the clerk who took it and the evidence shown")
def every_step_recorded(audit: Audit, service: CardService, desk: Desk) -> None:
    history = service.history(desk.card_id)
    assert [entry.version for entry in history] == list(range(1, len(history) + 1))
    for entry, step in zip(history, desk.accepted, strict=True):
        assert entry.actor == step.actor.name
        assert entry.channel == step.channel
        assert entry.presenter == str(step.presenter)
        assert {key: entry.evidence[key] for key in step.evidence} == dict(step.evidence)
    assert audit.verify().ok


@then("a payment slip for the card production fee is issued")
def a_payment_slip_is_issued(service: CardService, desk: Desk) -> None:
    last = service.history(desk.card_id)[-1]
    assert last.evidence["payment_slip"] == issued_reference(
        "payment_slip", desk.card_id, last.version
    )


@then(words("the card was {event:Event} by an agent"))
def by_an_agent(service: CardService, desk: Desk, event: Event) -> None:
    last = service.history(desk.card_id)[-1]
    assert last.event == event
    assert last.presenter == Presenter.AGENT
    assert all(last.evidence[key] is True for key in AGENT_EVIDENCE)


@then(words("the card's application was made with {evidence}"))
def applied_with(service: CardService, desk: Desk, evidence: str) -> None:
    first = service.history(desk.card_id)[0]
    assert first.event == Event.APPLY
    for key, value in evidence_from(evidence).items():
        assert first.evidence[key] == value


# -- Then: refused -------------------------------------------------------------------------


@then(words(grammar.REFUSED_STATE))
def refused_because_state(desk: Desk, state: State) -> None:
    error = refusal(desk)
    assert isinstance(error, TransitionNotAllowed), error
    assert error.state is state
    assert f"is {state}" in error.detail


@then(words("it may now only be {events}"))
def it_may_now_only_be(service: CardService, desk: Desk, events: str) -> None:
    """What the card allows now; a refusal names the same events."""
    allowed = events_from(events)
    assert set(service.card(desk.card_id).allowed) == allowed
    if desk.refusal is not None:
        assert isinstance(desk.refusal, TransitionNotAllowed | ConditionNotMet), desk.refusal
        assert set(desk.refusal.allowed) == allowed
    if isinstance(desk.refusal, TransitionNotAllowed):
        _, _, allowed_now = desk.refusal.detail.partition("allowed now: ")
        told = re.sub(r" \(only through [^)]*\)", "", allowed_now)
        assert set(told.split(", ")) == {str(event) for event in allowed}
    if isinstance(desk.refusal, TransitionNotAllowed | ConditionNotMet):
        assert desk.refusal.offered is not None
        step = desk.attempted
        assert step is not None
        assert step.channel not in desk.refusal.offered.get(step.event, ())


@then(words("it may be {event:Event} now only through the {channel:Channel} channel"))
def offered_only_through(desk: Desk, event: Event, channel: Channel) -> None:
    """The refusal offers the step through the channels that would take it, and no other."""
    refused = refusal(desk)
    assert isinstance(refused, TransitionNotAllowed | ConditionNotMet), refused
    assert refused.offered is not None
    assert tuple(refused.offered[event]) == (channel,)
    assert f"{event} (only through {channel})" in refused.detail


@then("no channel is offered for that step")
def no_channel_offered(desk: Desk) -> None:
    refused = refusal(desk)
    assert isinstance(refused, ChannelNotAllowed), refused
    assert refused.allowed == ()
    assert refused.detail.endswith("channels that would carry it now: none")


@then("nothing more may happen to the card")
def nothing_more(service: CardService, desk: Desk) -> None:
    assert service.card(desk.card_id).allowed == ()
    if desk.refusal is not None:
        assert "allowed now: none" in desk.refusal.detail


@then(grammar.REFUSED_CHANNEL)
def refused_because_channel(desk: Desk) -> None:
    error = refusal(desk)
    assert isinstance(error, ChannelNotAllowed), error
    assert desk.attempted is not None
    channel, event = desk.attempted.channel, desk.attempted.event
    assert f"the {channel} channel never carries {event}" in error.detail
    assert channel not in error.allowed


@then(words(grammar.REFUSED_AGENT))
def refused_because_agent(desk: Desk, channel: Channel) -> None:
    error = refusal(desk)
    assert isinstance(error, ChannelNotAllowed), error
    assert error.channel is channel
    assert f"an agent cannot act for the insured person through {channel}" in error.detail


@then(grammar.REFUSED_SUPERVISOR)
def refused_because_supervisor(desk: Desk) -> None:
    error = refusal(desk)
    assert isinstance(error, NotPermitted), error
    assert error.permitted == ()
    assert "the supervisor role only reads" in error.detail


@then(words(grammar.REFUSED_NOT_THEIR_CHANNEL))
def refused_because_not_their_channel(desk: Desk, channel: Channel) -> None:
    error = refusal(desk)
    assert isinstance(error, NotPermitted), error
    assert error.channel is channel
    assert channel not in error.permitted
    assert f"it may not act through {channel}" in error.detail


@then(words(grammar.REFUSED_MISSING))
def refused_because_missing(desk: Desk, says: str) -> None:
    error = refusal(desk)
    assert isinstance(error, InvalidEvidence), error
    assert error.missing == (says,)
    assert f"missing: {says}" in error.detail


@then(words(grammar.REFUSED_MALFORMED))
def refused_because_malformed(desk: Desk, says: str) -> None:
    error = refusal(desk)
    assert isinstance(error, InvalidEvidence), error
    assert error.missing == ()
    assert [problem.partition(":")[0] for problem in error.malformed] == [says]
    assert f"malformed: {says}" in error.detail


@then(grammar.REFUSED_WANTING)
def refused_for_want_of(desk: Desk, datatable: list[list[str]]) -> None:
    error = refusal(desk)
    assert isinstance(error, InvalidEvidence), error
    wanted = [says for (says,) in datatable]
    assert sorted(error.missing) == sorted(wanted)
    for says in wanted:
        assert says in error.detail


@then(words(grammar.REFUSED_IDENTITY))
def refused_because_identity(desk: Desk, check: str) -> None:
    error = refusal(desk)
    assert isinstance(error, InvalidIdentity), error
    assert error.check == check
    assert check.replace("_", " ") in error.detail
    assert desk.applicant.id_number not in error.detail


def _condition(desk: Desk, condition: Condition) -> ConditionNotMet:
    error = refusal(desk)
    assert isinstance(error, ConditionNotMet), error
    assert error.condition is condition
    return error


@then(words(grammar.REFUSED_WINDOW_OPEN))
def refused_because_window_open(service: CardService, desk: Desk, window: Window) -> None:
    error = _condition(desk, Condition.DEADLINE_NOT_REACHED)
    assert f"its {window} ({service.policy.days(window)} days" in error.detail


@then(grammar.REFUSED_NO_DEADLINE)
def refused_because_no_deadline(desk: Desk) -> None:
    _condition(desk, Condition.DEADLINE_NOT_RUNNING)


@then(grammar.REFUSED_FINANCIAL_ACTIVE)
def refused_because_financial(desk: Desk) -> None:
    _condition(desk, Condition.FINANCIAL_FUNCTION_ACTIVE)


@then(grammar.REFUSED_HOLDS_CARD)
def refused_because_holds(service: CardService, desk: Desk) -> None:
    error = _condition(desk, Condition.ONE_LIVE_CARD)
    assert isinstance(error, PersonHoldsCard)
    assert error.holder == desk.card_id
    assert desk.applicant.id_number not in error.detail
    assert snapshot(service, None) == desk.before


@then(grammar.REFUSED_DATED_BACK)
def refused_because_dated_back(desk: Desk) -> None:
    refused = refusal(desk)
    assert isinstance(refused, MisdatedStep), refused
    assert not refused.ahead
    assert "hours back" in refused.detail


@then(grammar.REFUSED_DATED_AHEAD)
def refused_because_dated_ahead(desk: Desk) -> None:
    refused = refusal(desk)
    assert isinstance(refused, MisdatedStep), refused
    assert refused.ahead


@then(words(grammar.REFUSED_DOCUMENT))
def refused_because_document(desk: Desk, document: str) -> None:
    """The refusal names the document and what the number looks like, never the number."""
    refused = refusal(desk)
    assert isinstance(refused, InvalidIdentity), refused
    assert refused.check == "document"
    assert refused.detail.startswith(document), refused.detail
    assert desk.applicant.id_number not in refused.detail


@then("no card is opened")
def no_card_opened(service: CardService, desk: Desk) -> None:
    """A refused application writes nothing at all: there is no card to note it on."""
    refusal(desk)
    assert desk.card is None
    assert snapshot(service, None) == desk.before


@then("the card and its history are unchanged")
def unchanged(service: CardService, desk: Desk) -> None:
    """The card keeps its state and version, and its history gains no step."""
    gained = refused_since(service, desk)
    assert desk.before is not None
    assert desk.card is not None
    after = snapshot(service, desk.card_id)
    assert after.heads == desk.before.heads
    assert after.history == desk.before.history
    now = service.card(desk.card_id)
    assert (now.state, now.version) == (desk.card.state, desk.card.version)
    assert not any(entry.moves for entry in gained)


@then("the refused attempt is noted on the card's record")
def refused_attempt_noted(audit: Audit, service: CardService, desk: Desk) -> None:
    """One refusal entry, in cardflow's words: who tried what, through which channel, and why.

    The caller's evidence is never copied into it.
    """
    (noted,) = refused_since(service, desk)
    step, error = desk.attempted, refusal(desk)
    assert step is not None
    assert desk.card is not None
    assert (noted.kind, noted.card_id, noted.version) == (
        REFUSAL,
        desk.card_id,
        desk.card.version,
    )
    assert (noted.event, noted.channel, noted.actor) == (step.event, step.channel, step.actor.name)
    assert noted.from_state == noted.to_state == desk.card.state
    assert noted.evidence["refused"] == snake_case(type(error).__name__)
    assert not set(step.evidence) & set(noted.evidence)
    assert service.history(desk.card_id, refusals=True)[-1] == noted
    assert audit.verify().ok


# -- Erasure -------------------------------------------------------------------------------


def _held_data(service: CardService, desk: Desk) -> object:
    return service.ledger.person(service.person_ref(desk.applicant.id_number))


@then("the person store no longer holds the holder's name or ID number")
def data_gone(service: CardService, desk: Desk) -> None:
    assert desk.refusal is None, f"refused: {desk.refusal}"
    assert _held_data(service, desk) is None


@then("the person store still holds the holder's name and ID number")
def data_kept(service: CardService, desk: Desk) -> None:
    held = service.ledger.person(service.person_ref(desk.applicant.id_number))
    assert held is not None
    assert (held.name, held.id_number) == (desk.applicant.name, desk.applicant.id_number)


def _ends_with_erasure(service: CardService, card_id: str, reason: ErasureReason) -> None:
    *before, last = service.history(card_id)
    card = service.card(card_id)
    assert (last.kind, last.event, last.actor) == (ERASURE, ERASE_EVENT, ADMINISTRATOR.name)
    assert last.evidence == {"erased": "personal_data", "reason": str(reason)}
    assert (last.from_state, last.to_state, last.version) == (card.state, card.state, card.version)
    assert before[-1].to_state == card.state


@then(words("the card's history ends with the erasure, because of {reason:Reason}"))
def history_ends_with_erasure(service: CardService, desk: Desk, reason: ErasureReason) -> None:
    _ends_with_erasure(service, desk.card_id, reason)


@then(words("both cards' histories end with the erasure, because of {reason:Reason}"))
def both_end_with_erasure(service: CardService, desk: Desk, reason: ErasureReason) -> None:
    replaced = service.history(desk.card_id)[0].evidence["replaces"]
    assert desk.erasure is not None
    assert set(desk.erasure.cards) == {replaced, desk.card_id}
    for card_id in desk.erasure.cards:
        _ends_with_erasure(service, card_id, reason)


@then("every entry of the card still proves its place in a ledger grown from the kept checkpoint")
def proofs_still_hold(audit: Audit, service: CardService, desk: Desk) -> None:
    kept = desk.kept
    assert kept is not None
    entries = service.history(desk.card_id, refusals=True)
    now, proofs = audit.prove(entries)
    assert now.size > kept.size
    grown = audit.consistency(kept.size, now.size)
    verify_consistency(kept.size, now.size, grown.path, kept.root, now.root)
    for entry, proof in zip(entries, proofs, strict=True):
        verify_inclusion(leaf_hash(entry.encode()), entry.seq - 1, now.size, proof.path, now.root)
    held = Checkpoint(SIGNER.name, kept.size, kept.root)
    report = audit.verify(held=[held])
    assert report.ok, report.problems


@given("a supervisor exports the card's audit bundle")
@when("a supervisor exports the card's audit bundle")
def export_the_bundle(audit: Audit, service: CardService, desk: Desk) -> None:
    entries = service.history(desk.card_id, refusals=True)
    desk.bundle = audit.bundle(desk.card_id, entries)


_CUTS: Final = {"first entry": 0, "second entry": 1, "latest entry": -1}


@when(words("the bundle's {cut} is taken out"))
def cut_the_bundle(desk: Desk, cut: str) -> None:
    assert desk.bundle is not None
    entries = desk.bundle["entries"]
    if cut == "refused attempt":
        (where,) = [i for i, item in enumerate(entries) if '"kind":"refusal"' in item["encoded"]]
    else:
        where = _CUTS[cut]
    del entries[where]


@then(words("the bundle holds the card's {count:d} entries, the refused attempt among them"))
def the_bundle_holds(desk: Desk, count: int) -> None:
    assert desk.bundle is not None
    entries = desk.bundle["entries"]
    assert len(entries) == count
    assert any('"kind":"refusal"' in item["encoded"] for item in entries)


@then("the bundle is complete as of the checkpoint it carries")
def the_bundle_is_complete(desk: Desk) -> None:
    assert desk.bundle is not None
    checked = check_bundle(desk.bundle, SIGNER.verifier())
    assert checked.says() == f"complete as of tree size {checked.checkpoint.size}"


@then(words('checking the bundle says "{says}"'))
def checking_says(desk: Desk, says: str) -> None:
    with pytest.raises(BundleError, match=re.escape(says)):
        check_bundle(desk.bundle, SIGNER.verifier())


@then("the erasure is refused because the person still holds the card")
def refused_as_holder(desk: Desk) -> None:
    error = refusal(desk)
    assert isinstance(error, StillHolder)
    assert error.holder == desk.card_id
    assert desk.applicant.id_number not in error.detail


@then("nothing is written")
def nothing_written(service: CardService, desk: Desk) -> None:
    assert desk.before is not None
    assert snapshot(service, desk.card_id) == desk.before
    assert desk.erasure is None or not desk.erasure.erased


# -- who reads what: the access table the API's guards enforce -----------------------------

KEY_HOLDERS: Final[Mapping[str, tuple[Role, frozenset[Capability]]]] = {
    "a counter clerk": (Role.CLERK, default_reads(Role.CLERK)),
    "cardflow's deadline sweeper": (Role.SYSTEM, default_reads(Role.SYSTEM)),
    "a system that follows the ledger": (Role.SYSTEM, grantable_reads(Role.SYSTEM)),
    "a supervisor": (Role.SUPERVISOR, default_reads(Role.SUPERVISOR)),
    "an administrator": (Role.ADMIN, default_reads(Role.ADMIN)),
}
"""Who holds a key, in a supervisor's words: its role and the reads it was made with."""

READ_WORDS: Final[Mapping[str, Capability]] = {
    "read a card's state and the steps allowed now": Capability.CARD,
    "read a card's full history": Capability.HISTORY,
    "follow the ledger": Capability.FEED,
    "take the ledger's proofs": Capability.PROOFS,
    "search every card": Capability.SEARCH,
    "verify the whole ledger": Capability.VERIFY,
}


@given(parsers.parse("the key of {holder}"), target_fixture="key_holder")
def key_of(holder: str) -> tuple[Role, frozenset[Capability]]:
    return KEY_HOLDERS[holder]


@then(parsers.re(r"it (?P<may>may not|may) (?P<what>.+)"))
def it_may(key_holder: tuple[Role, frozenset[Capability]], may: str, what: str) -> None:
    role, reads = key_holder
    assert permits(role, reads, READ_WORDS[what]) is (may == "may")


def _holder_told(desk: Desk, holder: str) -> dict[str, object]:
    assert desk.refusal is not None
    role, reads = KEY_HOLDERS[holder]
    named = permits(role, reads, Capability.SEARCH)
    return refusal_problem(desk.refusal, "-", names_holder=named).model_dump(mode="json")


@then(
    "a counter clerk is told a live card exists and the channels that carry it on, "
    "not which card it is"
)
def clerk_not_told_which(desk: Desk) -> None:
    told = _holder_told(desk, "a counter clerk")
    assert told["holder"] is None
    assert desk.card_id not in str(told)
    assert "already holds a live card" in str(told["detail"])
    assert told["allowed_events"], "the channels that carry the live card on are named"


@then("an administrator is told which card it is")
def admin_told_which(desk: Desk) -> None:
    told = _holder_told(desk, "an administrator")
    assert told["holder"] == desk.card_id


# -- Refusal notes, bounded ----------------------------------------------------------------

_PRODUCE_EVIDENCE: Final = {"production_batch": "B2026-050"}


@when(
    words("the issuing bank sends one batch that produces the card {times:d} times"),
    target_fixture="outcomes",
)
def a_batch_produces_the_card(service: CardService, desk: Desk, times: int) -> list[object]:
    bank = clerk_at(Channel.ISSUING_BANK)
    items = [BatchItem(card_id=desk.card_id) for _ in range(times)]
    batch = Batch(Event.PRODUCE, Channel.ISSUING_BANK, bank, items, evidence=_PRODUCE_EVIDENCE)
    return list(service.batch(batch).outcomes)


@given(
    words("the issuing bank tries to produce the card {times:d} times"), target_fixture="outcomes"
)
@when(
    words("the issuing bank tries to produce the card {times:d} times"), target_fixture="outcomes"
)
def the_bank_tries_again_and_again(service: CardService, desk: Desk, times: int) -> list[object]:
    step = Step(
        Event.PRODUCE,
        Channel.ISSUING_BANK,
        clerk_at(Channel.ISSUING_BANK),
        evidence=_PRODUCE_EVIDENCE,
    )
    outcomes: list[object] = []
    for _ in range(times):
        try:
            outcomes.append(service.transition(desk.card_id, step))
        except WorkflowError as refused:
            outcomes.append(refused)
    return outcomes


@when("an hour passes")
def an_hour_passes(clock: FakeClock) -> None:
    clock.advance(hours=1)


@then(words("each of the {times:d} items is refused because the card is {state:State}"))
@then(words("each of the {times:d} attempts is refused because the card is {state:State}"))
def each_refused(outcomes: list[object], times: int, state: State) -> None:
    assert len(outcomes) == times
    for outcome in outcomes:
        assert isinstance(outcome, TransitionNotAllowed), outcome
        assert outcome.state is state


def _notes(service: CardService, desk: Desk) -> list[Entry]:
    return [e for e in service.history(desk.card_id, refusals=True) if e.kind == REFUSAL]


@then(
    words(
        "the card's record notes the refusals in {entries:d} entries, standing for "
        "{attempts:d} attempts"
    )
)
def noted_in_entries(service: CardService, desk: Desk, entries: int, attempts: int) -> None:
    notes = _notes(service, desk)
    assert len(notes) == entries
    assert sum(int(str(note.evidence.get("attempts", "1"))) for note in notes) == attempts
    assert {note.batch_id for note in notes} != {None}


@then(
    words(
        "the card's record notes {count:d} refused attempts, the last saying none more are "
        "noted for an hour"
    )
)
def noted_up_to_the_bound(service: CardService, desk: Desk, clock: FakeClock, count: int) -> None:
    notes = _notes(service, desk)
    assert len(notes) == count
    assert [("unnoted_until" in note.evidence) for note in notes] == [False] * (count - 1) + [True]
    first = notes[0].recorded_at
    assert notes[-1].evidence["unnoted_until"] == timestamp(first + timedelta(hours=1))


@then(words("the card's record notes {count:d} refused attempts"))
def noted_count(service: CardService, desk: Desk, count: int) -> None:
    assert len(_notes(service, desk)) == count


@then("the card still stands where it was")
def still_where_it_was(service: CardService, desk: Desk, audit: Audit) -> None:
    assert desk.card is not None
    now = service.card(desk.card_id)
    assert (now.state, now.version) == (desk.card.state, desk.card.version)
    assert audit.verify().ok
