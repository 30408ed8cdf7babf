"""The desk's sessions on each store: the table on SQLite and PostgreSQL, and the dict.

Only digests are kept, a session ends idle or old or with its key, one key holds a bounded
number, and what ended is forgotten.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.desk.sessions import (
    MOST_PER_KEY,
    Ended,
    MemoryStore,
    Session,
    Sessions,
    SqlStore,
    csrf_of,
    digest,
)
from api.keys import MemoryKeys, SqlKeys
from ledger.sql import SqlLedger, desk_sessions_table
from workflow.states import Role

IDLE = timedelta(minutes=15)
ABSOLUTE = timedelta(hours=8)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request, clock):
    """A store and the keys beside it, on each backend."""
    if request.param == "memory":
        yield MemoryStore(), MemoryKeys(clock=clock), None
        return
    ledger = SqlLedger(request.getfixturevalue(f"{request.param}_url"), clock=clock)
    ledger.create_schema()
    yield SqlStore(ledger.engine), SqlKeys(ledger.engine, clock=clock), ledger.engine
    ledger.dispose()


@pytest.fixture
def sessions(stores, clock) -> Sessions:
    store, keys, _ = stores
    return Sessions(store, keys, IDLE, ABSOLUTE, clock=clock)


@pytest.fixture
def key(stores):
    return stores[1].create("a supervisor", Role.SUPERVISOR)[0]


def test_a_session_resumes_with_its_key(sessions, key, clock):
    opened = sessions.open(key)
    clock.advance(minutes=5)
    resumed = sessions.resume(opened.token)
    assert isinstance(resumed, Session)
    assert (resumed.key, resumed.created_at) == (key, opened.created_at)
    assert resumed.takes(opened.csrf)
    assert not resumed.takes("0" * 64)
    assert not resumed.takes(None)


@pytest.mark.parametrize(
    "stores", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_the_table_keeps_digests_never_the_token(stores, sessions, key):
    _, _, engine = stores
    opened = sessions.open(key)
    with engine.connect() as conn:
        (row,) = conn.execute(select(desk_sessions_table)).all()
    assert row.token_sha256 == digest(opened.token)
    assert row.csrf_sha256 == digest(csrf_of(opened.token))
    assert opened.token not in tuple(str(value) for value in row)
    assert opened.csrf not in tuple(str(value) for value in row)


@pytest.mark.parametrize("token", [None, "", "made-up", "x" * 500])
def test_a_token_no_session_has_opens_none(sessions, token):
    assert sessions.resume(token) is Ended.UNKNOWN


def test_idle_too_long_ends_it_and_use_keeps_it(sessions, key, clock):
    opened = sessions.open(key)
    for _ in range(5):
        clock.advance(minutes=14)
        assert isinstance(sessions.resume(opened.token), Session)
    clock.advance(minutes=15)
    assert sessions.resume(opened.token) is Ended.EXPIRED
    assert sessions.resume(opened.token) is Ended.UNKNOWN  # and it is gone


def test_too_old_ends_it_however_busy(sessions, key, clock):
    opened = sessions.open(key)
    for _ in range(47):
        clock.advance(minutes=10)
        assert isinstance(sessions.resume(opened.token), Session)
    clock.advance(minutes=10)
    assert sessions.resume(opened.token) is Ended.EXPIRED


def test_a_revoked_key_ends_its_sessions(stores, sessions, key):
    opened = sessions.open(key)
    stores[1].revoke(key.key_id)
    assert sessions.resume(opened.token) is Ended.KEY_GONE
    assert sessions.resume(opened.token) is Ended.UNKNOWN


def test_closing_ends_it(sessions, key):
    opened = sessions.open(key)
    sessions.close(opened.token)
    assert sessions.resume(opened.token) is Ended.UNKNOWN


@pytest.mark.parametrize("role", [Role.CLERK, Role.SYSTEM])
def test_a_key_that_acts_opens_no_session(stores, sessions, role):
    clerk, _ = stores[1].create("a counter", role)
    with pytest.raises(ValueError, match="may not sign in"):
        sessions.open(clerk)


def test_one_key_holds_at_most_its_share(sessions, key, clock):
    tokens = []
    for _ in range(MOST_PER_KEY + 3):
        tokens.append(sessions.open(key).token)
        clock.advance(seconds=1)
    live = [t for t in tokens if isinstance(sessions.resume(t), Session)]
    assert live == tokens[-MOST_PER_KEY:]


def test_ended_sessions_are_forgotten_when_the_next_opens(stores, sessions, key, clock):
    _, _, engine = stores
    for _ in range(3):
        sessions.open(key)
    clock.advance(hours=9)
    sessions.open(key)
    if engine is not None:
        with engine.connect() as conn:
            assert len(conn.execute(select(desk_sessions_table)).all()) == 1


def test_expiry_must_make_sense(stores):
    store, keys, _ = stores
    with pytest.raises(ValueError, match="idle expiry"):
        Sessions(store, keys, timedelta(hours=9), ABSOLUTE)
    with pytest.raises(ValueError, match="idle expiry"):
        Sessions(store, keys, timedelta(0), ABSOLUTE)
