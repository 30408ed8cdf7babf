"""``/v1/ledger/checkpoint`` and ``/v1/ledger/key``: what a supervisor takes away."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.binding import bind, person_check
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.note import Checkpoint, Signer, Verifier, open_note
from tests.conftest import SIGNER
from workflow.states import State


def test_a_checkpoint_checks_out_with_the_published_key(cards, client):
    cards.in_state(State.ACTIVATED)
    key = client.get("/v1/ledger/key")
    assert key.headers["content-type"].startswith("text/plain")
    verifier = Verifier.parse(key.text)
    assert verifier == SIGNER.verifier()
    note = client.get("/v1/ledger/checkpoint")
    assert note.headers["content-type"].startswith("text/plain")
    signed = Checkpoint.parse(open_note(note.text, verifier))
    assert signed.origin == SIGNER.name
    assert signed.size == cards.ledger.tip().size
    proof = client.get("/v1/ledger/entries/1/proof", params={"tree_size": signed.size}).json()
    verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        0,
        signed.size,
        [bytes.fromhex(node) for node in proof["path"]],
        signed.root,
    )


def test_a_later_checkpoint_is_consistent_with_an_earlier_one(cards, client, clock):
    cards.in_state(State.COLLECTED)
    earlier = Checkpoint.parse(
        open_note(client.get("/v1/ledger/checkpoint").text, SIGNER.verifier())
    )
    cards.in_state(State.PRODUCED)
    clock.advance(minutes=2)
    later = Checkpoint.parse(open_note(client.get("/v1/ledger/checkpoint").text, SIGNER.verifier()))
    assert later.size > earlier.size
    body = client.get(
        "/v1/ledger/consistency", params={"first": earlier.size, "second": later.size}
    ).json()
    verify_consistency(
        earlier.size,
        later.size,
        [bytes.fromhex(node) for node in body["path"]],
        earlier.root,
        later.root,
    )


def test_no_new_checkpoint_until_one_is_due(cards, client):
    first = client.get("/v1/ledger/checkpoint").text
    cards.in_state(State.REVIEWED)
    assert client.get("/v1/ledger/checkpoint").text == first


def test_a_history_with_its_proofs_checks_out_offline(cards, client):
    card_id = cards.in_state(State.ACTIVATED)
    cards.in_state(State.REVIEWED)  # the ledger grows past the card
    body = client.get(f"/v1/cards/{card_id}/history", params={"proofs": "true"}).json()
    signed = Checkpoint.parse(open_note(body["checkpoint"], SIGNER.verifier()))
    assert len(body["proofs"]) == len(body["entries"]) == 5
    for entry, proof in zip(body["entries"], body["proofs"], strict=True):
        assert (proof["seq"], proof["tree_size"]) == (entry["seq"], signed.size)
        verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            entry["seq"] - 1,
            signed.size,
            [bytes.fromhex(node) for node in proof["path"]],
            signed.root,
        )
    stored = [leaf_hash(entry.encode()).hex() for entry in cards.ledger.entries_for(card_id)]
    assert [proof["leaf_hash"] for proof in body["proofs"]] == stored
    plain = client.get(f"/v1/cards/{card_id}/history").json()
    assert (plain["checkpoint"], plain["proofs"]) == (None, None)
    assert plain["entries"] == body["entries"]


def test_every_key_the_log_was_signed_with_is_listed(cards, client, audit):
    """After a rotation the old key still checks what it signed, the new one the rest."""
    cards.in_state(State.ACTIVATED)
    assert client.get("/v1/ledger/keys").json() == []  # a ledger in memory bound to nothing
    bind(
        cards.ledger,
        log=SIGNER.verifier(),
        person=person_check(b"k" * 32),
        now=datetime.now(UTC),
    )
    old = Checkpoint.parse(open_note(client.get("/v1/ledger/checkpoint").text, SIGNER.verifier()))
    new = Signer.generate(SIGNER.name)
    audit.rotate(new)
    listed = client.get("/v1/ledger/keys").json()
    assert listed == [
        {"key": str(SIGNER.verifier()), "first_size": 0, "last_size": old.size},
        {"key": str(new.verifier()), "first_size": old.size + 1, "last_size": None},
    ]


def test_the_checkpoint_as_json_names_no_witness_when_none_is_configured(cards, client):
    cards.in_state(State.REVIEWED)
    note = client.get("/v1/ledger/checkpoint").text
    body = client.get("/v1/ledger/checkpoint", headers={"Accept": "application/json"})
    assert body.headers["content-type"] == "application/json"
    signed = Checkpoint.parse(open_note(note, SIGNER.verifier()))
    assert body.json() == {
        "note": note,
        "size": signed.size,
        "root": signed.root.hex(),
        "witnesses": [],
    }
