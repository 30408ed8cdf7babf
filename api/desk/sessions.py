"""The desk's sessions: a browser signed in with a supervisor's or an admin's key.

Signing in trades the key for a random session token, set as an HttpOnly cookie; the
table ``desk_sessions`` keeps only the token's SHA-256, the key's id and two times, so a
copy of the database opens no session. A session ends when it has been idle for
``idle``, when it is ``absolute`` old, at sign-out, or when its key is revoked (the key is
read again on every page, never remembered). One key holds at most ``MOST_PER_KEY``
sessions; signing in once more ends its oldest.

Each session has a CSRF token, derived from the session token (so it needs no storage
of its own and dies with it); every form that posts carries it, and a post without the
right one is refused. A session only reads: nothing it can post writes to the ledger.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Final, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine

from api.keys import ApiKey, Keys
from ledger.sql import desk_sessions_table
from workflow.states import Role

DEFAULT_IDLE: Final = timedelta(minutes=15)
DEFAULT_ABSOLUTE: Final = timedelta(hours=8)
MOST_PER_KEY: Final = 20
"""How many browsers one key may hold open at once."""
TOUCH_EVERY: Final = timedelta(seconds=30)
"""How stale ``seen_at`` may get before a page writes it again (a write per page view
would be a write per click)."""
DESK_ROLES: Final = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""The roles that may sign in: those that audit. A clerk's or a system's key may not."""


def _now() -> datetime:
    return datetime.now(UTC)


def digest(token: str) -> str:
    """What the table keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_of(token: str) -> str:
    """The CSRF token of the session ``token`` opens: a keyed hash of it, which the
    session's cookie (HttpOnly, SameSite=Strict) holds and another site's page cannot."""
    return hmac.new(token.encode(), b"cardflow desk csrf", hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Row:
    """A session as the table keeps it."""

    token_sha256: str
    key_id: str
    csrf_sha256: str
    created_at: datetime
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: the key it acts as, and the token its cookie carries."""

    key: ApiKey
    token: str
    created_at: datetime
    seen_at: datetime

    @property
    def csrf(self) -> str:
        return csrf_of(self.token)

    def takes(self, offered: str | None) -> bool:
        """Whether a form's ``offered`` CSRF token is this session's."""
        return offered is not None and hmac.compare_digest(offered, self.csrf)


class Ended(Enum):
    """Why a cookie opens no session."""

    UNKNOWN = "unknown"
    """No session has this token: never signed in, signed out, or ended long ago."""
    EXPIRED = "expired"
    """The session was idle too long, or is too old."""
    KEY_GONE = "key gone"
    """The key the session acted as was revoked, or may no longer sign in."""


class Store(Protocol):
    """Where sessions are kept: the table, or a dict."""

    def insert(self, row: Row) -> None: ...

    def get(self, token_sha256: str) -> Row | None: ...

    def touch(self, token_sha256: str, seen_at: datetime) -> None: ...

    def remove(self, token_sha256: str) -> None: ...

    def prune(self, idle_before: datetime, created_before: datetime) -> None:
        """Forget every session idle since ``idle_before`` or made before
        ``created_before``."""
        ...

    def keep_newest(self, key_id: str, most: int) -> None:
        """Forget all but ``key_id``'s ``most`` newest sessions."""
        ...


