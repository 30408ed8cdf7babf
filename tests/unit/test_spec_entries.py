"""The specification's entries are cardflow's: its field table is ``Entry``'s fields, and
the worked example's entries are what ``Entry.seal`` makes of the example's drafts.

``tests/independent`` remakes ``spec/audit-bundle.md``'s example from the text alone;
this ties the text to the code, so that the encoding an auditor reads is the one the
ledger writes: the example's drafts below are sealed by cardflow and their bytes,
hashes, leaves, map root and the bundle's entries compared with the specification's.
"""

from __future__ import annotations

import json
import re
from dataclasses import Field, fields, replace
from datetime import UTC, datetime
from typing import Any, get_args, get_type_hints

import pytest

from ledger.cardmap import card_key, root_of, verify_proof
from ledger.entry import ENCODING, GENESIS_HASH, Draft, Entry
from ledger.merkle import leaf_hash, verify_inclusion
from tests.independent.spec_example import BLOCK, SPEC

TEXT = SPEC.read_text("utf-8")
BLOCKS = {match.group(2): match.group(3) for match in BLOCK.finditer(TEXT)}
SECTION_1 = TEXT[TEXT.index("## 1. ") : TEXT.index("## 2. ")]
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+?) \| *(\d*) *\| ([^|]+) \|$", re.MULTILINE)
TABLE = {name: (kind, width, meaning) for name, kind, width, meaning in ROW.findall(SECTION_1)}


def minute(minutes: int, seconds: int = 0) -> datetime:
    return datetime(2026, 3, 1, 8, minutes, seconds, tzinfo=UTC)


APPLY_C1 = Draft(
    card_id="c-1",
    version=1,
    kind="transition",
    event="apply",
    from_state=None,
    to_state="applied",
    channel="card_center",
    actor="clerk-7",
    role="clerk",
    presenter="self",
    subject="p-c-1",
    occurred_at=minute(1),
    evidence={"identity_document": "resident_id_card", "original_id": True},
    definition_version="1+3f2a9c",
    region="440300",
    policy="440300/2026-1+0123456789ab",
    due_at=None,
    exclusive=True,
)
APPLY_C2 = replace(APPLY_C1, card_id="c-2", subject="p-c-2", occurred_at=minute(2))
REVIEW_C1 = replace(
    APPLY_C1,
    version=2,
    event="review",
    from_state="applied",
    to_state="reviewed",
    occurred_at=minute(3),
    idempotency_key="review-c-1",
    fingerprint="17d9816c88d5e4a8201c9a4779778084b8eac1798098c5eb96f8d37305eb5674",
)


def sealed() -> list[Entry]:
    """The example's three entries, sealed by cardflow in the log's order."""
    first = Entry.seal(APPLY_C1, seq=1, recorded_at=minute(1, 1), prev_hash=GENESIS_HASH)
    second = Entry.seal(APPLY_C2, seq=2, recorded_at=minute(2, 1), prev_hash=first.hash)
    third = Entry.seal(
        REVIEW_C1, seq=3, recorded_at=minute(3, 1), prev_hash=second.hash, card_prev=first.hash
    )
    return [first, second, third]


def said() -> dict[str, str]:
    return dict(line.split(" = ") for line in BLOCKS["values"].splitlines())


class TestTheFieldTable:
    """Section 1's table lists exactly the fields an entry's encoding holds, as ``Entry``
    defines them: name, nullability, width and meaning."""

    def test_every_encoded_field_and_no_other(self) -> None:
        encoded = [f.name for f in fields(Entry) if f.name != "hash"] + ["format"]
        assert list(TABLE) == sorted(encoded)
        assert set(json.loads(sealed()[0].encode())) == set(TABLE)

    @pytest.mark.parametrize(
        "kept", [f for f in fields(Entry) if f.name != "hash"], ids=lambda f: f.name
    )
    def test_nullability_and_width(self, kept: Field[Any]) -> None:
        kind, width, _ = TABLE[kept.name]
        nullable = type(None) in get_args(get_type_hints(Entry)[kept.name])
        assert kind.endswith(" or `null`") == nullable, kept.name
        assert (int(width) if width else None) == kept.metadata["width"], kept.name

    @pytest.mark.parametrize(
        "kept", [f for f in fields(Entry) if f.metadata["doc"]], ids=lambda f: f.name
    )
    def test_a_meaning_the_api_gives_is_the_table_s(self, kept: Field[Any]) -> None:
        doc = kept.metadata["doc"].removesuffix(".")
        meaning = TABLE[kept.name][2].replace("`", "")
        assert meaning.startswith(doc[0].lower() + doc[1:]), kept.name

    def test_the_format(self) -> None:
        assert f"exactly `{ENCODING}`" in TABLE["format"][2]
        assert f"## 1. The entry encoding `{ENCODING}`" in SECTION_1


class TestTheExampleEntries:
    """The worked example's entries are the bytes ``Entry.seal`` writes for its drafts."""

    @pytest.mark.parametrize("seq", [1, 3])
    def test_the_bytes(self, seq: int) -> None:
        assert sealed()[seq - 1].encode() == BLOCKS[f"entry-{seq}"].encode("utf-8")

    def test_the_hashes_and_leaves(self) -> None:
        values = said()
        for entry in sealed():
            assert values[f"entry {entry.seq} hash"] == entry.hash == entry.computed_hash()
            assert values[f"leaf {entry.seq - 1}"] == leaf_hash(entry.encode()).hex()

    def test_the_fingerprint_is_carried_with_its_key(self) -> None:
        first, _, third = sealed()
        assert (first.idempotency_key, first.fingerprint) == (None, None)
        assert json.loads(BLOCKS["entry-3"])["fingerprint"] == third.fingerprint
        assert json.loads(BLOCKS["entry-3"])["idempotency_key"] == third.idempotency_key

    def test_the_bundle_s_entries(self) -> None:
        bundle = json.loads(BLOCKS["bundle"])
        entries = {entry.seq: entry for entry in sealed()}
        root = bytes.fromhex(said()["tree root"])
        for item in bundle["entries"]:
            entry = entries[item["seq"]]
            assert item["encoded"].encode("utf-8") == entry.encode()
            assert item["hash"] == entry.hash
            proof = [bytes.fromhex(node) for node in item["path"]]
            verify_inclusion(leaf_hash(entry.encode()), entry.seq - 1, 3, proof, root)

    def test_the_map(self) -> None:
        _, second, third = sealed()
        pairs = {
            card_key("c-1"): bytes.fromhex(third.hash),
            card_key("c-2"): bytes.fromhex(second.hash),
        }
        root = root_of(pairs)
        assert said()["map root"] == root.hex()
        siblings = [bytes.fromhex(s) for s in json.loads(BLOCKS["bundle"])["map"]["siblings"]]
        verify_proof(root, card_key("c-1"), bytes.fromhex(third.hash), siblings)
