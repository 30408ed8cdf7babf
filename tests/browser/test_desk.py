"""The supervisor's desk as a supervisor uses it, in a real Chromium: signing in and out,
finding cards, reading a timeline and its proofs, seeing a tampered entry, the language,
the exports, and every page checked by axe-core."""

from __future__ import annotations

import csv
import json
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import axe, shot, sign_in
from tests.browser.world import BATCHED, MARKUP, REVIEW, ROOT, Counter, checkpointed
from tests.cli.helpers import cardflow_process
from tests.contract.helpers import as_administrator

pytestmark = pytest.mark.browser

NAV: tuple[str, ...] = ("/ui/cards", "/ui/workflow", "/ui/deadlines", "/ui/activity", "/ui/ledger")
"""Where the desk's navigation leads, in its order."""


def _path(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def _rows(path: str) -> list[dict[str, str]]:
    with Path(path).open(newline="", encoding="utf-8") as opened:
        return list(csv.DictReader(opened))


class TestSigningIn:
    """Only a supervisor's or an admin's key opens the desk, in Chinese unless asked."""

    def test_a_page_asked_for_first_asks_for_a_key_then_opens(self, desk, page):
        page.goto(desk.ui("/workflow"))
        assert _path(page) == "/ui/sign-in?next=%2Fui%2Fworkflow"
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        key = page.locator("#sign-in input#key")
        expect(key).to_have_attribute("type", "password")
        expect(key).to_have_attribute("autocomplete", "off")
        expect(page.locator("label[for=key]")).not_to_be_empty()
        expect(page.locator("#sign-in input[name=next]")).to_have_value("/ui/workflow")
        expect(page.locator("#notice")).to_have_count(0)
        shot(page, "sign-in")
        assert sign_in(page, desk.supervisor).status == 303
        assert _path(page) == "/ui/workflow"
        links = page.locator("#desk-nav a")
        assert [links.nth(i).get_attribute("href") for i in range(links.count())] == list(NAV)
        expect(page.locator("#sign-out input[type=hidden][name=csrf]")).to_have_count(1)
        expect(page.locator("#sign-out [type=submit]")).to_be_visible()

    def test_the_session_cookie_is_for_the_desk_alone(self, desk, signed_in):
        signed_in.goto(desk.ui("/cards"))
        (cookie,) = [c for c in signed_in.context.cookies() if c["name"] == "cardflow_desk"]
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["path"] == "/ui"
        api = signed_in.request.get(f"{desk.server.base}/v1/cards")  # the cookie is not sent
        assert api.status == 401
        with_cookie = signed_in.request.get(
            f"{desk.server.base}/v1/cards",
            headers={"Cookie": f"cardflow_desk={cookie['value']}"},
        )
        assert with_cookie.status == 401

    def test_a_wrong_key_is_refused_with_the_form_again(self, desk, page):
        page.goto(desk.ui("/sign-in"))
        assert sign_in(page, "cf_000000000000_not-a-key").status == 401
        expect(page.locator("#problem[role=alert]")).to_be_visible()
        expect(page.locator("#sign-in #key")).to_be_visible()

    def test_a_clerks_key_is_refused(self, desk, page):
        page.goto(desk.ui("/sign-in"))
        assert sign_in(page, desk.clerk).status == 403
        expect(page.locator("#problem[role=alert]")).to_be_visible()
        shot(page, "sign-in-refused")
        axe(page)
        page.goto(desk.ui("/cards"))
        assert _path(page).startswith("/ui/sign-in")

    def test_the_keyboard_reaches_the_key_with_its_focus_shown(self, desk, page):
        page.goto(desk.ui("/sign-in"))
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "key":
                break
        else:
            pytest.fail("twenty presses of Tab never reached the key field")
        assert page.evaluate("document.activeElement.matches(':focus-visible')")
        outline = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; })()"
        )
        shown = outline[0] != "none" and outline[1] != "0px"
        assert shown or outline[2] != "none", f"no visible focus: {outline}"
        shot(page, "sign-in-focus")
        page.keyboard.type(desk.supervisor)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert _path(page) == "/ui/cards"


class TestSigningOut:
    """Signing out ends the session: the cookie it had opens nothing any more."""

    def test_the_old_cookie_no_longer_works(self, desk, page, contexts):
        page.goto(desk.ui("/sign-in"))
        assert sign_in(page, desk.supervisor).status == 303
        kept = page.context.cookies()
        with page.expect_navigation():
            page.locator("#sign-out [type=submit]").click()
        assert _path(page).startswith("/ui/sign-in")
        again = contexts()
        again.add_cookies(kept)  # as someone who copied the cookie would
        tab = again.new_page()
        tab.goto(desk.ui("/cards"))
        assert _path(tab).startswith("/ui/sign-in?next=%2Fui%2Fcards")


