"""The launched web app: gradio_client against its API, and a real headless Chromium on the page."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from harness import REPO
from web_page import ask, watched_page

ARTIFACTS = REPO / "tests" / "artifacts"


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


@pytest.mark.browser
def test_page_streams_an_answer_with_clickable_citations_and_a_deal_graph(app_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with watched_page(app_server) as page:
        ask(page, "Who supplies compute to Anthropic?", 0)
        page.wait_for_selector("#sources .card", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "chat.png"))
        # Click each of the first citations: its own quote is the one highlighted.
        for n in (1, 2, 3):
            page.click(f"#chatbot a.cite[href='#src-0-{n}'] >> nth=0")
            page.wait_for_selector(f"#sources .quote.active:has(#panel-0-{n})", timeout=5_000)
            assert len(page.query_selector_all("#sources .quote.active")) == 1
        ask(page, "And OpenAI?", 1)
        page.wait_for_selector("#panel-1-1", state="attached", timeout=60_000)
        assert "Searched for: Who supplies compute to OpenAI?" in page.inner_text("#searched")
        assert not page.query_selector("#panel-0-1")  # only the current answer's sources are in the panel
        page.click("button[role='tab']:has-text('Deals')")
        page.click("#show-deals")
        page.wait_for_selector("#deal-graph-box svg .pair", timeout=60_000)
        box = page.query_selector("#deal-graph-box svg.deal-graph").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 200
        page.click("#deals-table [data-testid='cell-0-0']")
        page.wait_for_selector("#deals-evidence .card", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "deals.png"), full_page=True)


@pytest.mark.browser
def test_hostile_note_renders_as_inert_text(app_server):
    with watched_page(app_server) as page:
        ask(page, "What does Lambda rent to the Zanzibar tester?", 0)
        page.wait_for_selector("#sources .card", timeout=60_000)
        page.wait_for_timeout(500)
        assert page.evaluate("window.pwned") is None
        assert not page.query_selector("#chatbot img[src='x'], #sources img, #chatbot img[src*='pixel']")
        assert "<script>" in page.inner_text("#sources") or "<img" in page.inner_text("#chatbot")
        page.click("#chatbot .copy-md")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "Zanzibar" in copied and ("<img" in copied or "<script>" in copied)


def test_concurrent_users_get_answers_without_errors(app_url):
    """Ten users ask at once through the HTTP API; every request is answered (bench/load.py measures more)."""
    questions = [
        "Who supplies compute to Anthropic?",
        "What did AMD agree to supply to OpenAI?",
        "How many Trainium2 chips does Project Rainier run?",
        "What GPUs does Zorblax rent?",
    ]

    def user(index: int) -> list[tuple[int, str]]:
        with httpx.Client(base_url=app_url.rstrip("/"), timeout=120) as client:
            replies = [client.post("/api/ask", json={"question": questions[(index + i) % 4]}) for i in range(2)]
        return [(r.status_code, r.json().get("text", "") if r.status_code == 200 else r.text) for r in replies]

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = [reply for replies in pool.map(user, range(10)) for reply in replies]
    assert len(results) == 20
    assert all(status == 200 and text for status, text in results), [r for r in results if r[0] != 200]
