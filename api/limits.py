"""How much one API key may ask of cardflow: a token bucket per key, per kind of request.

Two kinds are counted. **Writes** (every method but ``GET``, ``HEAD`` and ``OPTIONS``)
and **expensive reads** -- the search, the feed, the proofs, a history with proofs and
the ledger's check -- each draw one token from the key's bucket of that kind; a bucket
holds ``burst`` tokens and refills at ``per_minute``. An empty bucket refuses the request
with 429 and ``Retry-After``, before any work is done. Cheap reads (a card, a history
without proofs, the workflow, the key, the checkpoint) are not counted.

The buckets live in the process: with ``serve --workers N`` each worker keeps its own,
so a key may make up to N times the rate across them. A limit kept in the database
would be exact, at the cost of a write on every request, reads included; this bound is
meant to stop a runaway or hostile caller, which N times a sensible rate still does.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from api.errors import RateLimited


class Kind(StrEnum):
    """What a request is counted as."""

    WRITE = "write"
    EXPENSIVE = "expensive"


@dataclass(frozen=True, slots=True)
class Rate:
    """A bucket of ``burst`` requests, refilled at ``per_minute`` requests a minute."""

    per_minute: float
    burst: int

    def __post_init__(self) -> None:
        if not (self.per_minute > 0 and self.burst >= 1):
            raise ValueError("a rate refills above 0 a minute into a bucket of at least 1")


DEFAULT_RATES: Final[Mapping[Kind, Rate | None]] = {
    Kind.WRITE: Rate(per_minute=1200, burst=300),
    Kind.EXPENSIVE: Rate(per_minute=120, burst=30),
}
"""A counter system's day stays well inside these; a loop gone wrong does not."""

_EXPENSIVE_ROUTES: Final = frozenset(
    {
        "/v1/cards",
        "/v1/ledger/entries",
        "/v1/ledger/entries/{seq}/proof",
        "/v1/ledger/consistency",
        "/v1/ledger/verify",
    }
)
_HISTORY: Final = "/v1/cards/{card_id}/history"
_READS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def kind_of(method: str, route: str, query: Mapping[str, str]) -> Kind | None:
    """What a request to the route template ``route`` counts as, if anything."""
    if method.upper() not in _READS:
        return Kind.WRITE
    if route in _EXPENSIVE_ROUTES:
        return Kind.EXPENSIVE
    if route == _HISTORY and query.get("proofs", "").lower() in {"true", "1", "yes", "on"}:
        return Kind.EXPENSIVE
    return None


class Limiter:
    """The buckets of every key seen, by key id and kind, behind one lock."""

    def __init__(
        self,
        rates: Mapping[Kind, Rate | None] = DEFAULT_RATES,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rates = dict(rates)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, Kind], tuple[float, float]] = {}  # tokens, when

    def take(self, key_id: str, kind: Kind) -> None:
        """Draw one token from ``key_id``'s ``kind`` bucket, or raise ``RateLimited``
        saying in how many whole seconds the next one is there."""
        rate = self._rates.get(kind)
        if rate is None:
            return
        per_second = rate.per_minute / 60
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get((key_id, kind), (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + (now - then) * per_second)
            if tokens < 1:
                self._buckets[key_id, kind] = (tokens, now)
                wait = max(1, math.ceil((1 - tokens) / per_second))
                raise RateLimited(kind, wait, rate.per_minute)
            self._buckets[key_id, kind] = (tokens - 1, now)
