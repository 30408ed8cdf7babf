"""The canonical encoding ``cardflow.entry/2`` and the hash over it.

The expected bytes and digests below were written out from the rules in
``ledger/entry.py``'s docstring, not taken from the code: they pin the specification,
so any change to the encoding shows up here as a new format, never a silent one.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import get_args, get_type_hints

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.ledger.schemas import EntryOut
from ledger.entry import (
    ENCODING,
    GENESIS_HASH,
    SEALED,
    TRANSITION,
    Draft,
    Entry,
    canonical,
    encode_entry,
    format_timestamp,
    utc,
)
from ledger.sql.codec import entry_of, entry_row
from ledger.sql.schema import entries_table, heads_table
from ledger.store import Head

BEIJING = timezone(timedelta(hours=8))

OPENING = Draft(
    card_id="c-0001",
    version=1,
    kind="transition",
    event="apply",
    from_state=None,
    to_state="applied",
    channel="card_center",
    actor="clerk-7",
    role="clerk",
    presenter="self",
    subject="p-0001",
    occurred_at=datetime(2026, 3, 1, 16, 0, 0, 5, tzinfo=BEIJING),
    evidence={
        "registration_form": True,
        "identity_document": "resident_id_card",
        "photo": True,
        "applicant_signature": True,
    },
    definition_version="1+abc",
    region="440300",
    policy="440300/2026-1+0123456789ab",
    due_at=datetime(2026, 12, 27, 8, 0, tzinfo=BEIJING),
    exclusive=True,
)
OPENING_RECORDED = datetime(2026, 3, 2, 9, 30, 1, 123456, tzinfo=UTC)
OPENING_BYTES = (
    b'{"actor":"clerk-7","batch_id":null,"card_id":"c-0001",'
    b'"card_prev":"0000000000000000000000000000000000000000000000000000000000000000",'
    b'"channel":"card_center",'
    b'"definition_version":"1+abc","due_at":"2026-12-27T00:00:00.000000Z","event":"apply",'
    b'"evidence":{"applicant_signature":true,"identity_document":"resident_id_card",'
    b'"photo":true,"registration_form":true},"exclusive":true,"fingerprint":null,'
    b'"format":"cardflow.entry/2","from_state":null,"idempotency_key":null,'
    b'"kind":"transition","occurred_at":"2026-03-01T08:00:00.000005Z",'
    b'"policy":"440300/2026-1+0123456789ab","presenter":"self",'
    b'"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    b'"recorded_at":"2026-03-02T09:30:01.123456Z","region":"440300","role":"clerk","seq":1,'
    b'"subject":"p-0001","to_state":"applied","version":1}'
)
OPENING_HASH = "53213f0376ae6015c7dcca5575b2ec2688f0ddd9ac2c43d653aeb135e078405f"

REVIEW = replace(
    OPENING,
    version=2,
    event="review",
    from_state="applied",
    to_state="reviewed",
    occurred_at=datetime(2026, 3, 2, 17, 31, tzinfo=BEIJING),
    evidence={"备注": "材料齐全", "payment_slip": "PS-C0001-2", "information_checked": True},
    due_at=None,
    exclusive=True,
    idempotency_key="key-7",
    batch_id="b-42",
    fingerprint="fp-review-7",
)
REVIEW_RECORDED = datetime(2026, 3, 2, 17, 31, tzinfo=BEIJING)
REVIEW_BYTES = (
    '{"actor":"clerk-7","batch_id":"b-42","card_id":"c-0001",'
    '"card_prev":"' + OPENING_HASH + '","channel":"card_center",'
    '"definition_version":"1+abc","due_at":null,"event":"review",'
    '"evidence":{"information_checked":true,"payment_slip":"PS-C0001-2","备注":"材料齐全"},'
    '"exclusive":true,"fingerprint":"fp-review-7","format":"cardflow.entry/2",'
    '"from_state":"applied",'
    '"idempotency_key":"key-7","kind":"transition","occurred_at":"2026-03-02T09:31:00.000000Z",'
    '"policy":"440300/2026-1+0123456789ab","presenter":"self",'
    '"prev_hash":"' + OPENING_HASH + '",'
    '"recorded_at":"2026-03-02T09:31:00.000000Z","region":"440300","role":"clerk","seq":2,'
    '"subject":"p-0001","to_state":"reviewed","version":2}'
).encode("utf-8")
REVIEW_HASH = "5a07f00331965a4468578c53cf4ea397f503c1128fd1b37759fe0ee29ca8c36f"

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def opening() -> Entry:
    return Entry.seal(OPENING, seq=1, recorded_at=OPENING_RECORDED, prev_hash=GENESIS_HASH)


def review() -> Entry:
    return Entry.seal(
        REVIEW,
        seq=2,
        recorded_at=REVIEW_RECORDED,
        prev_hash=OPENING_HASH,
        card_prev=OPENING_HASH,
    )


def by_the_rules(document: dict[str, object]) -> bytes:
    """The documented rules applied with the standard library alone."""
    return json.dumps(
        {**document, "format": "cardflow.entry/2"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


class TestKnownAnswers:
    """Fixed entries encode to fixed bytes, and hash to fixed digests."""

    def test_the_expected_bytes_follow_the_rules(self):
        document = {
            "seq": 1,
            "card_id": "c-0001",
            "version": 1,
            "kind": "transition",
            "event": "apply",
            "from_state": None,
            "to_state": "applied",
            "channel": "card_center",
            "actor": "clerk-7",
            "role": "clerk",
            "presenter": "self",
            "subject": "p-0001",
            "occurred_at": "2026-03-01T08:00:00.000005Z",
            "recorded_at": "2026-03-02T09:30:01.123456Z",
            "evidence": {
                "registration_form": True,
                "identity_document": "resident_id_card",
                "photo": True,
                "applicant_signature": True,
            },
            "definition_version": "1+abc",
            "region": "440300",
            "policy": "440300/2026-1+0123456789ab",
            "due_at": "2026-12-27T00:00:00.000000Z",
            "exclusive": True,
            "idempotency_key": None,
            "batch_id": None,
            "fingerprint": None,
            "card_prev": "0" * 64,
            "prev_hash": "0" * 64,
        }
        assert by_the_rules(document) == OPENING_BYTES
        assert hashlib.sha256(OPENING_BYTES).hexdigest() == OPENING_HASH
        assert hashlib.sha256(REVIEW_BYTES).hexdigest() == REVIEW_HASH

    def test_an_opening_entry(self):
        entry = opening()
        assert entry.encode() == OPENING_BYTES
        assert entry.hash == OPENING_HASH
        assert entry.computed_hash() == OPENING_HASH

    def test_an_entry_that_follows(self):
        entry = review()
        assert entry.encode() == REVIEW_BYTES
        assert entry.hash == REVIEW_HASH
        assert entry.prev_hash == opening().hash

    def test_the_genesis_hash_is_64_zeros(self):
        assert GENESIS_HASH == "0" * 64


class TestEncodingRules:
    """Keys sorted, no white space, UTF-8 as itself, one timestamp format, a format key."""

    @pytest.mark.parametrize("entry", [opening(), review()], ids=["opening", "review"])
    def test_keys_are_sorted_at_every_level(self, entry):
        objects: list[list[str]] = []

        def keys_in_order(items: list[tuple[str, object]]) -> dict[str, object]:
            objects.append([key for key, _ in items])
            return dict(items)

        json.loads(entry.encode(), object_pairs_hook=keys_in_order)
        assert len(objects) == 2
        assert all(keys == sorted(keys) for keys in objects)

    def test_no_insignificant_white_space(self):
        for encoded in (opening().encode(), review().encode()):
            assert b" " not in encoded
            assert b"\n" not in encoded

    def test_non_ascii_is_written_as_itself_in_utf8(self):
        encoded = review().encode()
        assert "备注".encode() in encoded
        assert "材料齐全".encode() in encoded
        assert b"\\u" not in encoded
        encoded.decode("utf-8")

    def test_every_field_but_the_hash_and_a_format(self):
        document = json.loads(opening().encode())
        names = {field.name for field in fields(Entry)}
        assert set(document) == (names - {"hash"}) | {"format"}
        assert document["format"] == ENCODING == "cardflow.entry/2"

    def test_timestamps(self):
        document = json.loads(review().encode())
        assert TIMESTAMP.fullmatch(document["occurred_at"])
        assert TIMESTAMP.fullmatch(document["recorded_at"])

    @pytest.mark.parametrize(
        ("moment", "written"),
        [
            (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000000Z"),
            (datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC), "2026-01-02T03:04:05.000007Z"),
            (datetime(2026, 1, 1, 7, 0, 0, 999999, tzinfo=BEIJING), "2025-12-31T23:00:00.999999Z"),
            pytest.param(
                datetime(999, 1, 1, 12, tzinfo=UTC), "0999-01-01T12:00:00.000000Z", id="year-999"
            ),
        ],
        ids=["whole-second", "microsecond", "other-zone-across-a-year", "year-999"],
    )
    def test_timestamp_format(self, moment, written):
        assert format_timestamp(moment) == written
        assert TIMESTAMP.fullmatch(written)

    def test_sealing_keeps_times_in_utc(self):
        entry = review()
        assert entry.occurred_at == REVIEW.occurred_at
        assert entry.occurred_at.tzinfo == UTC
        assert entry.recorded_at.tzinfo == UTC

    def test_a_field_named_format_cannot_take_over(self):
        assert json.loads(canonical({"format": "other"}))["format"] == ENCODING


class TestRefusals:
    """What has no single canonical form is refused, never guessed at."""

    def test_a_naive_recorded_at(self):
        with pytest.raises(ValueError, match="time zone"):
            Entry.seal(OPENING, seq=1, recorded_at=datetime(2026, 3, 2), prev_hash=GENESIS_HASH)

    def test_a_naive_occurred_at(self):
        draft = replace(OPENING, occurred_at=datetime(2026, 3, 1, 8))
        with pytest.raises(ValueError, match="time zone"):
            Entry.seal(draft, seq=1, recorded_at=OPENING_RECORDED, prev_hash=GENESIS_HASH)

    def test_a_naive_time_is_not_formatted(self):
        with pytest.raises(ValueError, match="time zone"):
            format_timestamp(datetime(2026, 3, 1, 8))
        with pytest.raises(ValueError, match="time zone"):
            utc(datetime(2026, 3, 1, 8))

    @pytest.mark.parametrize("number", [1.5, 0.0, math.inf, math.nan], ids=str)
    def test_floats_in_evidence(self, number):
        draft = replace(OPENING, evidence={"amount": number})
        with pytest.raises(TypeError, match="float"):
            Entry.seal(draft, seq=1, recorded_at=OPENING_RECORDED, prev_hash=GENESIS_HASH)
        with pytest.raises(TypeError, match="float"):
            canonical({"evidence": {"amount": number}})

    @pytest.mark.parametrize(
        "value", [1, 0, None, {"nested": True}], ids=["one", "zero", "none", "object"]
    )
    def test_evidence_is_strings_and_booleans_only(self, value):
        draft = replace(OPENING, evidence={"photo": value})
        with pytest.raises(TypeError):
            Entry.seal(draft, seq=1, recorded_at=OPENING_RECORDED, prev_hash=GENESIS_HASH)

    def test_other_values_with_no_encoding(self):
        with pytest.raises(TypeError, match="list"):
            canonical({"evidence": {"photos": ["front", "back"]}})
        with pytest.raises(TypeError, match="bytes"):
            canonical({"evidence": {"photo": b"\x89PNG"}})


ALTERATIONS = st.one_of(
    st.tuples(
        st.sampled_from(
            [
                "card_id",
                "kind",
                "event",
                "to_state",
                "channel",
                "actor",
                "role",
                "presenter",
                "subject",
                "definition_version",
            ]
        ),
        st.text(max_size=12),
    ),
    st.tuples(st.sampled_from(["from_state", "idempotency_key"]), st.none() | st.text()),
    st.tuples(st.sampled_from(["seq", "version"]), st.integers(-(2**53), 2**53)),
    st.tuples(st.just("prev_hash"), st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)),
    st.tuples(
        st.sampled_from(["occurred_at", "recorded_at"]),
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ),
    ),
    st.tuples(
        st.just("evidence"),
        st.dictionaries(st.text(max_size=8), st.text(max_size=8) | st.booleans(), max_size=4),
    ),
)


class TestHash:
    """Any change to any field changes the hash; the same fields always give the same one."""

    @given(ALTERATIONS)
    def test_any_single_change(self, alteration):
        name, value = alteration
        original = review()
        altered = replace(original, **{name: value})
        if getattr(original, name) == value:
            assert altered.computed_hash() == original.hash
        else:
            assert altered.computed_hash() != original.hash

    @given(st.sampled_from([True, False]), st.sampled_from(["true", "false", "True", "1", ""]))
    def test_a_boolean_is_not_its_spelling(self, flag, spelling):
        entry = review()
        as_flag = replace(entry, evidence={"information_checked": flag})
        as_text = replace(entry, evidence={"information_checked": spelling})
        assert as_flag.computed_hash() != as_text.computed_hash()

    def test_none_is_not_the_word_null(self):
        entry = opening()
        assert replace(entry, from_state="null").computed_hash() != entry.hash

    def test_the_stored_hash_is_not_hashed(self):
        entry = opening()
        assert replace(entry, hash="f" * 64).computed_hash() == entry.hash

    def test_the_order_evidence_was_given_in_does_not_matter(self):
        shuffled = dict(reversed(list(OPENING.evidence.items())))
        again = Entry.seal(
            replace(OPENING, evidence=shuffled),
            seq=1,
            recorded_at=OPENING_RECORDED,
            prev_hash=GENESIS_HASH,
        )
        assert again.hash == OPENING_HASH

    def test_the_same_instant_in_another_zone_is_the_same_entry(self):
        again = Entry.seal(
            OPENING,
            seq=1,
            recorded_at=OPENING_RECORDED.astimezone(BEIJING),
            prev_hash=GENESIS_HASH,
        )
        assert again.hash == OPENING_HASH

    def test_a_transition_draft(self):
        assert OPENING.kind == TRANSITION
        assert OPENING.moves
        assert OPENING.expected_version() == 0
        assert replace(OPENING, kind="refusal").expected_version() == 1


class TestOneDefinition:
    """An entry's fields are defined once; the draft, the table and the codec follow."""

    def test_a_draft_is_an_entry_before_the_ledger_seals_it(self):
        drafted = [f.name for f in fields(Entry) if f.name not in SEALED]
        assert [f.name for f in fields(Draft)] == drafted

    def test_the_table_has_a_column_per_field_in_order(self):
        assert list(entries_table.c.keys()) == [f.name for f in fields(Entry)]

    def test_every_width_is_kept_by_its_column(self):
        for kept in fields(Entry):
            width = kept.metadata["width"]
            assert getattr(entries_table.c[kept.name].type, "length", None) == width, kept.name

    def test_a_row_reads_back_as_the_entry_written(self):
        assert entry_of(entry_row(review())) == review()

    def test_the_api_model_is_the_entry_as_hashed(self):
        hints = get_type_hints(Entry)
        model = EntryOut.model_fields
        assert list(model) == [kept.name for kept in fields(Entry)]
        for kept in fields(Entry):
            optional = type(None) in get_args(hints[kept.name])
            assert (type(None) in get_args(model[kept.name].annotation)) == optional, kept.name
            assert (model[kept.name].description or "") == kept.metadata["doc"], kept.name
        assert EntryOut.of(review()).model_dump(mode="json") == review().document()

    def test_the_heads_table_has_a_column_per_head_field(self):
        assert list(heads_table.c.keys()) == [f.name for f in fields(Head)]


