"""``/v1/ledger``'s bodies: entries as hashed, the feed, proofs and the full check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from api.examples import CARD_ID, HASH, SUBJECT, destination, evidence, samples
from api.ledger.runs import Run
from api.shared import Timestamp
from ledger.audit import Witnessed
from ledger.binding import LogKeys
from ledger.entry import Entry
from ledger.proofs import Consistency, Inclusion
from workflow.definition import DEFINITION_VERSION, RULES_BY_PAIR
from workflow.policy import DEFAULT_POLICY
from workflow.states import Channel, Event, State

_REVIEW: Final = RULES_BY_PAIR[Event.REVIEW, Channel.CARD_CENTER]

ENTRY_EXAMPLE: Final[dict[str, Any]] = {
    "seq": 42,
    "card_id": CARD_ID,
    "version": 2,
    "kind": "transition",
    "event": str(_REVIEW.event),
    "from_state": str(State.APPLIED),
    "to_state": str(destination(_REVIEW.event, State.APPLIED)),
    "channel": str(_REVIEW.channel),
    "actor": "api",
    "role": "clerk",
    "presenter": "self",
    "subject": SUBJECT,
    "occurred_at": "2026-03-02T01:30:00.000000Z",
    "recorded_at": "2026-03-02T01:30:00.123456Z",
    "evidence": {**evidence(_REVIEW.event, _REVIEW.channel), **samples(_REVIEW.issues)},
    "definition_version": DEFINITION_VERSION,
    "region": "default",
    "policy": DEFAULT_POLICY.label,
    "due_at": None,
    "exclusive": True,
    "idempotency_key": None,
    "batch_id": None,
    "fingerprint": None,
    "card_prev": "9b20" * 16,
    "prev_hash": "1c7e" * 16,
    "hash": HASH,
}


def meaning(name: str) -> str:
    """What entry field ``name`` means to a reader, as the entry's definition says."""
    doc: str = next(kept for kept in fields(Entry) if kept.name == name).metadata["doc"]
    return doc


class EntryOut(BaseModel):
    """One ledger entry, every field as hashed (``subject`` is an opaque person reference).

    Its fields are the entry's (``ledger.entry.Entry``), in order, each ``None`` where the
    entry's may be, each described as the entry's definition describes it; a test fails
    if the two drift.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [ENTRY_EXAMPLE]})

    seq: int
    card_id: str
    version: int
    kind: str
    event: str
    from_state: str | None
    to_state: str
    channel: str
    actor: str
    role: str
    presenter: str
    subject: str
    occurred_at: Timestamp
    recorded_at: Timestamp
    evidence: dict[str, bool | str]
    definition_version: str
    region: str = Field(description=meaning("region"))
    policy: str = Field(description=meaning("policy"))
    due_at: Timestamp | None = Field(description=meaning("due_at"))
    exclusive: bool = Field(description=meaning("exclusive"))
    idempotency_key: str | None
    batch_id: str | None = Field(description=meaning("batch_id"))
    fingerprint: str | None = Field(description=meaning("fingerprint"))
    card_prev: str = Field(description=meaning("card_prev"))
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls(**entry.unhashed(), hash=entry.hash)


class FeedOut(BaseModel):
    """A page of the ledger in sequence order; ask again with ``after=next_after``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"entries": [], "next_after": 42}]})

    entries: list[EntryOut]
    next_after: int = Field(
        description="The last sequence number returned, or ``after`` when none was."
    )

    @classmethod
    def of(cls, entries: Sequence[Entry], *, after: int) -> FeedOut:
        return cls(
            entries=[EntryOut.of(entry) for entry in entries],
            next_after=entries[-1].seq if entries else after,
        )


class VerifyProblemOut(BaseModel):
    """One thing the check found wrong, at the entry where it shows (if it shows in one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"seq": 7, "what": "entry 7 was altered: its contents do not match its hash"}
            ]
        }
    )

    seq: int | None
    what: str


class InclusionOut(BaseModel):
    """Entry ``seq`` is leaf ``seq - 1`` of the ledger's Merkle tree of ``tree_size``
    entries (RFC 6962): hash ``leaf_hash`` up the ``path`` and you reach ``root``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seq": 6,
                    "leaf_index": 5,
                    "tree_size": 8,
                    "leaf_hash": "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
                    "root": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
                    "path": [
                        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                    ],
                }
            ]
        }
    )

    seq: int
    leaf_index: int = Field(description="The leaf's index in the tree: `seq - 1`.")
    tree_size: int
    leaf_hash: str = Field(description="SHA-256(0x00 || the entry's canonical bytes), hex.")
    root: str = Field(description="The root of the tree of `tree_size` entries, hex.")
    path: list[str] = Field(description="The audit path, leaf end first, hex.")

    @classmethod
    def of(cls, proof: Inclusion) -> InclusionOut:
        return cls(
            seq=proof.seq,
            leaf_index=proof.seq - 1,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            root=proof.root.hex(),
            path=[node.hex() for node in proof.path],
        )


