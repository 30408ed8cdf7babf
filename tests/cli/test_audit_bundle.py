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
from tests.contract.helpers import ACTIVATE, TO_COLLECTED, open_card
from workflow.service import CardService

runner = CliRunner()


def cardflow(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def exported(database_url, clock, tmp_path) -> tuple[dict, str]:
    """The bundle of the second of three cards (its entries are 5 to 9), and the trusted
    verifier key."""
    ledger = SqlLedger(database_url, clock=clock)
    ledger.create_schema()
    service = CardService(ledger, clock=clock)
    open_card(service)
    card_id = open_card(service, (*TO_COLLECTED, ACTIVATE))
    open_card(service)
    ledger.dispose()
    key = cardflow("audit", "key").output.strip()
    done = cardflow("audit", "export", card_id, "--database-url", database_url)
    assert done.exit_code == 0, done.output
    return json.loads(done.output), key


def verify_file(tmp_path: Path, bundle: object, key: str):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle) if not isinstance(bundle, str) else bundle)
    return cardflow("audit", "verify-bundle", str(path), "--key", key)


def test_an_exported_bundle_verifies_offline(exported, tmp_path):
    bundle, key = exported
    done = verify_file(tmp_path, bundle, key)
    assert done.exit_code == 0, done.output
    assert "verified: 5 entries (5 versions, none missing)" in done.output
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
    elif how == "entry-removed":
        del entries[2]
    elif how == "entries-reordered":
        entries[1], entries[2] = entries[2], entries[1]
    elif how == "path-truncated":
        entries[0]["path"] = entries[0]["path"][:-1]
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
        ("bytes-and-hash-edited", "entry 6 is not in the signed tree"),
        ("entry-removed", "version 3 is missing from the bundle"),
        ("entries-reordered", "version 2 is missing from the bundle"),
        ("path-truncated", "entry 5 is not in the signed tree"),
        ("checkpoint-edited", "the checkpoint: the signature of"),
        ("another-card", "entry 5 is not entry 5 of card someone-else"),
    ],
)
def test_tampering_is_named(exported, tmp_path, how, says):
    bundle, key = exported
    done = verify_file(tmp_path, _tampered(bundle, how), key)
    assert done.exit_code == 1, done.output
    assert says in done.output


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
    [[], {"format": "cardflow.audit-bundle/1"}, {"format": "x"}],
    ids=["a-list", "no-card", "wrong-format"],
)
def test_a_malformed_bundle_is_refused_by_name(bundle):
    with pytest.raises(BundleError):
        check_bundle(bundle, Signer.generate("x").verifier())


def test_an_unknown_card_is_refused(database_url):
    assert cardflow("init", "--database-url", database_url).exit_code == 0
    done = cardflow("audit", "export", "no-such-card", "--database-url", database_url)
    assert done.exit_code == 2
