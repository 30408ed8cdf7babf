"""The specification's worked example is what its own definitions make, and it verifies.

Every block marked ``<!-- example: NAME -->`` in ``spec/audit-bundle.md`` is remade by
``spec_example.py`` (through ``bundles.py``, written from the specification) and compared
byte for byte, and its values are recomputed here from the definitions; the example
bundle is then verified, and broken as the text says, by the independent verifier. When
this fails after a change to the encoding, ``python -m tests.independent.spec_example``
rewrites the blocks.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.independent.bundles import map_proof, mth, path, sha
from tests.independent.spec_example import (
    BLOCK,
    LOG,
    REVIEW_FINGERPRINT,
    REVIEW_KEY,
    SPEC,
    TIME,
    WITNESS,
    blocks,
    example,
    rewritten,
)
from tests.independent.verify_bundle import Refused, verify_bundle

TEXT = SPEC.read_text("utf-8")
BLOCKS = {match.group(2): match.group(3) for match in BLOCK.finditer(TEXT)}


def values() -> dict[str, str]:
    return dict(line.split(" = ") for line in BLOCKS["values"].splitlines())


class TestTheExample:
    """Each block of the worked example is remade from the definitions."""

    def test_every_block_is_there(self) -> None:
        assert set(BLOCKS) == {
            "log-key",
            "witness-key",
            "entry-1",
            "entry-3",
            "values",
            "checkpoint",
            "bundle",
        }

    def test_the_keys(self) -> None:
        assert BLOCKS["log-key"] == LOG.vkey
        assert BLOCKS["witness-key"] == WITNESS.vkey

    @pytest.mark.parametrize("seq", [1, 3])
    def test_the_entries(self, seq: int) -> None:
        assert BLOCKS[f"entry-{seq}"].encode() == example().encoded[seq - 1]

    def test_the_values_along_the_way(self) -> None:
        log, said = example(), values()
        leaves = [sha(b"\x00" + e) for e in log.encoded]
        for seq in (1, 2, 3):
            assert said[f"entry {seq} hash"] == hashlib.sha256(log.encoded[seq - 1]).hexdigest()
            assert said[f"leaf {seq - 1}"] == leaves[seq - 1].hex()
        assert said["tree root"] == mth(leaves).hex()
        pairs = log.map(3)
        for card, seq in (("c-1", 3), ("c-2", 2)):
            key = sha(card.encode())
            assert said[f"key {card}"] == key.hex()
            assert pairs[key].hex() == said[f"entry {seq} hash"]
            assert said[f"map leaf {card}"] == sha(b"\x00" + key + pairs[key]).hex()
        leaf = {card: bytes.fromhex(said[f"map leaf {card}"]) for card in ("c-1", "c-2")}
        assert said["map root"] == sha(b"\x01" + leaf["c-2"] + leaf["c-1"]).hex()

    def test_the_paths_the_text_describes(self) -> None:
        log, said = example(), values()
        leaves = [sha(b"\x00" + e) for e in log.encoded]
        assert path(leaves, 0) == [leaves[1], leaves[2]]
        assert path(leaves, 2) == [sha(b"\x01" + leaves[0] + leaves[1])]
        key = sha(b"c-1")
        assert map_proof(log.map(3), key) == [bytes.fromhex(said["map leaf c-2"])]

    def test_the_checkpoint(self) -> None:
        assert BLOCKS["checkpoint"] + "\n" == example().checkpoint(3, [(WITNESS, TIME)])

    def test_the_bundle(self) -> None:
        assert json.loads(BLOCKS["bundle"]) == example().bundle("c-1", 3, [(WITNESS, TIME)])

    def test_entry_3_carries_its_request_s_key_and_fingerprint(self) -> None:
        review = json.loads(BLOCKS["entry-3"])
        assert review["idempotency_key"] == REVIEW_KEY
        assert review["fingerprint"] == REVIEW_FINGERPRINT
        assert json.loads(BLOCKS["entry-1"])["fingerprint"] is None

    def test_the_specification_is_as_its_writer_makes_it(self) -> None:
        assert rewritten(TEXT) == TEXT
        assert {name: BLOCKS[name] for name in blocks()} == blocks()


class TestItVerifies:
    """The example bundle verifies, and fails as the text says once an entry is dropped."""

    def bundle(self) -> Any:
        return json.loads(BLOCKS["bundle"])

    def test_complete(self) -> None:
        said = verify_bundle(self.bundle(), BLOCKS["log-key"], [BLOCKS["witness-key"]], 1)
        assert said == "complete as of tree size 3"

    def test_the_first_entry_dropped(self) -> None:
        bundle = self.bundle()
        del bundle["entries"][0]
        with pytest.raises(Refused, match="entry 3 is not the card's first entry"):
            verify_bundle(bundle, BLOCKS["log-key"])

    def test_the_latest_entry_dropped(self) -> None:
        bundle = self.bundle()
        del bundle["entries"][1]
        with pytest.raises(
            Refused,
            match="the card's latest entries are left out: the map does not hold entry 1 as "
            "the card's latest",
        ):
            verify_bundle(bundle, BLOCKS["log-key"])
