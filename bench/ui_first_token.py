"""Time from pressing Ask to the first streamed text and to the finished answer, in a real browser.

    python bench/ui_first_token.py --url http://127.0.0.1:7860/

Needs Debian's chromium and the playwright package (both installed by `make test`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time

QUESTIONS = [
    "Who supplies compute to Anthropic?",
    "What did AMD agree to supply to OpenAI?",
    "How many Trainium2 chips does Project Rainier run?",
    "Which neoclouds serve Microsoft?",
    "What does the article say about sunk cost?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    first, done = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page()
        page.goto(args.url)
        for turn, question in enumerate(QUESTIONS):
            if turn:
                page.click("text=New conversation")
                page.wait_for_selector("#sources .sources-empty", timeout=10_000)
            page.fill("#question textarea", question)
            began = time.perf_counter()
            page.click("#ask")
            page.wait_for_function(
                "() => { const m = document.querySelectorAll('#chatbot .message'); "
                "return m.length >= 2 && m[m.length - 1].innerText.replace('…', '').trim().length > 0; }",
                timeout=60_000,
            )
            first.append((time.perf_counter() - began) * 1000)
            page.wait_for_selector("#panel-0-1", state="attached", timeout=60_000)
            done.append((time.perf_counter() - began) * 1000)
        browser.close()
    print(
        json.dumps(
            {
                "questions": len(QUESTIONS),
                "first_text_p50_ms": round(statistics.median(first)),
                "answer_complete_p50_ms": round(statistics.median(done)),
                "first_text_ms": [round(x) for x in first],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
