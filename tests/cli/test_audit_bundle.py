"""``cardflow audit export`` and ``verify-bundle``: a card's history checked offline."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ledger.bundle import BundleError, check_bundle
from ledger.note import Signer
from ledger.sql import SqlLedger
from tests.contract.helpers import ACTIVATE, CLERK, TO_COLLECTED, open_card
from tests.independent.verify_bundle import Refused, verify_bundle
from workflow.errors import TransitionNotAllowed
from workflow.service import CardService, Step

runner = CliRunner()


def cardflow(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def exported(database_url, clock, tmp_path) -> tuple[dict, str]:
    """The bundle of the second of three cards, and the trusted verifier key. Its
    entries are 5 to 10: applied, reviewed, produced, collected, a refused attempt
    (seq 9) and activated."""
    ledger = SqlLedger(database_url, clock=clock)
    ledger.create_schema()
    service = CardService(ledger, clock=clock)
    open_card(service)
    card_id = open_card(service, TO_COLLECTED)
    event, channel, evidence = TO_COLLECTED[0]
    with pytest.raises(TransitionNotAllowed):
        service.transition(card_id, Step(event, channel, CLERK, evidence=evidence))
    event, channel, evidence = ACTIVATE
    service.transition(card_id, Step(event, channel, CLERK, evidence=evidence))
    open_card(service)
    ledger.dispose()
    key = cardflow("audit", "key").output.strip()
    done = cardflow("audit", "export", card_id, "--database-url", database_url)
    assert done.exit_code == 0, done.output
    bundle = json.loads(done.output)
    assert [entry["seq"] for entry in bundle["entries"]] == [5, 6, 7, 8, 9, 10]
    return bundle, key


def verify_file(tmp_path: Path, bundle: object, key: str):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle) if not isinstance(bundle, str) else bundle)
    return cardflow("audit", "verify-bundle", str(path), "--key", key)


def test_an_exported_bundle_verifies_offline(exported, tmp_path):
    bundle, key = exported
    done = verify_file(tmp_path, bundle, key)
    assert done.exit_code == 0, done.output
    assert "complete as of tree size 14 -- all 6 of its entries (5 versions)" in done.output
    assert verify_bundle(bundle, key) == "complete as of tree size 14"
    key_file = tmp_path / "trusted.key"
    key_file.write_text(key + "\n")
    assert verify_file(tmp_path, bundle, str(key_file)).exit_code == 0


def _reencoded(entry: dict, change) -> None:
    fields = json.loads(entry["encoded"])
    change(fields)
    entry["encoded"] = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    entry["hash"] = hashlib.sha256(entry["encoded"].encode()).hexdigest()


def _tampered(bundle: dict, how: str) -> dict:
    bundle = copy.deepcopy(bundle)
    entries = bundle["entries"]
    if how == "bytes-edited":
        entries[1]["encoded"] = entries[1]["encoded"].replace("card_center", "pharmacy")
    elif how == "bytes-and-hash-edited":
        _reencoded(entries[1], lambda fields: fields.update(channel="pharmacy"))
    elif how == "transition-dropped":
        del entries[2]
    elif how == "refusal-dropped":
        del entries[4]
    elif how == "first-left-out":
        del entries[0]
    elif how == "latest-left-out":
        del entries[-1]
    elif how == "entry-duplicated":
        entries.insert(3, entries[2])
    elif how == "entries-reordered":
        entries[1], entries[2] = entries[2], entries[1]
    elif how == "path-truncated":
        entries[0]["path"] = entries[0]["path"][:-1]
    elif how == "map-sibling-changed":
        bundle["map"]["siblings"][0] = "ab" * 32
    elif how == "map-malformed":
        bundle["map"]["siblings"] = ["not hex"]
    elif how == "checkpoint-edited":
        lines = bundle["checkpoint"].split("\n")
        lines[1] = str(int(lines[1]) + 1)
        bundle["checkpoint"] = "\n".join(lines)
    elif how == "another-card":
        bundle["card_id"] = "someone-else"
    return bundle


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("bytes-edited", "entry 6 was altered: its bytes do not match its hash"),
        ("bytes-and-hash-edited", "entry 6 is not in the checkpoint's tree"),
        ("transition-dropped", "entry 8 does not follow entry 6: an entry of the card"),
        ("refusal-dropped", "entry 10 does not follow entry 8: an entry of the card"),
        ("first-left-out", "entry 6 is not the card's first entry"),
        ("latest-left-out", "the card's latest entries are left out"),
        ("entry-duplicated", "entry 7 appears twice in the bundle"),
        ("entries-reordered", "entry 6 comes after entry 7: the entries are out of order"),
        ("path-truncated", "entry 5 is not in the checkpoint's tree"),
        ("map-sibling-changed", "the card's latest entries are left out"),
        ("map-malformed", "the map proof is malformed"),
        (
            "checkpoint-edited",
            "the log's signature on the checkpoint does not hold: it was altered",
        ),
        ("another-card", "entry 5 is not an entry of card someone-else"),
    ],
)
def test_tampering_is_named(exported, tmp_path, how, says):
    """Each way a bundle can be cut down or dressed up is named, by cardflow and by the
    second verifier written from the specification alone."""
    bundle, key = exported
    tampered = _tampered(bundle, how)
    done = verify_file(tmp_path, tampered, key)
    assert done.exit_code == 1, done.output
    assert says in done.output
    with pytest.raises(Refused):
        verify_bundle(tampered, key)


def test_a_checkpoint_signed_with_another_key(exported, tmp_path):
    bundle, _ = exported
    stranger = Signer.generate("cardflow/ledger").verifier()
    done = verify_file(tmp_path, bundle, str(stranger))
    assert done.exit_code == 1
    assert "carries no signature of" in done.output


@pytest.mark.parametrize(
    ("bundle", "key"),
    [("{not json", None), ('{"format": 1}', "nobody+00000000+AAAA")],
    ids=["not-json", "bad-key"],
)
def test_input_that_is_no_bundle_or_no_key(exported, tmp_path, bundle, key):
    _, trusted = exported
    done = runner.invoke(
        app,
        ["audit", "verify-bundle", str(_write(tmp_path, bundle)), "--key", key or trusted],
    )
    assert done.exit_code == 2
    assert "cannot check" in done.output
    assert "Traceback" not in done.output


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "input.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "bundle",
    [[], {"format": "cardflow.audit-bundle/2"}, {"format": "cardflow.audit-bundle/1"}],
    ids=["a-list", "no-card", "wrong-format"],
)
def test_a_malformed_bundle_is_refused_by_name(bundle):
    with pytest.raises(BundleError):
        check_bundle(bundle, Signer.generate("x").verifier())


def test_an_unknown_card_is_refused(database_url):
    assert cardflow("init", "--database-url", database_url).exit_code == 0
    done = cardflow("audit", "export", "no-such-card", "--database-url", database_url)
    assert done.exit_code == 2
