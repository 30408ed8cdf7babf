"""Bodies over the limit are refused with 413 before anything is read or written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import MAX_BODY_BYTES, create_app
from tests.api.conftest import MEMORY_ONLY, Cards, problem
from workflow.states import Role

LIMIT = 2_000


@pytest.fixture
def small(service, keys, audit) -> Iterator[TestClient]:
    """An admin's client of an app that takes bodies of at most ``LIMIT`` bytes."""
    _, token = keys.create("tests-admin", Role.ADMIN, None)
    app = create_app(service, keys, audit, max_body_bytes=LIMIT)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def padded(cards: Cards, size: int) -> bytes:
    """An application whose JSON is exactly ``size`` bytes (padded with spaces)."""
    body = cards.client.build_request(
        "POST",
        "/v1/cards",
        json={
            "applicant": {"name": "Li Lei", "id_number": "11010519491231002X"},
            "channel": "card_center",
            "evidence": {
                "identity_document": "resident_id_card",
                "registration_form": True,
                "photo": True,
                "applicant_signature": True,
            },
        },
    ).content
    assert len(body) <= size
    return body + b" " * (size - len(body))


def test_a_batch_of_the_largest_size_fits_the_default():
    item = (
        b'{"applicant":{"name":"Ouyang Xiaoming","id_number":"44030319900101123X",'
        b'"contact_number":"13800000000"},"evidence":{"identity_document":'
        b'"resident_id_card","registration_form":true,"photo":true,'
        b'"applicant_signature":true}},'
    )
    assert len(item) * 10_000 < MAX_BODY_BYTES


@MEMORY_ONLY
class TestBodyLimit:
    def test_a_declared_length_over_the_limit(self, small, cards: Cards):
        before = cards.snapshot()
        response = small.post(
            "/v1/cards",
            content=padded(cards, LIMIT + 1),
            headers={"Content-Type": "application/json"},
        )
        body = problem(response, 413, "payload-too-large")
        assert f"{LIMIT:,} bytes" in body["detail"]
        assert cards.snapshot() == before

    def test_a_streamed_body_without_a_length(self, small, cards: Cards):
        before = cards.snapshot()
        chunks = [b"{" + b" " * 999, b" " * 1000, b" " * 1000, b"}"]
        response = small.post(
            "/v1/cards", content=iter(chunks), headers={"Content-Type": "application/json"}
        )
        assert "content-length" not in {k.lower() for k in response.request.headers}
        problem(response, 413, "payload-too-large")
        assert cards.snapshot() == before

    def test_exactly_the_limit_is_taken(self, small, cards: Cards):
        response = small.post(
            "/v1/cards",
            content=padded(cards, LIMIT),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text

    def test_documented_for_every_write(self, client):
        paths = client.get("/openapi.json").json()["paths"]
        for path, method in (
            ("/v1/cards", "post"),
            ("/v1/cards/{card_id}/transitions", "post"),
            ("/v1/batches", "post"),
        ):
            assert "413" in paths[path][method]["responses"]
