"""Answers and deals as terminal text, CSV, JSON and safe HTML: small values in, exact text out."""

import csv
import io
import json
import re
from dataclasses import replace

from assistant import render, ui_html
from assistant.types import Answer, Citation, Deal, Evidence

AMD = Citation(
    1, "notes/amd.md", "AMD & OpenAI", "Nasdaq", "https://example.com/amd", "2025-10-06", " AMD will supply 6 GW. "
)
HOSTILE = Citation(
    2, "notes/x.md", "<script>x</script>", "Wire", "javascript:alert(1)", None, "![p](http://x/p.png) *bold*", False
)
ANSWER = Answer(
    question="And AMD?",
    text="AMD supplies 6 GW [1]. Maybe more [2]. (unverified)",
    citations=(AMD, HOSTILE),
    abstained=False,
    standalone_question="What does AMD supply?",
    notice="The model was down.",
)
EVIDENCE = (
    Evidence("notes/amd.md", "T", "Nasdaq", "https://example.com/amd", "2025-10-06", "AMD will supply 6 GW.", 0, 21),
    Evidence("notes/b.md", "T2", "Reuters", "https://example.com/b", None, "Quote, with comma", 5, 22),
)
DEAL = Deal("AMD", "OpenAI", "Instinct GPUs " + "and more " * 6, "6 GW", "2025-10-06", "announced", EVIDENCE)


def test_answer_text_shows_notice_search_answer_and_sources():
    assert render.answer_text(ANSWER) == (
        "Note: The model was down.\n\n"
        "Searched for: What does AMD supply?\n\n"
        "AMD supplies 6 GW [1]. Maybe more [2]. (unverified)\n\n"
        "Sources:\n"
        "[1] Nasdaq, 2025-10-06: AMD & OpenAI\n    https://example.com/amd\n    “AMD will supply 6 GW.”\n"
        "[2] Wire, undated: <script>x</script> (unverified)\n    javascript:alert(1)\n    “![p](http://x/p.png) *bold*”"
    )
    assert "Searched for" not in render.answer_text(ANSWER, show_search=False)


def test_deals_table_aligns_columns_and_shortens_long_resources():
    gap = " " * 42
    assert render.deals_table([DEAL, replace(DEAL, origin="extracted")]).splitlines() == [
        f"supplier  customer  announced   status     resource{gap}  sources          origin",
        f"--------  --------  ----------  ---------  {'-' * 50}  {'-' * 15}  {'-' * 18}",
        "AMD       OpenAI    2025-10-06  announced  "
        "Instinct GPUs and more and more and more and more…  Nasdaq, Reuters  reviewed",
        "AMD       OpenAI    2025-10-06  announced  "
        "Instinct GPUs and more and more and more and more…  Nasdaq, Reuters  read from the text",
    ]


def test_deals_csv_and_json_keep_every_piece_of_evidence():
    rows = list(csv.DictReader(io.StringIO(render.deals_csv([DEAL]))))
    assert len(rows) == 1
    assert rows[0]["publishers"] == "Nasdaq | Reuters"
    assert rows[0]["quotes"] == "AMD will supply 6 GW. | Quote, with comma"
    record = json.loads(render.deals_json([DEAL]))[0]
    assert record["supplier"] == "AMD" and [e["doc_id"] for e in record["evidence"]] == ["notes/amd.md", "notes/b.md"]


def test_safe_escapes_html_and_markdown_and_keeps_line_breaks():
    assert ui_html.safe('<b>x</b> & "q" [a](u) # h\nline') == (
        "&lt;b&gt;x&lt;/b&gt; &amp; &quot;q&quot; &#91;a&#93;&#40;u&#41; &#35; h<br>line"
    )


def test_each_marker_links_to_its_own_card_of_the_turn():
    body = ui_html.answer_html("AMD supplies 6 GW [1]. Maybe [2, 3]. <img src=x> (unverified)", 4)
    assert re.findall(r'class="cite" href="#(src-\d+-\d+)"', body) == ["src-4-1", "src-4-2", "src-4-3"]
    assert "<img" not in body and "&lt;img src=x&gt;" in body
    assert ui_html.card_id(4, 2) == "src-4-2"


def test_sources_panel_escapes_corpus_text_and_links_only_web_addresses():
    panel = ui_html.sources_html(ANSWER, 0)
    assert "&lt;script&gt;x&lt;/script&gt;" in panel and "<script>" not in panel
    assert 'href="https://example.com/amd"' in panel and 'href="javascript' not in panel
    assert "![p]" not in panel and "AMD will supply 6 GW." in panel
    assert (
        ui_html.sources_html(None, 0) == '<div class="sources-empty">Sources for the current answer appear here.</div>'
    )
    assert ui_html.sources_html(Answer("q", "t", (), True, "q"), 0) == (
        '<div class="sources-empty">This answer cites no sources.</div>'
    )


def test_message_shows_the_notice_and_what_was_searched_only_when_rewritten():
    shown = ui_html.message_html(ANSWER, 1)
    assert "The model was down." in shown and "Searched for: What does AMD supply?" in shown
    same = Answer("Who supplies AMD?", "No answer.", (), True, "Who supplies AMD?")
    assert "Searched for" not in ui_html.message_html(same, 1)
