"""A supervisor's search: the cards that match, a page at a time."""

from __future__ import annotations

from typing import Final

from ledger.store import CardQuery
from workflow.definition import FINANCIAL_MOVES
from workflow.errors import InvalidRequest, NotPermitted
from workflow.ports import Ports
from workflow.records import Actor, Found, Search, SearchPage
from workflow.states import Role

MAX_PAGE: Final = 200
"""The most cards one page of a search holds."""
SEARCHING_ROLES: Final = (Role.SUPERVISOR, Role.ADMIN)
"""Who may list cards they were not given the id of."""


def search(ports: Ports, actor: Actor, wanted: Search) -> SearchPage:
    """The cards a supervisor asks for, oldest opened first, a page at a time."""
    if actor.role not in SEARCHING_ROLES:
        raise NotPermitted(
            actor=actor.name,
            channel=None,
            permitted=sorted(actor.permitted()),
            reason=f"only {' and '.join(SEARCHING_ROLES)} keys search cards",
        )
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
