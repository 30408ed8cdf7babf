"""The independent verifier accepts an honest bundle and names what is wrong with a broken one.

The bundles are made by ``bundles.py`` from the specification alone: a log of three cards
whose card ``c-1`` has transitions, a refusal note and an erasure note, interleaved with
the other cards' entries. Each broken bundle differs from an honest one in one way:
an entry dropped, duplicated, reordered or left out at the end, a map proof or signature
forged, a JSON piece malformed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest

from tests.independent.bundles import Log, signer
from tests.independent.verify_bundle import Refused, verify_bundle

LOG = signer("cardflow test log key", "cardflow.example/ledger")
W1 = signer("witness one", "witness.example/w1", 0x04)
W2 = signer("witness two", "witness.example/w2", 0x04)
W3 = signer("witness three", "witness.example/w3", 0x04)
TIME = 1772352000


def history() -> Log:
    log = Log(LOG)
    log.append("c-1", "apply", "applied")  # 1
    log.append("c-2", "apply", "applied")  # 2
    log.append("c-1", "review", "reviewed")  # 3
    log.append("c-1", "produce", "reviewed", kind="refusal")  # 4
    log.append("c-2", "review", "reviewed")  # 5
    log.append("c-1", "produce", "produced")  # 6
    log.append("c-3", "apply", "applied")  # 7
    log.append("c-1", "erase", "produced", kind="erasure")  # 8
    return log


@pytest.fixture(scope="module")
def log() -> Log:
    return history()


@pytest.fixture
def bundle(log):
    return log.bundle("c-1", 8)


def refused(bundle, match, *, key=LOG.vkey, witnesses=(), quorum=0):
    with pytest.raises(Refused, match=match):
        verify_bundle(bundle, key, witnesses, quorum)


def entry(seq, fields, log_size=8):
    """A bundle item for ``fields`` at ``seq``, its hash right and its path of nothing."""
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {
        "seq": seq,
        "encoded": encoded,
        "hash": hashlib.sha256(encoded.encode()).hexdigest(),
        "path": [],
    }


class TestHonest:
    """An honest bundle is complete as of its checkpoint's size, whatever its size."""

    def test_complete(self, bundle):
        assert verify_bundle(bundle, LOG.vkey) == "complete as of tree size 8"
        assert [e["seq"] for e in bundle["entries"]] == [1, 3, 4, 6, 8]

    @pytest.mark.parametrize(("card", "size"), [("c-1", 1), ("c-1", 5), ("c-2", 8), ("c-3", 7)])
    def test_at_every_size_and_for_every_card(self, log, card, size):
        assert verify_bundle(log.bundle(card, size), LOG.vkey) == f"complete as of tree size {size}"

    def test_a_bundle_read_back_from_its_json_file(self, bundle):
        assert verify_bundle(json.loads(json.dumps(bundle)), LOG.vkey) == (
            "complete as of tree size 8"
        )


class TestLeftOut:
    """An entry dropped, duplicated, reordered or left out at the end is named."""

    def test_a_dropped_entry_between_two(self, bundle):
        del bundle["entries"][1]  # seq 3
        refused(
            bundle, "entry 4 does not follow entry 1: an entry of the card between seq 1 and seq 4"
        )

    def test_the_first_entries_dropped(self, bundle):
        del bundle["entries"][0]
        refused(bundle, "entry 3 is not the card's first entry .* earlier entries are left out")

    def test_a_duplicated_entry(self, bundle):
        bundle["entries"].insert(2, copy.deepcopy(bundle["entries"][1]))
        refused(bundle, "entry 3 appears twice in the bundle")

    def test_reordered_entries(self, bundle):
        entries = bundle["entries"]
        entries[1], entries[2] = entries[2], entries[1]
        refused(bundle, "entry 3 comes after entry 4: the entries are out of order")

    @pytest.mark.parametrize("dropped", [1, 2])
    def test_the_latest_entries_left_out(self, bundle, dropped):
        del bundle["entries"][-dropped:]
        refused(bundle, "the card's latest entries are left out")

    def test_the_latest_left_out_with_a_map_proof_of_an_older_map(self, log):
        older = log.bundle("c-1", 6)  # its map proof shows entry 6 as c-1's latest, at size 6
        newer = log.bundle("c-1", 8)
        newer["entries"] = newer["entries"][:-1]
        newer["map"] = older["map"]
        refused(newer, "the card's latest entries are left out: the map does not hold entry 6")

    def test_an_empty_bundle(self, bundle):
        bundle["entries"] = []
        refused(bundle, "entries are not a non-empty list")


