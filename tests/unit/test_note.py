"""Signed notes and checkpoints against the reference implementation's own example."""

from __future__ import annotations

import pytest

from ledger.merkle import EMPTY_ROOT
from ledger.note import Checkpoint, NoteError, Signer, Verifier, open_note

# golang.org/x/mod/sumdb/note: its documented example key, text and signed note.
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
NOTE = (
    TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


class TestTheReferenceExample:
    def test_keys_round_trip(self):
        signer = Signer.parse(SKEY)
        assert str(signer) == SKEY
        assert str(signer.verifier()) == VKEY
        assert str(Verifier.parse(VKEY)) == VKEY
        assert "AYEK" not in repr(signer)

    def test_signing_gives_the_same_bytes(self):
        assert Signer.parse(SKEY).sign(TEXT) == NOTE

    def test_opening(self):
        assert open_note(NOTE, Verifier.parse(VKEY)) == TEXT


class TestRefused:
    @pytest.mark.parametrize(
        "note",
        [
            NOTE.replace("answer", "question"),
            NOTE.replace("x08go", "x08gp"),
            NOTE.replace("\u2014", "--"),
            NOTE.replace("\n\n", "\n"),
            NOTE[:-1],
        ],
        ids=["text-altered", "signature-altered", "no-dash", "no-blank-line", "no-newline"],
    )
    def test_a_mangled_note(self, note):
        with pytest.raises(NoteError):
            open_note(note, Verifier.parse(VKEY))

    def test_a_note_signed_by_another_key(self):
        other = Signer.generate("PeterNeumann")
        with pytest.raises(NoteError, match="no signature of PeterNeumann"):
            open_note(other.sign(TEXT), Verifier.parse(VKEY))

    def test_a_second_signature_is_ignored_and_ours_still_holds(self):
        other = Signer.generate("someone-else")
        cosigned = NOTE + other.sign(TEXT).split("\n\n")[1]
        assert open_note(cosigned, Verifier.parse(VKEY)) == TEXT

    @pytest.mark.parametrize(
        "key",
        [
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+not base64",
        ],
    )
    def test_a_malformed_verifier_key(self, key):
        with pytest.raises(NoteError):
            Verifier.parse(key)

    def test_a_malformed_signer_key(self):
        with pytest.raises(NoteError, match="PRIVATE"):
            Signer.parse(VKEY)
        with pytest.raises(NoteError, match="id"):
            Signer.parse(SKEY.replace("c74f20a3", "00000000"))


class TestCheckpoint:
    def test_the_format(self):
        checkpoint = Checkpoint("cardflow.example/ledger", 0, EMPTY_ROOT)
        assert checkpoint.text() == (
            "cardflow.example/ledger\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        )
        assert Checkpoint.parse(checkpoint.text()) == checkpoint

    def test_signed_and_opened(self):
        signer = Signer.generate("cardflow.example/ledger")
        checkpoint = Checkpoint(signer.name, 42, bytes(range(32)))
        opened = open_note(signer.sign(checkpoint.text()), signer.verifier())
        assert Checkpoint.parse(opened) == checkpoint

    @pytest.mark.parametrize(
        "text",
        [
            "origin\n42\n",
            "origin\n042\nAAAA\n",
            "origin\nforty\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
            "origin\n1\nAAAA\n",
            "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        ],
    )
    def test_a_malformed_checkpoint(self, text):
        with pytest.raises(NoteError):
            Checkpoint.parse(text)
