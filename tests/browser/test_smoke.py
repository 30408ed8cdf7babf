"""The harness itself: Chromium reaches the real server, and axe-core runs in its pages."""

from __future__ import annotations

import json

import pytest

from tests.browser.helpers import axe, shot

pytestmark = pytest.mark.browser


class TestHarness:
    """The browser, the server and axe-core work together."""

    def test_the_browser_reads_the_servers_health(self, desk, page):
        answer = page.goto(desk.server.base + "/healthz")
        assert answer is not None
        assert answer.status == 200
        assert json.loads(page.locator("body").inner_text())["status"] == "ok"

    def test_axe_finds_a_violation_it_is_shown(self, desk, page):
        page.goto(desk.server.base + "/healthz")  # JSON as Chromium shows it: no lang, no title
        with pytest.raises(AssertionError, match=r"html-has-lang|document-title"):
            axe(page)

    def test_the_api_docs_open_and_are_photographed(self, desk, page):
        page.goto(desk.server.base + "/docs")
        page.locator(".swagger-ui .info .title").wait_for()
        assert shot(page, "smoke-docs").stat().st_size > 0
