"""Signed checkpoints on every backend: signed when due, never against an earlier one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.binding import AnyOf
from ledger.cardmap import card_key, root_of
from ledger.checkpoints import Cadence, CheckpointRefused, checkpoint_if_due, sign_checkpoint
from ledger.maps import map_line
from ledger.merkle import EMPTY_ROOT, ProofError, verify_consistency
from ledger.note import Checkpoint, Signer, open_note
from ledger.proofs import prove_consistency
from ledger.verify import verify
from tests.contract.helpers import draft

SIGNER = Signer.generate("cardflow.test/ledger")


def grow(ledger, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        ledger.append([draft(f"card-{i}", 1)])


class TestSigning:
    def test_the_empty_ledger_then_every_growth(self, ledger, clock):
        first = sign_checkpoint(ledger, SIGNER, clock.now)
        assert (first.size, first.root) == (0, EMPTY_ROOT)
        grow(ledger, 5)
        second = sign_checkpoint(ledger, SIGNER, clock.now)
        said = Checkpoint.parse(open_note(second.note, SIGNER.verifier()))
        latest = {card_key(e.card_id): bytes.fromhex(e.hash) for e in ledger.entries_after(0, 9)}
        assert said == Checkpoint(
            SIGNER.name, 5, bytes.fromhex(ledger.tip().root), (map_line(root_of(latest)),)
        )
        assert ledger.checkpoints() == [first, second]
        assert ledger.latest_checkpoint() == second
        with pytest.raises(ProofError, match="empty tree proves nothing"):
            prove_consistency(ledger, 0, 5)
        proof = prove_consistency(ledger, 1, 5)
        verify_consistency(1, 5, proof.path, proof.first_root, second.root)

    def test_one_checkpoint_per_size(self, ledger, clock):
        grow(ledger, 3)
        once = sign_checkpoint(ledger, SIGNER, clock.now)
        clock.advance(minutes=5)
        assert sign_checkpoint(ledger, SIGNER, clock.now) == once
        other = Signer.generate(SIGNER.name)
        assert (
            ledger.keep_checkpoint(
                type(once)(
                    3,
                    once.root,
                    other.sign(Checkpoint(SIGNER.name, 3, once.root).text()),
                    clock.now,
                )
            )
            == once
        )
        assert len(ledger.checkpoints()) == 1

    def test_verify_checks_each_checkpoint_and_its_signature(self, ledger, clock):
        grow(ledger, 4)
        sign_checkpoint(ledger, SIGNER, clock.now)
        grow(ledger, 3, start=4)
        sign_checkpoint(ledger, SIGNER, clock.now)
        assert verify(ledger, keys=AnyOf((SIGNER.verifier(),))).ok
        stranger = Signer.generate(SIGNER.name).verifier()
        problems = [p.what for p in verify(ledger, keys=AnyOf((stranger,))).problems]
        assert len(problems) == 2
        assert all("carries no signature of" in what for what in problems)


class TestCadence:
    @pytest.mark.parametrize(
        ("grown", "waited", "due"),
        [(0, 3600, False), (9, 59, False), (10, 0, True), (1, 60, True)],
    )
    def test_entries_or_time(self, ledger, clock, grown, waited, due):
        cadence = Cadence(entries=10, every=timedelta(seconds=60))
        assert checkpoint_if_due(ledger, SIGNER, cadence, clock.now) is not None
        grow(ledger, grown)
        clock.advance(seconds=waited)
        signed = checkpoint_if_due(ledger, SIGNER, cadence, clock.now)
        assert (signed is not None) is due


class TestRefusal:
    def test_a_ledger_behind_its_last_checkpoint(self, ledger, clock):
        """What a truncated tail looks like to the signer: a checkpoint beyond the tip."""
        grow(ledger, 2)
        signed = sign_checkpoint(ledger, SIGNER, clock.now)
        beyond = type(signed)(9, signed.root, signed.note, clock.now)
        ledger.keep_checkpoint(beyond)
        with pytest.raises(CheckpointRefused, match="checkpoint 9 was signed"):
            sign_checkpoint(ledger, SIGNER, clock.now)
        report = verify(ledger)
        assert any("checkpoint 9 was signed" in p.what for p in report.problems)
