"""A supervisor's search: the cards that match, a page at a time."""

from __future__ import annotations

from typing import Final

from ledger.store import CardQuery
from workflow.definition import FINANCIAL_MOVES
from workflow.errors import InvalidRequest
from workflow.ports import Ports
from workflow.records import Found, Search, SearchPage

MAX_PAGE: Final = 200
"""The most cards one page of a search holds."""


def search(ports: Ports, wanted: Search) -> SearchPage:
    """The cards a supervisor asks for, oldest opened first, a page at a time (who may
    search is the API's access table's to say, ``api.access``)."""
    if not 1 <= wanted.limit <= MAX_PAGE:
        raise InvalidRequest(f"a page holds 1 to {MAX_PAGE} cards, not {wanted.limit}")
    financial = frozenset((str(e), str(c)) for e, c in FINANCIAL_MOVES)
    query = CardQuery(
        states=frozenset(str(state) for state in wanted.states),
        regions=wanted.regions,
        channels=frozenset(str(channel) for channel in wanted.channels),
        having=financial if wanted.financial is True else frozenset(),
        lacking=financial if wanted.financial is False else frozenset(),
        opened_from=wanted.opened_from,
        opened_before=wanted.opened_before,
        updated_from=wanted.updated_from,
        updated_before=wanted.updated_before,
        after=wanted.after,
        limit=wanted.limit + 1,
    )
    heads = ports.ledger.search(query)
    page = heads[: wanted.limit]
    return SearchPage(
        found=[Found.of(head) for head in page],
        after=page[-1].opened_seq if len(heads) > wanted.limit else None,
    )
