"""The use cases behind one object: what the CLI and the API are given, and all they call.

Each method hands its request to the use case's own module (``workflow.cards``,
``batches``, ``deadlines``, ``search``, ``erasure``) with the ports it works through.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ledger.store import Entry, Ledger
from workflow import batches, cards, deadlines, erasure
from workflow import search as searching
from workflow.batches import MAX_BATCH
from workflow.deadlines import MAX_SWEEP, SWEEPER
from workflow.drafts import CLOCK_SKEW, ERASE_EVENT, issued_reference, refusal_evidence
from workflow.moments import CHINA_STANDARD_TIME
from workflow.policy import DEFAULT_POLICY, Policy
from workflow.ports import (
    DEFAULT_REFUSAL_BOUND,
    DEVELOPMENT_PERSON_KEY,
    Ports,
    RefusalBound,
    random_id,
    utc_now,
)
from workflow.records import (
    Actor,
    Applicant,
    Batch,
    BatchItem,
    BatchResult,
    Card,
    Erasure,
    Found,
    Outcome,
    Search,
    SearchPage,
    Step,
    SweepReport,
    Swept,
)
from workflow.search import MAX_PAGE
from workflow.states import ErasureReason

__all__ = [
    "CHINA_STANDARD_TIME",
    "CLOCK_SKEW",
    "DEVELOPMENT_PERSON_KEY",
    "ERASE_EVENT",
    "MAX_BATCH",
    "MAX_PAGE",
    "MAX_SWEEP",
    "SWEEPER",
    "Actor",
    "Applicant",
    "Batch",
    "BatchItem",
    "BatchResult",
    "Card",
    "CardService",
    "Erasure",
    "Found",
    "Outcome",
    "Search",
    "SearchPage",
    "Step",
    "SweepReport",
    "Swept",
    "issued_reference",
    "refusal_evidence",
]


class CardService:
    """The use cases over one ledger; time and ids are injected so tests can fix them."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = random_id,
        policy: Policy = DEFAULT_POLICY,
        person_key: bytes = DEVELOPMENT_PERSON_KEY,
        refusal_bound: RefusalBound = DEFAULT_REFUSAL_BOUND,
    ) -> None:
        self._ports = Ports(ledger, clock, new_id, policy, person_key, refusal_bound)

    def on_clock(self, clock: Callable[[], datetime]) -> CardService:
        """The same use cases over the same ledger, policy and key, deciding by ``clock``:
        what a replay of past days (the demo's stories) runs on, so that each step is
        recorded on the day it tells of and its deadlines run from that day."""
        ports = self._ports
        return CardService(
            ports.ledger,
            clock=clock,
            new_id=ports.new_id,
            policy=ports.policy,
            person_key=ports.person_key,
            refusal_bound=ports.refusal_bound,
        )

    @property
    def ledger(self) -> Ledger:
        return self._ports.ledger

    @property
    def policy(self) -> Policy:
        return self._ports.policy

    def now(self) -> datetime:
        """The time by the clock the use cases decide by."""
        return self._ports.clock()

    def person_ref(self, id_number: str) -> str:
        """How the ledger names the holder of ``id_number`` (see ``Ports.person_ref``)."""
        return self._ports.person_ref(id_number)

    def apply(self, applicant: Applicant, step: Step) -> Card:
        """Open a card in ``applied`` (see ``workflow.cards.apply``)."""
        return cards.apply(self._ports, applicant, step)

    def transition(self, card_id: str, step: Step, *, expected_version: int | None = None) -> Card:
        """Move the card one step, or refuse and note why (``workflow.cards.transition``)."""
        return cards.transition(self._ports, card_id, step, expected_version=expected_version)

    def batch(self, batch: Batch) -> BatchResult:
        """Run every item of ``batch`` on its own (see ``workflow.batches.batch``)."""
        return batches.batch(self._ports, batch)

    def sweep(self, *, actor: Actor = SWEEPER, limit: int = MAX_SWEEP) -> SweepReport:
        """Take the system's step on every card past its deadline (``workflow.deadlines``)."""
        return deadlines.sweep(self._ports, actor=actor, limit=limit)

    def search(self, wanted: Search) -> SearchPage:
        """The cards a supervisor asks for, a page at a time (see ``workflow.search``)."""
        return searching.search(self._ports, wanted)

    def card(self, card_id: str) -> Card:
        """The card as it stands now."""
        return cards.card(self._ports, card_id)

    def live_card_of(self, id_number: str) -> Card | None:
        """The live card the person with ``id_number`` holds, if they hold one."""
        return cards.live_card_of(self._ports, id_number)

    def history(self, card_id: str, *, refusals: bool = False) -> list[Entry]:
        """The card's ledger entries, oldest first; refused attempts only if asked for."""
        return cards.history(self._ports, card_id, refusals=refusals)

    def history_page(
        self, card_id: str, *, refusals: bool = False, after: int = 0, limit: int
    ) -> list[Entry]:
        """A page of the card's entries (see ``workflow.cards.history_page``)."""
        return cards.history_page(self._ports, card_id, refusals=refusals, after=after, limit=limit)

    def feed(self, *, after: int, limit: int) -> list[Entry]:
        """The ledger in sequence order, for other systems to follow."""
        return cards.feed(self._ports, after=after, limit=limit)

    def erase_person(
        self,
        actor: Actor,
        reason: ErasureReason,
        *,
        id_number: str | None = None,
        subject: str | None = None,
    ) -> Erasure:
        """Erase a person's data and note it on their cards (see ``workflow.erasure``)."""
        return erasure.erase_person(
            self._ports, actor, reason, id_number=id_number, subject=subject
        )
