"""Write ``bundles.json``: test vectors of audit bundles ``cardflow.audit-bundle/2``.

A small ledger is built with cardflow's own code: ``MemoryLedger`` on a clock set for
each step, drafts appended through the port (three cards interleaved, a refusal note
and an erasure note among them), checkpoints signed at sizes 6 and 10 with the log key
of the specification's worked example, the later one cosigned by its witness at a fixed
time, and bundles made by ``Audit.bundle``. Each broken case changes an honest bundle in
one way and names the cause a verifier must report, in the words of
``spec/audit-bundle.md`` section 6. Every input is fixed and Ed25519 signs
deterministically, so running this again writes the same file byte for byte. Run from
the repository root::

    .venv/bin/python spec/vectors/make_bundles.py
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ledger.audit import Audit
from ledger.bundle import BundleError, check_bundle
from ledger.checkpoints import sign_checkpoint
from ledger.cosignature import Cosigner
from ledger.entry import ERASURE, REFUSAL, TRANSITION, Draft, EvidenceValue
from ledger.memory import MemoryLedger
from ledger.note import SIGNATURE_PREFIX, Signer, note_parts
from ledger.store import KeptCosignature, Person
from ledger.witnessing import Witness

OUT: Final = Path(__file__).with_name("bundles.json")
LOG: Final = Signer("cardflow.example/ledger", hashlib.sha256(b"cardflow example log key").digest())
WITNESS: Final = Cosigner(
    "witness.example/w1", hashlib.sha256(b"cardflow example witness key").digest()
)
"""The keys of the specification's worked example (section 8): never use them elsewhere."""
START: Final = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
COSIGNED_AT: Final = 1772355600
"""When the witness cosigns the checkpoint of 10 entries: 2026-03-01T09:00:00Z."""
OLDER: Final = 6
LATEST: Final = 10
CARDS: Final = ("c-1", "c-2", "c-3")
ERASED: Final = Person("p-c-3", "11010519491231002X", "Li Lei", {})
"""The person of card ``c-3``, whose data is erased at entry 9."""
APPLIED: Final[Mapping[str, EvidenceValue]] = {
    "identity_document": "resident_id_card",
    "original_id": True,
}
REFUSED: Final[Mapping[str, EvidenceValue]] = {
    "refused": "transition_not_allowed",
    "reason": "not allowed from reviewed",
}


ERASURE_NOTED: Final[Mapping[str, EvidenceValue]] = {
    "erased": "personal_data",
    "reason": "request",
}


@dataclass
class Clock:
    """The ledger's clock, set by the script before each step."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Book:
    """The ledger being written, on a clock each step sets."""

    clock: Clock = field(default_factory=Clock)
    ledger: MemoryLedger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = MemoryLedger(clock=self.clock)

    def step(
        self,
        card_id: str,
        event: str,
        to_state: str | None = None,
        *,
        kind: str = TRANSITION,
        channel: str = "card_center",
        evidence: Mapping[str, EvidenceValue] | None = None,
        persons: Sequence[Person] = (),
        erase: Sequence[str] = (),
    ) -> None:
        """Append one draft of ``card_id``, the next seq, at a minute past the last; a
        note (refusal, erasure) stays in the card's state at its version."""
        seq = self.ledger.tip().size + 1
        head = self.ledger.head(card_id)
        version = 0 if head is None else head.version
        state = None if head is None else head.state
        occurred = START + timedelta(minutes=seq)
        self.clock.now = occurred + timedelta(seconds=1)
        draft = Draft(
            card_id=card_id,
            version=version + 1 if kind == TRANSITION else version,
            kind=kind,
            event=event,
            from_state=state,
            to_state=to_state or state or "",
            channel=channel,
            actor="clerk-7",
            role="clerk",
            presenter="self",
            subject=f"p-{card_id}",
            occurred_at=occurred,
            evidence=APPLIED if evidence is None else evidence,
            definition_version="1+3f2a9c",
            region="440300",
            policy="440300/2026-1+0123456789ab",
        )
        self.ledger.append([draft], persons=persons, erase=erase)

    def sign(self) -> None:
        """Sign a checkpoint of the ledger as it stands, a minute after its last entry."""
        self.clock.now += timedelta(minutes=1)
        sign_checkpoint(self.ledger, LOG, self.clock.now)

    def bundle(self, card_id: str, audit: Audit) -> dict[str, Any]:
        """``card_id``'s bundle as ``audit`` makes it, of all the card's entries."""
        return audit.bundle(card_id, self.ledger.entries_for(card_id))


