"""The desk's overviews: the workflow as the definition states it, the deadlines about to
pass, the activity per channel (and the refusals per channel and per key), and the
ledger's own state: its size, latest checkpoint, cosignatures and last full check.

Each reads a bounded amount: the activity at most ``MOST_ACTIVITY`` of the latest
entries, the deadlines at most ``MOST_DEADLINES`` cards.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dependencies import in_worker_thread
from api.desk.cards import standing
from api.desk.pictures import activity_svg, bars_svg, workflow_svg
from api.desk.render import PREFIX, SignedIn, Trouble, desk_of, draw, render, words_of
from api.ledger.runs import VerifyJob
from ledger.audit import Audit
from ledger.entry import REFUSAL
from workflow.definition import RULES, deadline_rule
from workflow.service import CardService
from workflow.states import Channel, State

router = APIRouter(prefix=PREFIX, include_in_schema=False)

MOST_DEADLINES: Final = 200
"""Cards the deadlines page lists, soonest first."""
WITHIN_DAYS: Final = (7, 30, 90)
"""How far ahead the deadlines page may look, in days."""
MOST_ACTIVITY: Final = 10_000
"""The latest entries the activity page counts."""
ACTIVITY_DAYS: Final = 30
MOST_BARS: Final = 20
"""Keys (or channels) the refusal charts name, most refusals first."""
DEADLINE_STATES: Final = (State.PRODUCED, State.COLLECTED, State.TEMPORARILY_LOST)
"""The states a deadline runs in: collection, activation, a temporary loss's validity."""


@router.get("/workflow")
@in_worker_thread
def workflow_page(request: Request, session: SignedIn) -> Response:
    """The state diagram and the (event, channel) rules, both from the definition."""
    words = words_of(request)
    _ = words.gettext
    title = _("The card lifecycle")
    return render(
        request,
        "workflow.html",
        session=session,
        diagram=workflow_svg(words, title=title),
        rules=RULES,
    )


@router.get("/deadlines")
@in_worker_thread
def deadlines_page(request: Request, session: SignedIn, within: str = "30") -> Response:
    """The cards whose deadline falls within ``within`` days (or has passed, the sweep
    not having run yet), soonest first, with what the system will do and how long is left."""
    if not within.isdigit() or int(within) not in WITHIN_DAYS:
        raise Trouble(400, "criterion", name="within", given=within[:16])
    draw(request, session)
    service: CardService = request.app.state.service
    now = service.now()
    horizon = now + timedelta(days=int(within))
    heads = service.ledger.due(horizon, MOST_DEADLINES)
    rows = [
        (card, rule)
        for card in (standing(service, head.card_id) for head in heads)
        if (rule := deadline_rule(card.state)) is not None
        and card.due_at is not None
        and card.due_at <= horizon
    ]
    return render(
        request,
        "deadlines.html",
        session=session,
        rows=rows,
        now=now,
        within=int(within),
        choices=WITHIN_DAYS,
        most=MOST_DEADLINES,
        full=len(heads) >= MOST_DEADLINES,
    )


@router.get("/activity")
@in_worker_thread
def activity_page(request: Request, session: SignedIn) -> Response:
    """Entries per channel per day over the last ``ACTIVITY_DAYS`` days (of the latest
    ``MOST_ACTIVITY`` entries), and the refusals among them per channel and per key."""
    draw(request, session)
    words = words_of(request)
    _ = words.gettext
    service: CardService = request.app.state.service
    size = service.ledger.tip().size
    entries = service.ledger.entries_after(max(0, size - MOST_ACTIVITY), MOST_ACTIVITY)
    zone = desk_of(request).zone
    today = service.now().astimezone(zone).date()
    days = [today - timedelta(days=n) for n in range(ACTIVITY_DAYS - 1, -1, -1)]
    first = days[0]
    per_day: dict[Channel, list[int]] = {}
    by_channel: Counter[str] = Counter()
    by_key: Counter[str] = Counter()
    counted = 0
    for entry in entries:
        day: date = entry.recorded_at.astimezone(zone).date()
        if day < first:
            continue
        counted += 1
        channel = Channel(entry.channel)
        per_day.setdefault(channel, [0] * ACTIVITY_DAYS)[(day - first).days] += 1
        if entry.kind == REFUSAL:
            by_channel[words.channel(channel)] += 1
            by_key[entry.actor] += 1
    nothing = _("Nothing in this period")
    return render(
        request,
        "activity.html",
        session=session,
        chart=activity_svg(
            days, per_day, words, title=_("Entries per channel per day"), nothing=nothing
        ),
        by_channel=bars_svg(
            by_channel.most_common(MOST_BARS),
            title=_("Refused attempts per channel"),
            nothing=nothing,
        ),
        by_key=bars_svg(
            by_key.most_common(MOST_BARS),
            title=_("Refused attempts per key"),
            nothing=nothing,
        ),
        channel_rows=by_channel.most_common(MOST_BARS),
        key_rows=by_key.most_common(MOST_BARS),
        counted=counted,
        read=len(entries),
        most=MOST_ACTIVITY,
        days=ACTIVITY_DAYS,
    )


@router.get("/ledger")
@in_worker_thread
def ledger_page(request: Request, session: SignedIn) -> Response:
    """The ledger's size, its latest signed checkpoint and age, the witnesses'
    cosignatures of it, and the last whole-ledger check."""
    audit: Audit = request.app.state.audit
    service: CardService = request.app.state.service
    job: VerifyJob = request.app.state.verify_job
    tip = audit.ledger.tip()
    latest = audit.ledger.latest_checkpoint()
    witnesses = [] if latest is None else audit.witnessing.status(latest)
    return render(
        request,
        "ledger.html",
        session=session,
        tip=tip,
        latest=latest,
        age=None if latest is None else service.now() - latest.signed_at,
        witnesses=witnesses,
        last=job.runs.last_finished(),
        verifier=audit.verifier(),
    )
