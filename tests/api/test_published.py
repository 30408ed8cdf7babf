"""The ledger's published half: the checkpoint, the log's keys and the proofs, read with no
key (as a transparency log publishes them), hashes only, and counted by client address."""

from __future__ import annotations

from typing import Any, Final

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import RateLimited
from api.limits import Kind, Limiter, Rate, client_bucket
from ledger.merkle import verify_consistency, verify_inclusion
from ledger.note import Checkpoint, Verifier, open_note
from tests.api.conftest import MEMORY_ONLY, Cards, problem
from workflow.states import Role, State

PUBLISHED: Final = (
    "/v1/ledger/checkpoint",
    "/v1/ledger/key",
    "/v1/ledger/keys",
    "/v1/ledger/entries/1/proof",
    "/v1/ledger/consistency?first=1",
)
KEPT: Final = (
    "/v1/ledger/entries",
    "/v1/ledger/entries?after=0&limit=1",
    "/v1/ledger/verify",
    "/v1/cards",
)
HASHES_ONLY: Final = {"seq", "leaf_index", "tree_size", "leaf_hash", "root", "path"}


@pytest.fixture
def grown(cards: Cards) -> int:
    cards.in_state(State.ACTIVATED)
    cards.in_state(State.REVIEWED)
    return cards.ledger.tip().size


class FakeSeconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@MEMORY_ONLY
class TestWithoutAKey:
    """Anyone reads what a transparency log publishes; entries still need a key."""

    @pytest.mark.parametrize("path", PUBLISHED)
    def test_published(self, anonymous: TestClient, grown: int, path: str) -> None:
        response = anonymous.get(path)
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("path", KEPT)
    def test_kept(self, anonymous: TestClient, grown: int, path: str) -> None:
        problem(anonymous.get(path), 401, "unauthenticated")

    def test_a_history_needs_a_key_with_or_without_proofs(
        self, anonymous: TestClient, cards: Cards
    ) -> None:
        card_id = cards.in_state(State.REVIEWED)
        for query in ("", "?proofs=true"):
            problem(anonymous.get(f"/v1/cards/{card_id}/history{query}"), 401, "unauthenticated")

    def test_an_inclusion_proof_is_hashes_and_never_the_entry(
        self, anonymous: TestClient, client: TestClient, grown: int
    ) -> None:
        body: dict[str, Any] = anonymous.get("/v1/ledger/entries/2/proof").json()
        assert set(body) == HASHES_ONLY
        (entry,) = client.get("/v1/ledger/entries", params={"after": 1, "limit": 1}).json()[
            "entries"
        ]
        said = anonymous.get("/v1/ledger/entries/2/proof").text
        for field in ("card_id", "subject", "actor", "event", "hash"):
            assert str(entry[field]) not in said, field

    def test_what_a_stranger_reads_checks_out(self, anonymous: TestClient, grown: int) -> None:
        """The note, opened with the published key, and both proofs against its root."""
        verifier = Verifier.parse(anonymous.get("/v1/ledger/key").text)
        signed = Checkpoint.parse(open_note(anonymous.get("/v1/ledger/checkpoint").text, verifier))
        assert signed.size == grown
        proof = anonymous.get("/v1/ledger/entries/3/proof").json()
        verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            2,
            grown,
            [bytes.fromhex(node) for node in proof["path"]],
            signed.root,
        )
        grew = anonymous.get("/v1/ledger/consistency", params={"first": 2}).json()
        verify_consistency(
            2,
            grown,
            [bytes.fromhex(node) for node in grew["path"]],
            bytes.fromhex(grew["first_root"]),
            signed.root,
        )

    def test_a_key_sent_is_not_read(self, app: Any, grown: int) -> None:
        """A published route asks for no key, so a bad one is no reason to refuse."""
        with TestClient(app, headers={"Authorization": "Bearer cf_not-a-key"}) as stranger:
            assert stranger.get("/v1/ledger/checkpoint").status_code == 200
            problem(stranger.get("/v1/ledger/entries"), 401, "unauthenticated")

    def test_the_openapi_document_asks_no_key_of_them(self, anonymous: TestClient) -> None:
        paths = anonymous.get("/openapi.json").json()["paths"]
        for path in ("/v1/ledger/checkpoint", "/v1/ledger/keys", "/v1/ledger/consistency"):
            operation = paths[path]["get"]
            assert "security" not in operation, path
            assert "401" not in operation["responses"]
            assert "403" not in operation["responses"]
            assert "anyone; no key is needed" in operation["description"]
        assert paths["/v1/ledger/entries"]["get"]["security"]


