"""What the browser tests do on many pages: take a screenshot, check the page with
axe-core, sign in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Response

from tests.browser.world import ROOT

ARTIFACTS: Final = Path(__file__).parent / "artifacts"
"""Every run's screenshots, to look at (git-ignored)."""
DOCS: Final = ROOT / "docs" / "screenshots"
"""The screenshots the README shows, written only when ``CARDFLOW_SCREENSHOTS=docs``
(``CARDFLOW_SCREENSHOTS=docs .venv/bin/pytest tests/browser``)."""

WCAG: Final = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
"""The axe-core rules run: WCAG 2.1, levels A and AA."""
_AXE: Final = Axe()
_SHOWN_NODES: Final = 5


def shot(page: Page, name: str, *, docs: bool = False) -> Path:
    """A full-page PNG of ``page`` as ``name``.png in the artifacts, and, for one the
    README shows (``docs``), in the docs' screenshots too when
    ``CARDFLOW_SCREENSHOTS=docs``; the artifact's path."""
    made = ARTIFACTS / f"{name}.png"
    made.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=made, full_page=True, animations="disabled")
    if docs and os.environ.get("CARDFLOW_SCREENSHOTS") == "docs":
        DOCS.mkdir(parents=True, exist_ok=True)
        (DOCS / made.name).write_bytes(made.read_bytes())
    return made


def axe(page: Page) -> None:
    """Fail, listing each violation and where it is, unless axe-core finds the page
    meets WCAG 2.1 A and AA (what a machine can check of them)."""
    options = {"runOnly": {"type": "tag", "values": list(WCAG)}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = _AXE.run(page, options=options).response["violations"]
    assert not violations, f"axe-core on {page.url}:\n" + "\n".join(map(_told, violations))


def _told(violation: dict[str, Any]) -> str:
    nodes = violation["nodes"]
    where = "; ".join(
        f"{', '.join(map(str, node['target']))}: {node.get('failureSummary', '')}".replace(
            "\n", " "
        )
        for node in nodes[:_SHOWN_NODES]
    )
    more = f" (and {len(nodes) - _SHOWN_NODES} more)" if len(nodes) > _SHOWN_NODES else ""
    return f"- {violation['id']} ({violation['impact']}): {violation['help']} -- {where}{more}"


def sign_in(page: Page, token: str) -> Response:
    """Sign in on the sign-in page ``page`` shows, with ``token`` typed as the key; the
    answer to the form (303 on to the page asked for, or the form again with why not)."""
    page.locator("#key").fill(token)
    with page.expect_response(
        lambda answer: answer.request.method == "POST" and answer.url.endswith("/ui/sign-in")
    ) as answered:
        page.locator("#sign-in-button").click()
    page.wait_for_load_state()
    return answered.value
