"""What a deployment gets without configuring anything: answers kept out of caches,
documentation that needs no internet, the bearer scheme declared, every method of a
path named, and times taken only as the schema writes them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.api.conftest import MEMORY_ONLY, problem
from workflow.states import Role

pytestmark = MEMORY_ONLY

METHODS = ("delete", "get", "head", "patch", "post", "put")


def example_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


@pytest.fixture
def spec(anonymous) -> dict[str, Any]:
    document: dict[str, Any] = anonymous.get("/openapi.json").json()
    return document


class TestResponseHeaders:
    """Every answer -- data, a refusal, an error, the docs -- carries ``no-store`` and
    ``nosniff``, whatever produced it."""

    def test_on_every_kind_of_answer(self, client, anonymous, cards):
        card_id = cards.new()
        answers = [
            client.get(f"/v1/cards/{card_id}"),
            client.get(f"/v1/cards/{card_id}/history"),
            client.get("/v1/ledger/entries"),
            anonymous.get(f"/v1/cards/{card_id}"),  # 401
            client.get("/v1/cards/no-such-card"),  # 404
            client.delete(f"/v1/cards/{card_id}"),  # 405
            client.post("/v1/cards", json={}),  # 422
            client.post("/v1/cards", content=b"x" * 9_000_000),  # 413
            client.get("/v1/cards/%00"),  # 422 at the edge
            anonymous.options("/v1/cards"),
            anonymous.get("/v1/workflow"),
            anonymous.get("/openapi.json"),
            anonymous.get("/docs"),
            anonymous.get("/redoc"),
        ]
        for response in answers:
            said = (response.request.method, response.request.url.path, response.status_code)
            assert response.headers.get("cache-control") == "no-store", said
            assert response.headers.get("x-content-type-options") == "nosniff", said


class _Urls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in ("src", "href") and value)


def urls_in(html: str) -> list[str]:
    parser = _Urls()
    parser.feed(html)
    return parser.urls + re.findall(r"""(?:url|spec-url)\s*[:=]\s*['"]([^'"]+)['"]""", html)


class TestOfflineDocs:
    """``/docs`` and ``/redoc`` load every script, style and icon from cardflow itself."""

    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    def test_every_url_the_page_loads_is_served_here(self, anonymous, page):
        response = anonymous.get(page)
        assert response.status_code == 200
        urls = urls_in(response.text)
        assert urls, "the page loads nothing?"
        assert "http://" not in response.text
        assert "https://" not in response.text
        assert "//" not in "".join(url.removeprefix("/") for url in urls)
        for url in urls:
            assert url.startswith("/"), url
            loaded = anonymous.get(url)
            assert loaded.status_code == 200, url
            assert loaded.content, url

    def test_the_ui_does_not_call_out_to_a_validator(self, anonymous):
        assert '"validatorUrl": null' in anonymous.get("/docs").text


class TestSecurityScheme:
    """The OpenAPI document declares the bearer scheme on each authenticated operation, so
    "Authorize" fills the header and generated clients send it; refusals are unchanged."""

    def test_declared_on_every_operation_that_needs_a_key(self, spec, anonymous):
        schemes = spec["components"]["securitySchemes"]
        assert schemes == {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "cf_…",
                "description": schemes["bearer"]["description"],
            }
        }
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                needs_a_key = anonymous.request(method, example_path(path)).status_code == 401
                declared = operation.get("security") == [{"bearer": []}]
                assert declared == needs_a_key, (method, path)
                headers = [p["name"].lower() for p in operation.get("parameters", [])]
                assert "authorization" not in headers, (method, path)

    @pytest.mark.parametrize(
        "authorization",
        [None, "Bearer", "Bearer cf_unknown", "Basic dXNlcjpwYXNz", "cf_no_scheme"],
        ids=["none", "no-token", "unknown", "basic", "no-scheme"],
    )
    def test_refusals_are_still_cardflows_401(self, anonymous, authorization):
        headers = {} if authorization is None else {"Authorization": authorization}
        response = anonymous.get("/v1/cards", headers=headers)
        problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == 'Bearer realm="cardflow"'

    def test_the_scheme_is_what_a_key_is_checked_by(self, client_as, spec):
        assert client_as(Role.SUPERVISOR).get("/v1/cards").status_code == 200


class TestAllow:
    """``OPTIONS`` on a path names every method it takes, and a 405 names them all too
    (not only those of the first route that matched)."""

    def test_options_on_every_documented_path(self, anonymous, spec):
        for path, operations in spec["paths"].items():
            response = anonymous.options(example_path(path))
            assert response.status_code == 204, path
            expected = sorted({m.upper() for m in operations if m in METHODS} | {"OPTIONS"})
            assert response.headers["allow"] == ", ".join(expected), path

    def test_every_405_names_every_method(self, client, spec):
        for path, operations in spec["paths"].items():
            taken = {m for m in operations if m in METHODS}
            expected = ", ".join(sorted({m.upper() for m in taken} | {"OPTIONS"}))
            for method in sorted(set(METHODS) - taken - {"head"}):
                response = client.request(method, example_path(path))
                problem(response, 405, "method-not-allowed")
                assert response.headers["allow"] == expected, (method, path)

    def test_a_path_that_holds_both_reads_and_writes(self, client):
        """``/v1/cards`` is read by one route and written by another."""
        response = client.put("/v1/cards")
        assert response.headers["allow"] == "GET, OPTIONS, POST"

    def test_options_on_nothing_is_404(self, anonymous):
        problem(anonymous.options("/v1/nothing-here"), 404, "not-found")


NOT_RFC3339 = [
    1_772_443_800,
    1_772_443_800.5,
    "1772443800",
    "2026-03-02",
    "2026-03-02 09:30:00+08:00",
    "2026-03-02T09:30+08:00",
    "2026-03-02T09:30:00",
    "2026-03-02T09:30:00+0800",
    True,
]
"""Times pydantic's lax mode would take (seconds since 1970, a bare date, a space) or
that are no RFC 3339 ``date-time``."""


class TestTimesAsTheSchemaWritesThem:
    """A time is an RFC 3339 ``date-time`` string and nothing else, in a body or a query."""

    @pytest.mark.parametrize("given", NOT_RFC3339, ids=str)
    def test_in_a_transition(self, client, cards, given):
        card_id = cards.new()
        before = cards.snapshot(card_id)
        response = cards.step(
            card_id, "review", "card_center", {"information_checked": True}, occurred_at=given
        )
        body = problem(response, 422, "validation-error")
        assert "occurred_at" in body["detail"]
        assert cards.snapshot(card_id) == before

    @pytest.mark.parametrize("given", NOT_RFC3339, ids=str)
    def test_in_an_application(self, cards, given):
        before = cards.snapshot()
        body = problem(cards.apply(occurred_at=given), 422, "validation-error")
        assert "occurred_at" in body["detail"]
        assert cards.snapshot() == before

    @pytest.mark.parametrize("given", [g for g in NOT_RFC3339 if not isinstance(g, bool)], ids=str)
    def test_in_a_search(self, client, given):
        body = problem(
            client.get("/v1/cards", params={"opened_from": given}), 422, "validation-error"
        )
        assert "opened_from" in body["detail"]

    @pytest.mark.parametrize(
        "given",
        ["2026-03-02T09:30:00+08:00", "2026-03-02T01:30:00Z", "2026-03-02t01:30:00.25z"],
    )
    def test_rfc3339_is_taken(self, client, cards, given):
        assert cards.apply(occurred_at=given).status_code == 201
        assert client.get("/v1/cards", params={"opened_from": given}).status_code == 200
