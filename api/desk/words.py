"""The desk's words for cardflow's own names (states, events, channels, evidence...),
times, spans and numbers, in the language of the page.

Each name's English words are written once, in a table here, through ``word``: Babel's
extraction reads those calls (keyword ``word:1c,2``), so every one is in the catalogue
with its table's context, and a state and a channel both called "system" can be told
apart by a translator. A name no table holds is shown as it is, never refused: a page
must render an entry written by an older or newer cardflow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit

from api.desk.language import DEFAULT_LANGUAGE, Language, supported, translations
from ledger.store import ERASURE, REFUSAL, TRANSITION
from workflow.drafts import ERASE_EVENT
from workflow.moments import timestamp
from workflow.states import Channel, Event, Presenter, Role, State

if TYPE_CHECKING:
    from api.desk.pictures import Labels


def word(context: str, english: str) -> str:
    """``english``, as it is: the mark that puts it in the catalogue under ``context``;
    its translation is looked up when a page is made (``Words``)."""
    del context
    return english


STATES: Final[Mapping[str, str]] = {
    State.APPLIED: word("state", "applied"),
    State.REVIEWED: word("state", "reviewed"),
    State.REJECTED: word("state", "rejected"),
    State.PRODUCED: word("state", "produced"),
    State.COLLECTED: word("state", "collected"),
    State.ACTIVATED: word("state", "activated"),
    State.TEMPORARILY_LOST: word("state", "temporarily lost"),
    State.REPORTED_LOST: word("state", "reported lost"),
    State.RETURNED: word("state", "returned"),
    State.REPLACED: word("state", "replaced"),
    State.CANCELLED: word("state", "cancelled"),
}

EVENTS: Final[Mapping[str, str]] = {
    Event.APPLY: word("event", "apply"),
    Event.REVIEW: word("event", "review"),
    Event.REJECT: word("event", "reject"),
    Event.RESUBMIT: word("event", "resubmit"),
    Event.PRODUCE: word("event", "produce"),
    Event.COLLECT: word("event", "collect"),
    Event.ACTIVATE: word("event", "activate"),
    Event.ACTIVATE_FINANCIAL: word("event", "activate the financial function"),
    Event.RETURN: word("event", "return"),
    Event.REPORT_TEMPORARY_LOSS: word("event", "report a temporary loss"),
    Event.LIFT_LOSS: word("event", "lift the loss report"),
    Event.REPORT_LOST: word("event", "report lost"),
    Event.REISSUE: word("event", "reissue"),
    Event.CANCEL: word("event", "cancel"),
    ERASE_EVENT: word("event", "erase personal data"),
}
"""Every event an entry may name: the lifecycle's, and the note of an erasure."""

CHANNELS: Final[Mapping[str, str]] = {
    Channel.EMPLOYER: word("channel", "employer"),
    Channel.COMMUNITY: word("channel", "community"),
    Channel.CARD_CENTER: word("channel", "card center"),
    Channel.BANK_OUTLET: word("channel", "bank outlet"),
    Channel.ISSUING_BANK: word("channel", "issuing bank"),
    Channel.HOTLINE_12333: word("channel", "12333 hotline"),
    Channel.HOSPITAL: word("channel", "designated hospital"),
    Channel.PHARMACY: word("channel", "designated pharmacy"),
    Channel.SYSTEM: word("channel", "system"),
}

PRESENTERS: Final[Mapping[str, str]] = {
    Presenter.SELF: word("presenter", "the insured person"),
    Presenter.AGENT: word("presenter", "an agent"),
}

ROLES: Final[Mapping[str, str]] = {
    Role.CLERK: word("role", "clerk"),
    Role.SYSTEM: word("role", "system"),
    Role.SUPERVISOR: word("role", "supervisor"),
    Role.ADMIN: word("role", "administrator"),
}

KINDS: Final[Mapping[str, str]] = {
    TRANSITION: word("kind", "step"),
    REFUSAL: word("kind", "refusal"),
    ERASURE: word("kind", "erasure"),
}
"""The kinds of ledger entry: a step that moves the card, and the notes that do not."""