class TestSessionTimes:
    """A session unused for the idle time is over, and the desk says so."""

    def test_a_session_in_use_goes_on_and_an_idle_one_ends(self, own_desk, page):
        desk = own_desk(CARDFLOW_DESK_IDLE_SECONDS="2", CARDFLOW_DESK_ABSOLUTE_SECONDS="60")
        page.goto(desk.ui("/sign-in"))
        assert sign_in(page, desk.supervisor).status == 303
        expect(page.locator("#results, #no-results")).to_have_count(1)
        for _ in range(3):  # longer than the idle time in all, but never idle that long
            time.sleep(1.2)
            page.goto(desk.ui("/workflow"))
            assert _path(page) == "/ui/workflow"
        time.sleep(3)
        page.goto(desk.ui("/ledger"))
        assert _path(page) == "/ui/sign-in?next=%2Fui%2Fledger&expired=1"
        expect(page.locator("#notice")).to_be_visible()
        shot(page, "sign-in-expired")
        axe(page)


class TestCards:
    """The search finds cards by their criteria, a page at a time, and exports them."""

    def test_a_search_by_state_pages_through_every_card(self, desk, signed_in):
        page = signed_in
        page.goto(desk.ui("/cards"))
        page.locator("#search select#state").select_option("applied")
        with page.expect_navigation():
            page.locator("#search [type=submit]").click()
        applied = {desk.cards[f"applied-{n}"] for n in range(1, 4)} | {
            desk.cards[f"batched-{n}"] for n in range(1, BATCHED + 1)
        }
        seen: list[str] = []
        for _ in range(3):
            rows = page.locator("#results tr[data-card]")
            seen += [rows.nth(i).get_attribute("data-card") or "" for i in range(rows.count())]
            if page.locator("#next-page").count() == 0:
                break
            with page.expect_navigation():
                page.locator("#next-page").click()
        assert len(seen) == len(set(seen)) == len(applied)
        assert set(seen) == applied
        first = page.locator(f"#results tr[data-card='{seen[-1]}'] a")
        expect(first).to_have_attribute("href", f"/ui/cards/{seen[-1]}")

    def test_the_search_form_says_what_was_asked(self, desk, signed_in):
        page = signed_in
        page.goto(desk.ui("/cards?state=activated&financial=yes"))
        expect(page.locator("#state")).to_have_value("activated")
        expect(page.locator("#financial")).to_have_value("yes")
        rows = page.locator("#results tr[data-card]")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-card", desk.cards["activated"])

    def test_the_export_holds_the_cards_the_search_found(self, desk, signed_in):
        page = signed_in
        page.goto(desk.ui("/cards?state=produced"))
        with page.expect_download() as download:
            page.locator("#export-search").click()
        rows = _rows(download.value.path())
        assert [(row["card_id"], row["state"]) for row in rows] == [
            (desk.cards["produced"], "produced")
        ]
        assert rows[0]["due_at"], rows[0]

    @pytest.mark.parametrize("query", ["opened_from=nonsense", "state=flying", "financial=maybe"])
    def test_a_bad_criterion_is_a_page_saying_so(self, desk, signed_in, query):
        answer = signed_in.goto(desk.ui(f"/cards?{query}"))
        assert answer is not None
        assert answer.status == 400
        expect(signed_in.locator("#problem-page")).to_be_visible()
        axe(signed_in)


