"""The supervisor's cards: the search, a card's timeline with every proof checked by the
server, and the exports (a search and a history as CSV, a card's audit bundle).

Every criterion arrives as text and is read here, so a bad one is a page saying which and
why in the supervisor's language, never a JSON error. The CSV exports are streamed a page
at a time, so a large search fills no memory, and bounded (``MOST_EXPORTED``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from api.dependencies import in_worker_thread
from api.desk.proofs import HISTORY_DAMAGE, check_card, decoding_damage
from api.desk.render import PAGE_HEADERS, PREFIX, SignedIn, Trouble, desk_of, draw, render
from api.shared import UNKEPT
from ledger.audit import Audit
from ledger.entry import REFUSAL, Entry
from ledger.errors import LedgerError
from workflow.definition import FINANCIAL_MOVES
from workflow.errors import CardNotFound
from workflow.records import Card
from workflow.service import CardService, Search
from workflow.states import Channel, Event, State

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE: Final = 25
"""Cards a page of the search shows."""
STEPS: Final = 200
"""Entries a page of a timeline shows."""
EXPORT_PAGE: Final = 200
MOST_EXPORTED: Final = 100_000
"""The most cards a search's CSV holds: narrow the search for more."""
MOST_TEXT: Final = 64
CARD_LINKS: Final = frozenset({"replaced_by", "replaces"})
"""The evidence that names another card (a lost card and its replacement name each
other): shown as a link to it."""
_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")


def _service(request: Request) -> CardService:
    service: CardService = request.app.state.service
    return service


@dataclass(frozen=True, slots=True)
class Criteria:
    """A search as the form gives it: each field's text, kept to fill the form again."""

    state: str = ""
    channel: str = ""
    region: str = ""
    financial: str = ""
    opened_from: str = ""
    opened_before: str = ""
    updated_from: str = ""
    updated_before: str = ""

    def query(self, **more: str | int) -> str:
        given = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return urlencode({**{k: v for k, v in given.items() if v}, **more})

    def search(self, zone: ZoneInfo, *, after: int, limit: int) -> Search:
        """The use case's ``Search``; ``Trouble`` 400 naming the first criterion that is
        not one."""
        return Search(
            states=frozenset({_member(State, self.state, "state")} if self.state else ()),
            channels=frozenset({_member(Channel, self.channel, "channel")} if self.channel else ()),
            regions=frozenset({_text(self.region, "region")} if self.region else ()),
            financial=_financial(self.financial),
            opened_from=_day(self.opened_from, "opened_from", zone),
            opened_before=_day(self.opened_before, "opened_before", zone),
            updated_from=_day(self.updated_from, "updated_from", zone),
            updated_before=_day(self.updated_before, "updated_before", zone),
            after=after,
            limit=limit,
        )


Asked = Annotated[Criteria, Depends()]
"""A page's search, from its query: one parameter per field of ``Criteria``, each text."""


def _member(kind: Any, given: str, name: str) -> Any:
    try:
        return kind(given)
    except ValueError:
        raise Trouble(400, "criterion", name=name, given=given[:MOST_TEXT]) from None


def _text(given: str, name: str) -> str:
    if len(given) > MOST_TEXT or UNKEPT.search(given):
        raise Trouble(400, "criterion", name=name, given=given[:MOST_TEXT])
    return given.strip()


def _financial(given: str) -> bool | None:
    if given in ("", "yes", "no"):
        return None if not given else given == "yes"
    raise Trouble(400, "criterion", name="financial", given=given[:MOST_TEXT])


def _day(given: str, name: str, zone: ZoneInfo) -> datetime | None:
    """The start of the day ``given`` (``YYYY-MM-DD``) in the desk's zone."""
    if not given:
        return None
    try:
        day = date.fromisoformat(given)
    except ValueError:
        raise Trouble(400, "criterion", name=name, given=given[:MOST_TEXT]) from None
    return datetime.combine(day, time(), zone)


def _after(given: str | None) -> int:
    if given is None or given == "":
        return 0
    if not given.isdigit() or len(given) > 18:
        raise Trouble(400, "criterion", name="after", given=given[:MOST_TEXT])
    return int(given)


