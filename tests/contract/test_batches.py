"""Batches on every ledger: each item accepted or refused on its own, one batch id on all."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ledger.verify import verify
from tests.contract.helpers import APPLICATION, CLERK, open_card
from workflow.errors import (
    CardNotFound,
    InvalidEvidence,
    InvalidIdentity,
    InvalidRequest,
    NotPermitted,
    PersonHoldsCard,
    StaleVersion,
    TransitionNotAllowed,
)
from workflow.identity import check_character
from workflow.service import (
    MAX_BATCH,
    Actor,
    Applicant,
    Batch,
    BatchItem,
    BatchResult,
    Card,
    CardService,
)
from workflow.states import Channel, Event, Role, State

HR = Actor("acme-hr", Role.CLERK, frozenset({Channel.EMPLOYER}))
BANK = Actor("icbc-factory", Role.CLERK, frozenset({Channel.ISSUING_BANK}))
UNIT = {"unit_letter": "letter_of_introduction", "unit_seal": True, "person_in_charge_id": True}
TO_REVIEWED = ((Event.REVIEW, Channel.CARD_CENTER, {"information_checked": True}),)


def id_number(serial: int) -> str:
    """A valid citizen ID number, different for every ``serial``."""
    body = f"110105198001{serial // 1000 % 28 + 1:02d}{serial % 1000:03d}"
    return body + check_character(body)


def application(serial: int, **evidence: object) -> BatchItem:
    return BatchItem(
        applicant=Applicant(f"Worker {serial}", id_number(serial)),
        evidence={**APPLICATION, **evidence},
    )


def applications(items: Sequence[BatchItem], key: str | None = None) -> Batch:
    return Batch(Event.APPLY, Channel.EMPLOYER, HR, items, evidence=UNIT, idempotency_key=key)


def production(items: Sequence[BatchItem], key: str | None = None) -> Batch:
    return Batch(
        Event.PRODUCE,
        Channel.ISSUING_BANK,
        BANK,
        items,
        evidence={"production_batch": "B-2026-11"},
        idempotency_key=key,
    )


def kinds(result: BatchResult) -> list[str]:
    return [type(outcome).__name__ for outcome in result.outcomes]


class TestApplications:
    def test_each_item_is_decided_on_its_own(self, service: CardService, ledger):
        result = service.batch(
            applications(
                [
                    application(1),
                    BatchItem(
                        applicant=Applicant("Bad Check", "110105194912310021"),
                        evidence=APPLICATION,
                    ),
                    application(2, photo=None),
                    application(3),
                ]
            )
        )
        assert kinds(result) == ["Card", "InvalidIdentity", "InvalidEvidence", "Card"]
        assert isinstance(result.outcomes[1], InvalidIdentity)
        missing = result.outcomes[2]
        assert isinstance(missing, InvalidEvidence)
        assert missing.missing == ("a photo of the applicant",)
        assert result.accepted == 2
        opened = [o for o in result.outcomes if isinstance(o, Card)]
        assert {card.state for card in opened} == {State.APPLIED}
        entries = ledger.entries_after(0, 100)
        assert [e.card_id for e in entries] == [card.card_id for card in opened]
        assert {e.batch_id for e in entries} == {result.batch_id}
        assert all(e.evidence["unit_seal"] is True for e in entries)
        assert verify(ledger).ok

    def test_the_units_evidence_is_shown_once_for_the_batch(self, service: CardService, ledger):
        batch = applications([application(1)])
        unsealed = Batch(batch.event, batch.channel, HR, batch.items, evidence={})
        (refused,) = service.batch(unsealed).outcomes
        assert isinstance(refused, InvalidEvidence)
        assert "the unit's official seal" in refused.missing
        assert ledger.tip().size == 0

    def test_evidence_given_twice_is_refused_for_that_item(self, service: CardService):
        result = service.batch(applications([application(1, unit_seal=True), application(2)]))
        assert kinds(result) == ["InvalidRequest", "Card"]
        assert "unit_seal" in str(result.outcomes[0])

    def test_an_item_must_name_an_applicant(self, service: CardService):
        result = service.batch(applications([BatchItem(card_id="c-1", evidence=APPLICATION)]))
        assert kinds(result) == ["InvalidRequest"]

    def test_one_person_twice_in_a_batch_gets_one_card(self, service: CardService, ledger):
        result = service.batch(applications([application(1), application(2), application(1)]))
        assert kinds(result) == ["Card", "Card", "PersonHoldsCard"]
        first, _, refused = result.outcomes
        assert isinstance(refused, PersonHoldsCard)
        assert isinstance(first, Card)
        assert refused.holder == first.card_id
        assert ledger.tip().size == 2
        assert verify(ledger).ok

    def test_a_person_holding_a_card_is_refused_alone(self, service: CardService, ledger):
        service.batch(applications([application(1)]))
        result = service.batch(applications([application(2), application(1), application(3)]))
        assert kinds(result) == ["Card", "PersonHoldsCard", "Card"]
        assert ledger.tip().size == 3

    def test_more_items_than_one_transaction_takes(self, service: CardService, ledger):
        result = service.batch(applications([application(n) for n in range(1, 1202)]))
        assert result.accepted == 1201
        assert ledger.tip().size == 1201
        assert verify(ledger).ok


class TestProduction:
    def test_each_card_is_moved_or_refused_on_its_own(self, service: CardService, ledger):
        ready = [open_card(service, TO_REVIEWED) for _ in range(3)]
        unready = open_card(service, ())
        before = ledger.tip().size
        result = service.batch(
            production(
                [
                    BatchItem(card_id=ready[0]),
                    BatchItem(card_id=unready),
                    BatchItem(card_id="no-such-card"),
                    BatchItem(card_id=ready[1], expected_version=1),
                    BatchItem(card_id=ready[2], expected_version=2),
                ]
            )
        )
        assert kinds(result) == [
            "Card",
            "TransitionNotAllowed",
            "CardNotFound",
            "StaleVersion",
            "Card",
        ]
        assert isinstance(result.outcomes[1], TransitionNotAllowed)
        assert isinstance(result.outcomes[2], CardNotFound)
        assert isinstance(result.outcomes[3], StaleVersion)
        written = ledger.entries_after(before, 100)
        assert {e.batch_id for e in written} == {result.batch_id}
        assert sorted((e.card_id, e.kind) for e in written) == sorted(
            [
                (ready[0], "transition"),
                (unready, "refusal"),
                (ready[1], "refusal"),
                (ready[2], "transition"),
            ]
        )
        assert service.card(ready[1]).state is State.REVIEWED
        assert verify(ledger).ok

    def test_one_card_twice_in_a_batch_moves_once(self, service: CardService, ledger):
        card_id = open_card(service, TO_REVIEWED)
        result = service.batch(production([BatchItem(card_id=card_id)] * 2))
        assert kinds(result) == ["Card", "TransitionNotAllowed"]
        assert service.card(card_id).state is State.PRODUCED
        assert verify(ledger).ok


class TestTheWholeBatch:
    def test_only_batchable_pairs(self, service: CardService, ledger):
        collect = Batch(Event.COLLECT, Channel.CARD_CENTER, CLERK, [BatchItem(card_id="x")])
        with pytest.raises(InvalidRequest, match="a batch carries apply through employer"):
            service.batch(collect)
        assert ledger.tip().size == 0

    def test_the_channel_must_be_the_callers(self, service: CardService, ledger):
        card_id = open_card(service, TO_REVIEWED)
        before = ledger.tip()
        stranger = Actor("acme-hr", Role.CLERK, frozenset({Channel.EMPLOYER}))
        batch = production([BatchItem(card_id=card_id)])
        with pytest.raises(NotPermitted):
            service.batch(Batch(batch.event, batch.channel, stranger, batch.items, batch.evidence))
        assert ledger.tip() == before

    @pytest.mark.parametrize("size", [0, MAX_BATCH + 1])
    def test_size_limits(self, service: CardService, size):
        with pytest.raises(InvalidRequest, match=f"1 to {MAX_BATCH} items"):
            service.batch(applications([application(1)] * size))


class TestRetries:
    def test_a_retried_batch_answers_as_the_first_and_writes_nothing(
        self, service: CardService, ledger
    ):
        items = [application(1), application(2, photo=False), application(3)]
        first = service.batch(applications(items, key="hr-2026-11-23"))
        size = ledger.tip().size
        again = service.batch(applications(items, key="hr-2026-11-23"))
        assert again.batch_id == first.batch_id
        assert [getattr(o, "card_id", None) for o in again.outcomes] == [
            getattr(o, "card_id", None) for o in first.outcomes
        ]
        assert kinds(again) == kinds(first)
        assert ledger.tip().size == size

    def test_a_batch_cut_short_is_completed_by_its_retry(self, service: CardService, ledger):
        items = [application(n) for n in range(1, 5)]
        first = service.batch(applications(items[:2], key="k"))
        whole = service.batch(applications(items, key="k"))
        assert whole.batch_id == first.batch_id
        assert whole.outcomes[:2] == first.outcomes
        assert whole.accepted == 4
        assert ledger.tip().size == 4
        assert {e.batch_id for e in ledger.entries_after(0, 10)} == {first.batch_id}

    def test_without_a_key_every_batch_is_new(self, service: CardService, ledger):
        first = service.batch(applications([application(1)]))
        second = service.batch(applications([application(2)]))
        assert first.batch_id != second.batch_id

    def test_a_key_too_long_to_number_its_items_is_refused(self, service: CardService, ledger):
        items = [application(n) for n in range(1, 12)]
        with pytest.raises(InvalidRequest, match="at most 252 characters"):
            service.batch(applications(items, key="k" * 253))
        assert ledger.tip().size == 0
        result = service.batch(applications(items, key="k" * 252))
        assert result.accepted == 11
        assert {e.idempotency_key for e in ledger.entries_after(0, 20)} >= {"k" * 252 + "/10"}
