"""The launched web app: gradio_client against its API, and a real headless Chromium on the page."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CORPUS, REPO, free_port

ARTIFACTS = REPO / "tests" / "artifacts"
XSS_NOTE = """---
title: <script>window.pwned = 1</script> Lambda note
publisher: Test <b>Wire</b>
url: https://example.com/xss
published: 2026-01-02
kind: report
companies: [Lambda]
---
# Lambda note

Lambda rents Blackwell racks to the Zanzibar tester <img src=x onerror="window.pwned=2"> per the test wire.
Lambda also ships ![pixel](http://127.0.0.1:9/pixel.png) images to the Zanzibar tester, the wire said.
"""


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, assistant):
    """`python app.py` on a free loopback port, over a copy of the index plus a hostile note."""
    from assistant.api import Assistant
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("app")
    corpus, data = root / "corpus", root / "data"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(assistant.settings.data_dir, data)
    (corpus / "notes" / "xss.md").write_text(XSS_NOTE, encoding="utf-8")
    assert Assistant(Settings(data_dir=data, corpus_dir=corpus)).ingest().added == 1
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(data), ASSISTANT_CORPUS_DIR=str(corpus), ASSISTANT_PORT=str(port))
    log = open(root / "app.log", "w")
    proc = subprocess.Popen([sys.executable, str(REPO / "app.py")], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"app exited: {(root / 'app.log').read_text()}")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("app did not start within 180 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def test_api_answers_with_citations(client):
    record = client.predict("What did AMD agree to supply to OpenAI?", "", api_name="/ask")
    assert "6 GW" in record["text"] and record["citations"]
    assert all(c["verified"] for c in record["citations"])


def test_api_follow_up_keeps_context(client):
    first = client.predict("Who supplies compute to Anthropic?", "conv-1", api_name="/converse")
    second = client.predict("And OpenAI?", "conv-1", api_name="/converse")
    assert first["standalone_question"] == "Who supplies compute to Anthropic?"
    assert second["standalone_question"] == "Who supplies compute to OpenAI?"
    assert "Broadcom" in second["text"]


def test_api_deals_endpoint_filters(client):
    deals = client.predict("", "Meta", "2025-12-31", "", api_name="/deals")
    assert deals and {d["customer"] for d in deals} == {"Meta"}
    assert all(e["published"] is None or e["published"] <= "2025-12-31" for d in deals for e in d["evidence"])


def test_api_rejects_an_empty_question_with_a_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="question is empty"):
        client.predict("   ", "", api_name="/ask")


def _browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get when it can)")
    playwright = pytest.importorskip("playwright.sync_api")
    return chromium, playwright


@pytest.mark.browser
def test_page_streams_an_answer_with_clickable_citations_and_a_deal_graph(app_url):
    chromium, playwright = _browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        page.fill("#question textarea", "Who supplies compute to Anthropic?")
        page.click("#ask")
        page.wait_for_selector("#chatbot a.cite", timeout=60_000)
        page.wait_for_selector("#sources .card", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "chat.png"))
        # Click each of the first citations: its own card is the one highlighted.
        for n in (1, 2, 3):
            page.click(f"#chatbot a.cite[href='#src-0-{n}'] >> nth=0")
            page.wait_for_selector(f"#panel-0-{n}.active", timeout=5_000)
            assert page.is_visible(f"#panel-0-{n}")
        page.fill("#question textarea", "And OpenAI?")
        page.click("#ask")
        page.wait_for_selector("#panel-1-1", timeout=60_000)
        assert "Searched for: Who supplies compute to OpenAI?" in page.inner_text("#searched")
        assert not page.query_selector("#panel-0-1")  # only the current answer's sources are in the panel
        page.click("button[role='tab']:has-text('Deals')")
        page.click("#show-deals")
        page.wait_for_selector("#deal-graph img", timeout=60_000)
        box = page.query_selector("#deal-graph img").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 200
        page.click("#deals-table [data-testid='cell-0-0']")
        page.wait_for_selector("#evidence .card", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "deals.png"), full_page=True)
        browser.close()


@pytest.mark.browser
def test_hostile_note_renders_as_inert_text(app_url):
    chromium, playwright = _browser()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.goto(app_url)
        page.fill("#question textarea", "What does Lambda rent to the Zanzibar tester?")
        page.click("#ask")
        page.wait_for_selector("#sources .card", timeout=60_000)
        page.wait_for_timeout(500)
        assert page.evaluate("window.pwned") is None
        assert not page.query_selector("#chatbot img[src='x'], #sources img, #chatbot img[src*='pixel']")
        assert "<script>" in page.inner_text("#sources") or "<img" in page.inner_text("#chatbot")
        browser.close()
