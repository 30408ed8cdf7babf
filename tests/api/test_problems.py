"""Every error class cardflow defines is answered in one place, or named there as never served."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import api
import ledger
import workflow
from api.problems import NOT_SERVED, PROBLEM_TYPES, ROOTS, SERVED, problem_type


def every_module() -> list[ModuleType]:
    return [
        importlib.import_module(found.name)
        for package in (workflow, ledger, api)
        for found in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
        if not found.name.endswith("__main__")
    ]


def under(root: type[Exception]) -> set[type[Exception]]:
    found = {root}
    for child in root.__subclasses__():
        found |= under(child)
    return found


def every_error() -> list[type[Exception]]:
    every_module()
    return sorted({error for root in ROOTS for error in under(root)}, key=lambda e: e.__qualname__)


class TestEveryErrorIsMapped:
    """Each class under a package's root has a problem type, or a reason it never reaches HTTP."""

    @pytest.mark.parametrize("error", every_error(), ids=lambda error: error.__qualname__)
    def test_served_or_said_why_not(self, error):
        assert (error in SERVED) != (error in NOT_SERVED), (
            f"{error.__module__}.{error.__qualname__} is in neither (or both) of "
            "api.problems.mapping.SERVED and NOT_SERVED"
        )

    def test_the_tables_name_only_errors_under_a_root(self):
        assert set(SERVED) | set(NOT_SERVED) <= set(every_error())

    def test_every_root_is_its_package_s(self):
        assert [root.__module__ for root in ROOTS] == [
            "workflow.errors",
            "ledger.errors",
            "api.errors",
        ]

    def test_a_served_type_is_one_cardflow_documents(self):
        assert set(SERVED.values()) <= set(PROBLEM_TYPES)

    def test_each_reason_says_something(self):
        assert all(len(why.split()) >= 3 for why in NOT_SERVED.values())


class TestProblemTypeOf:
    """The narrowest class listed decides."""

    def test_a_subclass_not_listed_takes_its_parent_s(self):
        from ledger.errors import CheckpointRefused

        class Narrower(CheckpointRefused):
            pass

        assert problem_type(Narrower("x")) is SERVED[CheckpointRefused]

    def test_one_never_served_has_none(self):
        from ledger.errors import VersionConflict

        assert problem_type(VersionConflict("c", expected=1, actual=2)) is None
