"""``ledger.cosignature``: C2SP cosignature/v1 lines, made and checked."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest

from ledger.cosignature import (
    COSIGNATURE_V1,
    Cosignature,
    CosignatureError,
    Cosigner,
    CosignerKey,
    cosignatures,
    signed_message,
)
from ledger.note import Checkpoint, NoteError, Signer, with_signatures

LOG = Signer.generate("cardflow.test/ledger")
WITNESS = Cosigner.generate("office.example/w1")
OTHER = Cosigner.generate("office.example/w2")
TEXT = Checkpoint("cardflow.test/ledger", 7, bytes(range(32))).text()
EXTENDED = TEXT + "cardflow.cardmap/1 AAECAw==\n"


def cosigned(text: str, *cosigners: Cosigner, at: int = 1_700_000_000) -> str:
    return with_signatures(LOG.sign(text), [c.cosign(text, at) for c in cosigners])


class TestTheFormat:
    """The key id, the vkey and the signed message are the specification's."""

    def test_the_key_id_hashes_the_name_the_type_0x04_and_the_key(self):
        key = WITNESS.key()
        expected = hashlib.sha256(b"office.example/w1\n\x04" + key.public).digest()[:4]
        assert key.key_id == expected
        assert COSIGNATURE_V1 == 0x04

    def test_the_vkey_is_name_id_and_the_typed_key(self):
        key = WITNESS.key()
        name, hex_id, material = str(key).split("+", 2)
        assert (name, hex_id) == (key.name, key.key_id.hex())
        assert base64.b64decode(material) == b"\x04" + key.public
        assert CosignerKey.parse(str(key)) == key

    def test_the_private_key_round_trips_and_hides_its_seed(self):
        assert Cosigner.parse(str(WITNESS)) == WITNESS
        assert "secret" in repr(WITNESS)

    def test_a_log_key_is_not_a_witness_key(self):
        with pytest.raises(NoteError, match="not an Ed25519 key"):
            CosignerKey.parse(str(LOG.verifier()))

    def test_a_key_whose_id_is_not_its_own_is_refused(self):
        name, _, material = str(WITNESS.key()).split("+", 2)
        with pytest.raises(NoteError, match="is not the id of its key"):
            CosignerKey.parse(f"{name}+00000000+{material}")

    def test_the_message_is_the_header_the_time_and_the_whole_text(self):
        assert signed_message(EXTENDED, 42) == (b"cosignature/v1\ntime 42\n" + EXTENDED.encode())

    def test_the_line_is_key_id_timestamp_and_signature(self):
        line = WITNESS.cosign(TEXT, 1_700_000_000)
        raw = base64.b64decode(line.split(" ")[2])
        assert line.startswith("\u2014 office.example/w1 ")
        assert raw[:4] == WITNESS.key().key_id
        assert struct.unpack(">Q", raw[4:12]) == (1_700_000_000,)
        assert len(raw) == 76


class TestChecking:
    """Cosignatures that hold are counted, one per witness; the others are told."""

    def test_each_witness_that_cosigned_is_found(self):
        note = cosigned(TEXT, WITNESS, OTHER)
        found = cosignatures(note, [WITNESS.key(), OTHER.key()])
        assert [w.key for w in found] == [WITNESS.key(), OTHER.key()]
        assert found[0].cosignature.timestamp == 1_700_000_000

    def test_extension_lines_are_cosigned_too(self):
        note = cosigned(EXTENDED, WITNESS)
        assert len(cosignatures(note, [WITNESS.key()])) == 1
        altered = note.replace("AAECAw==", "AAECBA==")
        with pytest.raises(CosignatureError, match="does not hold"):
            cosignatures(altered, [WITNESS.key()])

    def test_an_altered_checkpoint_is_refused(self):
        note = cosigned(TEXT, WITNESS).replace("\n7\n", "\n8\n", 1)
        with pytest.raises(CosignatureError, match=r"of office\.example/w1 does not hold"):
            cosignatures(note, [WITNESS.key()])

    def test_unknown_keys_and_the_log_s_own_signature_are_passed_over(self):
        note = cosigned(TEXT, OTHER)
        assert cosignatures(note, [WITNESS.key()]) == []

    def test_the_same_name_with_another_key_is_not_counted(self):
        impostor = Cosigner.generate(WITNESS.name)
        assert cosignatures(cosigned(TEXT, impostor), [WITNESS.key()]) == []

    def test_a_witness_given_twice_counts_once(self):
        note = cosigned(TEXT, WITNESS)
        assert len(cosignatures(note, [WITNESS.key(), WITNESS.key()])) == 1

    def test_a_log_signature_is_not_a_cosignature(self):
        assert cosignatures(LOG.sign(TEXT), [WITNESS.key()]) == []


class TestMalformedLines:
    """A malformed cosignature line says what in it is wrong."""

    def line(self, raw: bytes, name: str = "office.example/w1") -> str:
        return f"\u2014 {name} {base64.b64encode(raw).decode()}"

    @pytest.mark.parametrize(
        ("line", "said"),
        [
            ("- office.example/w1 AAAA", "begins with an em dash"),
            ("\u2014 office.example/w1", "a key name, a space and base64"),
            ("\u2014 office.example/w1 not*base64", "is not base64"),
            ("\u2014 office.example/w1 AAAA", "is 3 bytes, not 76"),
        ],
    )
    def test_each_is_named(self, line, said):
        with pytest.raises(CosignatureError, match=said):
            Cosignature.parse(line)

    def test_a_time_past_two_to_the_63_is_refused(self):
        raw = WITNESS.key().key_id + struct.pack(">Q", 2**63) + bytes(64)
        with pytest.raises(CosignatureError, match="past 2\\^63"):
            Cosignature.parse(self.line(raw))

    def test_a_short_line_of_a_trusted_witness_refuses_the_note(self):
        note = with_signatures(LOG.sign(TEXT), [self.line(WITNESS.key().key_id + b"\0")])
        with pytest.raises(CosignatureError, match="is 5 bytes"):
            cosignatures(note, [WITNESS.key()])

    def test_cosigning_at_a_time_out_of_range_is_refused(self):
        with pytest.raises(CosignatureError, match="time is 0 to"):
            WITNESS.cosign(TEXT, -1)
