"""What the web chat draws from an Answer or a list of Deals: structure rebuilt, corpus text inert."""

import csv
import html
import io
import re

from assistant import render, ui_html
from assistant.graph_plot import deals_svg
from assistant.suggest import follow_ups
from assistant.types import Answer, Citation, Deal, Evidence, Passage

HOSTILE = 'Lambda <img src=x onerror="window.pwned=1"> ships ![pixel](http://127.0.0.1:9/p.png) <script>x</script>'


def _citation(number, doc_id="notes/a.md", quote="Amazon will supply 1 GW.", verified=True, **fields):
    values = {
        "title": f"Title of {doc_id}",
        "publisher": "Test Wire",
        "url": f"https://example.com/{doc_id}",
        "published": "2025-01-01",
    }
    values.update(fields)
    return Citation(number=number, doc_id=doc_id, quote=quote, verified=verified, **values)


def _answer(text, citations=(), **fields):
    return Answer(
        question="q?", text=text, citations=tuple(citations), abstained=False, standalone_question="q?", **fields
    )


def _deal(supplier, customer, origin="ledger", url="https://example.com/d", publisher="Wire", published="2025-02-01"):
    evidence = Evidence("notes/d.md", "D", publisher, url, published, f"{supplier} supplies {customer}.", 0, 10)
    return Deal(supplier, customer, "GPUs", "1 GW", "2025-02-01", "announced", (evidence,), "compute", origin)


def test_answer_bullets_and_tables_become_html_with_citation_links():
    text = "Suppliers:\n- Amazon: Trainium [1]\n- Google: TPUs [2]\n\n"
    text += "| supplier | what |\n|---|---|\n| Amazon | 1 GW [1] |"
    body = ui_html.answer_html(text, 3)
    assert re.search(r"<ul><li>Amazon: Trainium <a class=\"cite\" href=\"#src-3-1\">\[1\]</a></li>", body)
    assert "<table>" in body and "<th>supplier</th>" in body and "<td>Amazon</td>" in body
    assert body.count('href="#src-3-1"') == 2 and "|---" not in body


def test_corpus_text_in_an_answer_or_table_cell_stays_text():
    body = ui_html.answer_html(f"{HOSTILE} [1]\n\n| a |\n|---|\n| {HOSTILE} |", 0)
    assert "<img" not in body and "<script" not in body and "](" not in body
    assert "&lt;img" in body and "&lt;script&gt;" in body


def test_a_shortened_answer_offers_its_complete_list_folded():
    answer = _answer("Three of 12 deals [1].", [_citation(1)], details="- one [1]\n- two\n- three")
    page = ui_html.message_html(answer, 0, "c:0")
    assert '<details class="more"><summary>' in page and page.count("<li>") == 3


def test_a_declined_answer_is_said_once_in_its_own_words():
    text = "No: the sources record no deal between Nvidia and Wombat Cloud."
    declined = Answer(question="q?", text=text, citations=(), abstained=True, standalone_question="q?")
    page = ui_html.message_html(declined, 0, "c:0")
    visible = re.sub(r"<[^>]+>", " ", page)
    assert 'class="abstained"' in page
    assert " ".join(visible.split()).startswith("No: the sources record no deal") and "No answer" not in visible


def test_sources_are_grouped_one_card_per_document_with_every_quote_inside():
    citations = [
        _citation(1, "notes/a.md", "First quote."),
        _citation(2, "notes/b.md", "Other quote."),
        _citation(3, "notes/a.md", "Second quote.", verified=False),
    ]
    passages = (Passage("c", "notes/a.md", "Before. First quote. After.", 1.0, "A", "W", "https://x", None),)
    panel = ui_html.sources_html(_answer("x [1] [2] [3]", citations, passages=passages), 0)
    assert panel.count('<div class="card">') == 2
    card_a = panel.split('<div class="card">')[1]
    assert "First quote." in card_a and "Second quote." in card_a and 'id="panel-0-3"' in card_a
    assert "quote supports the sentence" in card_a and "not confirmed by this quote" in card_a
    assert '<span class="ctx">Before. </span><mark>First quote.</mark><span class="ctx"> After.</span>' in card_a


def test_unsourced_and_undated_notes_and_machine_read_deals_wear_their_own_labels():
    card = ui_html.document_card([_citation(1, publisher="unsourced", published=None)], 0, "src")
    assert "unsourced note" in card and "undated" in card and "badge ok" in card
    assert card.count("undated") == 1 and "unsourced</span>" not in card
    assert "unsourced note" not in ui_html.document_card([_citation(1)], 0, "src")
    assert "machine-read" in ui_html.evidence_html([_deal("Nvidia", "OpenAI", origin="extracted")])
    assert "machine-read" not in ui_html.evidence_html([_deal("Nvidia", "OpenAI")])


def test_copied_markdown_has_the_text_and_numbered_sources_with_links_and_quotes():
    answer = _answer("Amazon supplies 1 GW [1]. Google too [2].", [_citation(1), _citation(2, "notes/g.md")])
    markdown = render.answer_markdown(answer)
    assert markdown.startswith("Amazon supplies 1 GW [1].")
    assert "[1] Test Wire, 2025-01-01: Title of notes/a.md <https://example.com/notes/a.md>" in markdown
    assert "[2] " in markdown and "> “Amazon will supply 1 GW.”" in markdown
    page = ui_html.message_html(answer, 0, "k:0")
    kept = re.search(r'<pre class="md-source">(.*?)</pre>', page).group(1)
    assert "\n" not in kept and html.unescape(kept) == markdown


def test_deals_csv_has_a_header_type_origin_urls_and_quotes():
    text = render.deals_csv([_deal("Nvidia", "OpenAI", origin="extracted"), _deal("AMD", "OpenAI")])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["supplier"] for r in rows] == ["Nvidia", "AMD"]
    assert rows[0]["origin"] == "extracted" and rows[0]["type"] == "compute"
    assert rows[0]["urls"] == "https://example.com/d" and rows[0]["quotes"] == "Nvidia supplies OpenAI."


def test_deal_graph_draws_one_line_per_pair_with_its_count():
    deals = [_deal("Nvidia", "OpenAI"), _deal("Nvidia", "OpenAI"), _deal("AMD", "OpenAI"), _deal("Nvidia", "Meta")]
    svg = deals_svg(deals, lambda name: "lab" if name in ("OpenAI", "Meta") else "chipmaker")
    assert svg.count('class="pair"') == 3
    nvidia_openai = svg.split('data-pair="Nvidia → OpenAI"')[1].split("</g>")[0]
    assert '<text x="' in nvidia_openai and 'class="count">2</text>' in nvidia_openai
    assert "2 deals" in nvidia_openai and "GPUs; 1 GW" in nvidia_openai


def test_follow_ups_name_pairs_in_the_direction_their_deals_run(assistant):
    graph = assistant.graph
    for question in ("Who supplies compute to Anthropic?", "What did AMD agree to supply to OpenAI?"):
        answer = assistant.ask(question)
        suggestions = follow_ups(answer, assistant.entities, graph)
        assert suggestions and question not in suggestions
        for s in suggestions:
            pair = re.match(r"What did (.+) agree to supply to (.+)\?", s)
            if pair:
                assert graph.deals(supplier=pair.group(1), customer=pair.group(2)), s
            whom = re.match(r"Whom does (.+) supply\?", s)
            if whom:
                assert graph.deals(supplier=whom.group(1)), s


def test_error_messages_speak_of_dates_not_fields():
    assert ui_html.user_words("as_of: '2025-13-45' is not a real date") == "The date '2025-13-45' is not a real date"
