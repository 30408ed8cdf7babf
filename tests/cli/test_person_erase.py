"""``cardflow person erase``: a person's data leaves the database, and every proof holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from api.config import runtime_for_command
from ledger.entry import ERASURE
from ledger.sql import SqlLedger
from tests.cli.helpers import cardflow, cardflow_process
from tests.contract.helpers import APPLICATION, CLERK
from tests.people import citizen_id
from workflow.service import Applicant, CardService, Step
from workflow.states import Channel, Event

CANCEL = Step(
    Event.CANCEL,
    Channel.CARD_CENTER,
    CLERK,
    evidence={"cancellation_reason": "death", "cancellation_proof": True},
)
PEOPLE = 150
"""Enough persons that their rows fill many pages of the file and its index."""


class Register:
    """Persons with a card each, every third one's card cancelled."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.people: list[tuple[str, str, str, bool]] = []  # name, id number, card, ended
        with runtime_for_command(url) as runtime:
            for i in range(PEOPLE):
                name = f"張測試{i:03d} Zhang Ceshi-{i:03d}"
                id_number = citizen_id()
                card = self._apply(runtime.service, name, id_number)
                ended = i % 3 == 0
                if ended:
                    runtime.service.transition(card, CANCEL)
                self.people.append((name, id_number, card, ended))

    @staticmethod
    def _apply(service: CardService, name: str, id_number: str) -> str:
        step = Step(Event.APPLY, Channel.CARD_CENTER, CLERK, evidence=APPLICATION)
        return service.apply(Applicant(name, id_number), step).card_id

    def ended(self) -> list[tuple[str, str, str, bool]]:
        return [person for person in self.people if person[3]]

    def live(self) -> list[tuple[str, str, str, bool]]:
        return [person for person in self.people if not person[3]]


@pytest.fixture
def register(database_url) -> Register:
    return Register(database_url)


@pytest.fixture
def register_on_sqlite(sqlite_url) -> Register:
    return Register(sqlite_url)


def erase(url: str, id_number: str, reason: str = "death"):
    return cardflow(
        "person",
        "erase",
        "--reason",
        reason,
        "--by",
        "admin-zhou",
        "--database-url",
        url,
        given=f"{id_number}\n",
    )


def database_bytes(url: str) -> bytes:
    """The database file and whatever journal lies beside it, as the disk holds them."""
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(
        found.read_bytes()
        for found in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        if found.exists()
    )


def test_the_data_is_gone_from_the_file(register_on_sqlite):
    """While a server holds the database open (so closing the command's connections
    does not fold the write-ahead log away): the erased persons' bytes are nowhere in
    the file or the log, and another person's, which the check looks for the same way,
    still are."""
    url = register_on_sqlite.url
    erased, kept = register_on_sqlite.ended()[:5], register_on_sqlite.ended()[5]
    with runtime_for_command(url) as server:
        server.service.card(kept[2])
        before = database_bytes(url)
        for name, id_number, _, _ in (*erased, kept):
            assert name.encode() in before
            assert id_number.encode() in before
        for _, id_number, _, _ in erased:
            done = erase(url, id_number)
            assert done.exit_code == 0, done.output
            server.service.card(kept[2])
        after = database_bytes(url)
    for name, id_number, _, _ in erased:
        assert name.encode() not in after, name
        assert id_number.encode() not in after, id_number
        assert name.split()[0].encode() not in after
    assert kept[0].encode() in after  # the check can see a name that is there
    assert kept[1].encode() in after


def test_every_proof_holds_afterwards(register, tmp_path):
    url = register.url
    name, id_number, card, _ = register.ended()[0]
    kept = tmp_path / "kept.note"
    kept.write_text(cardflow("audit", "checkpoint", "--database-url", url).output)
    done = erase(url, id_number, "request")
    assert done.exit_code == 0, done.output
    assert "noted on 1 card(s) by entries" in done.output

    checked = cardflow("audit", "fsck", "--database-url", url, "--checkpoint", str(kept))
    assert checked.exit_code == 0, checked.output
    bundle = tmp_path / "bundle.json"
    bundle.write_text(cardflow("audit", "export", card, "--database-url", url).output)
    key = cardflow("audit", "key").output.strip()
    offline = cardflow("audit", "verify-bundle", str(bundle), "--key", key)
    assert offline.exit_code == 0, offline.output
    assert name not in bundle.read_text()
    assert id_number not in bundle.read_text()
    erased = json.loads(bundle.read_text())["entries"][-1]
    assert json.loads(erased["encoded"])["kind"] == ERASURE

    timeline = cardflow("history", card, "--database-url", url)
    assert (
        "ERASED the holder's personal data (request) by admin-zhou (admin)"
        in (timeline.output.splitlines()[-1])
    )
    with runtime_for_command(url) as runtime:
        assert runtime.ledger.person(runtime.service.person_ref(id_number)) is None


