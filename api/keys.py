"""API keys: each one a principal with a role, the channels it may act through and the
reads it was made with (``api.access``).

A key is shown once, when it is made (``cf_<key id>_<secret>``); cardflow keeps only
the SHA-256 of the secret, so a stolen database yields no usable key.

A server asks for the key behind every request, so ``SqlKeys`` remembers each live key
it read for ``KEY_CACHE_SECONDS``: a revocation made through the same ``SqlKeys`` takes
effect at once, one made elsewhere (``cardflow keys revoke``, another worker) within that
bound. Only a row the database returned is remembered, with the digest it holds, so the
cache can only forget a key or refuse one; it never admits a key the database does not
hold.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final, Literal, Protocol

from sqlalchemy import Row, select, update
from sqlalchemy.engine import Engine

from api.access import READS as READS
from api.access import Capability as Capability
from api.access import reads_for
from api.errors import ReadNotGrantable as ReadNotGrantable
from api.errors import UnknownKey as UnknownKey
from ledger.sql import keys_table
from workflow.service import Actor
from workflow.states import Channel, Role

TOKEN_PREFIX: Final = "cf_"  # noqa: S105 -- the visible prefix of every token, no secret
KEY_CACHE_SECONDS: Final = 1.0
"""How long a server goes on admitting a key revoked by another process, at most."""
MAX_CACHED_KEYS: Final = 10_000
"""How many live keys one ``SqlKeys`` remembers; past it, the oldest are read again."""


class Unsure(Enum):
    """What a lookup that may not block answers when only the database can say."""

    ASK_THE_DATABASE = "ask the database"


ASK_THE_DATABASE: Final = Unsure.ASK_THE_DATABASE


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A principal as the key table records it; never the secret itself."""

    key_id: str
    name: str
    role: Role
    channels: frozenset[Channel] | None
    created_at: datetime
    revoked_at: datetime | None = None
    reads: frozenset[Capability] = frozenset()
    """The reads the key was made with (``api.access.READS``), recorded with it."""

    @property
    def actor(self) -> Actor:
        """The principal recorded on every entry this key writes."""
        return Actor(f"{self.name}#{self.key_id}", self.role, self.channels)


