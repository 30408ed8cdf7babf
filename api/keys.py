"""API keys: each one a principal with a role, the channels it may act through and the
reads it was made with (``api.access``).

A key is shown once, when it is made (``cf_<key id>_<secret>``); cardflow keeps only
the SHA-256 of the secret, so a stolen database yields no usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final, Protocol

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


class SqlKeys:
    """Keys in the ledger's database, beside (never inside) the ledger: their table is
    the ledger schema's, made by ``SqlLedger.create_schema`` with the rest."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._clock = clock

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
        if row is None:
            raise UnknownKey(key_id)
        return _key(row)

    def authenticate(self, token: str) -> ApiKey | None:
        parts = _split(token)
        if parts is None:
            return None
        with self._engine.connect() as conn:
            row = conn.execute(select(keys_table).where(keys_table.c.key_id == parts[0])).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_sha256, _digest(parts[1])):
            return None
        return _key(row)


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