def test_a_second_erasure_writes_nothing(register):
    _, id_number, _, _ = register.ended()[0]
    assert erase(register.url, id_number).exit_code == 0
    again = erase(register.url, id_number)
    assert again.exit_code == 0
    assert "holds no personal data any more: nothing written" in again.output


def test_by_the_subject_entries_name(register):
    card = register.ended()[1][2]
    with runtime_for_command(register.url) as runtime:
        subject = runtime.service.history(card)[0].subject
    done = cardflow(
        "person",
        "erase",
        "--reason",
        "retention_ended",
        "--subject",
        subject,
        "--database-url",
        register.url,
    )
    assert done.exit_code == 0, done.output
    assert f"erased the personal data of person {subject}" in done.output


def test_a_live_holder_is_refused_and_loses_nothing(register):
    name, id_number, card, _ = register.live()[0]
    done = erase(register.url, id_number, "request")
    assert done.exit_code == 1
    assert f"erasure refused: the person still holds card {card}, which is applied" in (done.output)
    assert id_number not in done.output
    with runtime_for_command(register.url) as runtime:
        held = runtime.ledger.person(runtime.service.person_ref(id_number))
        assert held is not None
        assert held.name == name
        assert [e.kind for e in runtime.service.history(card, refusals=True)] == ["transition"]


@pytest.mark.parametrize(
    ("args", "given", "says"),
    [
        ((), "11010519491231002X\n", "cannot erase: cardflow holds no card of that person"),
        ((), "12345\n", "cannot erase: an identity number has 18 characters"),
        (("--subject", "not-hex"), None, "a person's reference is 64 lower-case hex digits"),
        (("--reason", "boredom"), "", "Invalid value for '--reason'"),
    ],
    ids=["unknown-person", "bad-id-number", "bad-subject", "bad-reason"],
)
def test_unusable_input(sqlite_url, args, given, says):
    assert cardflow("init", "--database-url", sqlite_url).exit_code == 0
    reason = () if "--reason" in args else ("--reason", "death")
    done = cardflow("person", "erase", *reason, *args, "--database-url", sqlite_url, given=given)
    assert done.exit_code == 2
    assert says in done.output


def test_a_busy_journal_is_named_and_cleared_by_asking_again(register_on_sqlite):
    """A reader holding a snapshot keeps the write-ahead log from being emptied: the
    erasure is written, the command says the log still holds a copy (exit 1), and the
    same command once the reader is done clears it."""
    url = register_on_sqlite.url
    name, id_number, _, _ = register_on_sqlite.ended()[0]
    reader = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM persons").fetchone()
        original = SqlLedger.clear_journal
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(SqlLedger, "clear_journal", lambda self: original(self, wait=0.2))
            done = erase(url, id_number)
        assert done.exit_code == 1
        assert "erased the personal data of person" in done.output
        assert "write-ahead log still holds a copy" in done.output
        assert name.encode() in database_bytes(url)
    finally:
        reader.rollback()
        reader.close()
    again = erase(url, id_number)
    assert again.exit_code == 0, again.output
    assert "nothing written" in again.output
    assert name.encode() not in database_bytes(url)


def test_the_person_key_is_never_made_anew(register_on_sqlite, tmp_path):
    """Run where the person key is not, an erasure by ID number would compute another
    reference and find no one; it refuses instead, and makes no key."""
    missing = tmp_path / "no.person-key"
    _, id_number, _, _ = register_on_sqlite.ended()[0]
    done = cardflow_process(
        "person",
        "erase",
        "--reason",
        "death",
        "--database-url",
        register_on_sqlite.url,
        env={"CARDFLOW_PERSON_KEY_FILE": str(missing)},
        input=f"{id_number}\n",
    )
    assert done.returncode == 2
    assert f"CARDFLOW_PERSON_KEY_FILE: there is no key at {missing}" in done.stderr
    assert not missing.exists()