class TestMapProof:
    """A malformed or forged map proof is refused."""

    def test_a_flipped_sibling(self, bundle):
        siblings = bundle["map"]["siblings"]
        siblings[0] = ("1" if siblings[0][0] == "0" else "0") + siblings[0][1:]
        refused(bundle, "the card's latest entries are left out")

    def test_a_sibling_not_hex(self, bundle):
        bundle["map"]["siblings"][0] = "zz" * 32
        refused(bundle, "the map proof is malformed: a sibling is not 64 lowercase hex digits")

    def test_too_many_siblings(self, bundle):
        bundle["map"]["siblings"] = ["11" * 32] * 257
        refused(bundle, "the map proof is malformed: it holds 257 siblings")

    def test_a_deepest_empty_sibling(self, bundle):
        bundle["map"]["siblings"].append("00" * 32)
        refused(
            bundle, r"the map proof is malformed: its deepest sibling is empty \(not canonical\)"
        )

    @pytest.mark.parametrize("proof", [None, [], {"siblings": "ab"}, {}])
    def test_no_map_proof(self, bundle, proof):
        bundle["map"] = proof
        refused(bundle, "the bundle's map is not an object with a list of siblings")


class TestSignature:
    """The checkpoint must carry the log key's signature, and hold."""

    def test_an_altered_checkpoint(self, bundle):
        bundle["checkpoint"] = bundle["checkpoint"].replace("\n8\n", "\n9\n", 1)
        refused(bundle, "the log's signature on the checkpoint does not hold")

    def test_signed_by_another_key(self, log, bundle):
        other = signer("another log key", LOG.name)
        refused(bundle, "carries no signature of the log key", key=other.vkey)

    def test_a_checkpoint_with_no_signature(self, bundle):
        bundle["checkpoint"] = bundle["checkpoint"].split("\n\n")[0] + "\n"
        refused(bundle, "the checkpoint is not a signed note")

    def test_a_signature_line_without_its_dash(self, bundle):
        bundle["checkpoint"] = bundle["checkpoint"].replace("\u2014 ", "- ")
        refused(bundle, "does not begin with an em dash")

    @pytest.mark.parametrize(
        "key",
        ["nonsense", LOG.vkey.replace("+", "+0", 1), W1.vkey, LOG.vkey[:-4] + "!!!!"],
        ids=["no parts", "wrong id", "witness type", "not base64"],
    )
    def test_a_malformed_log_key(self, bundle, key):
        refused(bundle, "verifier key", key=key)


class TestCheckpoint:
    """The checkpoint has a size, a root and exactly one map line."""

    def note(self, log, text):
        return f"{text}\n{log.key.line(text)}"

    def lines(self, bundle):
        return bundle["checkpoint"].split("\n\n")[0].split("\n")

    def test_no_map_line(self, log, bundle):
        bundle["checkpoint"] = self.note(log, "\n".join(self.lines(bundle)[:3]) + "\n")
        refused(bundle, "the checkpoint has no map line")

    def test_a_fourth_line_that_is_not_the_map_line(self, log, bundle):
        origin, size, root, map_line = self.lines(bundle)
        bundle["checkpoint"] = self.note(log, f"{origin}\n{size}\n{root}\nother ext\n{map_line}\n")
        refused(bundle, "the checkpoint's fourth line is not its cardflow.cardmap/1 line")

    def test_two_map_lines(self, log, bundle):
        origin, size, root, map_line = self.lines(bundle)
        other = "cardflow.cardmap/1 " + base64.b64encode(bytes(32)).decode()
        bundle["checkpoint"] = self.note(log, f"{origin}\n{size}\n{root}\n{map_line}\n{other}\n")
        refused(bundle, "more than one cardflow.cardmap/1 line")

    def test_other_extension_lines_after_the_map_line_are_ignored(self, log, bundle):
        origin, size, root, map_line = self.lines(bundle)
        bundle["checkpoint"] = self.note(log, f"{origin}\n{size}\n{root}\n{map_line}\nnote x\n")
        assert verify_bundle(bundle, LOG.vkey) == "complete as of tree size 8"

    @pytest.mark.parametrize(
        ("line", "value", "said"),
        [
            (1, "08", "not a size in decimal"),
            (1, "eight", "not a size in decimal"),
            (2, "AAAA", "the checkpoint's root is not 32 bytes"),
            (2, "not base64!", "the checkpoint's root is not base64"),
            (3, "cardflow.cardmap/1 AAAA", "the checkpoint's map root is not 32 bytes"),
        ],
    )
    def test_malformed_lines(self, log, bundle, line, value, said):
        lines = self.lines(bundle)
        lines[line] = value
        bundle["checkpoint"] = self.note(log, "\n".join(lines) + "\n")
        refused(bundle, said)

    def test_a_root_that_is_not_the_tree_s(self, log, bundle):
        lines = self.lines(bundle)
        lines[2] = base64.b64encode(bytes(32)).decode()
        bundle["checkpoint"] = self.note(log, "\n".join(lines) + "\n")
        refused(bundle, "entry 1 is not in the checkpoint's tree")

    def test_a_map_root_that_is_not_the_map_s(self, log, bundle):
        lines = self.lines(bundle)
        lines[3] = "cardflow.cardmap/1 " + base64.b64encode(b"\x07" * 32).decode()
        bundle["checkpoint"] = self.note(log, "\n".join(lines) + "\n")
        refused(bundle, "the card's latest entries are left out")


