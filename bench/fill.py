"""A bulk filler: real, verifiable ledgers of many cards, made fast.

Each card's drafts are made by cardflow's own use case functions (``workflow.cards``'
``opening`` and ``moved``, ``workflow.drafts.refusal``: the rules decide every step, the
person reference is keyed with the database's person key), and sealed through the
ledger's one planner: ``SqlLedger.append_many`` takes ``--batch`` cards at a time (each
card one request of all its drafts and its person), so entries, tree nodes, heads,
persons and the tip are exactly what cardflow writes, one lock and one commit a batch
instead of one a step. The ledger's clock is moved from ``--days`` ago to an hour ago,
batch by batch, so cards are opened across that span (the search's date filters have
something to choose). A checkpoint is signed at the end with the database's log key, as
a server would sign one, so that serving the file starts from a signed tree.

Card k takes one of these paths in turn (lengths 3 to 7, 5 entries a card on average
when ``--entries`` is five times ``--cards``; other ratios shift the lengths, clamped
to 1..7, and the count written is reported): applied, reviewed, produced; collected
(at the card center or a bank outlet); activated (at the card center, the 12333
hotline or a hospital); a refused activation noted before the one accepted; and a
temporary loss then a loss reported.

    .venv/bin/python -m bench.fill FOLDER --cards 10000 --entries 50000
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import structlog

from bench._load import APPLICATION, id_number
from bench.serving import cardflow
from ledger.append import Request
from ledger.audit import Audit
from ledger.note import Signer
from ledger.sql import SqlLedger
from ledger.store import Draft, Head
from workflow import cards, drafts
from workflow.errors import WorkflowError
from workflow.ports import Ports
from workflow.records import Actor, Applicant, Step
from workflow.states import Channel, Event, Role

BATCH: Final = 2000
DATABASE: Final = "cardflow.db"
FILLED: Final = "filled.json"
"""Written beside the database once a fill is complete: its sizes and how long it took."""
CLERK: Final = Actor("bench-fill-clerk", Role.CLERK)
BANK: Final = Actor("bench-fill-bank", Role.CLERK)
ACTIVATIONS: Final = (
    (Channel.CARD_CENTER, {"card_presented": True, "original_id": True}),
    (Channel.HOTLINE_12333, {"operator_identity_check": True}),
    (Channel.HOSPITAL, {"first_settlement": "outpatient_registration"}),
)
COLLECTIONS: Final = (Channel.CARD_CENTER, Channel.BANK_OUTLET)
COLLECTED: Final = {"collection_notice": "acceptance_receipt", "valid_id": True}
SHIFTS: Final = (-2, -1, 0, 1, 2)


@dataclass(frozen=True)
class Filled:
    """What a fill wrote, and how fast."""

    cards: int
    entries: int
    seconds: float
    checkpoint_seconds: float

    @property
    def rate(self) -> float:
        return self.entries / self.seconds if self.seconds else 0.0


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _after(draft: Draft, head: Head | None) -> Head:
    """The head ``draft`` leaves its card at (as far as the rules read a head)."""
    if not draft.moves:
        assert head is not None
        return head
    return Head(
        draft.card_id,
        draft.version,
        draft.to_state,
        0,
        draft.subject,
        draft.region,
        0,
        draft.occurred_at,
        draft.occurred_at,
        draft.occurred_at,
        draft.due_at,
        draft.exclusive,
    )


def card_request(ports: Ports, serial: int, length: int) -> Request:
    """The drafts and the person of the ``serial``-th card, ``length`` entries long."""
    applicant = Applicant("Bench Person", id_number(serial))
    step = Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION)
    draft, person = cards.opening(ports, ports.new_id(), applicant, step, "")
    written = [draft]
    head = _after(draft, None)
    activation = ACTIVATIONS[serial % len(ACTIVATIONS)]
    path: list[tuple[Event, Channel, Actor, dict[str, object]]] = [
        (Event.REVIEW, Channel.CARD_CENTER, CLERK, {"information_checked": True}),
        (Event.PRODUCE, Channel.ISSUING_BANK, BANK, {"production_batch": f"B{serial // BATCH}"}),
        (Event.COLLECT, COLLECTIONS[serial % 2], CLERK, COLLECTED),
    ]
    if length == 6:  # a refused activation first: the evidence is short of one item
        path.append((Event.ACTIVATE, Channel.HOSPITAL, CLERK, {}))
    path.append((Event.ACTIVATE, activation[0], CLERK, dict(activation[1])))
    if length == 7:
        path.append((Event.REPORT_TEMPORARY_LOSS, Channel.CARD_CENTER, CLERK, {"valid_id": True}))
        path.append((Event.REPORT_LOST, Channel.CARD_CENTER, CLERK, {"valid_id": True}))
    for event, channel, actor, evidence in path[: length - 1]:
        step = Step(event, channel, actor, evidence=evidence)
        try:
            made = cards.moved(ports, head, step, expected_version=None, fingerprint="")
        except WorkflowError as refusal:
            if evidence:  # only the activation sent with no evidence is meant to be refused
                raise
            made = [drafts.refusal(ports, head, step, refusal)]
        written += made
        head = _after(made[-1], head)
    return Request(written, [person])


def lengths(cards: int, entries: int) -> list[int]:
    """How many entries each card gets: near ``entries / cards``, spread over five paths."""
    mean = round(entries / cards) if cards else 0
    return [min(7, max(1, mean + SHIFTS[k % len(SHIFTS)])) for k in range(cards)]


def fill(
    folder: Path,
    cards: int,
    entries: int,
    *,
    batch: int = BATCH,
    days: float = 730,
    first_serial: int = 10_000_000,
) -> Filled:
    """Make ``folder``'s database (``cardflow init``) and fill it with ``cards`` cards of
    about ``entries`` entries; what it wrote, and how long that took."""
    folder.mkdir(parents=True, exist_ok=True)
    cardflow(folder, "init")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    person_key = bytes.fromhex((folder / "cardflow.person-key").read_text().strip())
    signer = Signer.parse((folder / "cardflow.log-key").read_text().strip())
    end = datetime.now(UTC) - timedelta(hours=1)
    clock = _Clock(end - timedelta(days=days))
    ledger = SqlLedger(f"sqlite:///{folder / DATABASE}", clock=clock)
    ports = Ports(ledger, clock=clock, person_key=person_key)
    plan = lengths(cards, entries)
    batches = max(1, -(-cards // batch))
    written = 0
    started = time.perf_counter()
    try:
        for number, first in enumerate(range(0, cards, batch)):
            clock.now = end - timedelta(days=days) * (1 - number / batches)
            requests = [
                card_request(ports, first_serial + k, plan[k])
                for k in range(first, min(cards, first + batch))
            ]
            written += _append(ledger, requests)
        seconds = time.perf_counter() - started
        clock.now = end
        signing = time.perf_counter()
        Audit(ledger, signer=signer, clock=clock).checkpoint()
        checkpoint_seconds = time.perf_counter() - signing
    finally:
        ledger.dispose()
    filled = Filled(cards, written, seconds, checkpoint_seconds)
    (folder / FILLED).write_text(json.dumps({**filled.__dict__, "rate": filled.rate}) + "\n")
    return filled


def _append(ledger: SqlLedger, requests: Sequence[Request]) -> int:
    outcomes = ledger.append_many(requests)
    refused = [outcome for outcome in outcomes if not isinstance(outcome, list)]
    if refused:
        raise RuntimeError(f"the ledger refused {len(refused)} cards: {refused[0]!r}")
    return sum(len(outcome) for outcome in outcomes if isinstance(outcome, list))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args()
    filled = fill(args.folder, args.cards, args.entries, batch=args.batch)
    print(
        f"{filled.cards:,} cards, {filled.entries:,} entries in {filled.seconds:.1f} s "
        f"({filled.rate:,.0f} entries a second); checkpoint signed in "
        f"{filled.checkpoint_seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