class ConsistencyOut(BaseModel):
    """The ledger's tree of ``first`` entries is a prefix of its tree of ``second``
    (RFC 6962): nothing recorded by then was changed, removed or reordered since."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first": 2,
                    "second": 5,
                    "first_root": "fac54203e7cc696cf0dfcb42c92a1d9d"
                    "baf70ad9e621f4bd8d98662f00e3c125",
                    "second_root": "4e3bbb1f7b478dcfe71fb631631519a3"
                    "bca12c9aefca1612bfce4c13a86264d4",
                    "path": [
                        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    ],
                }
            ]
        }
    )

    first: int
    second: int
    first_root: str
    second_root: str
    path: list[str]

    @classmethod
    def of(cls, proof: Consistency) -> ConsistencyOut:
        return cls(
            first=proof.first,
            second=proof.second,
            first_root=proof.first_root.hex(),
            second_root=proof.second_root.hex(),
            path=[node.hex() for node in proof.path],
        )


class VerifyRunOut(BaseModel):
    """The server's last whole-ledger check, and whether one is under way: served from
    the runs kept, never by checking again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "running_since": None,
                    "started_at": "2026-11-23T01:00:00.000000Z",
                    "finished_at": "2026-11-23T01:00:04.250000Z",
                    "seconds": 4.25,
                    "stopped": None,
                    "ok": True,
                    "entries": 42,
                    "cards": 9,
                    "checkpoints": 3,
                    "first_bad_seq": None,
                    "problems": [],
                }
            ]
        }
    )

    running_since: Timestamp | None = Field(
        description="When the run under way started; null when none is."
    )
    started_at: Timestamp | None = Field(
        description="When the last finished run started; null if none has finished."
    )
    finished_at: Timestamp | None
    seconds: float | None = Field(description="How long the last finished run took.")
    stopped: str | None = Field(
        description="Why the last run stopped short of a report (the server stopped); "
        "null if it finished its check."
    )
    ok: bool | None = Field(description="What the last run found; null if it found nothing.")
    entries: int | None
    cards: int | None
    checkpoints: int | None
    first_bad_seq: int | None
    problems: list[VerifyProblemOut] = Field(
        description="The first problems the last run found (at most 20: "
        "`cardflow audit fsck` names every one)."
    )

    @classmethod
    def of(cls, last: Run | None, running: Run | None) -> VerifyRunOut:
        report = None if last is None else last.report
        return cls(
            running_since=None if running is None else running.started_at,
            started_at=None if last is None else last.started_at,
            finished_at=None if last is None else last.finished_at,
            seconds=None if last is None else last.seconds,
            stopped=None if last is None else last.stopped,
            ok=None if report is None else report.ok,
            entries=None if report is None else report.entries,
            cards=None if report is None else report.cards,
            checkpoints=None if report is None else report.checkpoints,
            first_bad_seq=None if report is None else report.first_bad_seq,
            problems=[]
            if report is None
            else [VerifyProblemOut(seq=p.seq, what=p.what) for p in report.problems],
        )


class LogKeyOut(BaseModel):
    """A log key the database is bound to, with the trees it signs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "cardflow/ledger+c7c26f02+ARLqRh5voz8dv5hxCwWg+Ct6KfsdU7pepaS3BRTNMp6k",
                    "first_size": 0,
                    "last_size": 77,
                }
            ]
        }
    )

    key: str = Field(description="The verifier key, `<name>+<key id>+<base64 key>`.")
    first_size: int = Field(description="The smallest tree size it signs.")
    last_size: int | None = Field(
        description="The largest tree size it signs; `null` for the current key."
    )

    @classmethod
    def all_of(cls, keys: LogKeys) -> list[LogKeyOut]:
        return [
            cls(key=str(verifier), first_size=first, last_size=last)
            for verifier, first, last in keys.ranges()
        ]


_WITNESS_EXAMPLE: Final[dict[str, Any]] = {
    "name": "office.example/w1",
    "key": "office.example/w1+5b8f3e2a+BNq1u2eXDgFJgRm0Ab0qk4HfAbR0kkVJfX1Bq2oGPvu8",
    "cosigned": True,
    "last_size": 42,
}


class WitnessOut(BaseModel):
    """A witness the server is configured to ask, and what it has cosigned."""

    model_config = ConfigDict(json_schema_extra={"examples": [_WITNESS_EXAMPLE]})

    name: str = Field(description="The witness's name, as its cosignature lines give it.")
    key: str = Field(description="Its cosigner key, `<name>+<key id>+<base64(0x04 || key)>`.")
    cosigned: bool = Field(description="Whether its cosignature is on the note served.")
    last_size: int | None = Field(
        description="The size of the largest checkpoint it has cosigned; null if none."
    )


class CheckpointOut(BaseModel):
    """The latest checkpoint, cosigned by the witnesses that have, and which have."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "note": "cardflow/ledger\n42\nq8v0...=\n\n\u2014 cardflow/ledger x7Ly...\n"
                    "\u2014 office.example/w1 AbCd...\n",
                    "size": 42,
                    "root": HASH,
                    "witnesses": [_WITNESS_EXAMPLE],
                }
            ]
        }
    )

    note: str = Field(
        description="The checkpoint as a C2SP signed note: the log's signature, then each "
        "witness's `cosignature/v1` line."
    )
    size: int
    root: str = Field(description="The root of the tree of `size` entries, in hex.")
    witnesses: list[WitnessOut]

    @classmethod
    def of(cls, witnessed: Witnessed) -> CheckpointOut:
        signed = witnessed.checkpoint
        return cls(
            note=signed.note,
            size=signed.size,
            root=signed.root.hex(),
            witnesses=[
                WitnessOut(
                    name=status.witness.key.name,
                    key=str(status.witness.key),
                    cosigned=status.cosigned,
                    last_size=status.last_size,
                )
                for status in witnessed.witnesses
            ],
        )