class TestEntries:
    """Each entry's bytes, hash, JSON, format, seq, card and path are checked."""

    def test_altered_bytes(self, bundle):
        item = bundle["entries"][1]
        item["encoded"] = item["encoded"].replace("reviewed", "rejected")
        refused(bundle, "entry 3 was altered: its bytes do not match its hash")

    def test_altered_bytes_with_their_hash(self, bundle):
        item = bundle["entries"][1]
        item["encoded"] = item["encoded"].replace("reviewed", "rejected")
        item["hash"] = hashlib.sha256(item["encoded"].encode()).hexdigest()
        refused(bundle, "entry 3 is not in the checkpoint's tree")

    def test_a_path_node_altered(self, bundle):
        path = bundle["entries"][2]["path"]
        path[0] = "ab" * 32
        refused(bundle, "entry 4 is not in the checkpoint's tree")

    def test_a_path_cut_short(self, bundle):
        bundle["entries"][2]["path"].pop()
        refused(bundle, "entry 4 is not in the checkpoint's tree")

    def test_another_card_s_entry(self, log, bundle):
        bundle["entries"].insert(1, log.bundle("c-2", 8)["entries"][0])
        refused(bundle, "entry 2 is not an entry of card c-1")

    def test_an_entry_past_the_checkpoint(self, log):
        early = log.bundle("c-1", 5)
        early["entries"].append(log.bundle("c-1", 8)["entries"][3])
        refused(early, "entry 6 is past the checkpoint, which holds 5 entries")

    def test_the_bytes_of_another_seq(self, log, bundle):
        bundle["entries"][1]["seq"] = 2
        refused(bundle, "entry 2's bytes are those of another seq")

    @pytest.mark.parametrize(
        ("encoded", "said"),
        [
            ("not json", "entry 3's bytes are not JSON"),
            ("[1, 2]", "entry 3's bytes are not a JSON object"),
            ('{"seq": 3, "seq": 4}', "entry 3's bytes name a key twice"),
            (
                '{"format": "cardflow.entry/1", "seq": 3}',
                "entry 3's format is not cardflow.entry/2",
            ),
        ],
    )
    def test_malformed_bytes(self, bundle, encoded, said):
        bundle["entries"][1] = {
            "seq": 3,
            "encoded": encoded,
            "hash": hashlib.sha256(encoded.encode()).hexdigest(),
            "path": [],
        }
        refused(bundle, said)

    @pytest.mark.parametrize(
        ("change", "said"),
        [
            ({"seq": True}, "entry 2 of the bundle has no positive seq"),
            ({"seq": 0}, "entry 2 of the bundle has no positive seq"),
            ({"seq": "3"}, "entry 2 of the bundle has no positive seq"),
            ({"hash": "AB" * 32}, "entry 3 has no encoded text and 64-hex-digit hash"),
            ({"encoded": None}, "entry 3 has no encoded text"),
            ({"path": "ab"}, "entry 3's path is not a list"),
            ({"encoded": "\ud800"}, "entry 3's encoded text is not valid Unicode"),
        ],
    )
    def test_malformed_items(self, bundle, change, said):
        bundle["entries"][1] |= change
        refused(bundle, said)

    def test_an_item_that_is_not_an_object(self, bundle):
        bundle["entries"][1] = [3]
        refused(bundle, "entry 2 of the bundle is not a JSON object")


class TestBundleShape:
    """The bundle's own fields: a malformed one is named."""

    @pytest.mark.parametrize(
        ("change", "said"),
        [
            ({"format": "cardflow.audit-bundle/1"}, "format is not cardflow.audit-bundle/2"),
            ({"card_id": ""}, "card_id is not a non-empty string"),
            ({"card_id": 7}, "card_id is not a non-empty string"),
            ({"checkpoint": None}, "checkpoint is not a string"),
            ({"entries": {}}, "entries are not a non-empty list"),
        ],
    )
    def test_a_malformed_field(self, bundle, change, said):
        refused(bundle | change, said)

    @pytest.mark.parametrize("document", [[], "bundle", None, 3])
    def test_not_an_object(self, document):
        refused(document, "the bundle is not a JSON object")

    def test_another_card_id_than_its_entries(self, bundle):
        refused(bundle | {"card_id": "c-2"}, "entry 1 is not an entry of card c-2")


