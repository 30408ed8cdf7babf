"""The worst history call: a card on which one batch had thousands of items refused.

Opens a card, sends one batch of ``--items`` produce items for it while it is still in
``applied`` (every one refused), and then reads the card's history the way a supervisor
does, with the refusals and the proofs, over HTTP: the first page, and every page after
it (following ``next``) when the route pages. Prints how many entries the card holds,
the seconds each call took and the largest one.

    .venv/bin/python -m bench.history
    .venv/bin/python -m bench.history --url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.history --unbounded   # a card noted as before: paging alone
"""

from __future__ import annotations

import argparse
import time
import uuid
from typing import Final
from urllib.parse import quote

import structlog
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from api.keys import MemoryKeys
from ledger.audit import Audit
from ledger.note import Signer
from ledger.sql import SqlLedger
from workflow import drafts
from workflow.errors import WorkflowError
from workflow.identity import check_character
from workflow.ports import Ports
from workflow.service import Actor, Applicant, Batch, BatchItem, CardService, Step
from workflow.states import Channel, Event, Role

CLERK: Final = Actor("bench-clerk", Role.ADMIN)
APPLICATION: Final = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}


def fresh_schema(url: str) -> str:
    """On PostgreSQL, a new schema of its own for this run; SQLite URLs as given."""
    if not url.startswith("postgresql"):
        return url
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="sqlite:///bench-history.db")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument(
        "--unbounded",
        action="store_true",
        help="write a note for every refused item, as cardflow did before refusal notes "
        "were bounded: what pages and proofs alone cost on such a card",
    )
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    ledger = SqlLedger(fresh_schema(args.url))
    ledger.create_schema()
    service = CardService(ledger, person_key=b"b" * 32)
    audit = Audit(ledger, signer=Signer.generate("bench/ledger"))
    keys = MemoryKeys()
    _, token = keys.create("bench", Role.ADMIN)
    first17 = "11010519800101001"
    card = service.apply(
        Applicant("Bench Person", first17 + check_character(first17)),
        Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION),
    )
    started = time.perf_counter()
    produce = Step(Event.PRODUCE, Channel.ISSUING_BANK, CLERK, evidence={"production_batch": "B"})
    if args.unbounded:
        try:
            service.transition(card.card_id, produce)
        except WorkflowError as refusal:
            refused = refusal
        head = ledger.head(card.card_id)
        assert head is not None
        note = drafts.refusal(Ports(ledger), head, produce, refused)
        for start in range(1, args.items, 500):
            ledger.append([note] * min(500, args.items - start))
        print(f"{args.items} refusals noted one by one: {time.perf_counter() - started:.2f} s")
    else:
        service.batch(
            Batch(
                Event.PRODUCE,
                Channel.ISSUING_BANK,
                CLERK,
                [BatchItem(card_id=card.card_id) for _ in range(args.items)],
                evidence={"production_batch": "B-BENCH"},
            )
        )
        print(f"batch of {args.items} refused items: {time.perf_counter() - started:.2f} s")
    print(f"entries the card holds: {len(ledger.entries_for(card.card_id))}")
    app = create_app(service, keys, audit)
    calls: list[float] = []
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        url: str | None = (
            f"/v1/cards/{card.card_id}/history?include_refusals=true&proofs=true&limit=1000"
        )
        shown = 0
        while url is not None:
            began = time.perf_counter()
            response = client.get(url)
            calls.append(time.perf_counter() - began)
            assert response.status_code == 200, response.text
            body = response.json()
            shown += len(body["entries"])
            url = body.get("next")
    print(f"history calls: {len(calls)}, entries shown: {shown}")
    print(f"worst call: {max(calls):.3f} s; all calls: {sum(calls):.3f} s")
    ledger.dispose()


if __name__ == "__main__":
    main()
