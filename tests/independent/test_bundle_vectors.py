"""Both verifiers agree with every audit bundle vector cardflow publishes.

``spec/vectors/bundles.json`` is written by ``spec/vectors/make_bundles.py`` from a ledger
built with cardflow's own code. The second verifier, written from the specification
alone, must accept the valid bundles and refuse the others for the cause the
specification words; cardflow's ``check_bundle`` must say the same.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ledger.bundle import BundleError, check_bundle
from ledger.cosignature import CosignerKey
from ledger.note import Verifier
from tests.independent import spec_example
from tests.independent.verify_bundle import Refused, verify_bundle

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "audit-bundle.md"


def script() -> ModuleType:
    """``spec/vectors/make_bundles.py``, loaded as the module it is (it is no package's)."""
    found = importlib.util.spec_from_file_location(
        "make_bundles", ROOT / "spec/vectors/make_bundles.py"
    )
    assert found is not None
    assert found.loader is not None
    module = importlib.util.module_from_spec(found)
    sys.modules[found.name] = module  # its dataclasses look their module up
    found.loader.exec_module(module)
    return module


MAKER = script()
VECTORS: dict[str, Any] = json.loads(MAKER.OUT.read_text("utf-8"))
CASES: list[dict[str, Any]] = VECTORS["cases"]
PLACEHOLDER = re.compile(r"\b(SEQ|PREV|CARD|NAME|KIND|[NABMWKVC])\b")


def wordings(spec: str) -> list[re.Pattern[str]]:
    """Each failure quoted in section 6 of the specification, its placeholders (SEQ, N,
    CARD, ...) standing for any word, and a trailing ": ..." for any detail or none."""
    section = spec[spec.index("## 6. Verification") : spec.index("## 7.")]
    found: list[re.Pattern[str]] = []
    for quoted in re.findall(r'"([^"]+)"', " ".join(section.split())):
        if quoted.startswith("complete as of"):
            continue  # what a verifier says when nothing fails
        fixed = quoted.removesuffix("...").removesuffix(": ").removesuffix(",").strip()
        parts = PLACEHOLDER.split(fixed)
        found.append(
            re.compile("".join(re.escape(p) if i % 2 == 0 else r"\S+" for i, p in enumerate(parts)))
        )
    return found


WORDINGS = wordings(SPEC.read_text("utf-8"))


def by_name(case: dict[str, Any]) -> str:
    name: str = case["name"]
    return name


class TestTheFile:
    """The committed vectors are what the script writes now, with the spec's example keys."""

    def test_the_script_writes_the_committed_bytes(self) -> None:
        assert MAKER.written(MAKER.vectors()) == MAKER.OUT.read_text("utf-8")

    def test_the_keys_are_the_worked_example_s(self) -> None:
        assert VECTORS["log_key"] == spec_example.LOG.vkey
        assert VECTORS["witness_key"] == spec_example.WITNESS.vkey

    def test_both_kinds_and_every_card_are_there(self) -> None:
        assert {case["valid"] for case in CASES} == {True, False}
        valid = [case for case in CASES if case["valid"]]
        assert {case["bundle"]["card_id"] for case in valid} == {"c-1", "c-2", "c-3"}
        assert {case["quorum"] for case in valid} == {0, 1}
        sizes = {verify_bundle(case["bundle"], VECTORS["log_key"]) for case in valid}
        assert len(sizes) == 2, "bundles at two checkpoints"
        kinds = {
            json.loads(entry["encoded"])["kind"]
            for case in valid
            for entry in case["bundle"]["entries"]
        }
        assert kinds == {"transition", "refusal", "erasure"}

    @pytest.mark.parametrize("case", [c for c in CASES if not c["valid"]], ids=by_name)
    def test_every_cause_is_worded_as_the_specification_words_it(
        self, case: dict[str, Any]
    ) -> None:
        assert any(wording.fullmatch(case["cause"]) for wording in WORDINGS), case["cause"]

    def test_the_wordings_are_read_from_the_specification(self) -> None:
        assert len(WORDINGS) > 20
        assert not any(w.fullmatch("entry 3 was left alone") for w in WORDINGS)


class TestIndependent:
    """The verifier written from the specification alone."""

    @pytest.mark.parametrize("case", CASES, ids=by_name)
    def test_case(self, case: dict[str, Any]) -> None:
        key, witnesses, quorum = VECTORS["log_key"], case["witnesses"], case["quorum"]
        if case["valid"]:
            size = case["bundle"]["checkpoint"].split("\n")[1]
            said = verify_bundle(case["bundle"], key, witnesses, quorum)
            assert said == f"complete as of tree size {size}"
            return
        with pytest.raises(Refused) as refused:
            verify_bundle(case["bundle"], key, witnesses, quorum)
        assert case["cause"] in str(refused.value)


class TestCardflow:
    """``ledger.bundle.check_bundle`` agrees with the independent verifier on every case."""

    @pytest.mark.parametrize("case", CASES, ids=by_name)
    def test_case(self, case: dict[str, Any]) -> None:
        key = Verifier.parse(VECTORS["log_key"])
        witnesses = [CosignerKey.parse(w) for w in case["witnesses"]]
        if case["valid"]:
            checked = check_bundle(case["bundle"], key, witnesses, case["quorum"])
            assert checked.says() == verify_bundle(
                case["bundle"], VECTORS["log_key"], case["witnesses"], case["quorum"]
            )
            return
        with pytest.raises(BundleError) as refused:
            check_bundle(case["bundle"], key, witnesses, case["quorum"])
        assert case["cause"] in str(refused.value)
