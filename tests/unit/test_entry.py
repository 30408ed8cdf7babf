"""The canonical encoding ``cardflow.entry/1`` and the hash over it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.entry import GENESIS_HASH, Draft, Entry, canonical, format_timestamp

DRAFT = Draft(
    card_id="c-1",
    version=1,
    kind="transition",
    event="apply",
    from_state=None,
    to_state="applied",
    channel="card_center",
    actor="clerk-1",
    role="clerk",
    presenter="self",
    subject="p-1",
    occurred_at=datetime(2026, 3, 1, 16, 0, 0, 5, tzinfo=timezone(timedelta(hours=8))),
    evidence={"photo": True, "production_batch": "批次-1"},
    definition_version="1+abc",
)
RECORDED = datetime(2026, 3, 2, 9, 30, 1, 123456, tzinfo=UTC)

# Written out by hand from the rules in ledger/entry.py's docstring: keys sorted, no
# spaces, UTF-8 as itself, timestamps in UTC with six fractional digits and Z.
EXPECTED = (
    '{"actor":"clerk-1","card_id":"c-1","channel":"card_center",'
    '"definition_version":"1+abc","event":"apply",'
    '"evidence":{"photo":true,"production_batch":"批次-1"},'
    '"format":"cardflow.entry/1","from_state":null,"idempotency_key":null,'
    '"kind":"transition","occurred_at":"2026-03-01T08:00:00.000005Z",'
    '"presenter":"self","prev_hash":"' + GENESIS_HASH + '",'
    '"recorded_at":"2026-03-02T09:30:01.123456Z","role":"clerk","seq":1,'
    '"subject":"p-1","to_state":"applied","version":1}'
).encode("utf-8")


@pytest.fixture
def entry() -> Entry:
    return Entry.seal(DRAFT, seq=1, recorded_at=RECORDED, prev_hash=GENESIS_HASH)


class TestEncoding:
    """The bytes are exactly what the specification says."""

    def test_known_answer(self, entry):
        assert entry.encode() == EXPECTED
        assert entry.hash == hashlib.sha256(EXPECTED).hexdigest()

    def test_pinned_hash(self, entry):
        """A change to the encoding must be a new format, never a silent one."""
        assert entry.hash == "e914c6da9b0ebb816b692f04cb7fe5d8ce285c8c1533b893192e1a172391e349"

    def test_timestamp_format(self):
        moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert format_timestamp(moment) == "2026-01-02T03:04:05.000000Z"

    def test_naive_times_are_refused(self):
        with pytest.raises(ValueError, match="time zone"):
            Entry.seal(DRAFT, seq=1, recorded_at=datetime(2026, 1, 1), prev_hash=GENESIS_HASH)

    def test_floats_have_no_encoding(self):
        with pytest.raises(TypeError, match="float"):
            canonical({"evidence": {"amount": 1.5}})


class TestHash:
    """Any change to any field changes the hash."""

    @given(
        field=st.sampled_from(["card_id", "event", "channel", "actor", "subject", "to_state"]),
        value=st.text(min_size=1, max_size=20),
    )
    def test_text_fields(self, field, value):
        original = Entry.seal(DRAFT, seq=1, recorded_at=RECORDED, prev_hash=GENESIS_HASH)
        altered = replace(original, **{field: value})
        assert (altered.computed_hash() == original.hash) == (value == getattr(original, field))

    @given(seq=st.integers(min_value=2, max_value=2**40))
    def test_sequence_number(self, seq):
        original = Entry.seal(DRAFT, seq=1, recorded_at=RECORDED, prev_hash=GENESIS_HASH)
        assert replace(original, seq=seq).computed_hash() != original.hash

    def test_evidence_and_link(self, entry):
        assert replace(entry, evidence={"photo": False}).computed_hash() != entry.hash
        assert replace(entry, prev_hash="1" * 64).computed_hash() != entry.hash
        assert replace(entry, recorded_at=RECORDED + timedelta(microseconds=1)).computed_hash() != (
            entry.hash
        )
