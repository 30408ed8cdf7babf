"""Who may call what: every (key, route) cell of the access table, through the API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.access import ACCESS, Capability, grantable_reads
from api.app import create_app, routes
from api.dependencies import capability_of
from api.keys import MemoryKeys, SqlKeys
from tests.api.conftest import APPLICATION, MEMORY_ONLY, Cards, problem
from tests.api.test_batches import application, applications
from tests.people import citizen_id
from workflow.states import Channel, Role


@dataclass(frozen=True, slots=True)
class Holder:
    """A kind of key: its role and, if its maker chose them, its reads."""

    role: Role
    reads: frozenset[Capability] | None = None


KINDS: Final[Mapping[str, Holder]] = {
    "clerk": Holder(Role.CLERK),
    "system": Holder(Role.SYSTEM),
    "follower": Holder(Role.SYSTEM, grantable_reads(Role.SYSTEM)),
    "supervisor": Holder(Role.SUPERVISOR),
    "narrowed-supervisor": Holder(Role.SUPERVISOR, frozenset({Capability.FEED})),
    "admin": Holder(Role.ADMIN),
}
"""The keys each cell is tried with: every role, a system key made to follow the ledger,
and a supervisor key narrowed to the feed."""

ANONYMOUS: Final = "anonymous"
"""A caller that sends no key at all."""

EVERYONE: Final = frozenset(KINDS)
PUBLISHED: Final = EVERYONE | {ANONYMOUS}
OVERSIGHT: Final = frozenset({"supervisor", "admin"})
FOLLOWING: Final = OVERSIGHT | {"follower"}
WRITERS: Final = frozenset({"clerk", "system", "follower", "admin"})

EXPECTED: Final[Mapping[tuple[str, str], frozenset[str]]] = {
    ("POST", "/v1/cards"): WRITERS,
    ("GET", "/v1/cards"): OVERSIGHT,
    ("GET", "/v1/cards/{card_id}"): EVERYONE - {"narrowed-supervisor"},
    ("POST", "/v1/cards/{card_id}/transitions"): WRITERS,
    ("GET", "/v1/cards/{card_id}/history"): FOLLOWING,
    ("POST", "/v1/batches"): WRITERS,
    ("GET", "/v1/ledger/entries"): FOLLOWING | {"narrowed-supervisor"},
    ("GET", "/v1/ledger/entries/{seq}/proof"): PUBLISHED,
    ("GET", "/v1/ledger/consistency"): PUBLISHED,
    ("GET", "/v1/ledger/checkpoint"): PUBLISHED,
    ("GET", "/v1/ledger/key"): PUBLISHED,
    ("GET", "/v1/ledger/keys"): PUBLISHED,
    ("GET", "/v1/ledger/verify"): OVERSIGHT,
    ("POST", "/v1/ledger/verify"): OVERSIGHT,
    ("POST", "/v1/sweeps"): frozenset({"system", "follower", "admin"}),
    ("GET", "/v1/workflow"): PUBLISHED,
    ("GET", "/healthz"): PUBLISHED,
    ("GET", "/readyz"): PUBLISHED,
    ("GET", "/metrics"): PUBLISHED,
}
"""Who may call each route, written out as the issue states it (not read from the table):
the checkpoint, the log's keys and the proofs (hashes only) are published, as a
transparency log publishes them, and so are the vital signs an operator's probes read;
entries, histories and the feed are not."""

Request = Callable[[TestClient, str], httpx.Response]


def _apply(client: TestClient, card_id: str) -> httpx.Response:
    body = {
        "applicant": {"name": "Li Lei", "id_number": citizen_id()},
        "channel": "card_center",
        "evidence": dict(APPLICATION),
    }
    return client.post("/v1/cards", json=body)


def _review(client: TestClient, card_id: str) -> httpx.Response:
    body = {"event": "review", "channel": "card_center", "evidence": {"information_checked": True}}
    return client.post(f"/v1/cards/{card_id}/transitions", json=body)


_serial = iter(range(1, 10_000))

REQUESTS: Final[Mapping[tuple[str, str], Request]] = {
    ("POST", "/v1/cards"): _apply,
    ("GET", "/v1/cards"): lambda c, _: c.get("/v1/cards"),
    ("GET", "/v1/cards/{card_id}"): lambda c, card: c.get(f"/v1/cards/{card}"),
    ("POST", "/v1/cards/{card_id}/transitions"): _review,
    ("GET", "/v1/cards/{card_id}/history"): lambda c, card: c.get(
        f"/v1/cards/{card}/history", params={"include_refusals": "true", "proofs": "true"}
    ),
    ("POST", "/v1/batches"): lambda c, _: c.post(
        "/v1/batches", json=applications([application(next(_serial))])
    ),
    ("GET", "/v1/ledger/entries"): lambda c, _: c.get("/v1/ledger/entries"),
    ("GET", "/v1/ledger/entries/{seq}/proof"): lambda c, _: c.get("/v1/ledger/entries/1/proof"),
    ("GET", "/v1/ledger/consistency"): lambda c, _: c.get(
        "/v1/ledger/consistency", params={"first": 1}
    ),
    ("GET", "/v1/ledger/checkpoint"): lambda c, _: c.get("/v1/ledger/checkpoint"),
    ("GET", "/v1/ledger/key"): lambda c, _: c.get("/v1/ledger/key"),
    ("GET", "/v1/ledger/keys"): lambda c, _: c.get("/v1/ledger/keys"),
    ("GET", "/v1/ledger/verify"): lambda c, _: c.get("/v1/ledger/verify"),
    ("POST", "/v1/ledger/verify"): lambda c, _: c.post("/v1/ledger/verify"),
    ("POST", "/v1/sweeps"): lambda c, _: c.post("/v1/sweeps"),
    ("GET", "/v1/workflow"): lambda c, _: c.get("/v1/workflow"),
    ("GET", "/healthz"): lambda c, _: c.get("/healthz"),
    ("GET", "/readyz"): lambda c, _: c.get("/readyz"),
    ("GET", "/metrics"): lambda c, _: c.get("/metrics"),
}
"""A request to each route that its allowed callers see succeed."""

SERVED: Final = [(method, path) for method, path, _ in routes()]


def holding(client_as: Callable[..., TestClient], anonymous: TestClient, kind: str) -> TestClient:
    if kind == ANONYMOUS:
        return anonymous
    holder = KINDS[kind]
    return client_as(holder.role, name=f"access-{kind}", reads=holder.reads)


class TestEveryRoute:
    """Every route the app serves has one capability, and this test has a row for it."""

    def test_every_route_is_guarded_once(self):
        unguarded = [f"{method} {path}" for method, path, c in routes() if c is None]
        assert unguarded == [], (
            f"give {unguarded} one capability: dependencies=[ALLOWED[...]] (api/access.py)"
        )

    @MEMORY_ONLY
    def test_the_app_serves_the_routers_routes_and_no_other(self, client: TestClient):
        paths: dict[str, dict[str, Any]] = client.get("/openapi.json").json()["paths"]
        served = {(method.upper(), path) for path, ops in paths.items() for method in ops}
        assert served == set(SERVED), "a route outside the routers has no capability"

    def test_every_route_has_its_expected_callers_and_a_request(self):
        assert set(SERVED) == set(EXPECTED) == set(REQUESTS)

    def test_a_route_without_a_guard_is_seen(self):
        from fastapi import Depends

        from api.dependencies import current_actor

        assert capability_of([Depends(current_actor)]) is None

    def test_every_read_a_key_holds_is_in_the_table(self):
        assert all(ACCESS[capability].read for role in Role for capability in grantable_reads(role))


@pytest.fixture
def a_card(cards: Cards) -> str:
    return cards.new()


@MEMORY_ONLY
class TestEachCell:
    """An allowed caller is never refused with 403; a forbidden one always is, with the
    capability it lacks and what its key may read (a caller without a key, with 401)."""

    @pytest.mark.parametrize("kind", sorted({*KINDS, ANONYMOUS}))
    @pytest.mark.parametrize(("method", "path"), SERVED, ids=[f"{m} {p}" for m, p in SERVED])
    def test_cell(self, client_as, anonymous, a_card, kind, method, path):
        caller = holding(client_as, anonymous, kind)
        response = REQUESTS[method, path](caller, a_card)
        if kind in EXPECTED[method, path]:
            assert response.status_code != 403, response.text
            assert response.status_code < 400, response.text
            return
        if kind == ANONYMOUS:
            problem(response, 401, "unauthenticated")
            return
        body = problem(response, 403, "not-permitted")
        assert body["capability"] == str(capability_of_route(method, path))
        assert body["capability"] not in body["may_read"]


def capability_of_route(method: str, path: str) -> Capability:
    (found,) = [c for m, p, c in routes() if (m, p) == (method, path)]
    assert found is not None
    return found


@MEMORY_ONLY
class TestBeforeLookingUp:
    """A forbidden read is refused before the card is looked up: 403 says nothing of
    whether the card exists."""

    @pytest.mark.parametrize("card_id", ["no-such-card", "5f0c6f7e-8a52-4c1e-9d8b-3c1f4e2a7b90"])
    def test_a_clerk_hears_403_for_any_card_s_history(self, client_as, a_card, card_id):
        clerk = client_as(Role.CLERK)
        unknown = problem(clerk.get(f"/v1/cards/{card_id}/history"), 403, "not-permitted")
        known = problem(clerk.get(f"/v1/cards/{a_card}/history"), 403, "not-permitted")
        assert {k: v for k, v in unknown.items() if k != "request_id"} == {
            k: v for k, v in known.items() if k != "request_id"
        }

    def test_a_supervisor_hears_404_for_an_unknown_card(self, client_as):
        supervisor = client_as(Role.SUPERVISOR)
        problem(supervisor.get("/v1/cards/no-such-card/history"), 404, "card-not-found")

    def test_a_clerk_reads_a_card_s_state(self, client_as, a_card):
        clerk = client_as(Role.CLERK)
        assert clerk.get(f"/v1/cards/{a_card}").json()["state"] == "applied"
        problem(clerk.get("/v1/cards/no-such-card"), 404, "card-not-found")

    def test_the_refusal_says_what_the_key_reads(self, client_as):
        clerk = client_as(Role.CLERK, name="counter-7")
        body = problem(clerk.get("/v1/ledger/verify"), 403, "not-permitted")
        assert body["capability"] == "verify"
        assert body["may_read"] == ["card"]
        assert "the clerk role may not verify the whole ledger" in body["detail"]
        assert "this key may read: card" in body["detail"]

    def test_a_system_key_not_made_to_follow_is_told_so(self, client_as):
        system = client_as(Role.SYSTEM)
        body = problem(system.get("/v1/ledger/entries"), 403, "not-permitted")
        assert "this key was not made with --read feed" in body["detail"]

    def test_a_refusal_writes_nothing(self, client_as, cards: Cards, a_card):
        before = cards.snapshot(a_card)
        clerk = client_as(Role.CLERK)
        for path in (f"/v1/cards/{a_card}/history", "/v1/ledger/entries", "/v1/ledger/verify"):
            assert clerk.get(path).status_code == 403
        assert cards.snapshot(a_card) == before


@MEMORY_ONLY
class TestTheHolder:
    """A duplicate application's 409 names the live card only to a key that may search
    every card; a clerk hears that a live card exists and which channels carry it on."""

    def _duplicate(self, caller: TestClient, id_number: str) -> httpx.Response:
        body = {
            "applicant": {"name": "Li Lei", "id_number": id_number},
            "channel": "card_center",
            "evidence": dict(APPLICATION),
        }
        return caller.post("/v1/cards", json=body)

    def test_a_clerk_is_not_told_which_card(self, client_as, cards: Cards):
        number = citizen_id()
        held = cards.apply(applicant={"name": "Li Lei", "id_number": number}).json()["card_id"]
        clerk = client_as(Role.CLERK, [Channel.CARD_CENTER])
        response = self._duplicate(clerk, number)
        body = problem(response, 409, "condition-not-met")
        assert body["condition"] == "one_live_card"
        assert body["holder"] is None
        assert held not in response.text
        assert "already holds a live card" in body["detail"]
        assert "its next steps go through card_center" in body["detail"]
        assert [e["event"] for e in body["allowed_events"]] == ["review", "reject", "cancel"]

    def test_an_admin_is_told_which_card(self, client: TestClient, cards: Cards):
        number = citizen_id()
        held = cards.apply(applicant={"name": "Li Lei", "id_number": number}).json()["card_id"]
        body = problem(self._duplicate(client, number), 409, "condition-not-met")
        assert body["holder"] == held
        assert held in body["detail"]

    @pytest.mark.parametrize(("role", "named"), [(Role.CLERK, False), (Role.ADMIN, True)])
    def test_a_batch_item_s_refusal(self, client_as, role, named):
        sender = client_as(role, [Channel.EMPLOYER])
        first = sender.post("/v1/batches", json=applications([application(9001)])).json()
        held = first["items"][0]["card_id"]
        again = sender.post("/v1/batches", json=applications([application(9001)]))
        (item,) = again.json()["items"]
        assert item["status"] == 409
        assert item["problem"]["holder"] == (held if named else None)
        assert (held in again.text) is named

    def test_the_holder_field_says_who_is_told(self, client: TestClient):
        schema = client.get("/openapi.json").json()["components"]["schemas"]
        assert "supervisor" in schema["ConditionProblem"]["properties"]["holder"]["description"]


@MEMORY_ONLY
class TestTheOpenApiDocument:
    """Each operation says which keys may call it, from the table the guards use."""

    def test_every_operation_says_who_may_call_it(self, client: TestClient):
        paths: dict[str, dict[str, Any]] = client.get("/openapi.json").json()["paths"]
        for method, path, capability in routes():
            assert capability is not None
            said = paths[path][method.lower()]["description"]
            assert "**Who may call:**" in said, (method, path)
            assert f"capability `{capability}`" in said

    def test_verify_is_for_supervisors_and_admins(self, client: TestClient):
        said = client.get("/openapi.json").json()["paths"]["/v1/ledger/verify"]["get"]
        assert "`supervisor`, `admin` keys (capability `verify`" in said["description"]
        assert "403" in said["responses"]


class TestReadsKeptInTheDatabase:
    """The reads a key was made with are kept with it, and enforced, on every store."""

    def test_a_follower_s_reads_and_a_sweeper_s(self, ledger, service, audit):
        engine = getattr(ledger, "engine", None)
        keys = MemoryKeys() if engine is None else SqlKeys(engine)
        _, follower = keys.create("bank-mirror", Role.SYSTEM, reads=[Capability.FEED])
        _, sweeper = keys.create("sweeper", Role.SYSTEM)
        with TestClient(create_app(service, keys, audit)) as anyone:

            def as_(token: str, path: str) -> httpx.Response:
                return anyone.get(path, headers={"Authorization": f"Bearer {token}"})

            assert as_(follower, "/v1/ledger/entries").status_code == 200
            assert as_(sweeper, "/v1/ledger/checkpoint").status_code == 200  # published
            problem(as_(sweeper, "/v1/cards/no-such-card/history"), 403, "not-permitted")
            problem(as_(sweeper, "/v1/ledger/entries"), 403, "not-permitted")
            assert as_(sweeper, "/v1/cards/no-such-card").status_code == 404
