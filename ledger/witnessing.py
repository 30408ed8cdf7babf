"""Asking witnesses to cosign the ledger's checkpoints (C2SP ``tlog-witness``), keeping
what they cosign, and checking the ledger against what a witness holds.

A witness keeps, for each log it follows, the latest checkpoint it cosigned, and
cosigns a new one only with a consistency proof from that one: a log rewritten under
its key (the key stolen with the database) cannot get a cosignature for the new tree,
and a checkpoint the log signed and later lost is still held by every witness that
cosigned it. Witnesses are asked off the request path; one that is down is told in the
log and asked again on the next round, and nothing waits for it.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol
from urllib.parse import quote

import structlog

from ledger.cosignature import CosignerKey, cosignatures
from ledger.errors import NoteError, ProofError, WitnessUnreachable
from ledger.merkle import verify_consistency
from ledger.note import SIGNATURE_PREFIX, Checkpoint, with_signatures
from ledger.proofs import prove_consistency
from ledger.store import KeptCosignature, Ledger, SignedCheckpoint

log = structlog.get_logger()

SIZE_TYPE: Final = "text/x.tlog.size"
"""The content type of a witness's 409 naming the size it holds."""
TIMEOUT: Final = 5.0
"""Seconds a witness is given to answer."""
LONGEST_PAUSE: Final = timedelta(minutes=5)
"""The longest a witness that keeps failing is left alone between two tries."""
_MOST_ANSWER: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Witness:
    """A witness cardflow asks to cosign its checkpoints: where it takes them (its
    submission prefix, ``add-checkpoint`` is added) and its cosigner key."""

    url: str
    key: CosignerKey

    @classmethod
    def parse(cls, text: str) -> Witness:
        """A witness written ``<URL>=<witness key>``, the URL http(s) with no ``=``."""
        url, equals, key = text.strip().partition("=")
        if not equals or not url.startswith(("http://", "https://")):
            raise NoteError(f"a witness is <http(s) URL>=<witness key>, not {text.strip()[:80]!r}")
        return cls(url.rstrip("/"), CosignerKey.parse(key))

    def __str__(self) -> str:
        return f"{self.url}={self.key}"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a witness answered: the status, its content type and its body."""

    status: int
    content_type: str
    body: bytes

    def said(self) -> str:
        """The first line of the body, fit for a log line."""
        first = self.body[:200].decode("utf-8", "replace").partition("\n")[0]
        return "".join(c if c.isprintable() else "?" for c in first)


class Transport(Protocol):
    """How witnesses are reached: a POST and a GET, ``WitnessUnreachable`` if no answer."""

    def post(self, url: str, body: bytes) -> Answer: ...

    def get(self, url: str) -> Answer: ...


class HttpTransport:
    """Witnesses over HTTP, with the standard library, each call bounded by ``timeout``."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout

    def post(self, url: str, body: bytes) -> Answer:
        return self._call(url, "POST", body)

    def get(self, url: str) -> Answer:
        return self._call(url, "GET", None)

    def _call(self, url: str, method: str, body: bytes | None) -> Answer:
        if not url.startswith(("http://", "https://")):
            raise WitnessUnreachable(f"{url} is not an http(s) URL")
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (http(s) only)
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310
            with response:
                return Answer(
                    response.status,
                    response.headers.get_content_type(),
                    response.read(_MOST_ANSWER),
                )
        except urllib.error.HTTPError as refused:
            return Answer(
                refused.code, refused.headers.get_content_type(), refused.read(_MOST_ANSWER)
            )
        except (OSError, ValueError) as failed:
            raise WitnessUnreachable(f"{url}: {failed}") from None


