"""The app around the routes: request ids, the request log, problems, privacy, OpenAPI."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import uuid

import pytest
import structlog
from pydantic import BaseModel
from pydantic_settings import BaseSettings
from structlog.testing import capture_logs

import api
from api.app import app_from_environment
from api.config import runtime_for_command
from api.problems import PROBLEM_BASE, PROBLEM_TYPES
from api.shared import RequestBody
from tests.api.conftest import (
    APPLICATION,
    BAD_CHECK_ID_NUMBER,
    HAPPY_PATH,
    ID_NUMBER,
    MEMORY_ONLY,
    NAME,
    TestClient,
    problem,
    verified,
)
from workflow.definition import DEFINITION_VERSION
from workflow.states import Channel, Event, Presenter, Role


@MEMORY_ONLY
class TestRequestId:
    """Every response carries a request id: the caller's, or a new one."""

    def test_echoes_the_callers_id(self, client):
        response = client.get("/v1/workflow", headers={"X-Request-ID": "counter-7.req-42"})
        assert response.headers["x-request-id"] == "counter-7.req-42"

    def test_makes_one_when_none_is_given(self, client):
        first, second = (client.get("/v1/workflow").headers["x-request-id"] for _ in range(2))
        assert uuid.UUID(first).version == 4
        assert first != second

    @pytest.mark.parametrize("offered", ["has spaces", "x" * 129, "-leading-dash", ""])
    def test_replaces_an_id_it_would_not_log(self, client, offered):
        response = client.get("/v1/workflow", headers={"X-Request-ID": offered})
        assert uuid.UUID(response.headers["x-request-id"]).version == 4

    def test_a_problem_names_the_request(self, client):
        response = client.get("/v1/cards/nope", headers={"X-Request-ID": "trace-1"})
        assert problem(response, 404, "card-not-found")["request_id"] == "trace-1"


class TestRequestLog:
    """One line per request, and every line the request causes carries its id."""

    def test_one_line_per_request(self, client):
        with capture_logs() as logs:
            client.get("/v1/cards/nope", headers={"X-Request-ID": "trace-2"})
        (line,) = [entry for entry in logs if entry["event"] == "request"]
        assert line["method"] == "GET"
        assert line["path"] == "/v1/cards/{card_id}"  # the route, never what was sent
        assert line["card_id"] == "(not a card id)"
        assert line["status"] == 404
        assert line["duration_ms"] >= 0
        assert line["log_level"] == "info"

    def test_the_request_id_is_on_the_services_lines_too(self, cards):
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            cards.client.post(
                "/v1/cards",
                json={
                    "applicant": {"name": NAME, "id_number": ID_NUMBER},
                    "channel": "card_center",
                    "evidence": dict(APPLICATION),
                },
                headers={"X-Request-ID": "trace-3"},
            )
        events = {entry["event"]: entry for entry in logs}
        assert events["transition accepted"]["request_id"] == "trace-3"
        assert events["request"]["request_id"] == "trace-3"
        assert events["request"]["status"] == 201

    def test_the_id_does_not_leak_into_the_next_request(self, client):
        client.get("/v1/workflow", headers={"X-Request-ID": "trace-4"})
        assert "request_id" not in structlog.contextvars.get_contextvars()