class Keys(Protocol):
    """Where keys live: made, listed, revoked, and checked on every request."""

    def create(
        self,
        name: str,
        role: Role,
        channels: Iterable[Channel] | None = None,
        reads: Iterable[Capability] | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key and its token, which is never shown again; ``reads`` default to the
        role's (``ReadNotGrantable`` for one the role may not hold)."""
        ...

    def list(self) -> list[ApiKey]: ...

    def revoke(self, key_id: str) -> ApiKey: ...

    def authenticate(self, token: str) -> ApiKey | None:
        """The live key a bearer token belongs to, or ``None``."""
        ...

    def recall(self, token: str) -> ApiKey | Literal[Unsure.ASK_THE_DATABASE] | None:
        """What ``authenticate`` would answer, if that is known without blocking I/O;
        ``ASK_THE_DATABASE`` if not (run ``authenticate`` in a worker thread then)."""
        ...

    def find(self, key_id: str) -> ApiKey | None:
        """The live key ``key_id`` names, read now (the desk re-checks a session's key on
        every page this way), or ``None`` if there is none or it was revoked."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new(
    name: str,
    role: Role,
    channels: Iterable[Channel] | None,
    reads: Iterable[Capability] | None,
    now: datetime,
) -> tuple[ApiKey, str, str]:
    if not name.strip():
        raise ValueError("a key needs a name")
    granted = reads_for(role, reads)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    chosen = None if channels is None else frozenset(channels)
    key = ApiKey(key_id, name.strip(), role, chosen, now, reads=granted)
    return key, f"{TOKEN_PREFIX}{key_id}_{secret}", _digest(secret)


def _split(token: str) -> tuple[str, str] | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    key_id, _, secret = token[len(TOKEN_PREFIX) :].partition("_")
    return (key_id, secret) if key_id and secret else None


class MemoryKeys:
    """Keys in a dict, for tests and fakes."""

    def __init__(self, *, clock: Callable[[], datetime] = _now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[ApiKey, str]] = {}

    def create(
        self,
        name: str,
        role: Role,
        channels: Iterable[Channel] | None = None,
        reads: Iterable[Capability] | None = None,
    ) -> tuple[ApiKey, str]:
        key, token, digest = _new(name, role, channels, reads, self._clock())
        with self._lock:
            self._keys[key.key_id] = (key, digest)
        return key, token

    def list(self) -> list[ApiKey]:
        return sorted((key for key, _ in self._keys.values()), key=lambda k: k.created_at)

    def revoke(self, key_id: str) -> ApiKey:
        with self._lock:
            if key_id not in self._keys:
                raise UnknownKey(key_id)
            key, digest = self._keys[key_id]
            revoked = key if key.revoked_at else replace(key, revoked_at=self._clock())
            self._keys[key_id] = (revoked, digest)
            return revoked

    def authenticate(self, token: str) -> ApiKey | None:
        parts = _split(token)
        found = self._keys.get(parts[0]) if parts else None
        if parts is None or found is None:
            return None
        key, digest = found
        if key.revoked_at or not hmac.compare_digest(digest, _digest(parts[1])):
            return None
        return key

    def recall(self, token: str) -> ApiKey | Literal[Unsure.ASK_THE_DATABASE] | None:
        """Always known: the dict is the store."""
        return self.authenticate(token)

    def find(self, key_id: str) -> ApiKey | None:
        found = self._keys.get(key_id)
        return found[0] if found is not None and found[0].revoked_at is None else None


class SqlKeys:
    """Keys in the ledger's database, beside (never inside) the ledger: their table is
    the ledger schema's, made by ``SqlLedger.create_schema`` with the rest."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = _now,
        cache_seconds: float = KEY_CACHE_SECONDS,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._ticks = ticks
        self._lock = threading.Lock()
        self._live: dict[str, tuple[ApiKey, str, float]] = {}  # key id: key, digest, until
        self._revocations = 0
        self._renewing: set[str] = set()

    def create(
        self,
        name: str,
        role: Role,
        channels: Iterable[Channel] | None = None,
        reads: Iterable[Capability] | None = None,
    ) -> tuple[ApiKey, str]:
        key, token, digest = _new(name, role, channels, reads, self._clock())
        with self._engine.begin() as conn:
            conn.execute(
                keys_table.insert().values(
                    key_id=key.key_id,
                    name=key.name,
                    role=str(key.role),
                    channels=None if key.channels is None else ",".join(sorted(key.channels)),
                    reads=",".join(sorted(key.reads)),
                    secret_sha256=digest,
                    created_at=key.created_at,
                )
            )
        return key, token

    def list(self) -> list[ApiKey]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(keys_table).order_by(keys_table.c.created_at)).all()
        return [_key(row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        with self._engine.begin() as conn:
            conn.execute(
                update(keys_table)
                .where(keys_table.c.key_id == key_id, keys_table.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            row = conn.execute(select(keys_table).where(keys_table.c.key_id == key_id)).first()
        with self._lock:  # a read begun before the commit will not remember the key
            self._revocations += 1
            self._live.pop(key_id, None)
        if row is None:
            raise UnknownKey(key_id)
        return _key(row)

    def authenticate(self, token: str) -> ApiKey | None:
        parts = _split(token)
        if parts is None:
            return None
        until = self._ticks() + self._cache_seconds  # counted from before the read
        revocations = self._revocations
        try:
            with self._engine.connect() as conn:
                query = select(keys_table).where(keys_table.c.key_id == parts[0])
                row = conn.execute(query).first()
        finally:
            with self._lock:
                self._renewing.discard(parts[0])
        if row is None or row.revoked_at is not None:
            return None
        key = _key(row)
        if self._cache_seconds > 0:
            self._remember(key, row.secret_sha256, until, revocations)
        if not hmac.compare_digest(row.secret_sha256, _digest(parts[1])):
            return None
        return key

    def recall(self, token: str) -> ApiKey | Literal[Unsure.ASK_THE_DATABASE] | None:
        """The key as read from the database less than ``cache_seconds`` ago, checked
        against the digest that read returned (a key's secret never changes); a token
        that cannot be a key is refused without asking."""
        parts = _split(token)
        if parts is None:
            return None
        with self._lock:
            remembered = self._live.get(parts[0])
        if remembered is None or self._ticks() >= remembered[2]:
            return ASK_THE_DATABASE
        key, digest, _ = remembered
        return key if hmac.compare_digest(digest, _digest(parts[1])) else None

    def find(self, key_id: str) -> ApiKey | None:
        """Read from the database, never from the cache: a revocation made anywhere ends
        a desk session at its next page."""
        with self._engine.connect() as conn:
            row = conn.execute(select(keys_table).where(keys_table.c.key_id == key_id)).first()
        return None if row is None or row.revoked_at is not None else _key(row)

    def _remember(self, key: ApiKey, digest: str, until: float, revocations: int) -> None:
        with self._lock:
            if revocations != self._revocations:
                return
            if len(self._live) >= MAX_CACHED_KEYS and key.key_id not in self._live:
                now = self._ticks()
                self._live = {k: v for k, v in self._live.items() if v[2] > now}
                while len(self._live) >= MAX_CACHED_KEYS:
                    del self._live[next(iter(self._live))]
            self._live[key.key_id] = (key, digest, until)


def _key(row: Row[Any]) -> ApiKey:
    channels = row.channels
    return ApiKey(
        key_id=row.key_id,
        name=row.name,
        role=Role(row.role),
        channels=None if channels is None else frozenset(Channel(c) for c in channels.split(",")),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        reads=frozenset(Capability(c) for c in row.reads.split(",") if c) & frozenset(READS),
    )