@MEMORY_ONLY
class TestCountedByAddress:
    """A caller without a key draws on its client address's bucket, proofs being expensive."""

    @pytest.fixture
    def seconds(self) -> FakeSeconds:
        return FakeSeconds()

    @pytest.fixture
    def app_limited(self, service: Any, keys: Any, audit: Any, seconds: FakeSeconds) -> Any:
        limiter = Limiter({Kind.EXPENSIVE: Rate(60, 2)}, clock=seconds)
        return create_app(service, keys, audit, limiter=limiter)

    def _from(self, app: Any, host: str, token: str | None = None) -> TestClient:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return TestClient(app, client=(host, 50000), headers=headers)

    def test_a_burst_past_the_bucket_is_429_then_refills(
        self, app_limited: Any, grown: int, seconds: FakeSeconds
    ) -> None:
        with (
            self._from(app_limited, "203.0.113.7") as one,
            self._from(app_limited, "203.0.113.8") as other,
        ):
            for path in ("/v1/ledger/entries/1/proof", "/v1/ledger/consistency?first=1"):
                assert one.get(path).status_code == 200
            refused = one.get("/v1/ledger/entries/2/proof")
            body = problem(refused, 429, "rate-limited")
            assert body["detail"].startswith("this client has made its expensive requests")
            assert refused.headers["retry-after"] == "1"
            assert one.get("/v1/ledger/checkpoint").status_code == 200  # cheap, not counted
            assert other.get("/v1/ledger/entries/2/proof").status_code == 200
            seconds.now += 1
            assert one.get("/v1/ledger/entries/2/proof").status_code == 200

    def test_one_ipv6_network_is_one_caller(self, app_limited: Any, grown: int) -> None:
        hosts = ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2::abcd")
        answers = []
        for host in hosts:
            with self._from(app_limited, host) as caller:
                answers.append(caller.get("/v1/ledger/entries/1/proof").status_code)
        assert answers == [200, 200, 429]

    def test_a_key_s_own_reads_are_not_drawn_by_strangers(
        self, app_limited: Any, keys: Any, grown: int
    ) -> None:
        _, token = keys.create("audit-desk", Role.SUPERVISOR)
        with (
            self._from(app_limited, "198.51.100.1") as stranger,
            self._from(app_limited, "198.51.100.1", token) as desk,
        ):
            for _ in range(2):
                stranger.get("/v1/ledger/entries/1/proof")
            problem(stranger.get("/v1/ledger/entries/1/proof"), 429, "rate-limited")
            assert desk.get("/v1/ledger/entries").status_code == 200


class TestClientBuckets:
    """Which bucket an address draws from."""

    @pytest.mark.parametrize(
        ("host", "bucket"),
        [
            ("203.0.113.7", "client 203.0.113.7"),
            ("2001:db8:1:2:3:4:5:6", "client 2001:db8:1:2::/64"),
            ("2001:db8:1:2::", "client 2001:db8:1:2::/64"),
            ("::ffff:203.0.113.7", "client 203.0.113.7"),
            ("testclient", "client testclient"),
            (None, "client unknown"),
        ],
    )
    def test_bucket(self, host: str | None, bucket: str) -> None:
        assert client_bucket(host) == bucket


class TestBucketsStayBounded:
    """Buckets of callers gone quiet are dropped: their count follows the busy callers."""

    def test_full_buckets_are_dropped(self) -> None:
        seconds = FakeSeconds()
        limiter = Limiter({Kind.EXPENSIVE: Rate(60, 2)}, clock=seconds, max_buckets=10)
        for round_ in range(50):
            for caller in range(10):
                limiter.take(f"client 10.0.{round_}.{caller}", Kind.EXPENSIVE)
            seconds.now += 2  # every bucket so far refills
        assert len(limiter) <= 20

    def test_a_busy_caller_keeps_its_count(self) -> None:
        seconds = FakeSeconds()
        limiter = Limiter({Kind.EXPENSIVE: Rate(60, 2)}, clock=seconds, max_buckets=1)
        limiter.take("busy", Kind.EXPENSIVE)
        limiter.take("busy", Kind.EXPENSIVE)
        for caller in range(5):
            limiter.take(f"other {caller}", Kind.EXPENSIVE)
        with pytest.raises(RateLimited):
            limiter.take("busy", Kind.EXPENSIVE)
