"""API keys on every store: made, checked, revoked; only a hash of the secret is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from api.access import Capability, default_reads
from api.keys import MemoryKeys, ReadNotGrantable, SqlKeys, UnknownKey
from ledger.sql import SqlLedger, keys_table
from workflow.states import Channel, Role


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def keys(request, clock):
    if request.param == "memory":
        yield MemoryKeys(clock=clock)
        return
    ledger = SqlLedger(request.getfixturevalue(f"{request.param}_url"))
    ledger.create_schema()
    yield SqlKeys(ledger.engine, clock=clock)
    ledger.dispose()


class TestKeys:
    """A key is a principal: a name, a role and the channels it may use."""

    def test_create_and_authenticate(self, keys):
        key, token = keys.create("pharmacy-0042", Role.CLERK, [Channel.PHARMACY])
        assert token.startswith(f"cf_{key.key_id}_")
        found = keys.authenticate(token)
        assert found == key
        assert found.actor.name == f"pharmacy-0042#{key.key_id}"
        assert found.actor.permitted() == frozenset({Channel.PHARMACY})

    def test_every_channel_the_role_allows_by_default(self, keys):
        key, token = keys.create("counter", Role.CLERK)
        assert keys.authenticate(token).channels is None
        assert Channel.SYSTEM not in key.actor.permitted()

    @pytest.mark.parametrize("mangle", [lambda t: t[:-1] + "x", lambda t: t + "x", str.upper])
    def test_a_wrong_secret(self, keys, mangle):
        _, token = keys.create("counter", Role.CLERK)
        assert keys.authenticate(mangle(token)) is None

    def test_revoke(self, keys, clock):
        key, token = keys.create("counter", Role.CLERK)
        revoked = keys.revoke(key.key_id)
        assert revoked.revoked_at == clock.now
        assert keys.authenticate(token) is None
        assert [k.revoked_at for k in keys.list()] == [clock.now]

    def test_revoke_an_unknown_key(self, keys):
        with pytest.raises(UnknownKey):
            keys.revoke("nope")

    def test_a_key_needs_a_name(self, keys):
        with pytest.raises(ValueError, match="name"):
            keys.create("  ", Role.CLERK)


class TestStorage:
    """The database never holds a usable token."""

    def test_only_a_hash_of_the_secret(self, tmp_path: Path, clock):
        path = tmp_path / "keys.db"
        ledger = SqlLedger(f"sqlite:///{path}")
        ledger.create_schema()
        _, token = SqlKeys(ledger.engine, clock=clock).create("counter", Role.CLERK)
        ledger.dispose()
        secret = token.rsplit("_", 1)[1]
        stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert secret.encode() not in stored


class TestReads:
    """A key's reads are recorded with it when it is made, within what its role may hold."""

    @pytest.mark.parametrize("role", list(Role))
    def test_the_role_s_reads_by_default(self, keys, role):
        key, token = keys.create("holder", role)
        assert key.reads == default_reads(role)
        assert keys.authenticate(token).reads == key.reads
        assert [k.reads for k in keys.list()] == [key.reads]

    def test_a_system_key_follows_the_ledger_only_if_made_to(self, keys):
        sweeper, _ = keys.create("sweeper", Role.SYSTEM)
        assert Capability.FEED not in sweeper.reads
        _, token = keys.create(
            "bank-mirror", Role.SYSTEM, reads=[Capability.FEED, Capability.HISTORY]
        )
        assert keys.authenticate(token).reads == {Capability.FEED, Capability.HISTORY}

    def test_the_published_reads_are_no_scope(self, keys: MemoryKeys | SqlKeys) -> None:
        """The checkpoint, the log's keys and the proofs need no key, so no key holds them."""
        with pytest.raises(ReadNotGrantable, match="--read proofs is not a scope"):
            keys.create("bank-mirror", Role.SYSTEM, reads=[Capability.FEED, Capability.PROOFS])
        assert keys.list() == []

    def test_a_key_made_when_proofs_were_a_scope_still_reads(
        self, keys: MemoryKeys | SqlKeys
    ) -> None:
        """A key stored with the ``proofs`` scope loads with the scopes that still are."""
        if not isinstance(keys, SqlKeys):
            pytest.skip("only a stored key has a row to have been made earlier")
        key, token = keys.create("bank-mirror", Role.SYSTEM, reads=[Capability.FEED])
        with keys._engine.begin() as conn:
            conn.execute(
                update(keys_table)
                .where(keys_table.c.key_id == key.key_id)
                .values(reads="feed,proofs")
            )
        assert keys.authenticate(token).reads == {Capability.FEED}

    def test_a_supervisor_key_narrowed(self, keys):
        _, token = keys.create("mirror", Role.SUPERVISOR, reads=[Capability.FEED])
        loaded = keys.authenticate(token)
        assert loaded is not None
        assert loaded.reads == {Capability.FEED}

    @pytest.mark.parametrize(
        ("role", "read"),
        [
            (Role.CLERK, Capability.HISTORY),
            (Role.CLERK, Capability.FEED),
            (Role.SYSTEM, Capability.VERIFY),
            (Role.SYSTEM, Capability.SEARCH),
            (Role.ADMIN, Capability.ACT),
        ],
    )
    def test_a_read_the_role_may_not_hold_makes_no_key(self, keys, role, read):
        with pytest.raises(ReadNotGrantable, match=f"may not be made with --read {read}"):
            keys.create("greedy", role, reads=[read])
        assert keys.list() == []
