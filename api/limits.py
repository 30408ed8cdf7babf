"""How much one API key may ask of cardflow: a token bucket per key, per kind of request.

A caller without a key (the published checkpoint, keys and proofs ask for none) is
counted the same way by its client address: an IPv4 address, or the /64 network an IPv6
address is in (one host is usually given a whole /64, so counting single addresses
would let it draw from millions of buckets).

Two kinds are counted. **Writes** (every method but ``GET``, ``HEAD`` and ``OPTIONS``)
and **expensive reads** -- the search, the feed, the proofs, a history with proofs and
the ledger's check -- each draw one token from the caller's bucket of that kind; a bucket
holds ``burst`` tokens and refills at ``per_minute``. An empty bucket refuses the request
with 429 and ``Retry-After``, before any work is done. Cheap reads (a card, a history
without proofs, the workflow, the key, the checkpoint) are not counted.

The buckets live in the process: with ``serve --workers N`` each worker keeps its own,
so a key may make up to N times the rate across them. A limit kept in the database
would be exact, at the cost of a write on every request, reads included; this bound is
meant to stop a runaway or hostile caller, which N times a sensible rate still does.
"""

from __future__ import annotations

import ipaddress
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
_IPV6_NETWORK: Final = 64
MAX_BUCKETS: Final = 100_000
"""How many callers' buckets are kept before the full ones (those of callers idle long
enough to have refilled: the same as no bucket at all) are dropped."""
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


def client_bucket(host: str | None) -> str:
    """The bucket a caller without a key draws from: its IPv4 address, the /64 network of
    its IPv6 address, or one shared bucket when the address is unknown. Never a key id:
    those hold no space."""
    if host is None:
        return "client unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"client {host}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"client {address.ipv4_mapped}"
        return f"client {ipaddress.IPv6Network((address, _IPV6_NETWORK), strict=False)}"
    return f"client {address}"


class Limiter:
    """The buckets of every caller seen, by key id (or client address) and kind, behind
    one lock."""

    def __init__(
        self,
        rates: Mapping[Kind, Rate | None] = DEFAULT_RATES,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self._rates = dict(rates)
        self._clock = clock
        self._prune_at = self._max_buckets = max_buckets
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, Kind], tuple[float, float]] = {}  # tokens, when

    def take(self, key_id: str, kind: Kind, *, who: str = "this key") -> None:
        """Draw one token from ``key_id``'s ``kind`` bucket, or raise ``RateLimited``
        saying in how many whole seconds the next one is there (``who`` is the caller, as
        the refusal names it)."""
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
                raise RateLimited(kind, wait, rate.per_minute, who=who)
            self._buckets[key_id, kind] = (tokens - 1, now)
            if len(self._buckets) > self._prune_at:
                self._drop_full(now)
                self._prune_at = max(self._max_buckets, 2 * len(self._buckets))

    def __len__(self) -> int:
        """How many buckets are kept."""
        return len(self._buckets)

    def _drop_full(self, now: float) -> None:
        """Forget every bucket refilled to its burst by now: drawing from it again starts
        from the same full bucket. Run when the buckets pass a mark that then doubles past
        those left, so the scans cost O(1) a request however many callers are busy."""
        for (key_id, kind), (tokens, then) in list(self._buckets.items()):
            rate = self._rates.get(kind)
            if rate is None or tokens + (now - then) * rate.per_minute / 60 >= rate.burst:
                del self._buckets[key_id, kind]