class TestTimeline:
    """A card's page tells its whole story, refusals included, each entry proven."""

    def test_every_entry_with_its_proof(self, desk, signed_in):
        page = signed_in
        card_id = desk.cards["activated"]
        page.goto(desk.ui(f"/cards/{card_id}"))
        expect(page.locator("h1")).to_contain_text(card_id)
        expect(page.locator("#card-state")).not_to_be_empty()
        steps = page.locator("#timeline > li.step")
        expect(steps).to_have_count(6)
        kinds = [steps.nth(i).get_attribute("data-kind") for i in range(6)]
        assert kinds == ["transition", "refusal", *["transition"] * 4]
        seqs = [int(steps.nth(i).get_attribute("data-seq") or 0) for i in range(6)]
        assert seqs == sorted(seqs)
        for i in range(6):
            expect(steps.nth(i)).to_have_attribute("data-proof", "ok")
            expect(steps.nth(i).locator(".proof")).to_contain_text("✓")
        expect(steps.nth(1)).to_contain_text("counter-7")
        moment = steps.first.locator("time").first
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*Z", moment.get_attribute("datetime") or "")
        assert (moment.get_attribute("title") or "").startswith("UTC ")
        expect(page.locator("#completeness")).to_contain_text("✓")
        expect(page.locator("#export-history")).to_have_attribute(
            "href", f"/ui/cards/{card_id}/history.csv"
        )
        expect(page.locator("#bundle")).to_have_attribute(
            "href", f"/ui/cards/{card_id}/bundle.json"
        )
        shot(page, "timeline-zh", docs=True)

    def test_the_history_export_has_every_entry(self, desk, signed_in):
        page = signed_in
        page.goto(desk.ui(f"/cards/{desk.cards['activated']}"))
        with page.expect_download() as download:
            page.locator("#export-history").click()
        rows = _rows(download.value.path())
        assert [row["kind"] for row in rows] == ["transition", "refusal", *["transition"] * 4]
        assert [row["event"] for row in rows][:3] == ["apply", "produce", "review"]

    def test_the_bundle_checks_with_the_command_shown(self, desk, signed_in, tmp_path):
        page = signed_in
        page.goto(desk.ui(f"/cards/{desk.cards['activated']}"))
        checked = _check_bundle(page, tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"bundle of card {desk.cards['activated']}" in checked.stdout

    def test_an_unknown_card_is_a_page_saying_so(self, desk, signed_in):
        answer = signed_in.goto(desk.ui("/cards/00000000-0000-4000-8000-000000000000"))
        assert answer is not None
        assert answer.status == 404
        expect(signed_in.locator("#problem-page")).to_be_visible()
        axe(signed_in)


def _check_bundle(page: Page, folder: Path) -> subprocess.CompletedProcess[str]:
    """Download the bundle of the card ``page`` shows and run the command the page gives
    as it is written, in ``folder`` holding the bundle and the log key the page shows,
    under the names the command gives them."""
    with page.expect_download() as download:
        page.locator("#bundle").click()
    command = shlex.split(page.locator("#verify-command").inner_text())
    assert command[:3] == ["cardflow", "audit", "verify-bundle"], command
    download.value.save_as(folder / command[3])
    assert json.loads((folder / command[3]).read_text())["card_id"]
    key_file = folder / command[command.index("--key") + 1]
    key_file.write_text(page.locator("#log-key").inner_text().strip() + "\n")
    return cardflow_process(*command[1:], cwd=folder, env={"PYTHONPATH": str(ROOT)})


class TestTampering:
    """An entry an administrator rewrote in the database fails its proof, and says why."""

    def test_a_rewritten_entry_is_marked_bad(self, own_desk, page):
        desk = own_desk()
        with Counter.at(desk, desk.clerk) as counter:
            card_id = counter.apply()
            last = counter.step(card_id, REVIEW)
            assert last is not None
            checkpointed(counter.http, last)
        page.goto(desk.ui(f"/cards/{card_id}"))
        assert sign_in(page, desk.supervisor).status == 303
        reviewed = page.locator(f"#timeline > li.step[data-seq='{last}']")
        expect(reviewed).to_have_attribute("data-proof", "ok")
        as_administrator(
            desk.url, f"UPDATE ledger_entries SET channel = 'pharmacy' WHERE seq = {last}"
        )
        page.reload()
        expect(reviewed).to_have_attribute("data-proof", "bad")
        mark = reviewed.locator(".proof")
        expect(mark).to_contain_text("✗")
        assert len(mark.inner_text().split("✗", 1)[1].strip()) > 3, mark.inner_text()
        expect(page.locator(f"#timeline > li.step[data-seq='{last - 1}']")).to_have_attribute(
            "data-proof", "ok"
        )
        expect(page.locator("#completeness")).to_contain_text("✗")
        expect(page.locator("#completeness")).to_contain_text(str(last))
        shot(page, "tampered-zh", docs=True)
        axe(page)

    def test_a_rewritten_entry_is_marked_in_the_exports(self, own_desk, page, tmp_path):
        """The history's CSV says which entry was altered, and the bundle fails the
        offline check the page gives."""
        desk = own_desk()
        with Counter.at(desk, desk.clerk) as counter:
            card_id = counter.apply()
            last = counter.step(card_id, REVIEW)
            assert last is not None
            checkpointed(counter.http, last)
        as_administrator(desk.url, f"UPDATE ledger_entries SET actor = 'nobody' WHERE seq = {last}")
        page.goto(desk.ui(f"/cards/{card_id}"))
        assert sign_in(page, desk.supervisor).status == 303
        with page.expect_download() as download:
            page.locator("#export-history").click()
        marks = {row["seq"]: row["proof"] for row in _rows(download.value.path())}
        assert marks[str(last)] == "altered", marks
        assert marks[str(last - 1)] != "altered", marks
        checked = _check_bundle(page, tmp_path)
        assert checked.returncode == 1, checked.stdout + checked.stderr
        assert "does not verify" in checked.stdout


class TestLanguage:
    """The desk speaks Chinese unless the browser or the switch asks for English."""

    def test_switching_to_english_and_back_stays_on_the_page(self, desk, signed_in):
        page = signed_in
        where = f"/ui/cards/{desk.cards['activated']}"
        page.goto(desk.server.base + where)
        switch = page.locator("#switch-language")
        expect(switch).to_have_attribute("hreflang", re.compile("^en"))
        chinese = page.locator("#desk-nav").inner_text()
        with page.expect_navigation():
            switch.click()
        assert _path(page) == where
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#desk-nav")).to_contain_text("Cards")
        assert page.locator("#desk-nav").inner_text() != chinese
        expect(switch).to_have_attribute("hreflang", re.compile("^zh"))
        shot(page, "timeline-en")
        axe(page)
        with page.expect_navigation():
            switch.click()
        assert _path(page) == where
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        assert page.locator("#desk-nav").inner_text() == chinese

    def test_an_english_browser_reads_english(self, desk, contexts, supervisor_profile):
        page = contexts(locale="en-GB", storage_state=supervisor_profile).new_page()
        page.goto(desk.ui("/ledger"))
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#desk-nav")).to_contain_text("Ledger")
        shot(page, "ledger-en", docs=True)
        axe(page)


class TestMarkup:
    """What a caller wrote is shown as text: markup in a key's name never runs."""

    def test_markup_in_an_actor_is_text(self, desk, contexts, supervisor_profile, dialogs):
        # with the page's own policy set aside, so that escaping alone is what is tested
        page = contexts(bypass_csp=True, storage_state=supervisor_profile).new_page()
        page.goto(desk.ui(f"/cards/{desk.cards['markup']}"))
        expect(page.locator("#timeline")).to_contain_text(MARKUP)
        assert page.locator("#timeline script").count() == 0
        page.goto(desk.ui("/activity"))
        expect(page.locator("#refusals-by-key")).to_contain_text(MARKUP)
        assert page.locator("main script").count() == 0
        assert dialogs == []


class TestPages:
    """The other pages hold what the contract names, and pass axe-core."""

    @pytest.mark.parametrize(
        ("path", "holds", "name"),
        [
            ("/workflow", "#diagram svg, #rules tbody tr", "workflow-zh"),
            ("/deadlines?within=7", "#deadlines tr[data-card]", "deadlines-zh"),
            (
                "/activity",
                "#activity svg, #refusals-by-channel svg, #refusals-by-key svg",
                "activity-zh",
            ),
            ("/ledger", "#ledger-status dt", "ledger-zh"),
        ],
    )
    def test_a_page_shows_its_parts(self, desk, signed_in, path, holds, name):
        signed_in.goto(desk.ui(path))
        for part in holds.split(", "):
            expect(signed_in.locator(part).first).to_be_visible()
        shot(signed_in, name, docs=name in ("workflow-zh", "activity-zh"))
        axe(signed_in)

    def test_the_nearest_deadline_is_listed_with_its_time_left(self, desk, signed_in):
        signed_in.goto(desk.ui("/deadlines?within=7"))
        row = signed_in.locator(f"#deadlines tr[data-card='{desk.cards['temporarily-lost']}']")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(re.compile(r"\d"))

    def test_the_search_passes_axe(self, desk, signed_in):
        signed_in.goto(desk.ui("/cards"))
        expect(signed_in.locator("#results tr[data-card]")).to_have_count(25)
        shot(signed_in, "search-zh", docs=True)
        axe(signed_in)

    def test_a_timeline_passes_axe(self, desk, signed_in):
        signed_in.goto(desk.ui(f"/cards/{desk.cards['activated']}"))
        axe(signed_in)

    def test_the_sign_in_page_passes_axe(self, desk, page):
        page.goto(desk.ui("/sign-in"))
        axe(page)

    def test_the_desk_opens_on_the_search(self, desk, signed_in):
        signed_in.goto(desk.ui(""))
        assert _path(signed_in) == "/ui/cards"
        css = signed_in.request.get(desk.ui("/static/desk.css"))
        assert css.status == 200
        assert css.headers["content-type"].startswith("text/css")


class TestOnAPhone:
    """Every page reads on a phone's width: nothing wider than the screen but the tables
    and the code, which scroll in their own boxes."""

    @pytest.mark.parametrize("path", ["/cards", "/workflow", "/deadlines", "/activity", "/ledger"])
    def test_a_page_fits_a_phone(self, desk, contexts, supervisor_profile, path):
        phone = contexts(
            storage_state=supervisor_profile, viewport={"width": 390, "height": 844}
        ).new_page()
        phone.goto(desk.ui(path))
        wide = phone.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"{path} is {wide} px wide on a 390 px screen"

    def test_a_timeline_fits_a_phone(self, desk, contexts, supervisor_profile):
        phone = contexts(
            storage_state=supervisor_profile, viewport={"width": 390, "height": 844}
        ).new_page()
        phone.goto(desk.ui(f"/cards/{desk.cards['activated']}"))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        shot(phone, "timeline-phone-zh")
        axe(phone)
