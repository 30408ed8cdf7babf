"""The witness over HTTP: every status ``tlog-witness`` gives, and no rollback in a race."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ledger.cosignature import Cosigner, cosignatures
from ledger.merkle import EMPTY_ROOT, Frontier, consistency_proof, leaf_hash, subtree_root
from ledger.note import Checkpoint, Signer, open_note, with_signatures
from ledger.witnessing import add_checkpoint_body
from witness.core import Witness
from witness.http import create_witness_app
from witness.store import WitnessStore

LOG = Signer.generate("cardflow.test/ledger")
COSIGNER = Cosigner.generate("office.example/w1")


class Log:
    """A log's Merkle tree, held in memory, and its signed checkpoints."""

    def __init__(self, signer: Signer = LOG, prefix: bytes = b"entry") -> None:
        self.signer = signer
        self.prefix = prefix
        self.frontier = Frontier()
        self.nodes: dict[tuple[int, int], bytes] = {}

    def grow(self, count: int) -> Log:
        for _ in range(count):
            self.frontier, made = self.frontier.append(
                leaf_hash(self.prefix + str(self.frontier.size).encode())
            )
            self.nodes.update({(level, index): h for level, index, h in made})
        return self

    def root(self, size: int) -> bytes:
        return EMPTY_ROOT if size == 0 else subtree_root(self.get, 0, size)

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[level, index]

    def note(self, size: int | None = None, extra: str = "") -> str:
        size = self.frontier.size if size is None else size
        text = Checkpoint(self.signer.name, size, self.root(size)).text() + extra
        return self.signer.sign(text)

    def body(self, old: int, size: int | None = None, extra: str = "") -> bytes:
        size = self.frontier.size if size is None else size
        proof = consistency_proof(self.get, old, size) if old else []
        return add_checkpoint_body(old, proof, self.note(size, extra))


@pytest.fixture
def witness(tmp_path) -> Iterator[Witness]:
    store = WitnessStore(str(tmp_path / "witness.sqlite"))
    yield Witness(COSIGNER, [LOG.verifier()], store)
    store.dispose()


@pytest.fixture
def client(witness) -> Iterator[TestClient]:
    with TestClient(create_witness_app(witness)) as client:
        yield client


def add(client: TestClient, body: bytes):
    return client.post("/add-checkpoint", content=body)


class TestCosigning:
    """A checkpoint grown from the one held is cosigned, and held in its place."""

    def test_the_first_checkpoint_from_size_zero(self, client):
        log = Log().grow(5)
        answer = add(client, log.body(0))
        assert answer.status_code == 200, answer.text
        assert answer.text.startswith("\u2014 office.example/w1 ")
        assert answer.text.endswith("\n")
        note = with_signatures(log.note(), answer.text.splitlines())
        assert len(cosignatures(note, [COSIGNER.key()])) == 1

    def test_a_grown_checkpoint_with_its_proof(self, client):
        log = Log().grow(5)
        assert add(client, log.body(0)).status_code == 200
        log.grow(6)
        assert add(client, log.body(5)).status_code == 200
        held = client.get(f"/checkpoints/{LOG.name}")
        assert held.status_code == 200
        assert Checkpoint.parse(open_note(held.text, LOG.verifier())).size == 11
        assert len(cosignatures(held.text, [COSIGNER.key()])) == 1

    def test_extension_lines_are_cosigned_with_the_rest(self, client):
        log = Log().grow(3)
        extra = "cardflow.cardmap/1 AAECAw==\n"
        answer = add(client, log.body(0, extra=extra))
        assert answer.status_code == 200, answer.text
        note = with_signatures(log.note(extra=extra), answer.text.splitlines())
        assert len(cosignatures(note, [COSIGNER.key()])) == 1
        assert cosignatures(with_signatures(log.note(), answer.text.splitlines()), []) == []

    def test_the_same_checkpoint_again_is_cosigned_again(self, client):
        log = Log().grow(4)
        assert add(client, log.body(0)).status_code == 200
        assert add(client, log.body(4)).status_code == 200

    def test_health_names_the_logs_followed(self, client):
        assert client.get("/healthz").text == f"ok\n{LOG.name}\n"

    def test_no_checkpoint_held_yet_is_404(self, client):
        assert client.get(f"/checkpoints/{LOG.name}").status_code == 404