def honest() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The bundles of every card at the checkpoint of 6 entries and at that of 10, the
    later cosigned by the witness."""
    book = Book()
    book.step("c-1", "apply", "applied")  # 1
    book.step("c-2", "apply", "applied")  # 2
    book.step("c-1", "review", "reviewed")  # 3
    book.step("c-1", "produce", kind=REFUSAL, evidence=REFUSED)  # 4
    book.step("c-3", "apply", "applied", persons=[ERASED])  # 5
    book.step("c-2", "review", "reviewed")  # 6
    book.sign()
    audit = Audit(book.ledger, signer=LOG, clock=book.clock)
    older = {card: book.bundle(card, audit) for card in CARDS}
    book.step("c-1", "produce", "produced", channel="issuing_bank")  # 7
    book.step("c-2", "produce", "produced", channel="issuing_bank")  # 8
    book.step(
        "c-3",
        "erase_personal_data",
        kind=ERASURE,
        channel="system",
        evidence=ERASURE_NOTED,
        erase=[ERASED.ref],
    )  # 9
    book.step("c-1", "collect", "collected", evidence={"valid_id": True})  # 10
    book.sign()
    signed = book.ledger.latest_checkpoint()
    assert signed is not None
    assert signed.size == LATEST
    text, _ = note_parts(signed.note)
    line = WITNESS.cosign(text, COSIGNED_AT)
    book.ledger.keep_cosignature(KeptCosignature(str(WITNESS.key()), LATEST, line, book.clock()))
    witnessed = audit.with_witnesses([Witness("https://witness.example/w1", WITNESS.key())])
    latest = {card: book.bundle(card, witnessed) for card in CARDS}
    return older, latest


# -- the changes a broken case makes to an honest bundle --------------------------------

Change = Callable[[dict[str, Any]], None]


def drop(index: int) -> Change:
    def change(bundle: dict[str, Any]) -> None:
        del bundle["entries"][index]

    return change


def repeat(index: int) -> Change:
    def change(bundle: dict[str, Any]) -> None:
        bundle["entries"].insert(index + 1, copy.deepcopy(bundle["entries"][index]))

    return change


def swap(index: int) -> Change:
    def change(bundle: dict[str, Any]) -> None:
        entries = bundle["entries"]
        entries[index], entries[index + 1] = entries[index + 1], entries[index]

    return change


def insert(index: int, item: Mapping[str, Any]) -> Change:
    def change(bundle: dict[str, Any]) -> None:
        bundle["entries"].insert(index, copy.deepcopy(dict(item)))

    return change


def edit(index: int, old: str, new: str, *, rehash: bool = False) -> Change:
    """Entry ``index``'s bytes with ``old`` replaced by ``new``; its hash made theirs if
    ``rehash``."""

    def change(bundle: dict[str, Any]) -> None:
        item = bundle["entries"][index]
        assert old in item["encoded"]
        item["encoded"] = item["encoded"].replace(old, new)
        if rehash:
            item["hash"] = hashlib.sha256(item["encoded"].encode()).hexdigest()

    return change


def set_item(index: int, key: str, value: object) -> Change:
    def change(bundle: dict[str, Any]) -> None:
        bundle["entries"][index][key] = value

    return change


def cut_path(index: int) -> Change:
    def change(bundle: dict[str, Any]) -> None:
        bundle["entries"][index]["path"].pop()

    return change


def siblings(change_them: Callable[[list[str]], list[str]]) -> Change:
    def change(bundle: dict[str, Any]) -> None:
        bundle["map"]["siblings"] = change_them(bundle["map"]["siblings"])

    return change


def flip_hex(node: str) -> str:
    """``node`` (hex) with the low bit of its first byte flipped."""
    return f"{int(node[:2], 16) ^ 1:02x}{node[2:]}"


def note(change_it: Callable[[str, list[str]], str]) -> Change:
    """The checkpoint remade from its text and signature lines by ``change_it``."""

    def change(bundle: dict[str, Any]) -> None:
        text, lines = note_parts(bundle["checkpoint"])
        bundle["checkpoint"] = change_it(text, lines)

    return change


def signed(text: str, lines: Sequence[str]) -> str:
    return text + "\n" + "".join(f"{line}\n" for line in lines)


def with_root(text: str, other: str) -> str:
    """The checkpoint ``text`` stating the root that the note ``other`` states."""
    lines = text.split("\n")
    lines[2] = note_parts(other)[0].split("\n")[2]
    return "\n".join(lines)


def flip_signature(line: str, at: int) -> str:
    """The signature line ``line`` with byte ``at`` of what it encodes flipped."""
    name, blob = line[len(SIGNATURE_PREFIX) :].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[at] ^= 1
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(bytes(raw)).decode()}"


def of(key: str, value: object) -> Change:
    def change(bundle: dict[str, Any]) -> None:
        bundle[key] = value

    return change


# -- the cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A bundle, the quorum it is checked with, and the cause it must be refused for
    (none: it is complete)."""

    name: str
    bundle: dict[str, Any]
    quorum: int = 0
    cause: str = ""

    def vector(self) -> dict[str, Any]:
        """The case as ``bundles.json`` holds it, once ``check_bundle`` agrees with it."""
        witnesses = [WITNESS.key()] if self.quorum else []
        try:
            said = check_bundle(self.bundle, LOG.verifier(), witnesses, self.quorum).says()
        except BundleError as refused:
            if not self.cause or self.cause not in str(refused):
                raise SystemExit(f"{self.name}: refused for another cause: {refused}") from None
        else:
            if self.cause:
                raise SystemExit(f"{self.name}: {said}, though it should fail as {self.cause}")
        return {
            "name": self.name,
            "bundle": self.bundle,
            "quorum": self.quorum,
            "witnesses": [str(key) for key in witnesses],
            "valid": not self.cause,
            "cause": self.cause,
        }


