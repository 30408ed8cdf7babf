"""``POST /v1/batches``: every item answered on its own, the batch id on every entry."""

from __future__ import annotations

import time
from typing import Any

import pytest

from api.batches.schemas import (
    MOVING_EVENTS,
    OPENING_EVENTS,
    ApplicationBatchIn,
    ProductionBatchIn,
)
from ledger.verify import verify
from tests.api.conftest import APPLICATION, MEMORY_ONLY, Cards, problem
from workflow.definition import batch_rules
from workflow.identity import check_character
from workflow.service import MAX_BATCH
from workflow.states import Channel, Role, State

UNIT = {
    "unit_letter": "labour_security_certificate",
    "unit_seal": True,
    "person_in_charge_id": True,
}


def id_number(serial: int) -> str:
    body = f"440303199001{serial // 1000 % 28 + 1:02d}{serial % 1000:03d}"
    return body + check_character(body)


def application(serial: int, **evidence: Any) -> dict[str, Any]:
    return {
        "applicant": {"name": f"Worker {serial}", "id_number": id_number(serial)},
        "evidence": {**APPLICATION, **evidence},
    }


def applications(items: list[dict[str, Any]], channel: str = "employer") -> dict[str, Any]:
    return {"event": "apply", "channel": channel, "evidence": UNIT, "items": items}


def production(card_ids: list[str], **item: Any) -> dict[str, Any]:
    return {
        "event": "produce",
        "channel": "issuing_bank",
        "evidence": {"production_batch": "B-2026-11"},
        "items": [{"card_id": card_id, **item} for card_id in card_ids],
    }


@pytest.fixture
def hr(client_as):
    return client_as(Role.CLERK, [Channel.EMPLOYER], name="acme-hr")


@pytest.fixture
def bank(client_as):
    return client_as(Role.CLERK, [Channel.ISSUING_BANK], name="icbc-factory")


class TestApplications:
    def test_every_item_has_its_own_outcome(self, hr, service):
        response = hr.post(
            "/v1/batches",
            json=applications(
                [
                    application(1),
                    {
                        "applicant": {"name": "Bad", "id_number": "110105194912310021"},
                        "evidence": APPLICATION,
                    },
                    application(2, photo=False),
                ]
            ),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["event"], body["channel"]) == ("apply", "employer")
        assert (body["accepted"], body["refused"]) == (1, 2)
        first, bad_id, no_photo = body["items"]
        assert first["index"] == 0
        assert (first["status"], first["state"], first["version"]) == (201, "applied", 1)
        assert first["problem"] is None
        assert bad_id["status"] == 422
        assert bad_id["problem"]["type"].endswith("/invalid-identity")
        assert bad_id["problem"]["request_id"] == response.headers["x-request-id"]
        assert no_photo["problem"]["type"].endswith("/invalid-evidence")
        assert no_photo["problem"]["missing"] == []
        (wrong,) = no_photo["problem"]["malformed"]
        assert wrong.startswith("a photo of the applicant: false")
        (entry,) = service.ledger.entries_after(0, 10)
        assert entry.card_id == first["card_id"]
        assert entry.batch_id == body["batch_id"]
        assert entry.evidence["unit_letter"] == "labour_security_certificate"

    def test_the_batch_id_shows_in_history_and_feed(self, hr, client):
        body = hr.post("/v1/batches", json=applications([application(1)])).json()
        card_id = body["items"][0]["card_id"]
        (entry,) = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        assert entry["batch_id"] == body["batch_id"]
        (fed,) = client.get("/v1/ledger/entries", params={"after": 0}).json()["entries"]
        assert fed["batch_id"] == body["batch_id"]

    def test_a_community_office_sends_applications_too(self, client_as):
        office = client_as(Role.CLERK, [Channel.COMMUNITY], name="xinqiao-community")
        batch = applications([application(1)], channel="community")
        batch["evidence"] = {}
        response = office.post("/v1/batches", json=batch)
        assert response.json()["items"][0]["status"] == 201

    def test_ten_thousand_items_in_one_batch(self, hr, service):
        began = time.perf_counter()
        response = hr.post(
            "/v1/batches", json=applications([application(n) for n in range(MAX_BATCH)])
        )
        took = time.perf_counter() - began
        assert response.status_code == 200, response.text[:500]
        body = response.json()
        assert (body["accepted"], body["refused"]) == (MAX_BATCH, 0)
        assert [item["index"] for item in body["items"]] == list(range(MAX_BATCH))
        assert len({item["card_id"] for item in body["items"]}) == MAX_BATCH
        assert service.ledger.tip().size == MAX_BATCH
        report = verify(service.ledger)
        assert report.ok, report.problems
        print(f"10,000-item batch on {type(service.ledger).__name__}: {took:.1f} s")


