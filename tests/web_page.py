"""The web chat in a real Chromium, every page watched by the shared error collector (`harness.PageErrors`).

with watched_page(app_server, PHONE) as page:
    page.click("#ask")
# leaving the block fails the test on any error toast, red error badge, console error,
# uncaught page error or server traceback logged meanwhile
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from harness import PageErrors, Server, chromium, launch_chromium

DESKTOP = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}


@contextmanager
def watched_browser(server: Server) -> Iterator:
    """Yields `open_page(viewport)`; each page opened is watched and checked when the block ends."""
    executable, playwright = chromium()
    url = server.ready_url
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p, executable)
        watched: list[PageErrors] = []

        def open_page(viewport: dict | None = None):
            context = browser.new_context(viewport=viewport or DESKTOP)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
            page = context.new_page()
            watched.append(PageErrors(page, server.log))
            page.goto(url)
            page.wait_for_selector("#question textarea", timeout=30_000)
            page.wait_for_selector("#sources .sources-empty, #sources .card", state="attached", timeout=30_000)
            page.wait_for_timeout(1_000)  # the page's load events (stored conversation, deals, sources)
            return page

        yield open_page
        problems = [p for errors in watched for p in errors.found()]
        browser.close()
    assert not problems, "the page or its server reported errors:\n" + "\n".join(problems)


@contextmanager
def watched_page(server: Server, viewport: dict | None = None) -> Iterator:
    with watched_browser(server) as open_page:
        yield open_page(viewport)


def ask(page, question: str, turn: int) -> None:
    """Type a question, press Ask and wait until that turn's answer is complete."""
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        "(n) => document.querySelectorAll('#chatbot .turn .copy-md').length >= n", arg=turn + 1, timeout=60_000
    )
