"""What every use case works through, gathered once: the ledger, the clock, where ids
come from, the region's policy and the key that names people."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from ledger.store import Ledger
from workflow.identity import parse_identity_number
from workflow.moments import china_date
from workflow.policy import DEFAULT_POLICY, Policy

RETRIES: Final = 5
"""How often a use case that lost a race reads the card again before it gives up."""
DEVELOPMENT_PERSON_KEY: Final = b"cardflow development person key: never in production"
"""The key person references are made with when none is given: fine for tests and the
demo; a deployment gives its own (``CARDFLOW_PERSON_KEY_FILE``)."""


@dataclass(frozen=True, slots=True)
class RefusalBound:
    """How many refusal notes one key may add to one card within ``window``: past
    ``most``, its refused attempts there are still answered, and not written until
    the oldest note of the window is ``window`` old. ``most`` ``None`` notes every one."""

    most: int | None = 10
    window: timedelta = timedelta(hours=1)


DEFAULT_REFUSAL_BOUND: Final = RefusalBound()


def utc_now() -> datetime:
    return datetime.now(UTC)


def random_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class Ports:
    """The use cases' one argument; time and ids are injected so tests can fix them."""

    ledger: Ledger
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = random_id
    policy: Policy = DEFAULT_POLICY
    person_key: bytes = DEVELOPMENT_PERSON_KEY
    refusal_bound: RefusalBound = DEFAULT_REFUSAL_BOUND

    def person_ref(self, id_number: str) -> str:
        """How the ledger names the holder of ``id_number``: a keyed hash, the same for
        every card the person holds, that no one without the key can turn back."""
        return hmac.new(self.person_key, id_number.encode(), hashlib.sha256).hexdigest()

    def subject_of(self, id_number: str) -> str:
        """The reference of the person with ``id_number`` as a clerk types it: checked
        and written the one way first, so every spelling names the same person."""
        identity = parse_identity_number(id_number, today=china_date(self.clock()))
        return self.person_ref(identity.number)
