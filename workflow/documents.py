"""The identity documents an applicant may show, and the number shapes each carries:
the table ``workflow.definition`` offers as the ``identity_document`` evidence and the
document check (``workflow.rules.check_document``) reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from workflow.identity import NumberShape


@dataclass(frozen=True, slots=True)
class Document:
    """An identity document an applicant may show, and the numbers it carries: the
    number applied with must be of one of these shapes, or the application is refused."""

    key: str
    says: str
    carries: frozenset[NumberShape]
    cites: str


_PERMITS: Final = frozenset({NumberShape.HONG_KONG, NumberShape.MACAO, NumberShape.TAIWAN})
_FOREIGN: Final = frozenset({NumberShape.FOREIGN, NumberShape.LEGACY_FOREIGN})
_CITIZEN: Final = frozenset({NumberShape.CITIZEN})

DOCUMENTS: Final[Mapping[str, Document]] = {
    document.key: document
    for document in (
        Document("resident_id_card", "a resident ID card", _CITIZEN, "seed 004"),
        Document(
            "household_register",
            "a household register",
            _CITIZEN,
            "seed 004; DESIGN.md (it suffices for a child)",
        ),
        Document(
            "passport",
            "a passport",
            _FOREIGN,
            "seed 004; a citizen applies with the resident ID card, a foreigner with the "
            "passport and the permanent residence ID number (cardflow's rule)",
        ),
        Document(
            "hk_macao_travel_permit",
            "a Hong Kong and Macao travel permit",
            frozenset({NumberShape.HONG_KONG, NumberShape.MACAO}),
            "seed 004; its holders' numbers are their residence permits' (cardflow's rule)",
        ),
        Document(
            "hk_macao_taiwan_residence_permit",
            "a Hong Kong, Macao or Taiwan residence permit",
            _PERMITS,
            "the permit's number begins 810000, 820000 or 830000 (GB 11643-1999's structure)",
        ),
        Document("military_officer_card", "a military officer's card", _CITIZEN, "seed 004"),
        Document(
            "foreign_permanent_residence_id",
            "a foreign permanent residence ID",
            _FOREIGN,
            "seed 004 (a foreign worker); the National Immigration Administration's rules",
        ),
    )
}
"""Every identity document an application may name, with the number shapes it carries:
the one table the evidence's choices and the document check are read from."""