class TestRefusals:
    """Each refusal has the status the protocol gives it, and changes nothing held."""

    def test_an_old_size_not_the_one_held_is_409_with_the_size(self, client):
        log = Log().grow(8)
        assert add(client, log.body(0, 5)).status_code == 200
        answer = add(client, log.body(3))
        assert answer.status_code == 409
        assert answer.headers["content-type"] == "text/x.tlog.size"
        assert answer.text == "5\n"

    def test_a_log_never_cosigned_holds_zero(self, client):
        answer = add(client, Log().grow(8).body(4))
        assert (answer.status_code, answer.text) == (409, "0\n")

    def test_an_unknown_origin_is_404(self, client):
        stranger = Log(Signer.generate("elsewhere.example/log")).grow(2)
        assert add(client, stranger.body(0)).status_code == 404

    def test_a_signature_of_another_key_is_403(self, client):
        thief = Log(Signer.generate(LOG.name)).grow(2)
        assert add(client, thief.body(0)).status_code == 403

    def test_an_altered_checkpoint_is_403(self, client):
        body = Log().grow(2).body(0).replace(b"\n2\n", b"\n3\n")
        assert add(client, body).status_code == 403

    @pytest.mark.parametrize(
        ("body", "said"),
        [
            (b"old 0\n", "no blank line"),
            (b"old 01\n\nx", "`old <size>`"),
            (b"size 0\n\nx", "`old <size>`"),
            (b"old 0\nnot base64!\n\nx", "proof line 1 is not base64"),
            (b"old 0\nAAAA\n\nx", "proof line 1 is not a 32-byte hash"),
            (b"old 0\n\nno checkpoint here\n", "the checkpoint"),
            (b"\xff\xfe", "not UTF-8"),
        ],
    )
    def test_a_malformed_request_is_400_saying_what(self, client, body, said):
        answer = add(client, body)
        assert answer.status_code == 400
        assert said in answer.text

    def test_more_than_63_proof_lines_is_400(self, client):
        node = base64.b64encode(bytes(32)).decode()
        body = ("old 0\n" + f"{node}\n" * 64 + "\n").encode() + Log().grow(1).note().encode()
        answer = add(client, body)
        assert answer.status_code == 400
        assert "at most 63 lines" in answer.text

    def test_an_old_size_past_the_checkpoint_is_400(self, client):
        log = Log().grow(3)
        body = add_checkpoint_body(4, [], log.note())
        assert add(client, body).status_code == 400

    def test_a_proof_that_does_not_hold_is_422(self, client):
        log = Log().grow(4)
        assert add(client, log.body(0)).status_code == 200
        fork = Log(prefix=b"rewritten").grow(9)
        answer = add(client, fork.body(4))
        assert answer.status_code == 422
        assert "no growth from the 4 entries cosigned to 9" in answer.text
        held = client.get(f"/checkpoints/{LOG.name}").text
        assert Checkpoint.parse(open_note(held, LOG.verifier())).size == 4

    def test_one_size_with_another_root_is_409(self, client):
        assert add(client, Log().grow(4).body(0)).status_code == 200
        answer = add(client, Log(prefix=b"rewritten").grow(4).body(4))
        assert answer.status_code == 409
        assert answer.headers["content-type"].startswith("text/plain")
        assert "forked" in answer.text

    def test_a_non_empty_proof_from_zero_is_422(self, client):
        log = Log().grow(4)
        body = add_checkpoint_body(0, [bytes(32)], log.note())
        assert add(client, body).status_code == 422


class TestRaces:
    """Two requests from one size: one is cosigned, the other told the new size."""

    def test_no_rollback(self, witness):
        log = Log().grow(10)
        witness.add_checkpoint(log.body(0, 2))
        bodies = [log.body(2, 6), log.body(2, 10)]
        results: list[object] = [None, None]
        start = threading.Barrier(2)

        def send(i: int) -> None:
            start.wait()
            try:
                results[i] = witness.add_checkpoint(bodies[i])
            except Exception as refused:
                results[i] = refused

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        won = [i for i, result in enumerate(results) if isinstance(result, str)]
        assert len(won) == 1
        lost = results[1 - won[0]]
        assert type(lost).__name__ == "SizeConflict"
        held = witness.latest(LOG.name)
        assert held is not None
        assert Checkpoint.parse(open_note(held, LOG.verifier())).size == (6, 10)[won[0]]