ODD_VALUES = st.one_of(
    st.tuples(
        st.sampled_from(["occurred_at", "recorded_at", "due_at"]),
        st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2100, 1, 1),
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone.max]),
        ),
    ),
    st.tuples(st.sampled_from(["actor", "seq", "exclusive", "evidence"]), st.none()),
    st.tuples(st.sampled_from(["actor", "version"]), st.booleans() | st.integers()),
    st.tuples(st.just("evidence"), st.just(MappingProxyType({"photo": True}))),
    st.tuples(st.just("actor"), st.datetimes(timezones=st.just(UTC))),
    st.tuples(st.just("recorded_at"), st.datetimes()),
    st.tuples(st.just("subject"), st.just({"nested": "map"})),
)


class TestEncodeEntry:
    """``encode_entry``, the whole check's encoder, makes ``Entry.encode``'s bytes, or
    fails as it does."""

    @given(ALTERATIONS)
    def test_the_same_bytes_for_any_entry_the_readers_give(self, alteration):
        name, value = alteration
        altered = replace(review(), **{name: value})
        assert encode_entry(altered) == altered.encode()

    @given(ODD_VALUES)
    def test_the_same_outcome_for_values_no_reader_gives(self, alteration):
        name, value = alteration
        altered = replace(review(), **{name: value})
        try:
            expected: bytes | type[Exception] = altered.encode()
        except (TypeError, ValueError) as refused:
            expected = type(refused)
        try:
            made: bytes | type[Exception] = encode_entry(altered)
        except (TypeError, ValueError) as refused:
            made = type(refused)
        assert made == expected

    def test_the_known_bytes(self):
        assert encode_entry(review()) == REVIEW_BYTES
