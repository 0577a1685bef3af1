"""A real Chromium on the launched app that records every problem a user could see or a server could log.

with watched_page(app_url) as page:
    page.click("#ask")
# leaving the block fails the test on any error toast, red error badge, console error,
# uncaught page error or server traceback logged meanwhile
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from conftest import APP_LOGS

DESKTOP = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Gradio's toasts of kind "error" and the red "Error" badge its status tracker puts on a failed component.
VISIBLE_ERRORS = """() => [...document.querySelectorAll('.toast-body.error, .error')]
  .filter((el) => el.offsetParent !== null && el.getClientRects().length)
  .map((el) => (el.innerText || el.className).trim().slice(0, 200))"""


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get when it can)")
    pytest.importorskip("playwright.sync_api")
    return path


class Problems:
    """What went wrong while a page was open: browser-side messages and new server log lines."""

    def __init__(self, app_url: str) -> None:
        self.log = APP_LOGS.get(app_url)
        self.log_start = self.log.stat().st_size if self.log and self.log.exists() else 0
        self.browser: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda m: self.browser.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.browser.append(f"page error: {e}"))

    def seen(self, pages) -> list[str]:
        found = list(self.browser)
        for page in pages:
            if not page.is_closed():
                found += [f"visible error on the page: {text}" for text in page.evaluate(VISIBLE_ERRORS)]
        if self.log and self.log.exists():
            with self.log.open(encoding="utf-8", errors="replace") as f:
                f.seek(self.log_start)
                logged = f.read()
            if "Traceback" in logged or re.search(r"^ERROR", logged, re.MULTILINE):
                found.append(f"server logged an error:\n{logged[-3000:]}")
        return found


@contextmanager
def watched_browser(app_url: str) -> Iterator:
    """A browser whose pages (opened with `open_page`) are all watched; checked when the block ends."""
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    problems = Problems(app_url)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        pages: list = []

        def open_page(viewport: dict | None = None, context=None):
            if context is None:
                context = browser.new_context(viewport=viewport or DESKTOP)
                context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
            page = context.new_page()
            problems.watch(page)
            page.goto(app_url)
            page.wait_for_selector("#question textarea", timeout=30_000)
            page.wait_for_selector("#sources .sources-empty, #sources .card", state="attached", timeout=30_000)
            page.wait_for_timeout(1_000)  # the page's load events (stored conversation, deals, sources)
            pages.append(page)
            return page

        yield open_page
        found = problems.seen(pages)
        browser.close()
    assert not found, "\n".join(found)


@contextmanager
def watched_page(app_url: str, viewport: dict | None = None) -> Iterator:
    with watched_browser(app_url) as open_page:
        yield open_page(viewport)


def ask(page, question: str, turn: int) -> None:
    """Type a question, press Ask and wait until that turn's answer is complete."""
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        "(n) => document.querySelectorAll('#chatbot .turn .copy-md').length >= n", arg=turn + 1, timeout=60_000
    )