class TestChainAndVersions:
    """The card's chain and version numbers come from the log; a log that breaks them is caught."""

    def test_a_fork_in_the_card_s_chain(self):
        log = Log(LOG)
        log.append("c-1", "apply", "applied")
        log.append("c-1", "review", "reviewed")
        log.append("c-1", "produce", "produced", card_prev=log.hashes[0])
        refused(log.bundle("c-1", 3), "entry 3 follows entry 1, and so does an entry before it")

    def test_a_skipped_version(self):
        log = Log(LOG)
        log.append("c-1", "apply", "applied")
        log.append("c-1", "review", "reviewed", version=3)
        refused(log.bundle("c-1", 2), "entry 2 is version 3 of the card, and version 2 is missing")

    def test_a_note_at_another_version(self):
        log = Log(LOG)
        log.append("c-1", "apply", "applied")
        log.append("c-1", "produce", "applied", kind="refusal", version=2)
        refused(
            log.bundle("c-1", 2),
            r"entry 2 \(a refusal\) names version 2, but the card is at version 1",
        )

    def test_a_version_that_is_not_an_integer(self):
        log = Log(LOG)
        log.append("c-1", "apply", "applied", version="1")
        refused(log.bundle("c-1", 1), "entry 1 has no kind and integer version")


class TestQuorum:
    """A witness quorum counts distinct witnesses whose cosignature/v1 holds."""

    def test_a_quorum_met(self, log):
        bundle = log.bundle("c-1", 8, [(W1, TIME), (W2, TIME + 1)])
        said = verify_bundle(bundle, LOG.vkey, [W1.vkey, W2.vkey, W3.vkey], 2)
        assert said == "complete as of tree size 8"

    def test_a_quorum_short(self, log):
        bundle = log.bundle("c-1", 8, [(W1, TIME)])
        refused(
            bundle,
            "cosigned by 1 of the 2 witnesses, fewer than the quorum of 2",
            witnesses=[W1.vkey, W2.vkey],
            quorum=2,
        )

    def test_a_witness_counted_once(self, log):
        bundle = log.bundle("c-1", 8, [(W1, TIME), (W1, TIME + 5)])
        refused(bundle, "cosigned by 1 of the 2", witnesses=[W1.vkey, W2.vkey], quorum=2)

    def test_an_unknown_witness_is_ignored(self, log):
        bundle = log.bundle("c-1", 8, [(W3, TIME), (W1, TIME)])
        assert verify_bundle(bundle, LOG.vkey, [W1.vkey], 1) == "complete as of tree size 8"

    def test_a_forged_cosignature(self, log):
        bundle = log.bundle("c-1", 8, [(W1, TIME)])
        text, signatures = bundle["checkpoint"].split("\n\n")
        mine, theirs = signatures.rstrip("\n").split("\n")
        name, blob = theirs.rsplit(" ", 1)
        raw = bytearray(base64.b64decode(blob))
        raw[4:12] = (TIME + 60).to_bytes(8, "big")  # another time than the one signed
        forged = f"{name} {base64.b64encode(bytes(raw)).decode()}"
        bundle["checkpoint"] = f"{text}\n\n{mine}\n{forged}\n"
        refused(
            bundle,
            "the cosignature of witness.example/w1 does not hold",
            witnesses=[W1.vkey],
            quorum=1,
        )

    def test_a_cosignature_as_a_log_signature_does_not_count(self, log):
        bundle = log.bundle("c-1", 8)
        text = bundle["checkpoint"].split("\n\n")[0] + "\n"
        plain = signer("witness one", "witness.example/w1", 0x04)
        line = (
            f"\u2014 {plain.name} "
            + base64.b64encode(plain.key_id + plain.sign(text.encode())).decode()
        )
        bundle["checkpoint"] += line + "\n"
        refused(bundle, "is not a timestamp and a signature", witnesses=[W1.vkey], quorum=1)

    @pytest.mark.parametrize("quorum", [3, -1])
    def test_a_quorum_that_cannot_be_met(self, log, quorum):
        bundle = log.bundle("c-1", 8, [(W1, TIME), (W2, TIME)])
        refused(
            bundle, "cannot be met by 2 witness keys", witnesses=[W1.vkey, W2.vkey], quorum=quorum
        )

    def test_no_quorum_asked_checks_no_cosignature(self, log):
        bundle = log.bundle("c-1", 8, [(W1, TIME)])
        assert verify_bundle(bundle, LOG.vkey, [W2.vkey], 0) == "complete as of tree size 8"