EVIDENCE: Final[Mapping[str, str]] = {
    "identity_document": word("evidence", "identity document"),
    "registration_form": word("evidence", "registration form"),
    "photo": word("evidence", "photo"),
    "applicant_signature": word("evidence", "applicant's signature"),
    "unit_letter": word("evidence", "unit's letter or labour-security certificate"),
    "unit_seal": word("evidence", "unit's official seal"),
    "person_in_charge_id": word("evidence", "ID of the unit's person in charge"),
    "guardian_link": word("evidence", "guardian's household register or birth certificate"),
    "proof_of_work": word("evidence", "proof of work"),
    "authorisation_letter": word("evidence", "letter of authorisation"),
    "agent_id_documents": word("evidence", "agent's ID, original and copy"),
    "insured_id_documents": word("evidence", "insured person's ID, original and copy"),
    "information_checked": word("evidence", "information checked"),
    "rejection_reason": word("evidence", "reason for rejection"),
    "corrections_made": word("evidence", "corrected materials"),
    "production_batch": word("evidence", "production batch"),
    "collection_notice": word("evidence", "collection notice"),
    "valid_id": word("evidence", "valid ID shown"),
    "card_presented": word("evidence", "card presented"),
    "original_id": word("evidence", "original ID document"),
    "initial_pin_changed": word("evidence", "initial PIN changed"),
    "operator_identity_check": word("evidence", "identity checked by the 12333 operator"),
    "first_settlement": word("evidence", "first medical settlement"),
    "medical_insurance_card_inserted_first": word(
        "evidence", "medical insurance card inserted first"
    ),
    "first_purchase": word("evidence", "first purchase"),
    "payment_slip": word("evidence", "payment slip"),
    "deadline_expired": word("evidence", "deadline expired"),
    "cancellation_reason": word("evidence", "reason for cancellation"),
    "cancellation_proof": word("evidence", "proof for cancellation"),
    "replaced_by": word("evidence", "replaced by"),
    "replaces": word("evidence", "replaces"),
    "refused": word("evidence", "refusal"),
    "reason": word("evidence", "reason"),
    "attempts": word("evidence", "attempts"),
    "unnoted_until": word("evidence", "further refusals not noted until"),
    "erased": word("evidence", "erased"),
}
"""Every evidence key an entry may hold: the definition's proofs, and what the notes of
refusals and erasures record."""

VALUES: Final[Mapping[str, str]] = {
    "true": word("value", "yes"),
    "false": word("value", "no"),
    "self": word("value", "the insured person"),
    "agent": word("value", "an agent"),
    "resident_id_card": word("value", "resident ID card"),
    "household_register": word("value", "household register"),
    "passport": word("value", "passport"),
    "hk_macao_travel_permit": word("value", "Hong Kong and Macao travel permit"),
    "hk_macao_taiwan_residence_permit": word(
        "value", "Hong Kong, Macao or Taiwan residence permit"
    ),
    "military_officer_card": word("value", "military officer's card"),
    "foreign_permanent_residence_id": word("value", "foreign permanent residence ID"),
    "letter_of_introduction": word("value", "letter of introduction"),
    "labour_security_certificate": word("value", "labour-security certificate"),
    "guardians_household_register": word("value", "guardian's household register"),
    "birth_certificate": word("value", "birth certificate"),
    "information_mismatch": word("value", "information does not match"),
    "photo_unusable": word("value", "photo unusable"),
    "document_invalid": word("value", "document invalid"),
    "form_incomplete": word("value", "form incomplete"),
    "acceptance_receipt": word("value", "acceptance receipt"),
    "phone_notice": word("value", "phone notice"),
    "outpatient_registration": word("value", "outpatient registration"),
    "hospitalisation": word("value", "hospitalisation"),
    "activation_window": word("value", "activation window"),
    "collection_window": word("value", "collection window"),
    "temporary_loss_validity": word("value", "temporary loss validity"),
    "death": word("value", "death"),
    "settled_abroad": word("value", "settled abroad"),
    "moved_out_of_province": word("value", "moved out of the province"),
    "personal_data": word("value", "personal data"),
    "request": word("value", "the person's request"),
    "moved_away": word("value", "moved abroad or out of the province"),
    "retention_ended": word("value", "retention period ended"),
    "not_from_here": word("value", "no such step from here"),
    "card_not_found": word("value", "card not found"),
    "person_not_found": word("value", "person not found"),
    "invalid_request": word("value", "invalid request"),
    "unknown_name": word("value", "unknown name"),
    "invalid_identity": word("value", "invalid ID number"),
    "key_reused": word("value", "idempotency key reused"),
    "misdated_step": word("value", "misdated step"),
    "invalid_evidence": word("value", "evidence missing or invalid"),
    "channel_not_allowed": word("value", "channel not allowed"),
    "not_permitted": word("value", "not permitted"),
    "conflict": word("value", "conflict"),
    "transition_not_allowed": word("value", "not allowed in this state"),
    "condition_not_met": word("value", "condition not met"),
    "person_holds_card": word("value", "person already holds a card"),
    "still_holder": word("value", "person still holds a live card"),
    "stale_version": word("value", "card has moved on"),
}
"""Evidence values with words of their own: yes and no, the definition's choices, the
reasons of an erasure, and the kinds of refusal a note records. Any other value (a batch
number, a reference, a reason in cardflow's words) is shown as it is."""

