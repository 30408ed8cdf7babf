"""No name or ID number ever reaches a log line or a ledger entry; request lines say enough.

Every request below carries a person's name and ID number somewhere -- accepted, refused,
in a batch, in a retry -- and then the rendered log output and every entry's canonical
bytes are searched for them.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from api.logs import configure_logging
from ledger.entry import Entry
from tests.api.conftest import APPLICATION, Cards
from workflow.identity import check_character
from workflow.states import Channel, Role, State

UNIT = {"unit_letter": "letter_of_introduction", "unit_seal": True, "person_in_charge_id": True}


def citizen_id(first17: str) -> str:
    return first17 + check_character(first17)


PEOPLE = {
    "Ouyang Zhenhua": citizen_id("44030519770315481"),
    "Shangguan Yun": citizen_id("11010819910909372"),
    "Zhuge Mingyue": citizen_id("51010719881130265"),
}
_FIRST17 = "32010619650101987"
MISTYPED = ("Sima Qingshan", _FIRST17 + ("1" if check_character(_FIRST17) != "1" else "2"))
"""Someone whose number was typed with the wrong check character."""


def forms_of(id_number: str) -> list[str]:
    """The number as it might leak: whole, lower case, without its check character, and
    the 15-digit form (the first six digits, the birth date without the century, the
    sequence)."""
    return [id_number, id_number.lower(), id_number[:17], id_number[:6] + id_number[8:17]]


@pytest.fixture
def logged():
    stream = io.StringIO()
    configure_logging(json=True, level=logging.DEBUG, stream=stream)
    return stream


def drive(cards: Cards, client_as) -> None:
    """Accepted, refused and retried requests, each naming a person."""
    (name, id_number), *others = PEOPLE.items()
    application = {
        "applicant": {"name": name, "id_number": id_number, "contact_number": "13912345678"},
        "channel": "card_center",
        "evidence": APPLICATION,
    }
    once = {"Idempotency-Key": "privacy-1"}
    response = cards.client.post("/v1/cards", json=application, headers=once)
    assert response.status_code == 201, response.text
    card_id = response.json()["card_id"]
    retried = cards.client.post("/v1/cards", json=application, headers=once)
    assert retried.json()["card_id"] == card_id
    mistyped = cards.apply(applicant={"name": MISTYPED[0], "id_number": MISTYPED[1]})
    assert mistyped.status_code == 422
    no_photo = cards.apply(
        applicant={"name": name, "id_number": id_number},
        evidence={**APPLICATION, "photo": False},
    )
    assert no_photo.status_code == 422
    as_evidence = cards.step(card_id, "review", "card_center", {"information_checked": id_number})
    assert as_evidence.status_code == 422
    hr = client_as(Role.CLERK, [Channel.EMPLOYER], name="acme-hr")
    batch = hr.post(
        "/v1/batches",
        json={
            "event": "apply",
            "channel": "employer",
            "evidence": UNIT,
            "items": [
                {"applicant": {"name": n, "id_number": i}, "evidence": APPLICATION}
                for n, i in [*others, MISTYPED]
            ],
        },
    )
    assert batch.json()["accepted"] == 2
    assert cards.client.get(f"/v1/cards/{card_id}/history").status_code == 200
    pharmacy = client_as(Role.CLERK, [Channel.PHARMACY], name="pharmacy-9")
    refused = pharmacy.post(
        f"/v1/cards/{card_id}/transitions",
        json={"event": "activate", "channel": "bank_outlet", "evidence": {"card_presented": True}},
    )
    assert refused.status_code == 403


class TestNoPersonalData:
    def test_not_in_any_log_line_nor_any_ledger_entry(self, cards: Cards, client_as, logged):
        drive(cards, client_as)
        lines = logged.getvalue()
        assert lines.count('"event": "request"') == 8
        entries = [row for row in cards.ledger.scan() if isinstance(row, Entry)]
        assert len(entries) >= 4
        ledger_bytes = b"\n".join(entry.encode() for entry in entries).decode()
        for name, id_number in [*PEOPLE.items(), MISTYPED]:
            for where, text in (("the logs", lines), ("the ledger", ledger_bytes)):
                assert name not in text, f"{name} in {where}"
                assert name.split()[0] not in text, f"{name}'s family name in {where}"
                for form in forms_of(id_number):
                    assert form not in text, f"{form} in {where}"
        assert "13912345678" not in lines + ledger_bytes

    def test_but_the_person_store_has_them(self, cards: Cards, client_as, logged):
        drive(cards, client_as)
        opened = [row for row in cards.ledger.scan() if isinstance(row, Entry) and row.moves]
        stored = {cards.ledger.person(entry.subject).id_number for entry in opened}
        assert stored == set(PEOPLE.values())


class TestRequestLine:
    """One line per request: id, principal, card, event (as ``transition``: ``event`` is the
    line's own name), channel, status, duration."""

    def requests(self, logged) -> list[dict[str, object]]:
        lines = [json.loads(line) for line in logged.getvalue().splitlines()]
        return [line for line in lines if line["event"] == "request"]

    def test_a_transition(self, cards: Cards, logged):
        card_id = cards.in_state(State.APPLIED)
        response = cards.step(
            card_id,
            "review",
            "card_center",
            {"information_checked": True},
            headers={"X-Request-ID": "counter-7-0042"},
        )
        line = self.requests(logged)[-1]
        assert response.headers["x-request-id"] == "counter-7-0042"
        assert line["request_id"] == "counter-7-0042"
        assert str(line["principal"]).startswith("tests-admin#")
        assert (line["card_id"], line["transition"], line["channel"]) == (
            card_id,
            "review",
            "card_center",
        )
        assert line["status"] == 200
        assert isinstance(line["duration_ms"], float)

    def test_an_application_names_the_card_it_opened(self, cards: Cards, logged):
        card_id = cards.new()
        line = self.requests(logged)[-1]
        assert (line["card_id"], line["transition"], line["channel"]) == (
            card_id,
            "apply",
            "card_center",
        )
        assert line["status"] == 201

    def test_a_generated_request_id_is_returned(self, cards: Cards, logged):
        response = cards.apply()
        assert self.requests(logged)[-1]["request_id"] == response.headers["x-request-id"]


class TestWhatACallerPutsInThePath:
    """A caller may put anything where a card id goes -- an ID number, a name: the log
    names the route, and a card id only if it has the shape of one."""

    @pytest.mark.parametrize(
        "path",
        [
            "/v1/cards/{x}",
            "/v1/cards/{x}/history",
            "/v1/cards/{x}/transitions",
            "/v1/no-such-route/{x}",
        ],
    )
    def test_no_log_line_repeats_it(self, client, logged, path):
        id_number = next(iter(PEOPLE.values()))
        url = path.format(x=id_number)
        if url.endswith("/transitions"):
            client.post(url, json={"event": "review", "channel": "card_center", "evidence": {}})
        else:
            client.get(url)
        lines = logged.getvalue()
        assert '"event": "request"' in lines
        for form in forms_of(id_number):
            assert form not in lines, f"{form} in the logs"
