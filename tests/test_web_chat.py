"""The web chat in a real Chromium, desktop and phone: every session fails on any visible or logged error."""

import csv
import io
import json

import pytest
from web_page import DESKTOP, PHONE, ask, watched_browser, watched_page

pytestmark = pytest.mark.browser


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0; }""",
        selector,
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_tab_opens_without_an_error(app_server, viewport):
    with watched_page(app_server, viewport) as page:
        page.click("button[role='tab']:has-text('Deals')")
        page.wait_for_selector("#deals-table [data-testid='cell-0-0']", timeout=30_000)
        page.click("button[role='tab']:has-text('Sources')")
        page.wait_for_selector("#sources-table [data-testid='cell-0-0']", timeout=30_000)
        page.click("button[role='tab']:has-text('Chat')")
        page.wait_for_timeout(500)
        assert page.inner_text("#deal-supplier input, #deal-supplier") and not page.query_selector(
            "button[aria-label*='share' i], button[title*='share' i]"
        )  # filters start at "any"; no Share button that does nothing


def test_phone_shows_the_question_box_and_ask_button_on_load(app_server):
    with watched_page(app_server, PHONE) as page:
        assert _in_view(page, "#question textarea") and _in_view(page, "#ask")
        box = page.query_selector("#ask").bounding_box()
        assert box and box["y"] + box["height"] <= PHONE["height"]


def test_answers_render_as_lists_with_citation_links(app_server):
    with watched_page(app_server) as page:
        ask(page, "Who supplies compute to Anthropic?", 0)
        assert len(page.query_selector_all("#chatbot .turn .answer ul li")) >= 3
        assert page.query_selector("#chatbot .turn .answer li a.cite")
        assert "- Akamai" not in page.inner_text("#chatbot .turn .answer")  # bullets drawn, not typed


def test_the_rest_of_a_long_list_is_folded_under_the_answer_and_opens(app_server):
    with watched_page(app_server) as page:
        ask(page, "Who supplies compute to Anthropic?", 0)
        more = page.query_selector("#chatbot .turn details.more")
        assert more and more.query_selector("summary").inner_text() == "Show the complete list"
        rows = more.query_selector_all("li")
        assert rows and not rows[0].is_visible()  # folded until asked for
        more.query_selector("summary").click()
        assert rows[0].is_visible() and rows[0].query_selector("a.cite")


def test_newest_of_three_long_answers_shows_its_first_line(app_server):
    with watched_page(app_server) as page:
        for turn, question in enumerate(
            [
                "Who supplies compute to Anthropic?",
                "Who supplies compute to OpenAI?",
                "Which neoclouds serve Microsoft?",
            ]
        ):
            ask(page, question, turn)
            page.wait_for_timeout(300)
            newest = page.query_selector_all("#chatbot .turn")[-1]
            first = newest.query_selector("p, li, .abstained")
            top = first.bounding_box()["y"]
            chat = page.query_selector("#chatbot").bounding_box()
            assert chat["y"] <= top <= chat["y"] + chat["height"] - 20, (turn, top, chat)
            assert 0 <= top <= DESKTOP["height"] - 20


def test_citation_click_opens_its_card_beside_the_chat_and_hover_previews_it(app_server):
    with watched_page(app_server) as page:
        ask(page, "Who supplies compute to Anthropic?", 0)
        chat_before = page.query_selector("#chatbot").bounding_box()
        scroll_before = page.evaluate("window.scrollY")
        for n in (1, 7, 3):
            page.click(f"#chatbot a.cite[href='#src-0-{n}'] >> nth=0")
            page.wait_for_selector(f"#panel-0-{n}", state="attached")
            quote = page.query_selector(f"#sources .quote.active:has(#panel-0-{n})")
            assert quote, f"[{n}] did not highlight its quote"
            panel = page.query_selector("#sources").bounding_box()
            box = quote.bounding_box()
            assert panel["y"] - 1 <= box["y"] <= panel["y"] + panel["height"], f"[{n}]'s card is outside the panel view"
            assert page.evaluate("window.scrollY") == scroll_before
            assert page.query_selector("#chatbot").bounding_box() == chat_before
        panel_height = page.evaluate("document.getElementById('sources').getBoundingClientRect().height")
        assert panel_height <= DESKTOP["height"]  # a height limit: the panel scrolls on its own
        page.hover("#chatbot a.cite[href='#src-0-2'] >> nth=0")
        page.wait_for_selector("#cite-preview:not([hidden])")
        preview = page.inner_text("#cite-preview")
        card = page.query_selector("#sources .card:has(#panel-0-2)")
        assert card.query_selector(".outlet").inner_text() in preview
        assert card.query_selector(".date").inner_text() in preview
        assert page.query_selector("#sources .quote:has(#panel-0-2) mark").inner_text()[:60] in preview


def test_sources_are_one_card_per_document_with_a_badge_that_explains_verified(app_server):
    with watched_page(app_server) as page:
        ask(page, "What did AMD agree to supply to OpenAI?", 0)
        cards = page.query_selector_all("#sources .card")
        quotes = page.query_selector_all("#sources .quote")
        documents = page.evaluate("[...document.querySelectorAll('#sources .card .link')].map(e => e.innerText)")
        assert len(quotes) >= 2 and len(cards) == len(set(documents)) < len(quotes)
        assert "quote supports the sentence" in page.inner_text("#sources")


def test_copy_gives_the_answer_as_markdown_with_numbered_sources(app_server):
    with watched_page(app_server) as page:
        ask(page, "What did AMD agree to supply to OpenAI?", 0)
        page.click("#chatbot .copy-md")
        page.wait_for_selector("#chatbot .copy-md:has-text('Copied')")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "6 GW" in copied and "[1]" in copied and "**Sources**" in copied
        assert "\n[1] " in copied and "https://" in copied and "> “" in copied
        assert "<div" not in copied and "<a " not in copied and "&#" not in copied


def test_conversation_exports_as_markdown_and_json_records(app_server):
    with watched_page(app_server) as page:
        ask(page, "What did AMD agree to supply to OpenAI?", 0)
        ask(page, "How many Trainium2 chips does Project Rainier run?", 1)
        page.wait_for_selector("#export-md:not([disabled])")
        with page.expect_download() as got:
            page.click("#export-md")
        markdown = open(got.value.path(), encoding="utf-8").read()
        with page.expect_download() as got:
            page.click("#export-json")
        records = json.loads(open(got.value.path(), encoding="utf-8").read())
    assert "## What did AMD agree to supply to OpenAI?" in markdown and "## How many Trainium2" in markdown
    assert markdown.count("**Sources**") == 2 and "<div" not in markdown
    assert [r["question"] for r in records] == [
        "What did AMD agree to supply to OpenAI?",
        "How many Trainium2 chips does Project Rainier run?",
    ]
    assert records[0]["citations"] and "verified" in records[0]["citations"][0] and records[0]["passages"]


def test_reload_keeps_the_conversation_and_its_context(app_server):
    with watched_browser(app_server) as open_page:
        page = open_page()
        ask(page, "Who supplies compute to Anthropic?", 0)
        page.wait_for_selector("#past .wrap-inner, #past input")
        page.wait_for_timeout(500)  # the browser's storage is written after the answer
        page.reload()
        page.wait_for_selector("#chatbot .turn .copy-md", timeout=30_000)
        assert "Akamai" in page.inner_text("#chatbot")
        ask(page, "And OpenAI?", 1)
        assert "Who supplies compute to OpenAI?" in page.inner_text("#searched")
        # Another browser (another user) sees none of it.
        stranger = open_page()
        page.wait_for_timeout(500)
        assert not stranger.query_selector("#chatbot .turn")


@pytest.mark.parametrize("how", ["New conversation", "trash icon"])
def test_clearing_resets_the_hidden_context_and_the_suggestions(app_server, how):
    with watched_page(app_server) as page:
        ask(page, "Who supplies compute to Anthropic?", 0)
        page.wait_for_selector(".follow-up:visible")
        if how == "New conversation":
            page.click("#new-conversation")
        else:
            page.click("#chatbot button[aria-label='Clear']")
        page.wait_for_function("() => !document.querySelector('#chatbot .turn')")
        page.wait_for_function("() => ![...document.querySelectorAll('.follow-up')].some(b => b.offsetParent)")
        ask(page, "And OpenAI?", 0)
        searched = page.inner_text("#searched")
        assert "Anthropic" not in searched and "Who supplies compute to OpenAI?" not in searched
        # The earlier conversation is still listed and can be reopened.
        page.click("#past input")
        page.click("ul[role='listbox'] li:has-text('Who supplies compute to Anthropic?')")
        page.wait_for_function("() => document.querySelector('#chatbot').innerText.includes('Akamai')")


def test_question_box_counts_characters_and_refuses_an_overlong_question_in_words(app_server):
    with watched_page(app_server) as page:
        page.fill("#question textarea", "x" * 2500)
        page.wait_for_selector("#char-count.over")
        assert "2,500 / 2,000" in page.inner_text("#char-count")
        page.click("#ask")
        page.wait_for_selector("#ask-msg .notice")
        message = page.inner_text("#ask-msg")
        assert "2,500 characters" in message and "2,000" in message
        assert page.input_value("#question textarea") == "x" * 2500  # nothing lost
        assert not page.query_selector("#chatbot .turn")


def test_deals_graph_counts_each_pair_and_opens_its_deals(app_server):
    with watched_page(app_server) as page:
        page.click("button[role='tab']:has-text('Deals')")
        page.wait_for_selector("#deal-graph-box svg .pair")
        pairs = page.evaluate("[...document.querySelectorAll('#deal-graph-box .pair')].map(p => p.dataset.pair)")
        assert len(pairs) == len(set(pairs))  # one line per supplier -> customer pair
        busy = page.query_selector("#deal-graph-box .pair:has(text.count)")
        count = int(busy.query_selector("text.count").text_content())
        assert count >= 2
        # Labels as drawn on screen (after the picture is scaled to its column) stay readable.
        heights = page.evaluate(
            "[...document.querySelectorAll('#deal-graph-box .node text')].map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 12
        busy.click()
        page.wait_for_selector("#deals-evidence .card")
        assert len(page.query_selector_all("#deals-evidence .card")) == count


def test_deals_table_fits_and_shows_evidence_beside_the_selected_row(app_server):
    with watched_page(app_server) as page:
        page.click("button[role='tab']:has-text('Deals')")
        page.wait_for_selector("#deals-table [data-testid='cell-0-0']")
        headers = page.inner_text("#deals-table thead")
        for column in ("deal", "type", "status", "date", "sources"):
            assert column in headers
        wide = page.evaluate(
            """() => [...document.querySelectorAll('#deals-table *')].filter(
                e => e.scrollWidth > e.clientWidth + 2 && getComputedStyle(e).overflowX !== 'visible'
                && e.clientWidth > 300).length"""
        )
        assert wide == 0, "the deals table scrolls sideways"
        page.click("#deals-table [data-testid='cell-2-0']")
        page.wait_for_selector("#deals-evidence .card")
        row = page.query_selector("#deals-table [data-testid='cell-2-0']").bounding_box()
        evidence = page.query_selector("#deals-evidence .card").bounding_box()
        assert evidence["x"] > row["x"] and 0 <= evidence["y"] < DESKTOP["height"]
        assert page.inner_text("#deals-table [data-testid='cell-2-0']").split(" → ")[0] in page.inner_text(
            "#deals-evidence"
        )


def test_deals_download_as_csv_with_header_urls_and_quotes(app_server):
    with watched_page(app_server) as page:
        page.click("button[role='tab']:has-text('Deals')")
        page.wait_for_selector("#deals-csv:not([disabled])")
        with page.expect_download() as got:
            page.click("#deals-csv")
        rows = list(csv.DictReader(io.StringIO(open(got.value.path(), encoding="utf-8").read())))
        shown = len(page.query_selector_all("#deals-table [data-testid$='-0'][data-testid^='cell-']"))
    assert {"supplier", "customer", "type", "status", "urls", "quotes"} <= set(rows[0])
    urls = [u for r in rows for u in r["urls"].split(" | ") if u]
    assert urls and all(u.startswith(("https://", "http://")) for u in urls)
    assert sum(bool(r["urls"]) for r in rows) >= len(rows) * 0.9
    assert (
        sum(bool(r["quotes"]) for r in rows) == len(rows) and len(rows) >= shown > 5
    )  # the table draws only what shows


def test_a_bad_deal_date_is_explained_without_wiping_the_table(app_server):
    with watched_page(app_server) as page:
        page.click("button[role='tab']:has-text('Deals')")
        page.wait_for_selector("#deals-table [data-testid='cell-0-0']")
        before = page.inner_text("#deals-table")
        assert " → " in before
        page.fill("#deals-as-of input, #deals-as-of textarea", "2025-13-45")
        page.click("#show-deals")
        page.wait_for_selector("#deals-msg .notice")
        assert "as_of" not in page.inner_text("#deals-msg") and "date" in page.inner_text("#deals-msg").lower()
        assert page.inner_text("#deals-table") == before


def test_sources_tab_keeps_its_table_after_a_bad_url(app_server):
    with watched_page(app_server) as page:
        page.click("button[role='tab']:has-text('Sources')")
        page.wait_for_selector("#sources-table [data-testid='cell-0-0']")
        before = page.inner_text("#sources-table")
        assert "notes/" in before
        for bad in ("/etc/passwd", "not a url"):
            page.fill("#source-url input, #source-url textarea", bad)
            page.click("#add-source")
            page.wait_for_selector("#sources-msg .notice")
            assert "http" in page.inner_text("#sources-msg")
            assert page.inner_text("#sources-table") == before
            page.evaluate("document.querySelector('#sources-msg .notice').remove()")


def test_phone_keeps_sources_under_their_answer_and_opens_a_citation_in_place(app_server):
    with watched_page(app_server, PHONE) as page:
        ask(page, "What did AMD agree to supply to OpenAI?", 0)
        assert not page.is_visible("#sources")  # no side panel far below the examples
        turn = page.query_selector("#chatbot .turn")
        assert turn.query_selector(".answer + * ~ details.turn-sources, .answer ~ details.turn-sources")
        scroll_before = page.evaluate("window.scrollY")
        page.click("#chatbot a.cite[href='#src-0-1'] >> nth=0")
        page.wait_for_selector("#cite-sheet .quote.active")
        sheet = page.query_selector("#cite-sheet").bounding_box()
        assert sheet["y"] >= 0 and sheet["y"] + sheet["height"] <= PHONE["height"] + 1
        assert abs(page.evaluate("window.scrollY") - scroll_before) < 5
        page.click("#cite-sheet .close")
        assert not page.is_visible("#cite-sheet")


def test_phone_deals_tab_falls_back_to_the_table(app_server):
    with watched_page(app_server, PHONE) as page:
        page.click("button[role='tab']:has-text('Deals')")
        page.wait_for_selector("#deals-table [data-testid='cell-0-0']")
        assert not page.is_visible("#deal-graph-box")
        assert page.is_visible("#deals-table")


def test_an_added_report_without_outlet_or_date_is_labelled_and_its_deal_marked_machine_read(app_server, tmp_path):
    # Runs last in this file: the report it adds joins the shared app's corpus.
    report = tmp_path / "orbit.txt"
    report.write_text(
        "Orbit Compute signs Anthropic\n\nOrbit Compute will provide Anthropic with 5,000 GPUs from May 2026.\n",
        encoding="utf-8",
    )
    with watched_page(app_server) as page:
        page.click("button[role='tab']:has-text('Sources')")
        page.wait_for_selector("#sources-table [data-testid='cell-0-0']")
        page.set_input_files("input[type='file']", str(report))
        page.wait_for_selector("text=orbit.txt", timeout=30_000)
        page.click("#add-source")
        page.wait_for_selector("#sources-msg .done", timeout=60_000)
        assert "orbit.txt" in page.inner_text("#sources-table")

        page.click("button[role='tab']:has-text('Chat')")
        ask(page, "What will Orbit Compute provide to Anthropic?", 0)
        card = page.query_selector("#sources .card:has-text('Orbit Compute')")
        assert card, "the added report is not among the answer's sources"
        labels = card.inner_text()
        assert "unsourced note" in labels and "undated" in labels and "quote supports the sentence" in labels

        page.click("button[role='tab']:has-text('Deals')")
        page.click("#deal-supplier input")
        page.wait_for_selector("ul[role='listbox'] li >> text='Orbit Compute'", timeout=10_000)
        page.keyboard.press("Escape")
        page.click("#deal-customer input")
        page.click("ul[role='listbox'] li >> text='Anthropic'")
        page.click("#show-deals")
        page.wait_for_selector("#deal-graph-box .pair[data-pair='Orbit Compute → Anthropic']", timeout=30_000)
        page.click("#deal-graph-box .pair[data-pair='Orbit Compute → Anthropic']")
        page.wait_for_selector("#deals-evidence .card")
        evidence = page.inner_text("#deals-evidence")
        assert "machine-read" in evidence and "5,000 GPUs" in evidence
        ledger = page.query_selector("#deal-graph-box .pair:not([data-pair^='Orbit'])")
        ledger.click()
        page.wait_for_function("() => !document.querySelector('#deals-evidence').innerText.includes('Orbit Compute')")
        assert "machine-read" not in page.inner_text("#deals-evidence")
