"""``ledger.witnessing``: asking witnesses, retrying from the size a 409 names, and
leaving a failing witness alone a while."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.audit import Audit
from ledger.cosignature import Cosigner
from ledger.errors import WitnessUnreachable
from ledger.memory import MemoryLedger
from ledger.witnessing import SIZE_TYPE, Answer, Witness, add_checkpoint_body
from tests.conftest import SIGNER, FakeClock
from tests.contract.helpers import open_card
from witness.core import Witness as WitnessCore
from witness.errors import SizeConflict, WitnessError
from witness.http import STATUS
from witness.store import WitnessStore
from workflow.service import CardService

COSIGNER = Cosigner.generate("office.example/w1")
WITNESS = Witness("http://witness.test", COSIGNER.key())


class InProcess:
    """A transport to a witness in this process, counting the requests it carries."""

    def __init__(self, core: WitnessCore) -> None:
        self.core = core
        self.posted: list[bytes] = []
        self.down = False

    def post(self, url: str, body: bytes) -> Answer:
        if self.down:
            raise WitnessUnreachable("connection refused")
        self.posted.append(body)
        try:
            return Answer(200, "text/plain", self.core.add_checkpoint(body).encode())
        except SizeConflict as held:
            return Answer(409, SIZE_TYPE, f"{held.held}\n".encode())
        except WitnessError as refused:
            return Answer(STATUS[type(refused)], "text/plain", str(refused).encode())

    def get(self, url: str) -> Answer:
        raise AssertionError("not asked")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


@pytest.fixture
def transport(tmp_path, clock):
    store = WitnessStore(str(tmp_path / "w.sqlite"))
    yield InProcess(WitnessCore(COSIGNER, [SIGNER.verifier()], store, clock=clock))
    store.dispose()


def audit_of(ledger, clock, transport) -> Audit:
    return Audit(ledger, signer=SIGNER, clock=clock, witnesses=[WITNESS], transport=transport)


def test_a_witness_ahead_of_what_the_ledger_kept_is_asked_again_from_its_size(transport, clock):
    """Another process had it cosign a checkpoint this ledger kept no cosignature of."""
    ledger = MemoryLedger(clock=clock)
    open_card(CardService(ledger, clock=clock))
    audit = audit_of(ledger, clock, transport)
    held = audit.checkpoint()
    transport.core.add_checkpoint(add_checkpoint_body(0, [], held.note))
    open_card(CardService(ledger, clock=clock))
    clock.advance(minutes=2)
    audit.checkpoint()
    assert [o.cosigned for o in audit.witness()] == [True]
    assert [body.split(b"\n")[0] for body in transport.posted] == [
        b"old 0",  # 409: it holds the checkpoint of held.size entries
        f"old {held.size}".encode(),
    ]


def test_a_witness_down_is_left_alone_a_while_then_asked_again(transport, clock):
    ledger = MemoryLedger(clock=clock)
    open_card(CardService(ledger, clock=clock))
    audit = audit_of(ledger, clock, transport)
    audit.checkpoint()
    transport.down = True
    assert [o.said for o in audit.witness()] == ["unreachable: connection refused"]
    transport.down = False
    assert audit.witness() == []  # paused: not asked
    clock.advance(seconds=3)
    assert [o.cosigned for o in audit.witness()] == [True]
    assert audit.witness() == []  # cosigned: nothing to ask
