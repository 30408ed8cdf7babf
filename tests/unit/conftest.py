"""The use-case tests' fixtures: a service over the in-memory ledger at a fixed time."""

from __future__ import annotations

import pytest

from ledger.memory import MemoryLedger
from workflow.service import CardService


@pytest.fixture
def memory(clock) -> MemoryLedger:
    return MemoryLedger(clock=clock)


@pytest.fixture
def cards(memory, clock) -> CardService:
    return CardService(memory, clock=clock)
