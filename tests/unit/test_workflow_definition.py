"""The definition version is a digest of every field that decides something."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import pytest

from workflow import definition
from workflow.definition import (
    DEFINITION_DIGEST,
    RULES,
    Adjustment,
    Proof,
    Rule,
    Transition,
    definition_digest,
)


@dataclass(frozen=True, slots=True)
class WiderRule(Rule):
    minimum_age: int = 18


@dataclass(frozen=True, slots=True)
class WiderProof(Proof):
    expires: bool = True


@dataclass(frozen=True, slots=True)
class WiderAdjustment(Adjustment):
    until_age: int = 16


@dataclass(frozen=True, slots=True)
class WiderTransition(Transition):
    notifies: bool = True


def rebuilt(table, record):
    """``table`` as it is, each row rebuilt as a ``record``."""
    rows = getattr(definition, table)
    if isinstance(rows, dict):
        return {key: rebuilt_row(row, record) for key, row in rows.items()}
    return tuple(rebuilt_row(row, record) for row in rows)


def rebuilt_row(row, record):
    return record(**{column.name: getattr(row, column.name) for column in fields(row)})


TABLES = [
    ("RULES", Rule, WiderRule),
    ("EVIDENCE", Proof, WiderProof),
    ("ADJUSTMENTS", Adjustment, WiderAdjustment),
    ("TRANSITIONS", Transition, WiderTransition),
]


class TestDigest:
    """A field added to a table's record changes the version; words for readers do not."""

    def test_the_version_is_the_digest_of_the_tables(self):
        assert definition_digest() == DEFINITION_DIGEST
        assert definition.DEFINITION_VERSION.endswith(DEFINITION_DIGEST[:12])

    @pytest.mark.parametrize(("table", "record", "wider"), TABLES, ids=[t[0] for t in TABLES])
    def test_a_new_field_changes_the_digest(self, monkeypatch, table, record, wider):
        monkeypatch.setattr(definition, table, rebuilt(table, wider))
        assert definition_digest() != DEFINITION_DIGEST

    @pytest.mark.parametrize(("table", "record", "wider"), TABLES, ids=[t[0] for t in TABLES])
    def test_the_same_fields_give_the_same_digest(self, monkeypatch, table, record, wider):
        monkeypatch.setattr(definition, table, rebuilt(table, record))
        assert definition_digest() == DEFINITION_DIGEST

    def test_a_rules_citation_is_for_readers(self, monkeypatch):
        cited = tuple(replace(rule, cites="another seed") for rule in RULES)
        monkeypatch.setattr(definition, "RULES", cited)
        assert definition_digest() == DEFINITION_DIGEST

    def test_a_changed_rule_changes_the_digest(self, monkeypatch):
        first, *rest = RULES
        monkeypatch.setattr(definition, "RULES", (replace(first, agent_allowed=False), *rest))
        assert definition_digest() != DEFINITION_DIGEST