@MEMORY_ONLY
class TestProblems:
    """Every error is problem+json with a stable type, even those outside the rules."""

    def test_an_unknown_route_is_404(self, client):
        body = problem(client.get("/v2/cards"), 404, "not-found")
        assert "/v2/cards" not in body["detail"]
        assert "under /v1" in body["detail"]

    def test_a_wrong_method_is_405_with_allow(self, client):
        response = client.delete("/v1/cards/some-card")
        problem(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "GET, OPTIONS"

    def test_a_bug_is_500_logged_with_its_traceback(self, client, service, monkeypatch):
        def broken(card_id: str):
            raise RuntimeError("the secret inner workings")

        monkeypatch.setattr(service, "card", broken)
        with capture_logs() as logs:
            response = client.get("/v1/cards/any", headers={"X-Request-ID": "trace-5"})
        body = problem(response, 500, "internal-error")
        assert "trace-5" in body["detail"]
        assert "secret" not in response.text
        (failure,) = [entry for entry in logs if entry["event"] == "request failed"]
        assert (failure["log_level"], failure["exc_info"]) == ("error", True)
        (line,) = [entry for entry in logs if entry["event"] == "request"]
        assert (line["status"], line["log_level"]) == (500, "error")

    def test_every_problem_type_is_in_the_api_description(self, client):
        description = client.get("/openapi.json").json()["info"]["description"]
        for kind in PROBLEM_TYPES:
            assert kind.uri in description


class TestPrivacy:
    """The applicant's name and ID number go in and never come out, in bodies or logs."""

    def test_never_in_a_response_or_a_log_line(self, cards, client, service):
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            li_lei = {"name": NAME, "id_number": ID_NUMBER}
            answers = [cards.apply(applicant=li_lei), cards.apply(applicant=li_lei)]
            answers += [cards.apply(channel="hospital"), cards.apply(evidence={})]
            answers.append(cards.apply(applicant={**li_lei, "x": 1}))
            answers.append(cards.apply(applicant={"name": NAME, "id_number": BAD_CHECK_ID_NUMBER}))
            card_id = answers[0].json()["card_id"]
            for event, channel, evidence, _ in HAPPY_PATH:
                answers.append(cards.step(card_id, event, channel, evidence))
            answers.append(cards.step(card_id, "review", "card_center", {}))
            answers.append(client.get(f"/v1/cards/{card_id}"))
            answers.append(client.get(f"/v1/cards/{card_id}/history"))
            answers.append(client.get("/v1/ledger/entries"))
            answers.append(client.post("/v1/ledger/verify"))
            verified(client)
            answers.append(client.get("/v1/ledger/verify"))
        for response in answers:
            said = response.text + json.dumps(dict(response.headers))
            for secret in (NAME, ID_NUMBER, BAD_CHECK_ID_NUMBER):
                assert secret not in said, response.request.url
        assert len(logs) >= len(answers)
        for line in logs:
            for secret in (NAME, ID_NUMBER, BAD_CHECK_ID_NUMBER):
                assert secret not in repr(line)

    def test_the_person_is_kept_apart_from_the_ledger(self, cards, client, service):
        applicant = {"name": NAME, "id_number": ID_NUMBER, "contact_number": "13800000000"}
        card_id = cards.apply(applicant=applicant).json()["card_id"]
        (entry,) = client.get(f"/v1/cards/{card_id}/history").json()["entries"]
        person = service.ledger.person(entry["subject"])
        assert (person.name, person.id_number) == (NAME, ID_NUMBER)
        assert person.details == {"contact_number": "13800000000"}


def schema_models() -> list[type[BaseModel]]:
    """Every public model any module of ``api/`` defines."""
    modules = [
        importlib.import_module(found.name)
        for found in pkgutil.walk_packages(api.__path__, "api.")
        if not found.name.endswith("__main__")
    ]
    return [
        model
        for module in modules
        for _, model in inspect.getmembers(module, inspect.isclass)
        if issubclass(model, BaseModel)
        and model.__module__ == module.__name__
        and not model.__name__.startswith("_")
        and model is not RequestBody  # the base every request body shares, never one itself
        and not issubclass(model, BaseSettings)  # the environment's settings, no HTTP body
    ]


class TestProblemTypes:
    """Each problem type has its own stable URI under cardflow's problem base."""

    def test_problem_types_are_stable_and_distinct(self):
        slugs = [kind.slug for kind in PROBLEM_TYPES]
        assert len(set(slugs)) == len(slugs)
        for kind in PROBLEM_TYPES:
            assert kind.uri == f"{PROBLEM_BASE}{kind.slug}"
            assert kind.uri.startswith("https://cardflow.dev/problems/")


class TestExamples:
    """Every model documents an example, and the example fits the model."""

    @pytest.mark.parametrize("model", schema_models(), ids=lambda model: model.__name__)
    def test_every_model_has_an_example_that_fits_it(self, model):
        examples = model.model_json_schema()["examples"]
        assert examples
        for example in examples:
            model.model_validate(example)


@MEMORY_ONLY
class TestOpenApi:
    """The OpenAPI document describes the contract: tags, models, examples and problems."""

    @pytest.fixture
    def spec(self, client) -> dict:
        return client.get("/openapi.json").json()

    def test_title_description_and_tags(self, spec):
        assert spec["info"]["title"] == "cardflow"
        assert DEFINITION_VERSION in spec["info"]["description"]
        assert [tag["name"] for tag in spec["tags"]] == [
            "cards",
            "batches",
            "ledger",
            "deadlines",
            "workflow",
            "vitals",
        ]
        for path in spec["paths"].values():
            for operation in path.values():
                assert operation["tags"]
                assert operation["summary"]

    def test_the_contracts_routes(self, spec):
        assert {
            (method.upper(), path) for path, item in spec["paths"].items() for method in item
        } == {
            ("POST", "/v1/cards"),
            ("GET", "/v1/cards"),
            ("POST", "/v1/batches"),
            ("GET", "/v1/cards/{card_id}"),
            ("POST", "/v1/cards/{card_id}/transitions"),
            ("GET", "/v1/cards/{card_id}/history"),
            ("GET", "/v1/ledger/entries"),
            ("GET", "/v1/ledger/entries/{seq}/proof"),
            ("GET", "/v1/ledger/consistency"),
            ("GET", "/v1/ledger/checkpoint"),
            ("GET", "/v1/ledger/key"),
            ("GET", "/v1/ledger/keys"),
            ("GET", "/v1/ledger/verify"),
            ("POST", "/v1/ledger/verify"),
            ("POST", "/v1/sweeps"),
            ("GET", "/v1/workflow"),
            ("GET", "/healthz"),
            ("GET", "/readyz"),
            ("GET", "/metrics"),
        }

    def test_errors_are_documented_as_problems(self, spec):
        transitions = spec["paths"]["/v1/cards/{card_id}/transitions"]["post"]["responses"]
        assert {"200", "404", "409", "422", "500"} <= set(transitions)
        for route, path in spec["paths"].items():
            for operation in path.values():
                for status, response in operation["responses"].items():
                    if status[0] in "45" and (route, status) != ("/readyz", "503"):
                        assert set(response["content"]) == {"application/problem+json"}

    def test_not_ready_is_an_answer_not_a_problem(self, spec):
        not_ready = spec["paths"]["/readyz"]["get"]["responses"]["503"]["content"]
        assert not_ready == {
            "application/json": {"schema": {"$ref": "#/components/schemas/ReadyOut"}}
        }

    def test_every_reference_resolves_to_cardflows_own_models(self, spec):
        refs = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(spec)))
        assert refs <= set(spec["components"]["schemas"])
        assert "HTTPValidationError" not in refs
        assert "HTTPValidationError" not in spec["components"]["schemas"]

    def test_enums_list_their_values(self, spec):
        properties = spec["components"]["schemas"]["TransitionIn"]["properties"]
        assert properties["event"] == {"$ref": "#/components/schemas/Event"}
        schemas_ = spec["components"]["schemas"]
        assert schemas_["Event"]["enum"] == list(Event)
        assert schemas_["Channel"]["enum"] == list(Channel)
        assert schemas_["Presenter"]["enum"] == list(Presenter)

    def test_request_bodies_refuse_unknown_fields(self, spec):
        for name in (
            "ApplicationIn",
            "ApplicantIn",
            "TransitionIn",
            "ApplicationBatchIn",
            "ProductionBatchIn",
            "ApplicationItemIn",
            "MoveItemIn",
        ):
            assert spec["components"]["schemas"][name]["additionalProperties"] is False