def broken(
    name: str, bundle: Mapping[str, Any], change: Change, cause: str, quorum: int = 0
) -> Case:
    changed = copy.deepcopy(dict(bundle))
    change(changed)
    return Case(name, changed, quorum, cause)


def cases() -> list[Case]:
    """Every case, honest ones first. Card ``c-1``'s entries at 10 are seqs 1, 3, 4 (its
    refusal note), 7 and 10; ``c-3``'s are 5 and 9 (its erasure note)."""
    older, latest = honest()
    c1, at6 = latest["c-1"], older["c-1"]
    line = note_parts(c1["checkpoint"])[1][1]
    return [
        *(Case(f"{card} at {LATEST}", latest[card]) for card in CARDS),
        *(Case(f"{card} at {LATEST}, a quorum of 1", latest[card], 1) for card in CARDS),
        *(Case(f"{card} at the older checkpoint of {OLDER}", older[card]) for card in CARDS),
        broken(
            "a transition dropped",
            c1,
            drop(3),
            "entry 10 does not follow entry 4: an entry of the card between seq 4 and seq 10 "
            "is left out",
        ),
        broken(
            "the refusal note dropped",
            c1,
            drop(2),
            "entry 7 does not follow entry 3: an entry of the card between seq 3 and seq 7 "
            "is left out",
        ),
        broken(
            "the first entry left out",
            c1,
            drop(0),
            "entry 3 is not the card's first entry (its card_prev is not 64 zeros): the "
            "card's earlier entries are left out",
        ),
        broken(
            "the latest entry left out",
            c1,
            drop(4),
            "the card's latest entries are left out: the map does not hold entry 7 as the "
            "card's latest",
        ),
        broken(
            "the erasure note left out, the latest of its card",
            latest["c-3"],
            drop(1),
            "the card's latest entries are left out: the map does not hold entry 5 as the "
            "card's latest",
        ),
        broken("an entry twice", c1, repeat(1), "entry 3 appears twice in the bundle"),
        broken(
            "two entries reordered",
            c1,
            swap(1),
            "entry 3 comes after entry 4: the entries are out of order",
        ),
        broken(
            "bytes altered",
            c1,
            edit(1, '"to_state":"reviewed"', '"to_state":"produced"'),
            "entry 3 was altered: its bytes do not match its hash",
        ),
        broken(
            "bytes and hash altered",
            c1,
            edit(1, '"to_state":"reviewed"', '"to_state":"produced"', rehash=True),
            "entry 3 is not in the checkpoint's tree: its path does not hold",
        ),
        broken(
            "bytes and hash altered into what is not JSON",
            c1,
            edit(1, '"actor":', '"actor"', rehash=True),
            "entry 3's bytes are not JSON",
        ),
        broken(
            "an entry under another seq",
            c1,
            set_item(1, "seq", 2),
            "entry 2's bytes are those of another seq",
        ),
        broken(
            "a path cut short",
            c1,
            cut_path(1),
            "entry 3 is not in the checkpoint's tree: its path does not hold",
        ),
        broken(
            "a map sibling changed",
            c1,
            siblings(lambda nodes: [flip_hex(nodes[0]), *nodes[1:]]),
            "the card's latest entries are left out: the map does not hold entry 10 as the "
            "card's latest",
        ),
        broken(
            "a map sibling cut short",
            c1,
            siblings(lambda nodes: [*nodes[:-1], nodes[-1][:62]]),
            "the map proof is malformed",
        ),
        broken(
            "a map proof ending in the empty subtree",
            c1,
            siblings(lambda nodes: [*nodes, "00" * 32]),
            "the map proof is malformed",
        ),
        broken(
            "an entry of another card",
            c1,
            insert(1, latest["c-2"]["entries"][0]),
            "entry 2 is not an entry of card c-1",
        ),
        broken(
            "an entry past the checkpoint",
            at6,
            insert(len(at6["entries"]), c1["entries"][3]),
            f"entry 7 is past the checkpoint, which holds {OLDER} entries",
        ),
        broken(
            "the log's signature broken",
            c1,
            note(lambda text, lines: signed(text, [flip_signature(lines[0], 10), *lines[1:]])),
            "the log's signature on the checkpoint does not hold: it was altered",
        ),
        broken(
            "the checkpoint's root replaced by the older one's",
            c1,
            note(lambda text, lines: signed(with_root(text, at6["checkpoint"]), lines)),
            "the log's signature on the checkpoint does not hold: it was altered",
        ),
        broken(
            "the log's signature removed",
            c1,
            note(lambda text, lines: signed(text, lines[1:])),
            f"the checkpoint carries no signature of the log key {LOG.name}",
        ),
        broken(
            "no signature lines at all",
            c1,
            note(lambda text, lines: text),
            "the checkpoint is not a signed note",
        ),
        broken(
            "a quorum of 1 not met",
            at6,
            lambda bundle: None,
            "the checkpoint is cosigned by 0 of the 1 witnesses, fewer than the quorum of 1",
            quorum=1,
        ),
        broken(
            "a cosignature moved to another checkpoint",
            at6,
            note(lambda text, lines: signed(text, [*lines, line])),
            f"the cosignature of {WITNESS.name} does not hold",
            quorum=1,
        ),
        broken(
            "a cosignature's time changed",
            c1,
            note(lambda text, lines: signed(text, [lines[0], flip_signature(lines[1], 11)])),
            f"the cosignature of {WITNESS.name} does not hold",
            quorum=1,
        ),
        broken(
            "another format",
            c1,
            of("format", "cardflow.audit-bundle/1"),
            "the bundle's format is not cardflow.audit-bundle/2",
        ),
        broken(
            "no entries",
            c1,
            of("entries", []),
            "the bundle's entries are not a non-empty list",
        ),
    ]


def vectors() -> dict[str, Any]:
    """The vectors, computed afresh from the fixed inputs."""
    return {
        "format": "cardflow.audit-bundle/2 test vectors",
        "made_by": "spec/vectors/make_bundles.py, with ledger/ (MemoryLedger, Audit.bundle)",
        "licence": "Apache-2.0, as cardflow",
        "keys": "the example keys of spec/audit-bundle.md section 8: private seeds "
        'SHA-256("cardflow example log key") and SHA-256("cardflow example witness key")',
        "causes": 'a valid case verifies as "complete as of tree size N"; an invalid one '
        "is refused at the first step of section 6 that fails, and the verifier's report "
        "contains its cause",
        "log_key": str(LOG.verifier()),
        "witness_key": str(WITNESS.key()),
        "cases": [case.vector() for case in cases()],
    }


def written(document: Mapping[str, Any]) -> str:
    """The text of ``bundles.json`` for ``document``."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    OUT.write_text(written(vectors()), encoding="utf-8")


if __name__ == "__main__":
    main()
