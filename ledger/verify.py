"""Recompute the chain and compare the card heads with a replay of the entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from ledger.entry import GENESIS_HASH, Entry
from ledger.merkle import Frontier, leaf_hash
from ledger.note import Checkpoint, NoteError, Verifier, open_note
from ledger.store import Head, Ledger, SignedCheckpoint, Unreadable


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing found wrong; ``seq`` is the entry where it shows, if it shows in one."""

    seq: int | None
    what: str


@dataclass(frozen=True, slots=True)
class Report:
    """What ``verify`` checked and what it found."""

    entries: int
    cards: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        return next((p.seq for p in self.problems if p.seq is not None), None)


def verify(
    ledger: Ledger,
    *,
    progress: Callable[[int], None] | None = None,
    verifier: Verifier | None = None,
) -> Report:
    """Check every entry's hash, link and place, then the heads and the tip.

    Catches an entry edited, deleted or moved, a Merkle tree whose leaves or root are not
    the entries', and a head that disagrees with the entries. It cannot catch a rewrite
    that recomputes every later hash and the tree too: that is what signed checkpoints
    held outside the database are for.
    """
    problems: list[Problem] = []
    replay: dict[str, Head] = {}
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0
    frontier = Frontier()
    tree_intact = True
    signed = {checkpoint.size: checkpoint for checkpoint in ledger.checkpoints()}
    problems += _signatures(signed.values(), verifier)
    _against_checkpoint(signed.get(0), frontier, problems)
    for item in ledger.scan():
        count += 1
        if progress is not None:
            progress(count)
        if isinstance(item, Unreadable):
            problems.append(Problem(item.seq, f"entry {item.seq} cannot be read: {item.reason}"))
            expected_seq = item.seq + 1
            prev_hash = ""
            continue
        if item.seq != expected_seq:
            if item.seq > expected_seq:
                missing = (
                    f"{expected_seq}"
                    if item.seq == expected_seq + 1
                    else (f"{expected_seq} to {item.seq - 1}")
                )
                problems.append(Problem(expected_seq, f"entry {missing} is missing"))
            else:
                problems.append(Problem(item.seq, f"entry {item.seq} is out of order"))
        elif prev_hash and item.prev_hash != prev_hash:
            problems.append(
                Problem(item.seq, f"entry {item.seq} does not link to the entry before it")
            )
        if item.computed_hash() != item.hash:
            problems.append(
                Problem(
                    item.seq, f"entry {item.seq} was altered: its contents do not match its hash"
                )
            )
        _replay(item, replay, problems)
        leaf = leaf_hash(item.encode())
        if tree_intact and item.seq == frontier.size + 1:
            frontier, completed = frontier.append(leaf)
            _against_checkpoint(signed.get(frontier.size), frontier, problems)
            wrong = next(((lv, i) for lv, i, h in completed if ledger.tree_node(lv, i) != h), None)
            if wrong == (0, item.seq - 1):
                tree_intact = False
                problems.append(
                    Problem(item.seq, f"entry {item.seq} is not the leaf the Merkle tree holds")
                )
            elif wrong is not None:
                tree_intact = False
                level, index = wrong
                first, last = index << level, (index + 1 << level) - 1
                problems.append(
                    Problem(
                        first + 1,
                        f"the Merkle tree's node over entries {first + 1} to {last + 1} "
                        "is not theirs",
                    )
                )
        expected_seq = item.seq + 1
        prev_hash = item.hash

    tip = ledger.tip()
    held = expected_seq - 1
    if tip.size != held:
        problems.append(
            Problem(
                min(tip.size, held) + 1,
                f"the ledger recorded {tip.size} entries but holds {held}: "
                + ("its tail was removed" if tip.size > held else "entries bypassed the tip"),
            )
        )
    elif held and tip.hash != prev_hash:
        problems.append(Problem(held, f"entry {held} is not the last entry the ledger recorded"))
    elif tree_intact and frontier.size == held and tip.root != frontier.root().hex():
        problems.append(Problem(None, f"the Merkle root recorded for {held} entries is not theirs"))
    beyond = [size for size in signed if size > held]
    if beyond:
        problems.append(
            Problem(
                held + 1,
                f"checkpoint {max(beyond)} was signed, and the ledger holds {held} entries: "
                "its tail was removed",
            )
        )
    _compare_heads(ledger, replay, problems)
    return Report(count, len(replay), tuple(problems))


def _against_checkpoint(
    checkpoint: SignedCheckpoint | None, frontier: Frontier, problems: list[Problem]
) -> None:
    """Whether the entries so far have the root ``checkpoint`` signed for their number."""
    if checkpoint is not None and checkpoint.root != frontier.root():
        size = checkpoint.size
        problems.append(
            Problem(
                size or None,
                f"checkpoint {size} signed a root the first {size} entries do not have",
            )
        )


def _signatures(
    checkpoints: Iterable[SignedCheckpoint], verifier: Verifier | None
) -> list[Problem]:
    """Each stored checkpoint's note, opened with ``verifier``, says what it was stored as."""
    if verifier is None:
        return []
    found = []
    for checkpoint in checkpoints:
        try:
            said = Checkpoint.parse(open_note(checkpoint.note, verifier))
        except NoteError as bad:
            found.append(Problem(None, f"checkpoint {checkpoint.size}: {bad}"))
            continue
        if (said.size, said.root) != (checkpoint.size, checkpoint.root):
            found.append(
                Problem(None, f"checkpoint {checkpoint.size} is stored apart from what it signed")
            )
    return found


def _replay(entry: Entry, replay: dict[str, Head], problems: list[Problem]) -> None:
    before = replay.get(entry.card_id)
    if not entry.moves:
        if before is None or (entry.version, entry.from_state, entry.to_state) != (
            before.version,
            before.state,
            before.state,
        ):
            where = f"{before.state} v{before.version}" if before else "not open"
            problems.append(
                Problem(
                    entry.seq,
                    f"entry {entry.seq} notes card {entry.card_id} at {entry.to_state} "
                    f"v{entry.version}, but the card was {where}",
                )
            )
        return
    if before is None and (entry.version != 1 or entry.from_state is not None):
        problems.append(
            Problem(
                entry.seq,
                f"entry {entry.seq} opens card {entry.card_id} at version {entry.version}",
            )
        )
    elif before is not None and (
        entry.version != before.version + 1 or entry.from_state != before.state
    ):
        problems.append(
            Problem(
                entry.seq,
                f"entry {entry.seq} takes card {entry.card_id} from {entry.from_state} "
                f"v{entry.version - 1}, but its previous entry left it {before.state} "
                f"v{before.version}",
            )
        )
    replay[entry.card_id] = Head.opened(entry) if before is None else before.moved(entry)


def _compare_heads(ledger: Ledger, replay: dict[str, Head], problems: list[Problem]) -> None:
    seen: set[str] = set()
    for head in ledger.heads():
        seen.add(head.card_id)
        rebuilt = replay.get(head.card_id)
        if rebuilt is None:
            problems.append(
                Problem(None, f"card {head.card_id} is recorded, but no entry ever opened it")
            )
        elif rebuilt != head:
            differs = ", ".join(
                f"{name} {getattr(head, name)} (entries say {getattr(rebuilt, name)})"
                for name in (field.name for field in fields(head))
                if getattr(head, name) != getattr(rebuilt, name)
            )
            problems.append(
                Problem(rebuilt.last_seq, f"card {head.card_id} is recorded with {differs}")
            )
    for card_id in sorted(replay.keys() - seen):
        problems.append(
            Problem(replay[card_id].last_seq, f"card {card_id} has entries but no head")
        )