@dataclass(frozen=True, slots=True)
class Row:
    """A card the search found, as its row shows it."""

    card_id: str
    state: State
    region: str
    financial: bool
    last: Entry | None


def _row(service: CardService, card_id: str, region: str) -> Row:
    """The row of a card the search found, read from its entries (the search itself
    reads the cards' heads, which no hash covers)."""
    try:
        with decoding_damage():
            moves = [e for e in service.ledger.entries_for(card_id) if e.moves]
    except HISTORY_DAMAGE as damage:
        raise Trouble(503, "damaged", card_id=card_id, reason=str(damage)[:200]) from None
    if not moves:
        raise Trouble(503, "damaged", card_id=card_id, reason="it has no transition")
    financial = any((Event(e.event), Channel(e.channel)) in FINANCIAL_MOVES for e in moves)
    return Row(card_id, State(moves[-1].to_state), region, financial, moves[-1])


@router.get("/cards")
@in_worker_thread
def cards_page(
    request: Request,
    session: SignedIn,
    criteria: Asked,
    after: str | None = None,
) -> Response:
    """The search form and one page of what it found."""
    wanted = criteria.search(desk_of(request).zone, after=_after(after), limit=PAGE)
    draw(request, session)
    service = _service(request)
    found = service.search(wanted)
    rows = [_row(service, f.card.card_id, f.region) for f in found.found]
    return render(
        request,
        "cards.html",
        session=session,
        criteria=criteria,
        rows=rows,
        next_query=None if found.after is None else criteria.query(after=found.after),
        export_query=criteria.query(),
        states=list(State),
        channels=list(Channel),
        most_exported=MOST_EXPORTED,
    )


def _cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return f"'{text}" if text.startswith(_FORMULA) else text


def _lines(rows: Iterator[Sequence[object]]) -> Iterator[str]:
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([_cell(value) for value in row])
        yield buffer.getvalue()


SEARCH_COLUMNS: Final = (
    "card_id",
    "state",
    "region",
    "version",
    "opened_at",
    "updated_at",
    "due_at",
)


@router.get("/cards.csv")
@in_worker_thread
def cards_csv(
    request: Request,
    session: SignedIn,
    criteria: Asked,
) -> Response:
    """Every card the search finds, up to ``MOST_EXPORTED``, as CSV: read and sent a
    page at a time."""
    zone = desk_of(request).zone
    criteria.search(zone, after=0, limit=EXPORT_PAGE)  # a bad criterion: the page, not a CSV
    draw(request, session)
    service = _service(request)

    def rows() -> Iterator[Sequence[object]]:
        yield SEARCH_COLUMNS
        after: int | None = 0
        sent = 0
        while after is not None and sent < MOST_EXPORTED:
            page = service.search(criteria.search(zone, after=after, limit=EXPORT_PAGE))
            for found in page.found[: MOST_EXPORTED - sent]:
                card = found.card
                yield (
                    card.card_id,
                    card.state,
                    found.region,
                    card.version,
                    found.opened_at,
                    found.updated_at,
                    card.due_at,
                )
            sent += len(page.found)
            after = page.after

    return StreamingResponse(
        _lines(rows()),
        media_type="text/csv; charset=utf-8",
        headers={**PAGE_HEADERS, "Content-Disposition": 'attachment; filename="cards.csv"'},
    )


def _entries(service: CardService, card_id: str, after: int) -> list[Entry]:
    if UNKEPT.search(card_id) or len(card_id) > MOST_TEXT:
        raise Trouble(404, "card", card_id=card_id[:MOST_TEXT])
    try:
        with decoding_damage():
            return service.history_page(card_id, refusals=True, after=after, limit=STEPS)
    except CardNotFound:
        raise Trouble(404, "card", card_id=card_id) from None
    except HISTORY_DAMAGE as damage:
        raise Trouble(503, "damaged", card_id=card_id, reason=str(damage)[:200]) from None