SAYINGS: Final[Mapping[str, str]] = {
    "overdue": word("time", "overdue by {span}"),
    "left": word("time", "{span} left"),
    "due": word("time", "due now"),
    "undue": word("time", "no deadline"),
    "moment": word("time", "less than a minute"),
}
"""How a span is said: the sentences ``Words.duration`` and ``Words.when`` fill in."""

_LOCALES: Final[Mapping[Language, str]] = {"zh": "zh_Hans_CN", "en": "en_GB"}
"""The locale each language's times and numbers follow: British English so that both
read a 24-hour clock, as the ledger's times do."""
_UNITS: Final = (("duration-day", 24 * 60), ("duration-hour", 60), ("duration-minute", 1))
_MOST_UNITS: Final = 2
_LONGEST: Final = timedelta.max.total_seconds()
"""The longest span put in words; a longer one (only a bug makes it) is shown as given."""


class Words:
    """The words of one page: cardflow's names, times and spans in ``lang``, times in
    ``zone``. Satisfies ``api.desk.pictures.Labels``."""

    def __init__(self, lang: str, zone: ZoneInfo) -> None:
        self.lang: Language = supported(lang)
        self.zone = zone
        self._translations = translations(self.lang)
        self._locale = Locale.parse(_LOCALES[self.lang])

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        return str(self._translations.pgettext(context, message))

    def _named(self, context: str, table: Mapping[str, str], name: object) -> str:
        said = str(name)
        english = table.get(said)
        return said if english is None else self.pgettext(context, english)

    def state(self, state: State | str, /) -> str:
        return self._named("state", STATES, state)

    def event(self, event: Event | str, /) -> str:
        return self._named("event", EVENTS, event)

    def channel(self, channel: Channel | str, /) -> str:
        return self._named("channel", CHANNELS, channel)

    def presenter(self, presenter: Presenter | str, /) -> str:
        return self._named("presenter", PRESENTERS, presenter)

    def role(self, role: Role | str, /) -> str:
        return self._named("role", ROLES, role)

    def kind(self, kind: str, /) -> str:
        return self._named("kind", KINDS, kind)

    def evidence(self, name: str, /) -> str:
        return self._named("evidence", EVIDENCE, name)

    def value(self, value: str | bool, /) -> str:
        """An evidence value in words; a boolean as yes or no."""
        said = str(value).lower() if isinstance(value, bool) else value
        return self._named("value", VALUES, said)

    def time(self, moment: datetime) -> tuple[str, str]:
        """``moment`` as the page shows it, in the desk's zone, and as the ledger writes
        it (UTC), for the hover title beside it; a time without a zone is UTC."""
        moment = _aware(moment)
        shown = format_datetime(moment, "medium", tzinfo=self.zone, locale=self._locale)
        return shown, timestamp(moment)

    def duration(self, span: timedelta | float) -> str:
        """``span`` in its two largest whole units ("3 days 4 hours"); a negative one is
        overdue, and said so ("overdue by 2 days")."""
        seconds = span.total_seconds() if isinstance(span, timedelta) else float(span)
        if not math.isfinite(seconds) or abs(seconds) > _LONGEST:
            return str(span)
        said = self._span(abs(seconds))
        return self._saying("overdue", said) if seconds < 0 else said

    def when(self, due: datetime | None, now: datetime) -> str:
        """How long is left until ``due`` ("3 days 4 hours left"), how long it is
        overdue, or that there is no deadline."""
        if due is None:
            return self.pgettext("time", SAYINGS["undue"])
        left = (_aware(due) - _aware(now)).total_seconds()
        if abs(left) < 60:
            return self.pgettext("time", SAYINGS["due"])
        said = self._span(abs(left))
        return self._saying("overdue" if left < 0 else "left", said)

    def number(self, number: float) -> str:
        return format_decimal(number, locale=self._locale)

    def _saying(self, key: str, span: str) -> str:
        return self.pgettext("time", SAYINGS[key]).replace("{span}", span)

    def _span(self, seconds: float) -> str:
        minutes = int(seconds // 60)
        if minutes == 0:
            return self.pgettext("time", SAYINGS["moment"])
        parts: list[tuple[str, int]] = []
        for unit, size in _UNITS:
            count, minutes = divmod(minutes, size)
            if count or parts:
                parts.append((unit, count))
        shown = [
            format_unit(count, unit, length="long", locale=self._locale)
            for unit, count in parts[:_MOST_UNITS]
            if count
        ]
        return format_list(shown, style="unit-narrow", locale=self._locale)


def _aware(moment: datetime) -> datetime:
    """``moment``, read as UTC if it has no zone: every time cardflow keeps is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


if TYPE_CHECKING:
    _LABELS: Labels = Words(DEFAULT_LANGUAGE, ZoneInfo("UTC"))
    """Where mypy holds ``Words`` to the pictures' ``Labels``: a change to either shows."""
