"""One Chromium for the browser tests, a fresh browser context for every test, and real
servers: one shared desk with its cards, and others a test starts for itself.

The browser, the shared desk and the supervisor's profile last as long as this package's
tests and no longer: while Playwright's synchronous API is open, its event loop counts as
running in this thread, and a later test's ``asyncio.run`` would be refused.

The browser is Debian's ``/usr/bin/chromium``; nothing here ever downloads one. Without
it the tests skip, unless ``CARDFLOW_REQUIRE_BROWSER=1`` (CI sets it) makes that, or a
browser that will not start, a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, NoReturn

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.browser.helpers import sign_in
from tests.browser.world import Desk, open_desk, tell_stories

CHROMIUM: Final = Path("/usr/bin/chromium")
ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Headless on a server: no sandbox (CI runs as root), and nothing that reaches out."""
TIME_ZONE: Final = "Asia/Shanghai"
STEP_MS: Final = 10_000
"""How long one browser action may wait; a page that takes longer is broken."""


def _unavailable(why: str) -> NoReturn:
    if os.environ.get("CARDFLOW_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CARDFLOW_REQUIRE_BROWSER=1, but {why}")
    pytest.skip(why)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for this package's tests."""
    if not CHROMIUM.exists():
        _unavailable(f"no browser at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=list(ARGS)
            )
        except PlaywrightError as error:
            _unavailable(f"{CHROMIUM} would not start: {error.message}")
        yield launched
        launched.close()


@contextmanager
def _keys_in_environment(person_key_file: str) -> Iterator[None]:
    """The session's person and log keys, for the commands and servers a fixture wider
    than one test runs (the autouse fixture that sets them is per test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARDFLOW_PERSON_KEY_FILE", person_key_file)
        patch.setenv("CARDFLOW_LOG_KEY_FILE", str(Path(person_key_file).with_name("log-key")))
        yield


@pytest.fixture(scope="package")
def desk(browser, tmp_path_factory, _person_key_file) -> Iterator[Desk]:
    """The desk most tests read: a server with the stories' cards, nothing tampered.
    (It asks for the browser first, so a run without one starts no server.)"""
    with _keys_in_environment(_person_key_file):
        made = open_desk(tmp_path_factory.mktemp("desk"))
    try:
        tell_stories(made)
        yield made
    finally:
        made.server.stop()


@pytest.fixture
def own_desk(browser, tmp_path, _person_key_file) -> Iterator[Callable[..., Desk]]:
    """Start a desk of the test's own, with settings of its own (``CARDFLOW_...=value``)
    or a database it may damage; each is stopped when the test ends."""
    started: list[Desk] = []

    def start(**settings: str) -> Desk:
        folder = tmp_path / f"desk-{len(started)}"
        folder.mkdir()
        with _keys_in_environment(_person_key_file):
            started.append(open_desk(folder, **settings))
        return started[-1]

    yield start
    for each in started:
        each.server.stop()


@pytest.fixture
def dialogs() -> list[str]:
    """What every alert, confirm or prompt a page opened said: a desk page runs no
    script of its own, let alone one that opens a dialog."""
    return []


@pytest.fixture
def contexts(browser, dialogs) -> Iterator[Callable[..., BrowserContext]]:
    """Open fresh profiles, as a clerk's Chinese browser in Shanghai has them unless
    ``options`` say otherwise; every dialog one opens is noted, and each is closed when
    the test ends."""
    opened: list[BrowserContext] = []

    def dismissed(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def open_one(**options: Any) -> BrowserContext:
        made = browser.new_context(
            **{"locale": "zh-CN", "timezone_id": TIME_ZONE, "accept_downloads": True, **options}
        )
        made.set_default_timeout(STEP_MS)
        made.on("dialog", dismissed)
        opened.append(made)
        return made

    yield open_one
    for made in opened:
        made.close()
    assert not dialogs, f"a script ran in a desk page and opened a dialog: {dialogs}"


@pytest.fixture
def context(contexts) -> BrowserContext:
    """A fresh profile: no cookies."""
    made: BrowserContext = contexts()
    return made


@pytest.fixture
def page(context) -> Page:
    """A tab of a fresh profile."""
    return context.new_page()


@pytest.fixture(scope="package")
def supervisor_profile(browser, desk) -> dict[str, Any]:
    """The cookies of a supervisor signed in to the shared desk, made once for the tests
    that only read pages (the desk lets one address sign in only so often a minute)."""
    made = browser.new_context(locale="zh-CN", timezone_id=TIME_ZONE)
    try:
        tab = made.new_page()
        tab.goto(desk.ui("/sign-in"))
        answer = sign_in(tab, desk.supervisor)
        assert answer.status == 303, answer.status
        state: dict[str, Any] = made.storage_state()
        return state
    finally:
        made.close()


@pytest.fixture
def signed_in(contexts, supervisor_profile) -> Page:
    """A tab of a profile in which the supervisor has signed in."""
    tab: Page = contexts(storage_state=supervisor_profile).new_page()
    return tab
