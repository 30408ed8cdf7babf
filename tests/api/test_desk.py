"""The supervisor's desk over HTTP (``/ui``): signing in and out, sessions ending, CSRF,
what each page shows, escaping, the exports, and that a session can change nothing.

The browser tests (tests/browser/) drive the same pages in Chromium; these run in
process, on every ledger backend where the backend matters.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from api.app import create_app
from api.desk import DESK_ROUTERS, Desk
from api.desk.render import back_to
from api.desk.sessions import MOST_PER_KEY, MemoryStore, Session, Sessions
from api.ledger.runs import record
from ledger.bundle import check_bundle
from tests.api.conftest import HAPPY_PATH, MEMORY_ONLY
from tests.conftest import SIGNER
from tests.contract.helpers import as_administrator
from workflow.definition import RULES
from workflow.states import Role, State

IDLE = timedelta(minutes=15)
ABSOLUTE = timedelta(hours=8)
MARKUP = "<script>alert(1)</script>"


@pytest.fixture
def desk(keys, clock) -> Desk:
    return Desk(Sessions(MemoryStore(), keys, idle=IDLE, absolute=ABSOLUTE, clock=clock))


@pytest.fixture
def app(service, keys, audit, desk):
    return create_app(service, keys, audit, desk=desk)


@pytest.fixture
def browser(app):
    """A client that keeps cookies, as a browser does, and follows no redirect."""
    with TestClient(app, follow_redirects=False) as client:
        yield client


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_in(browser: TestClient, token: str, *, after: str = "/ui/cards"):
    page = browser.get("/ui/sign-in")
    assert page.status_code == 200
    return browser.post(
        "/ui/sign-in",
        data={"key": token, "csrf": form_token(page.text), "next": after},
    )


@pytest.fixture
def supervisor(keys) -> str:
    _, token = keys.create("desk supervisor", Role.SUPERVISOR)
    return token


@pytest.fixture
def signed_in(browser, supervisor) -> TestClient:
    answer = sign_in(browser, supervisor)
    assert answer.status_code == 303, answer.text
    return browser


def step(cards, card_id: str, index: int) -> None:
    event, channel, evidence, _ = HAPPY_PATH[index]
    response = cards.step(card_id, event, channel, evidence)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "asked",
    [
        None,
        "https://elsewhere.example/",
        "//elsewhere.example/ui",
        "/v1/cards",
        "/ui\\x",
        "/uix",
        "/ui/\r\nSet-Cookie: a=b",
    ],
)
def test_after_signing_in_only_a_desk_page_is_gone_back_to(asked):
    assert back_to(asked) == "/ui/cards"


@pytest.mark.parametrize("asked", ["/ui", "/ui/cards?state=applied", "/ui/cards/abc"])
def test_a_desk_page_is_gone_back_to(asked):
    assert back_to(asked) == asked


@MEMORY_ONLY
class TestSigningIn:
    def test_a_page_without_a_session_sends_the_browser_to_sign_in(self, browser):
        answer = browser.get("/ui/cards?state=applied")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/ui/sign-in?next=%2Fui%2Fcards%3Fstate%3Dapplied"

    def test_a_supervisor_signs_in_and_the_cookie_is_strict(self, browser, supervisor):
        answer = sign_in(browser, supervisor, after="/ui/workflow")
        assert (answer.status_code, answer.headers["location"]) == (303, "/ui/workflow")
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("cardflow_desk=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        assert "Path=/ui" in cookie
        assert "Secure" not in cookie  # plain HTTP here; over HTTPS it is set
        assert browser.get("/ui/workflow").status_code == 200

    def test_over_https_the_cookie_is_secure(self, app, keys):
        _, token = keys.create("over https", Role.ADMIN)
        with TestClient(app, base_url="https://desk.example", follow_redirects=False) as b:
            answer = sign_in(b, token)
            assert answer.status_code == 303
            assert "Secure" in answer.headers["set-cookie"]

    @pytest.mark.parametrize("role", [Role.CLERK, Role.SYSTEM])
    def test_a_key_that_only_acts_may_not_sign_in(self, browser, keys, role):
        _, token = keys.create("a counter", role)
        answer = sign_in(browser, token)
        assert answer.status_code == 403
        assert 'id="problem"' in answer.text
        assert "cardflow_desk=" not in answer.headers.get("set-cookie", "")

    @pytest.mark.parametrize("given", ["", "cf_nothing_here", "not even a key", "x" * 5000])
    def test_a_wrong_key_is_refused_and_the_form_shown_again(self, browser, given):
        answer = sign_in(browser, given)
        assert answer.status_code == 401
        assert 'id="sign-in"' in answer.text
        assert 'role="alert"' in answer.text

    def test_a_revoked_key_may_not_sign_in(self, browser, keys):
        key, token = keys.create("gone", Role.SUPERVISOR)
        keys.revoke(key.key_id)
        assert sign_in(browser, token).status_code == 401

    def test_the_sign_in_form_must_repeat_its_cookie(self, browser, supervisor):
        browser.get("/ui/sign-in")
        forged = browser.post("/ui/sign-in", data={"key": supervisor, "csrf": "guessed"})
        assert forged.status_code == 403
        browser.cookies.clear()
        bare = browser.post("/ui/sign-in", data={"key": supervisor, "csrf": ""})
        assert bare.status_code == 403

    def test_a_form_that_is_not_one_is_a_page_not_a_crash(self, browser):
        answer = browser.post("/ui/sign-in", content=b"\xff\xfe", headers={"content-type": "x/y"})
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("text/html")

    def test_sign_in_attempts_are_rated_per_address(self, browser):
        answers = [sign_in(browser, "cf_wrong_key").status_code for _ in range(12)]
        assert answers[:10] == [401] * 10
        assert 429 in answers[10:]


def test_one_key_holds_a_bounded_number_of_sessions(keys, desk, clock):
    key, _ = keys.create("many browsers", Role.SUPERVISOR)
    tokens = []
    for _ in range(MOST_PER_KEY + 5):
        tokens.append(desk.sessions.open(key).token)
        clock.advance(seconds=1)
    live = [t for t in tokens if isinstance(desk.sessions.resume(t), Session)]
    assert live == tokens[-MOST_PER_KEY:]


@MEMORY_ONLY
class TestSessions:
    def test_the_cookie_never_opens_the_api(self, signed_in):
        assert signed_in.get("/v1/cards").status_code == 401

    def test_a_session_ends_when_idle_too_long(self, signed_in, clock):
        clock.advance(minutes=14)
        assert signed_in.get("/ui/cards").status_code == 200
        clock.advance(minutes=14)
        assert signed_in.get("/ui/cards").status_code == 200  # each page counts as use
        clock.advance(minutes=15)
        ended = signed_in.get("/ui/cards")
        assert ended.status_code == 303
        assert "expired=1" in ended.headers["location"]
        shown = signed_in.get(ended.headers["location"])
        assert 'id="notice"' in shown.text

    def test_a_session_ends_when_too_old_however_busy(self, signed_in, clock):
        began = clock.now
        while signed_in.get("/ui/cards").status_code == 200:
            assert clock.now - began < ABSOLUTE, "a session outlived its absolute expiry"
            clock.advance(minutes=10)
        assert clock.now - began == ABSOLUTE

    def test_revoking_the_key_ends_its_sessions_at_the_next_page(self, browser, keys):
        key, token = keys.create("revoked later", Role.SUPERVISOR)
        assert sign_in(browser, token).status_code == 303
        keys.revoke(key.key_id)
        ended = browser.get("/ui/cards")
        assert (ended.status_code, "revoked=1" in ended.headers["location"]) == (303, True)

    def test_signing_out_needs_the_sessions_token_and_ends_it(self, signed_in):
        page = signed_in.get("/ui/cards")
        cookie = signed_in.cookies.get("cardflow_desk")
        assert signed_in.post("/ui/sign-out", data={"csrf": "forged"}).status_code == 403
        assert signed_in.get("/ui/cards").status_code == 200
        out = signed_in.post("/ui/sign-out", data={"csrf": form_token(page.text)})
        assert (out.status_code, out.headers["location"]) == (303, "/ui/sign-in")
        signed_in.cookies.set("cardflow_desk", cookie, path="/ui")
        assert signed_in.get("/ui/cards").status_code == 303

    def test_no_desk_route_writes(self, browser):
        """Only signing in and out take a post, and the server answers as it says."""
        routes = [r for router in DESK_ROUTERS for r in router.routes]
        posts = {r.path for r in routes if set(r.methods) - {"GET", "HEAD"}}
        assert posts == {"/ui/sign-in", "/ui/sign-out"}
        for route in routes:
            allowed = browser.options(route.path.replace("{card_id}", "c")).headers["allow"]
            assert set(allowed.split(", ")) <= {"GET", "HEAD", "POST", "OPTIONS"}

    def test_a_session_cannot_post_a_transition(self, signed_in, cards):
        card_id = cards.new()
        before = cards.snapshot(card_id)
        event, channel, evidence, _ = HAPPY_PATH[0]
        body = {"event": event, "channel": channel, "evidence": dict(evidence)}
        assert signed_in.post(f"/v1/cards/{card_id}/transitions", json=body).status_code == 401
        assert signed_in.post(f"/ui/cards/{card_id}", data=body).status_code == 405
        assert cards.snapshot(card_id) == before


@MEMORY_ONLY
class TestPages:
    def test_every_page_speaks_chinese_by_default_and_english_when_asked(self, signed_in):
        for path in ("/ui/cards", "/ui/workflow", "/ui/deadlines", "/ui/activity", "/ui/ledger"):
            zh = signed_in.get(path)
            assert zh.status_code == 200, (path, zh.text)
            assert '<html lang="zh-Hans">' in zh.text
            assert "Content-Security-Policy" in zh.headers
            en = signed_in.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})
            assert '<html lang="en">' in en.text
            assert en.text != zh.text

    def test_the_switch_sets_the_language_and_goes_back(self, signed_in):
        switched = signed_in.get("/ui/language", params={"to": "en", "back": "/ui/workflow"})
        assert (switched.status_code, switched.headers["location"]) == (303, "/ui/workflow")
        assert '<html lang="en">' in signed_in.get("/ui/workflow").text
        assert signed_in.get("/ui/language", params={"to": "fr"}).status_code == 400

    def test_the_workflow_page_draws_the_definition(self, signed_in):
        page = signed_in.get("/ui/workflow").text
        assert re.search(r'<figure id="diagram"[^>]*>\s*<svg', page)
        table = page.split('<table id="rules"')[1].split("</table>")[0]
        assert table.count("<tr>") == len(RULES) + 1

    def test_the_search_finds_and_shows_state_financial_function_and_last_step(
        self, signed_in, cards
    ):
        card_id = cards.new()
        step(cards, card_id, 0)
        page = signed_in.get("/ui/cards", params={"state": "reviewed"}).text
        assert f'data-card="{card_id}"' in page
        row = page.split(f'data-card="{card_id}"')[1].split("</tr>")[0]
        assert "审核" in row  # the state, in the seeds' words
        assert signed_in.get("/ui/cards", params={"state": "applied"}).text.count(card_id) == 0

    @pytest.mark.parametrize(
        "query",
        [
            {"state": "shredded"},
            {"channel": "carrier pigeon"},
            {"financial": "maybe"},
            {"opened_from": "yesterday"},
            {"opened_before": "2026-13-01"},
            {"updated_from": "2026-02-30"},
            {"updated_before": "soon"},
            {"after": "-1"},
            {"region": "x" * 65},
        ],
    )
    def test_a_bad_criterion_is_a_page_saying_which(self, signed_in, query):
        answer = signed_in.get("/ui/cards", params=query)
        assert answer.status_code == 400
        assert 'id="problem-page"' in answer.text
        assert next(iter(query)) in answer.text or "after" in answer.text

    def test_an_unknown_card_is_a_page_in_the_supervisors_language(self, signed_in):
        zh = signed_in.get("/ui/cards/no-such-card")
        assert zh.status_code == 404
        assert 'id="problem-page"' in zh.text
        assert "no-such-card" in zh.text
        assert 'lang="zh-Hans"' in zh.text
        en = signed_in.get("/ui/cards/no-such-card", headers={"Accept-Language": "en"})
        assert "There is no card no-such-card" in en.text

    def test_the_timeline_shows_each_step_a_refusal_and_proofs(self, signed_in, cards, audit):
        card_id = cards.new()
        step(cards, card_id, 0)
        refused = cards.step(card_id, "activate", "bank_outlet", {"card_presented": True})
        assert refused.status_code in (409, 422), refused.text
        pending = signed_in.get(f"/ui/cards/{card_id}").text
        assert set(re.findall(r'data-proof="(\w+)"', pending)) == {"pending"}
        audit.checkpoint()
        page = signed_in.get(f"/ui/cards/{card_id}").text
        steps = re.findall(
            r'<li class="step[^"]*" data-seq="(\d+)" data-kind="(\w+)" '
            r'data-proof="(\w+)"',
            page,
        )
        assert [kind for _, kind, _ in steps] == ["transition", "transition", "refusal"]
        assert {proof for _, _, proof in steps} == {"ok"}
        assert 'id="completeness" class="complete"' in page

    def test_what_callers_wrote_is_shown_as_text(self, app, keys, signed_in, cards):
        _, token = keys.create(MARKUP, Role.ADMIN)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as hostile:
            card_id = cards.new()
            body = {
                "event": "review",
                "channel": "card_center",
                "evidence": {"information_checked": True},
            }
            assert hostile.post(f"/v1/cards/{card_id}/transitions", json=body).status_code == 200
        page = signed_in.get(f"/ui/cards/{card_id}").text
        assert MARKUP not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    def test_the_exports(self, signed_in, cards, audit):
        card_id = cards.new()
        step(cards, card_id, 0)
        audit.checkpoint()
        found = signed_in.get("/ui/cards.csv", params={"state": "reviewed"})
        assert found.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(found.text)))
        assert rows[0][0] == "card_id"
        assert [r[0] for r in rows[1:]] == [card_id]
        history = signed_in.get(f"/ui/cards/{card_id}/history.csv")
        lines = list(csv.DictReader(io.StringIO(history.text)))
        assert [(r["seq"], r["event"], r["proof"]) for r in lines] == [
            ("1", "apply", "included"),
            ("2", "review", "included"),
        ]
        bundle = signed_in.get(f"/ui/cards/{card_id}/bundle.json")
        checked = check_bundle(json.loads(bundle.text), SIGNER.verifier())
        assert (checked.card_id, checked.entries) == (card_id, 2)

    def test_a_path_no_page_has_is_a_page(self, signed_in):
        answer = signed_in.get("/ui/nowhere", headers={"Accept-Language": "en"})
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "The desk has no such page." in answer.text

    def test_the_database_away_is_a_page_to_retry(self, signed_in, service, monkeypatch):
        def away(_wanted):
            raise OperationalError("SELECT", {}, Exception("connection refused"))

        monkeypatch.setattr(service, "search", away)
        answer = signed_in.get("/ui/cards", headers={"Accept-Language": "en"})
        assert answer.status_code == 503
        assert answer.headers["retry-after"]
        assert "cannot reach the ledger" in answer.text
        assert "connection refused" not in answer.text

    def test_the_ledger_page_shows_size_checkpoint_and_last_check(
        self, signed_in, cards, audit, app, clock
    ):
        cards.new()
        english = {"Accept-Language": "en"}
        page = signed_in.get("/ui/ledger", headers=english).text
        assert 'id="ledger-status"' in page
        assert "none signed yet" in page
        assert "none kept yet" in page
        audit.checkpoint()
        record(app.state.verify_job.runs, audit.verify(), clock.now, 0.5)
        page = signed_in.get("/ui/ledger", headers=english).text
        assert "1 entries, signed" in page
        assert "found nothing wrong" in page


@pytest.mark.parametrize("ledger", ["sqlite"], indirect=True)
def test_an_entry_altered_in_the_database_is_marked_with_why(signed_in, cards, sqlite_url, audit):
    card_id = cards.new()
    step(cards, card_id, 0)
    audit.checkpoint()
    as_administrator(
        sqlite_url,
        "UPDATE ledger_entries SET actor = 'someone else' WHERE seq = 2",
    )
    page = signed_in.get(f"/ui/cards/{card_id}", headers={"Accept-Language": "en"}).text
    marks = dict(re.findall(r'data-seq="(\d+)" data-kind="\w+" data-proof="(\w+)"', page))
    assert marks == {"1": "ok", "2": "bad"}
    assert 'class="incomplete"' in page


@pytest.mark.parametrize("ledger", ["sqlite"], indirect=True)
def test_markup_written_into_the_database_is_shown_as_text(signed_in, cards, sqlite_url):
    """Evidence takes no markup through the API; an administrator can still write it."""
    card_id = cards.new()
    step(cards, card_id, 0)
    evidence = json.dumps({"information_checked": MARKUP})
    as_administrator(sqlite_url, f"UPDATE ledger_entries SET evidence = '{evidence}' WHERE seq = 2")
    page = signed_in.get(f"/ui/cards/{card_id}").text
    assert MARKUP not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "ledger", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_the_desk_reads_each_database(signed_in, cards, audit):
    """The search, a timeline with its proofs, the exports and the overviews, on the
    databases cardflow runs on."""
    card_id = cards.new()
    step(cards, card_id, 0)
    audit.checkpoint()
    english = {"Accept-Language": "en"}
    found = signed_in.get("/ui/cards", params={"state": "reviewed"}, headers=english)
    assert f'data-card="{card_id}"' in found.text
    timeline = signed_in.get(f"/ui/cards/{card_id}", headers=english).text
    assert re.findall(r'data-proof="(\w+)"', timeline) == ["ok", "ok"]
    assert 'class="complete"' in timeline
    assert signed_in.get(f"/ui/cards/{card_id}/history.csv").text.count("\n") == 3
    assert signed_in.get("/ui/cards.csv").text.count(card_id) == 1
    for path in ("/ui/workflow", "/ui/deadlines", "/ui/activity", "/ui/ledger"):
        assert signed_in.get(path).status_code == 200, path


@pytest.mark.parametrize("ledger", ["sqlite"], indirect=True)
def test_a_head_edited_in_the_database_does_not_change_what_the_desk_says(
    signed_in, cards, sqlite_url
):
    """A card's head is a cache no hash covers: the desk says what the entries say."""
    card_id = cards.new()
    step(cards, card_id, 0)
    as_administrator(
        sqlite_url, f"UPDATE ledger_heads SET state = 'activated' WHERE card_id = '{card_id}'"
    )
    english = {"Accept-Language": "en"}
    page = signed_in.get(f"/ui/cards/{card_id}", headers=english).text
    shown = page.split('id="card-state"')[1].split("</p>")[0]
    assert "state-reviewed" in shown
    assert "activated" not in shown
    found = signed_in.get("/ui/cards", headers=english).text
    row = found.split(f'data-card="{card_id}"')[1].split("</tr>")[0]
    assert "state-reviewed" in row


@pytest.mark.parametrize("ledger", ["sqlite"], indirect=True)
def test_deadlines_are_listed_as_the_entries_say(
    browser, supervisor, cards, service, clock, sqlite_url
):
    lost = cards.in_state(State.TEMPORARILY_LOST)
    due = service.ledger.head(lost).due_at
    assert due is not None
    clock.now = due - timedelta(days=3)
    produced = cards.in_state(State.PRODUCED)  # due to be collected in months
    as_administrator(
        sqlite_url,
        f"UPDATE ledger_heads SET due_at = '{clock.now.isoformat()}' WHERE card_id = '{produced}'",
    )
    assert sign_in(browser, supervisor).status_code == 303  # on the clock moved on
    page = browser.get("/ui/deadlines", params={"within": "7"}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert f'data-card="{lost}"' in page.text
    assert "left" in page.text.split(f'data-card="{lost}"')[1].split("</tr>")[0]
    assert f'data-card="{produced}"' not in page.text  # its entries say months, not days