def standing(service: CardService, card_id: str) -> Card:
    """The card as its last transition left it: read from the hashed entries, never from
    its head, which an administrator could edit without a proof failing."""
    try:
        with decoding_damage():
            moves = [entry for entry in service.history(card_id) if entry.moves]
    except HISTORY_DAMAGE as damage:
        raise Trouble(503, "damaged", card_id=card_id, reason=str(damage)[:200]) from None
    if not moves:
        raise Trouble(503, "damaged", card_id=card_id, reason="it has no transition")
    return Card.from_entry(moves[-1])


@router.get("/cards/{card_id}")
@in_worker_thread
def card_page(
    request: Request, session: SignedIn, card_id: str, after: str | None = None
) -> Response:
    """A card's timeline: each entry with its proof checked against the latest signed
    checkpoint, and whether the history is provably complete."""
    start = _after(after)
    draw(request, session)
    service = _service(request)
    entries = _entries(service, card_id, start)
    if not entries and start:
        raise Trouble(404, "card", card_id=card_id)
    audit: Audit = request.app.state.audit
    checked = check_card(audit, card_id, entries)
    card = standing(service, card_id)
    witnesses = [witness.key.name for witness in audit.witnessing.witnesses]
    return render(
        request,
        "card.html",
        session=session,
        card=card,
        entries=entries,
        checked=checked,
        refusal=REFUSAL,
        links=CARD_LINKS,
        more=None if len(entries) < STEPS else entries[-1].seq,
        verifier=audit.verifier(),
        witnesses=witnesses,
    )


HISTORY_COLUMNS: Final = (  # the entry's fields of these names, then its proof's mark
    "seq",
    "kind",
    "event",
    "from_state",
    "to_state",
    "channel",
    "actor",
    "role",
    "presenter",
    "occurred_at",
    "recorded_at",
    "evidence",
    "region",
    "policy",
    "hash",
    "proof",
)


def _field(entry: Entry, name: str) -> object:
    """An entry's field as its history's CSV shows it: the evidence as JSON."""
    value = getattr(entry, name)
    if name == "evidence":
        return json.dumps(dict(value), ensure_ascii=False, sort_keys=True)
    return value


@router.get("/cards/{card_id}/history.csv")
@in_worker_thread
def card_csv(request: Request, session: SignedIn, card_id: str) -> Response:
    """A card's whole history as CSV, each entry with its proof's mark, a page at a time."""
    draw(request, session)
    service = _service(request)
    audit: Audit = request.app.state.audit
    first = _entries(service, card_id, 0)

    def rows() -> Iterator[Sequence[object]]:
        yield HISTORY_COLUMNS
        page = first
        while page:
            marks = check_card(audit, card_id, page).marks
            for entry in page:
                mark = marks.get(entry.seq)
                proof = "" if mark is None else mark.kind
                yield [
                    proof if name == "proof" else _field(entry, name) for name in HISTORY_COLUMNS
                ]
            page = [] if len(page) < STEPS else _entries(service, card_id, page[-1].seq)

    return StreamingResponse(
        _lines(rows()),
        media_type="text/csv; charset=utf-8",
        headers={
            **PAGE_HEADERS,
            "Content-Disposition": f'attachment; filename="card-{card_id}-history.csv"',
        },
    )


@router.get("/cards/{card_id}/bundle.json")
@in_worker_thread
def card_bundle(request: Request, session: SignedIn, card_id: str) -> Response:
    """The card's offline audit bundle (``ledger.bundle``), to check with
    ``cardflow audit verify-bundle`` away from this server."""
    draw(request, session)
    service = _service(request)
    try:
        with decoding_damage():
            entries = service.history(card_id, refusals=True)
    except CardNotFound:
        raise Trouble(404, "card", card_id=card_id[:MOST_TEXT]) from None
    except HISTORY_DAMAGE as damage:
        raise Trouble(503, "damaged", card_id=card_id, reason=str(damage)[:200]) from None
    audit: Audit = request.app.state.audit
    try:
        bundle = audit.bundle(card_id, entries)
    except LedgerError as refused:
        raise Trouble(503, "bundle", reason=str(refused)) from None
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            **PAGE_HEADERS,
            "Content-Disposition": f'attachment; filename="card-{card_id}.json"',
        },
    )