class MemoryStore:
    """Sessions in a dict, for tests and the in-memory app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, Row] = {}

    def insert(self, row: Row) -> None:
        with self._lock:
            self._rows[row.token_sha256] = row

    def get(self, token_sha256: str) -> Row | None:
        return self._rows.get(token_sha256)

    def touch(self, token_sha256: str, seen_at: datetime) -> None:
        with self._lock:
            row = self._rows.get(token_sha256)
            if row is not None:
                self._rows[token_sha256] = replace(row, seen_at=seen_at)

    def remove(self, token_sha256: str) -> None:
        with self._lock:
            self._rows.pop(token_sha256, None)

    def prune(self, idle_before: datetime, created_before: datetime) -> None:
        with self._lock:
            self._rows = {
                token: row
                for token, row in self._rows.items()
                if row.seen_at >= idle_before and row.created_at >= created_before
            }

    def keep_newest(self, key_id: str, most: int) -> None:
        with self._lock:
            held = sorted(
                (row for row in self._rows.values() if row.key_id == key_id),
                key=lambda row: row.created_at,
                reverse=True,
            )
            for row in held[most:]:
                del self._rows[row.token_sha256]


class SqlStore:
    """Sessions in the ledger database's ``desk_sessions`` table (migration 0002)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def insert(self, row: Row) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                desk_sessions_table.insert().values(
                    token_sha256=row.token_sha256,
                    key_id=row.key_id,
                    csrf_sha256=row.csrf_sha256,
                    created_at=row.created_at,
                    seen_at=row.seen_at,
                )
            )

    def get(self, token_sha256: str) -> Row | None:
        table = desk_sessions_table
        with self._engine.connect() as conn:
            found = conn.execute(select(table).where(table.c.token_sha256 == token_sha256))
            row = found.first()
        if row is None:
            return None
        return Row(row.token_sha256, row.key_id, row.csrf_sha256, row.created_at, row.seen_at)

    def touch(self, token_sha256: str, seen_at: datetime) -> None:
        table = desk_sessions_table
        with self._engine.begin() as conn:
            conn.execute(
                update(table).where(table.c.token_sha256 == token_sha256).values(seen_at=seen_at)
            )

    def remove(self, token_sha256: str) -> None:
        table = desk_sessions_table
        with self._engine.begin() as conn:
            conn.execute(delete(table).where(table.c.token_sha256 == token_sha256))

    def prune(self, idle_before: datetime, created_before: datetime) -> None:
        table = desk_sessions_table
        with self._engine.begin() as conn:
            conn.execute(
                delete(table).where(
                    (table.c.seen_at < idle_before) | (table.c.created_at < created_before)
                )
            )

    def keep_newest(self, key_id: str, most: int) -> None:
        table = desk_sessions_table
        with self._engine.begin() as conn:
            held = conn.execute(
                select(func.count()).select_from(table).where(table.c.key_id == key_id)
            ).scalar_one()
            if held <= most:
                return
            newest = (
                select(table.c.token_sha256)
                .where(table.c.key_id == key_id)
                .order_by(table.c.created_at.desc(), table.c.token_sha256)
                .limit(most)
            )
            conn.execute(
                delete(table).where(
                    table.c.key_id == key_id, table.c.token_sha256.not_in(newest.scalar_subquery())
                )
            )


class Sessions:
    """Open, resume and end sessions over ``store``, their keys read from ``keys``."""

    def __init__(
        self,
        store: Store,
        keys: Keys,
        idle: timedelta = DEFAULT_IDLE,
        absolute: timedelta = DEFAULT_ABSOLUTE,
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if not (timedelta(0) < idle <= absolute):
            raise ValueError("a session's idle expiry is above 0 and at most its absolute one")
        self._store = store
        self._keys = keys
        self.idle = idle
        self.absolute = absolute
        self._clock = clock
        self._touch_every = min(TOUCH_EVERY, idle / 10)

    def open(self, key: ApiKey) -> Session:
        """A new session for ``key`` (which must be one that may sign in), its oldest
        beyond ``MOST_PER_KEY`` ended, and every expired session forgotten."""
        if key.role not in DESK_ROLES:
            raise ValueError(f"a {key.role} key may not sign in to the desk")
        now = self._clock()
        token = secrets.token_urlsafe(32)
        self._store.prune(now - self.idle, now - self.absolute)
        self._store.insert(Row(digest(token), key.key_id, digest(csrf_of(token)), now, now))
        self._store.keep_newest(key.key_id, MOST_PER_KEY)
        return Session(key, token, now, now)

    def resume(self, token: str | None) -> Session | Ended:
        """The live session ``token`` opens, its last use recorded; or why there is none
        (an expired one, or one whose key is gone, is ended here)."""
        if not token or len(token) > 128:
            return Ended.UNKNOWN
        row = self._store.get(digest(token))
        if row is None or not hmac.compare_digest(row.csrf_sha256, digest(csrf_of(token))):
            return Ended.UNKNOWN
        now = self._clock()
        if now - row.seen_at >= self.idle or now - row.created_at >= self.absolute:
            self._store.remove(row.token_sha256)
            return Ended.EXPIRED
        key = self._keys.find(row.key_id)
        if key is None or key.role not in DESK_ROLES:
            self._store.remove(row.token_sha256)
            return Ended.KEY_GONE
        if now - row.seen_at >= self._touch_every:
            self._store.touch(row.token_sha256, now)
        return Session(key, token, row.created_at, now)

    def close(self, token: str) -> None:
        """End the session ``token`` opens (signing out); nothing if there is none."""
        self._store.remove(digest(token))