class TestAppFromEnvironment:
    """``cardflow serve`` builds the app from the database URL in the environment."""

    def test_serves_the_ledger_at_the_configured_url(self, sqlite_url, monkeypatch):
        monkeypatch.setenv("CARDFLOW_DATABASE_URL", sqlite_url)
        with runtime_for_command(sqlite_url) as runtime:
            _, token = runtime.keys.create("counter-7", Role.CLERK, [Channel.CARD_CENTER])
        bearer = {"Authorization": f"Bearer {token}"}
        with TestClient(app_from_environment(), headers=bearer) as client:
            created = client.post(
                "/v1/cards",
                json={
                    "applicant": {"name": NAME, "id_number": ID_NUMBER},
                    "channel": "card_center",
                    "evidence": dict(APPLICATION),
                },
            )
            assert created.status_code == 201, created.text
        with TestClient(app_from_environment(), headers=bearer) as client:
            card = client.get(created.headers["location"]).json()
            assert card == created.json()


@MEMORY_ONLY
class TestUndecodableBodies:
    """A body that is not even text is invalid input like any other: 422, never 400 or 5xx."""

    @pytest.mark.parametrize("body", [b"\xff\xfe", b"\x80", b'{"a": "\xc3"}'])
    def test_refused_as_a_validation_problem(self, client, cards, body):
        before = cards.snapshot()
        response = client.post(
            "/v1/cards", content=body, headers={"Content-Type": "application/json"}
        )
        found = problem(response, 422, "validation-error")
        assert found["errors"][0]["loc"][0] == "body"
        assert cards.snapshot() == before
