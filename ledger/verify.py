"""Recompute the chain and the Merkle tree, check the checkpoints, and compare the card
heads with a replay of the entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ledger.binding import Keyring
from ledger.cardmap import EMPTY
from ledger.diagnosis import Prefixes, diagnose
from ledger.entry import GENESIS_HASH, Entry
from ledger.leaves import CHUNK, scanned
from ledger.maps import MapReplay, map_root_of
from ledger.merkle import Frontier, Node, completion, node_hash
from ledger.note import Checkpoint, NoteError, note_parts, opened_note
from ledger.store import Head, Ledger, Receipt, SignedCheckpoint, Unreadable


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
    checkpoints: int = 0
    """How many signed checkpoints the entries were checked against, stored and held."""

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
    keys: Keyring | None = None,
    held: Sequence[Checkpoint] = (),
    jobs: int = 1,
    chunk: int = CHUNK,
) -> Report:
    """Check every entry's hash, link and place, the Merkle tree, the checkpoints, then
    the heads and the tip.

    With ``jobs`` > 1, that many worker processes read, decode, re-encode and re-hash the
    entries, ``chunk`` at a time (``ledger.leaves``); everything that links entries is
    checked here, in order, from what they found, so the report is the one ``jobs=1``
    gives.

    Catches an entry edited, deleted or moved, a Merkle tree whose leaves or root are not
    the entries', a stored checkpoint whose root or signature is not what it says, and a
    head that disagrees with the entries. It cannot catch, from the database alone, a
    rewrite that recomputes every later hash, the tree and the stored checkpoints: that
    is what ``held`` is for -- checkpoints signed earlier and kept outside the database
    (a supervisor's copy), each of which the entries must still have.

    Writers may go on appending while it runs: the tip is read before the scan, and
    what was appended after it is not mistaken for damage.
    """
    tip = ledger.tip()
    signed = {checkpoint.size: checkpoint for checkpoint in ledger.checkpoints()}
    problems = _signatures(signed.values(), keys) + _forks(held, signed)
    claims = [_Claim(c.size, c.root, f"checkpoint {c.size}") for c in signed.values()] + [
        _Claim(c.size, c.root, f"the checkpoint held for {c.size} entries", held=True) for c in held
    ]
    prefixes = Prefixes.of(claim.size for claim in claims)
    tree = _TreeCheck(ledger.tree_nodes, claims, problems, watch=tip.size, prefixes=prefixes)
    missing_from: int | None = None
    maps = MapReplay(ledger.map_nodes, _map_claims(signed.values(), problems))
    receipts: dict[int, list[Receipt]] = {}
    for receipt in ledger.receipts():
        if receipt.seq <= tip.size:
            receipts.setdefault(receipt.seq, []).append(receipt)
    replay: dict[str, Head] = {}
    chained: dict[str, str] = {}
    expected_seq = 1
    prev_hash = GENESIS_HASH
    hash_at_tip = GENESIS_HASH if tip.size == 0 else None
    count = 0
    for scanned_item in scanned(ledger, size=tip.size, jobs=jobs, chunk=chunk):
        count += 1
        if progress is not None:
            progress(count)
        if isinstance(scanned_item, Unreadable):
            seq, reason = scanned_item.seq, scanned_item.reason
            problems.append(Problem(seq, f"entry {seq} cannot be read: {reason}"))
            expected_seq = seq + 1
            prev_hash = ""
            continue
        item, altered, leaf = scanned_item
        if item.seq != expected_seq:
            if item.seq > expected_seq:
                missing_from = missing_from or expected_seq
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
        if altered:
            problems.append(
                Problem(
                    item.seq, f"entry {item.seq} was altered: its contents do not match its hash"
                )
            )
        _replay(item, replay, problems)
        if item.card_prev != chained.get(item.card_id, GENESIS_HASH):
            problems.append(
                Problem(
                    item.seq,
                    f"entry {item.seq} does not link to the previous entry of card {item.card_id}",
                )
            )
        chained[item.card_id] = item.hash
        problems += _receipts_of(item, receipts.pop(item.seq, ()))
        tree.add(item.seq, leaf)
        if item.seq == count:  # the map grows over the entries while none is missing
            problems += [Problem(None, what) for what in maps.add(item)]
        expected_seq = item.seq + 1
        prev_hash = item.hash
        if item.seq == tip.size:
            hash_at_tip = item.hash

    last = expected_seq - 1
    if last < tip.size:
        problems.append(
            Problem(
                last + 1,
                f"the ledger recorded {tip.size} entries but holds {last}: its tail was removed",
            )
        )
    elif hash_at_tip != tip.hash:
        problems.append(
            Problem(tip.size, f"entry {tip.size} is not the last entry the ledger recorded")
        )
    elif tree.watched_root not in (None, bytes.fromhex(tip.root)):
        problems.append(
            Problem(None, f"the Merkle root recorded for {tip.size} entries is not theirs")
        )
    elif tree.watched_frontier not in (None, tip.frontier):
        problems.append(
            Problem(
                None,
                f"the frontier recorded for {tip.size} entries is not the right edge of their tree",
            )
        )
    problems += (
        Problem(
            seq,
            f"a receipt of {receipt.actor} answers for entry {seq}, which the ledger does not hold",
        )
        for seq, held in sorted(receipts.items())
        for receipt in held
    )
    beyond = min((claim for claim in claims if claim.size > last), default=None)
    if beyond is not None:
        problems.append(
            Problem(
                last + 1,
                f"{beyond.label} was signed, and the ledger holds {last} entries: "
                "its tail was removed",
            )
        )
    moved_on = _compare_heads(ledger, replay, last, problems)
    tip_now = ledger.tip()
    if last > tip_now.size:
        problems.append(
            Problem(
                tip_now.size + 1,
                f"the ledger recorded {tip_now.size} entries but holds {last}: "
                "entries bypassed the tip",
            )
        )
    problems += (
        Problem(
            None,
            f"card {head.card_id} is recorded as moved by entry {head.last_seq}, "
            "which the ledger does not hold",
        )
        for head in moved_on
        if head.last_seq > tip_now.size
    )
    if prefixes.grown in (last, (missing_from or 0) - 1):
        found = diagnose(ledger, claims, prefixes, gap=missing_from is not None)
        if found is not None:
            problems.append(Problem(found.first if found.exact else None, found.sentence()))
    checked = len({(claim.size, claim.root) for claim in claims})
    return Report(count, len(replay), tuple(problems), checked)


class _Claim(NamedTuple):
    """A signed checkpoint's word: the first ``size`` entries have ``root``."""

    size: int
    root: bytes
    label: str
    held: bool = False
    """Kept outside the database by a supervisor, rather than stored in it."""


class _TreeCheck:
    """Grows the tree over the entries as they are scanned and compares each node an
    append completes with the stored one, read in the same order in one pass.

    The stored nodes are first read once the scan has begun, so that they are at least
    as recent as the entries: every node an entry completes is there to be compared.
    """

    def __init__(
        self,
        stored: Callable[[], Iterator[Node]],
        claims: Sequence[_Claim],
        problems: list[Problem],
        *,
        watch: int,
        prefixes: Prefixes,
    ) -> None:
        self._read_stored = stored
        self._prefixes = prefixes
        self._stored: Iterator[Node] | None = None
        self._next: Node | None = None
        self._claims: dict[int, list[_Claim]] = {}
        for claim in claims:
            self._claims.setdefault(claim.size, []).append(claim)
        self._size = 0
        self._roots: list[bytes] = []
        self._growing = True
        self._stored_intact = True
        self._problems = problems
        self._watch = watch
        self.watched_root: bytes | None = None
        """The root of the first ``watch`` entries, once the tree has grown over them."""
        self.watched_frontier: tuple[bytes, ...] | None = None
        self._at_size()

    def add(self, seq: int, leaf: bytes) -> None:
        """Append ``leaf``, entry ``seq``'s, while the scanned entries run on without a
        gap; compare the stored nodes until the first that is wrong."""
        size = self._size
        if not self._growing or seq != size + 1:
            self._growing = False
            return
        roots = self._roots
        completed = [(0, size, leaf)]
        carry, level = leaf, 0
        while (size >> level) & 1:
            carry = node_hash(roots.pop(), carry)
            level += 1
            completed.append((level, (size + 1 >> level) - 1, carry))
        roots.append(carry)
        self._size = size + 1
        self._at_size()
        if not self._stored_intact:
            return
        wrong = next(((lv, i) for lv, i, h in completed if self._stored_node(lv, i) != h), None)
        if wrong is None:
            return
        self._stored_intact = False
        level, index = wrong
        if level == 0:
            self._problems.append(
                Problem(seq, f"entry {seq} is not the leaf the Merkle tree holds")
            )
            return
        first, last = index << level, (index + 1 << level) - 1
        self._problems.append(
            Problem(
                first + 1,
                f"the Merkle tree's node over entries {first + 1} to {last + 1} is not theirs",
            )
        )

    def _stored_node(self, level: int, index: int) -> bytes | None:
        if self._stored is None:
            self._stored = self._read_stored()
            self._next = next(self._stored, None)
        wanted = completion(level, index)
        while self._next is not None and completion(*self._next[:2]) < wanted:
            self._next = next(self._stored, None)
        if self._next is None or self._next[:2] != (level, index):
            return None
        return self._next[2]

    def _at_size(self) -> None:
        """Note the root if it is the watched one, and compare it with each checkpoint
        signed for this many entries; the tree is folded only at the sizes that ask."""
        size = self._size
        claims = self._claims.get(size, ())
        if not (claims or size == self._watch or self._prefixes.wants(size)):
            self._prefixes.grown = size
            return
        frontier = Frontier(size, tuple(self._roots))
        root = frontier.root()
        self._prefixes.grew(frontier)
        if size == self._watch:
            self.watched_root = root
            self.watched_frontier = frontier.roots
        for claim in claims:
            if claim.root != root:
                self._problems.append(
                    Problem(
                        size or None,
                        f"{claim.label} signed a root the first {size} entries do not have",
                    )
                )


def _forks(held: Sequence[Checkpoint], signed: Mapping[int, SignedCheckpoint]) -> list[Problem]:
    """Two signed checkpoints of one size with different roots: the log showed two trees."""
    return [
        Problem(
            None,
            f"two checkpoints of size {checkpoint.size} have different roots: the one held "
            "and the one the ledger stores (the log was forked)",
        )
        for checkpoint in held
        if checkpoint.size in signed and signed[checkpoint.size].root != checkpoint.root
    ]


def _signatures(checkpoints: Iterable[SignedCheckpoint], keys: Keyring | None) -> list[Problem]:
    """Each stored checkpoint's note, opened with a key of ``keys`` that may sign a tree
    of its size (read unopened when no key is given), says what it was stored as."""
    found = []
    for checkpoint in checkpoints:
        try:
            text = (
                note_parts(checkpoint.note)[0]
                if keys is None
                else opened_note(checkpoint.note, keys.verifiers_for(checkpoint.size))
            )
            said = Checkpoint.parse(text)
        except NoteError as bad:
            found.append(Problem(None, f"checkpoint {checkpoint.size}: {bad}"))
            continue
        if (said.size, said.root) != (checkpoint.size, checkpoint.root):
            found.append(
                Problem(None, f"checkpoint {checkpoint.size} is stored apart from what it signed")
            )
    return found


def _map_claims(
    checkpoints: Iterable[SignedCheckpoint], problems: list[Problem]
) -> list[tuple[int, bytes]]:
    """The card map root each stored checkpoint signs, by size; one that carries none,
    or carries one of the empty map for a tree that is not empty, is a problem."""
    claims = []
    for checkpoint in checkpoints:
        try:
            root = map_root_of(Checkpoint.parse(note_parts(checkpoint.note)[0]))
        except NoteError as bad:
            problems.append(Problem(None, f"checkpoint {checkpoint.size}: {bad}"))
            continue
        if checkpoint.size == 0:
            if root != EMPTY:
                problems.append(Problem(None, "checkpoint 0 signed a card map that is not empty"))
            continue
        claims.append((checkpoint.size, root))
    return claims


def _receipts_of(entry: Entry, receipts: Iterable[Receipt]) -> list[Problem]:
    """Each receipt kept for ``entry``, compared with what the entry says."""
    found = []
    for receipt in receipts:
        said = (entry.actor, entry.idempotency_key, entry.fingerprint or "", entry.card_id)
        held = (receipt.actor, receipt.key, receipt.fingerprint, receipt.card_id)
        if said != held or (receipt.version, receipt.recorded_at) != (
            entry.version,
            entry.recorded_at,
        ):
            found.append(
                Problem(
                    entry.seq,
                    f"a receipt of {receipt.actor} for entry {entry.seq} is not what the entry "
                    "says (its key, fingerprint, card, version or time)",
                )
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


def _compare_heads(
    ledger: Ledger, replay: dict[str, Head], last: int, problems: list[Problem]
) -> list[Head]:
    """Compare every head with the replay; return the heads moved by entries past
    ``last``, the end of the scan, for the caller to check against the tip."""
    seen: set[str] = set()
    moved_on: list[Head] = []
    for head in ledger.heads():
        seen.add(head.card_id)
        rebuilt = replay.get(head.card_id)
        if head.last_seq > last:
            moved_on.append(head)
        elif rebuilt is None:
            problems.append(
                Problem(None, f"card {head.card_id} is recorded, but no entry ever opened it")
            )
        elif rebuilt != head:
            differs = ", ".join(
                f"{name} {recorded} (entries say {said})"
                for name, recorded, said in head.differences(rebuilt)
            )
            problems.append(
                Problem(rebuilt.last_seq, f"card {head.card_id} is recorded with {differs}")
            )
    for card_id in sorted(replay.keys() - seen):
        problems.append(
            Problem(replay[card_id].last_seq, f"card {card_id} has entries but no head")
        )
    return moved_on