def add_checkpoint_body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    """An ``add-checkpoint`` request: the old size, the consistency proof, the note."""
    lines = [f"old {old}", *(base64.b64encode(node).decode() for node in proof)]
    return ("".join(f"{line}\n" for line in lines) + "\n" + note).encode()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What asking one witness came to: whether it cosigned the checkpoint of ``size``
    entries, and else what it said."""

    witness: Witness
    size: int
    cosigned: bool
    said: str


@dataclass(frozen=True, slots=True)
class WitnessStatus:
    """Whether a configured witness has cosigned the checkpoint served, and the largest
    checkpoint it has cosigned (``None``: none)."""

    witness: Witness
    cosigned: bool
    last_size: int | None


def _now() -> datetime:
    return datetime.now(UTC)


class Witnessing:
    """The witnesses one ledger's checkpoints are sent to, and what they cosigned."""

    def __init__(
        self,
        ledger: Ledger,
        witnesses: Sequence[Witness],
        *,
        transport: Transport | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.ledger = ledger
        self.witnesses = tuple(witnesses)
        self._transport = transport or HttpTransport()
        self._clock = clock
        self._failures: dict[Witness, int] = {}
        self._paused_until: dict[Witness, datetime] = {}

    def round(self) -> list[Outcome]:
        """Send the latest checkpoint to each witness that has not cosigned it, except
        those left alone a while after failing; what each came to. Never raises for a
        witness: a failure is logged, and the witness asked again later."""
        latest = self.ledger.latest_checkpoint()
        if latest is None or not self.witnesses:
            return []
        held = {kept.witness for kept in self._holding(latest)}
        now = self._clock()
        outcomes = []
        for witness in self.witnesses:
            if str(witness.key) in held or self._paused_until.get(witness, now) > now:
                continue
            outcome = self.ask(witness, latest)
            self._note(outcome, now)
            outcomes.append(outcome)
        return outcomes

    def ask(self, witness: Witness, checkpoint: SignedCheckpoint) -> Outcome:
        """Ask ``witness`` to cosign ``checkpoint``, from the size it last cosigned (or,
        when it says it holds another, from that one, once); keep its cosignature."""
        old = self.ledger.last_cosigned().get(str(witness.key), 0)
        if old > checkpoint.size:
            old = 0  # it will say what it holds
        for attempt in (1, 2):
            try:
                # from the empty tree there is nothing to prove: the proof is empty
                proof = (
                    [] if old == 0 else prove_consistency(self.ledger, old, checkpoint.size).path
                )
            except ProofError as none:
                return Outcome(witness, checkpoint.size, False, f"no proof from {old}: {none}")
            try:
                answer = self._transport.post(
                    f"{witness.url}/add-checkpoint",
                    add_checkpoint_body(old, proof, checkpoint.note),
                )
            except WitnessUnreachable as down:
                return Outcome(witness, checkpoint.size, False, f"unreachable: {down}")
            if answer.status == 200:
                return self._cosigned(witness, checkpoint, answer)
            held = _held_size(answer)
            if held is None or attempt == 2:
                return Outcome(
                    witness, checkpoint.size, False, f"refused ({answer.status}): {answer.said()}"
                )
            if held > checkpoint.size:
                return Outcome(
                    witness,
                    checkpoint.size,
                    False,
                    f"it holds a checkpoint of {held} entries, larger than this one of "
                    f"{checkpoint.size}: the ledger lost entries or checkpoints",
                )
            old = held
        raise AssertionError("unreachable: the second attempt always returns")

    def _cosigned(self, witness: Witness, checkpoint: SignedCheckpoint, answer: Answer) -> Outcome:
        lines = answer.body.decode("utf-8", "replace").split("\n")
        signatures = [line for line in lines if line.startswith(SIGNATURE_PREFIX)]
        try:
            found = cosignatures(with_signatures(checkpoint.note, signatures), [witness.key])
        except NoteError as bad:
            return Outcome(witness, checkpoint.size, False, f"its answer is unusable: {bad}")
        if not found:
            return Outcome(
                witness, checkpoint.size, False, "its answer holds no cosignature of its key"
            )
        line = found[0].cosignature.line
        self.ledger.keep_cosignature(
            KeptCosignature(str(witness.key), checkpoint.size, line, self._clock())
        )
        return Outcome(witness, checkpoint.size, True, "cosigned")

    def _note(self, outcome: Outcome, now: datetime) -> None:
        witness = outcome.witness
        if outcome.cosigned:
            self._failures.pop(witness, None)
            self._paused_until.pop(witness, None)
            log.info("witness cosigned", witness=witness.key.name, size=outcome.size)
            return
        failures = self._failures.get(witness, 0) + 1
        self._failures[witness] = failures
        pause = min(timedelta(seconds=2 ** min(failures, 16)), LONGEST_PAUSE)
        self._paused_until[witness] = now + pause
        log.warning(
            "witness did not cosign",
            witness=witness.key.name,
            size=outcome.size,
            said=outcome.said,
            retry_in=pause.total_seconds(),
        )

    def cosigned(self, checkpoint: SignedCheckpoint) -> SignedCheckpoint:
        """``checkpoint`` with the stored cosignatures on it that hold added to its note."""
        lines = [kept.line for kept in self._holding(checkpoint)]
        return (
            replace(checkpoint, note=with_signatures(checkpoint.note, lines))
            if lines
            else checkpoint
        )

    def status(self, checkpoint: SignedCheckpoint) -> list[WitnessStatus]:
        """Each configured witness: whether it cosigned ``checkpoint``, and its largest."""
        held = {kept.witness for kept in self._holding(checkpoint)}
        last = self.ledger.last_cosigned()
        return [
            WitnessStatus(witness, str(witness.key) in held, last.get(str(witness.key)))
            for witness in self.witnesses
        ]

    def _holding(self, checkpoint: SignedCheckpoint) -> list[KeptCosignature]:
        """The stored cosignatures of ``checkpoint``'s size, of a configured witness,
        that hold on it: one stored for another tree of that size (the ledger was
        rewritten under it) is no cosignature of this one, and is told in the log."""
        keys = {str(witness.key): witness.key for witness in self.witnesses}
        holding = []
        for kept in self.ledger.cosignatures(checkpoint.size):
            key = keys.get(kept.witness)
            if key is None:
                continue
            try:
                cosignatures(with_signatures(checkpoint.note, [kept.line]), [key])
            except NoteError as false:
                log.warning("a kept cosignature does not hold", witness=key.name, said=str(false))
                continue
            holding.append(kept)
        return holding


def _held_size(answer: Answer) -> int | None:
    """The size a 409 says the witness holds, if it is that 409."""
    if answer.status != 409 or answer.content_type != SIZE_TYPE:
        return None
    text = answer.body.decode("ascii", "replace")
    digits = text.removesuffix("\n")
    if not digits.isdigit() or (digits != "0" and digits.startswith("0")):
        return None
    return int(digits)


def witness_checkpoint(url: str, origin: str, transport: Transport | None = None) -> str | None:
    """The latest checkpoint the witness at ``url`` cosigned for the log ``origin``, as
    the note it serves (the log's signature and its own), or ``None`` if it holds none;
    ``WitnessUnreachable`` if it cannot be had."""
    answer = (transport or HttpTransport()).get(
        f"{url.rstrip('/')}/checkpoints/{quote(origin, safe='')}"
    )
    if answer.status == 404:
        return None
    if answer.status != 200:
        raise WitnessUnreachable(f"{url} answered {answer.status}: {answer.said()}")
    try:
        return answer.body.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessUnreachable(f"{url} answered a checkpoint that is not UTF-8") from None


def witnessed_problems(ledger: Ledger, who: str, checkpoint: Checkpoint) -> list[str]:
    """What is wrong with ``ledger`` given that the witness ``who`` cosigned
    ``checkpoint`` (its log signature checked): entries or a checkpoint it no longer
    holds, or a tree that did not grow from the one cosigned."""
    tip = ledger.tip().size
    if checkpoint.size > tip:
        return [
            f"{who} cosigned a checkpoint of {checkpoint.size} entries, and the ledger "
            f"holds {tip}: entries were removed"
        ]
    problems = []
    stored = {signed.size: signed.root for signed in ledger.checkpoints()}
    if checkpoint.size not in stored:
        problems.append(
            f"{who} cosigned checkpoint {checkpoint.size}, which the ledger does not store: "
            "a signed checkpoint was deleted"
        )
    try:
        if checkpoint.size:  # every tree grows from the empty one
            grown = prove_consistency(ledger, checkpoint.size, tip)
            verify_consistency(checkpoint.size, tip, grown.path, checkpoint.root, grown.second_root)
    except ProofError as forked:
        problems.append(
            f"the ledger's tree did not grow from the checkpoint of {checkpoint.size} "
            f"entries {who} cosigned: {forked}"
        )
    return problems