class TestProduction:
    def test_each_card_is_moved_or_refused_and_refusals_are_noted(self, cards: Cards, bank):
        reviewed = cards.in_state(State.REVIEWED)
        applied = cards.in_state(State.APPLIED)
        response = bank.post("/v1/batches", json=production([reviewed, applied, "nope"]))
        assert response.status_code == 200, response.text
        moved, refused, unknown = response.json()["items"]
        assert (moved["status"], moved["state"], moved["version"]) == (200, "produced", 3)
        assert refused["status"] == 409
        assert refused["problem"]["type"].endswith("/transition-not-allowed")
        assert refused["problem"]["state"] == "applied"
        assert unknown["status"] == 404
        history = cards.client.get(
            f"/v1/cards/{applied}/history", params={"include_refusals": True}
        ).json()["entries"]
        assert history[-1]["kind"] == "refusal"
        assert history[-1]["batch_id"] == response.json()["batch_id"]

    def test_a_stale_item_is_refused_alone(self, cards: Cards, bank):
        card_id = cards.in_state(State.REVIEWED)
        response = bank.post("/v1/batches", json=production([card_id], expected_version=1))
        (item,) = response.json()["items"]
        assert item["status"] == 409
        assert item["problem"]["type"].endswith("/stale-version")
        assert item["problem"]["current_version"] == 2


class TestRetries:
    def test_a_retry_answers_as_the_first_and_writes_nothing(self, hr, service):
        batch = applications([application(1), application(2, photo=False)])
        headers = {"Idempotency-Key": "acme-2026-11-23"}
        first = hr.post("/v1/batches", json=batch, headers=headers)
        size = service.ledger.tip().size
        again = hr.post("/v1/batches", json=batch, headers=headers)
        assert again.status_code == 200
        strip = [
            {k: v for k, v in item.items() if k != "problem"} for item in first.json()["items"]
        ]
        assert [
            {k: v for k, v in item.items() if k != "problem"} for item in again.json()["items"]
        ] == strip
        assert again.json()["batch_id"] == first.json()["batch_id"]
        assert service.ledger.tip().size == size
        (entry,) = service.ledger.entries_after(0, 10)
        assert entry.idempotency_key == "acme-2026-11-23/0"


@MEMORY_ONLY
class TestTheWholeBatchRefused:
    def test_the_channel_must_be_the_callers(self, client_as, cards: Cards):
        pharmacy = client_as(Role.CLERK, [Channel.PHARMACY], name="pharmacy-0042")
        before = cards.snapshot()
        body = problem(
            pharmacy.post("/v1/batches", json=applications([application(1)])),
            403,
            "not-permitted",
        )
        assert body["permitted_channels"] == ["pharmacy"]
        assert cards.snapshot() == before

    def test_supervisors_send_no_batches(self, client_as):
        supervisor = client_as(Role.SUPERVISOR)
        response = supervisor.post("/v1/batches", json=applications([application(1)]))
        problem(response, 403, "not-permitted")

    def test_a_pair_that_is_not_sent_in_batches(self, client):
        batch = applications([application(1)], channel="card_center")
        body = problem(client.post("/v1/batches", json=batch), 422, "invalid-request")
        assert "a batch carries apply through employer" in body["detail"]

    @pytest.mark.parametrize(
        "batch",
        [
            {"event": "collect", "channel": "employer", "items": [{"card_id": "x"}]},
            {"event": "apply", "channel": "employer", "items": []},
            {"event": "produce", "channel": "issuing_bank", "items": [application(1)]},
            {"event": "apply", "channel": "employer", "items": [application(1)], "extra": 1},
            {"channel": "employer", "items": [application(1)]},
        ],
        ids=["event-not-batched", "no-items", "wrong-item-shape", "unknown-field", "no-event"],
    )
    def test_malformed_batches(self, client, batch, cards: Cards):
        before = cards.snapshot()
        problem(client.post("/v1/batches", json=batch), 422, "validation-error")
        assert cards.snapshot() == before

    def test_anonymous_batches_are_refused(self, anonymous):
        response = anonymous.post("/v1/batches", json=applications([application(1)]))
        problem(response, 401, "unauthenticated")


class TestTheTableDecides:
    """The batch bodies take the events the definition lets a channel send in batch."""

    def test_every_batch_rule_has_a_body(self):
        sent = {rule.event for rule in batch_rules()}
        assert set(OPENING_EVENTS) | set(MOVING_EVENTS) == sent
        assert not set(OPENING_EVENTS) & set(MOVING_EVENTS)

    def test_the_examples_are_the_batch_rules(self):
        shown = [
            (example["event"], example["channel"])
            for model in (ApplicationBatchIn, ProductionBatchIn)
            for example in model.model_json_schema()["examples"]
        ]
        assert shown == [(rule.event, rule.channel) for rule in batch_rules()]
