"""New reports added by URL become cited deals, companies and conflicts: pages written for these tests,
served on 127.0.0.1 with navigation, advertisements and a footer, about deals the corpus does not hold."""

from __future__ import annotations

import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
from conftest import CORPUS

from assistant import cli
from assistant.api import Assistant
from assistant.settings import Settings

PAGE = """<!doctype html><html><head><title>{title} | {site}</title>
<meta property="og:site_name" content="{site}"><meta name="date" content="{date}"></head><body>
<header><a href="/">{site}</a> <nav><a href="/">Home</a> <a href="/markets">Markets</a> <a href="/ai">AI</a>
Subscribe for $1</nav></header>
<div class="ad-slot">ADVERTISEMENT Switch your cloud today and save 40% on GPU hours!</div>
<main><article><h1>{title}</h1><p class="byline">By Priya Natarajan</p>
{paragraphs}
</article></main>
<aside class="related">Most read: Five chips to watch. Sign up for our newsletter.</aside>
<footer>Copyright {site}. Terms. Privacy. Cookie settings.</footer></body></html>"""

PAGES = {
    "/2026/06/borealis-quill": dict(
        site="Grid Ledger",
        date="2026-06-10",
        title="Borealis Data Centers leases 150 MW campus to Quill Labs",
        paragraphs="""<p>Borealis Data Centers agreed on 9 June 2026 to lease 150 MW of AI capacity at its Fargo
campus to Quill Labs under a 12-year contract worth $4.2 billion, the companies said.</p>
<p>The lease is the first for Borealis Data Centers outside Canada, and construction of the second hall starts
next spring.</p>""",
    ),
    "/2026/06/tessel-quill": dict(
        site="Compute Weekly",
        date="2026-06-12",
        title="Quill Labs adds Tessel Cloud as a second host",
        paragraphs="""<p>Tessel Cloud will host 20,000 GPUs for Quill Labs in Oregon under a three-year agreement
worth $900 million, Compute Weekly has learned.</p>
<p>Quill Labs said the Tessel Cloud capacity comes online in the autumn.</p>""",
    ),
    "/2025/10/amd-openai-bigger": dict(
        site="Chip Street",
        date="2025-10-08",
        title="AMD deal with OpenAI is bigger than announced",
        paragraphs="""<p>AMD will supply OpenAI with 8 GW of Instinct GPUs, two people briefed on the agreement
told Chip Street.</p>
<p>The first MI450 racks are still planned for the second half of 2026, the people said.</p>""",
    ),
}
HEADLINES = [page["title"] for page in PAGES.values()]


@pytest.fixture(scope="module")
def news_site():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            page = PAGES.get(self.path)
            if page is None:
                self.send_error(404)
                return
            data = PAGE.format(**page).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def world(tmp_path_factory, assistant, news_site):
    """The real corpus and its index (copied), after `assistant ingest URL URL URL`."""
    root = tmp_path_factory.mktemp("open-world")
    corpus, data = root / "corpus", root / "data"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(assistant.settings.data_dir, data)
    env = {"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_ALLOW_PRIVATE_URLS": "true"}
    with mock.patch.dict(os.environ, env):
        code = cli.main(["ingest", "--local", *(news_site + path for path in PAGES)])
    assert code == 0
    return Assistant(Settings(data_dir=data, corpus_dir=corpus)), corpus, news_site


def _run(world, argv: list[str], capsys) -> str:
    assistant, corpus, _ = world
    env = {"ASSISTANT_DATA_DIR": str(assistant.settings.data_dir), "ASSISTANT_CORPUS_DIR": str(corpus)}
    with mock.patch.dict(os.environ, env):
        code = cli.main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_a_relation_question_lists_deals_read_from_the_new_reports(world):
    assistant, _, site = world
    answer = assistant.ask("Who supplies compute to Quill Labs?")
    assert answer.route == "graph" and not answer.abstained
    assert "Borealis Data Centers" in answer.text and "Tessel Cloud" in answer.text
    assert answer.text.count("(read from the text)") >= 2
    urls = {c.url for c in answer.citations}
    assert {site + "/2026/06/borealis-quill", site + "/2026/06/tessel-quill"} <= urls
    assert all(c.verified for c in answer.citations)


def test_a_list_question_names_the_new_company_as_a_customer(world):
    assistant, _, site = world
    answer = assistant.ask("Which companies does Borealis Data Centers supply?")
    assert "Quill Labs" in answer.text and "(read from the text)" in answer.text
    assert any(c.url == site + "/2026/06/borealis-quill" and "150 MW" in c.quote for c in answer.citations)


def test_a_new_figure_for_a_known_deal_is_shown_as_a_disagreement(world):
    assistant, _, site = world
    answer = assistant.ask("Does AMD supply OpenAI?")
    assert "Sources differ on the figures" in answer.text
    assert "8 GW" in answer.text and "6 GW" in answer.text
    conflict = next(c for c in answer.conflicts if (c.supplier, c.customer) == ("AMD", "OpenAI"))
    quotes = " ".join(q for q, _ in conflict.claims)
    assert "8 GW" in quotes and "6 GW" in quotes
    cited = {c.url: c for c in answer.citations}
    assert site + "/2025/10/amd-openai-bigger" in cited
    # one deal with both sources, still a reviewed (ledger) deal because a note's ledger states it
    (deal,) = [d for d in assistant.deals(supplier="AMD", customer="OpenAI")]
    assert deal.origin == "ledger" and {e.origin for e in deal.evidence} == {"ledger", "extracted"}


def test_the_headline_is_never_part_of_a_quoted_sentence(world):
    assistant, corpus, _ = world
    quotes = [e.quote for d in assistant.deals() for e in d.evidence]
    for question in ("Who supplies compute to Quill Labs?", "Does AMD supply OpenAI?"):
        quotes += [c.quote for c in assistant.ask(question).citations]
    for headline in HEADLINES:
        assert not any(headline in quote for quote in quotes), headline
    saved = "\n".join(p.read_text() for p in (corpus / "added").glob("*.md"))
    assert "ADVERTISEMENT" not in saved and "newsletter" not in saved and "Priya Natarajan" not in saved
    assert "\n\nBorealis Data Centers agreed on 9 June 2026" in saved


def test_new_companies_are_listed_but_never_written_into_the_entity_table(world, capsys):
    _, corpus, _ = world
    out = _run(world, ["companies", "--new"], capsys)
    assert "Borealis Data Centers" in out and "data-center" in out
    assert "Tessel Cloud" in out and "Quill Labs" in out
    assert "Anthropic" not in out
    assert (corpus / "entities.yaml").read_bytes() == (CORPUS / "entities.yaml").read_bytes()
    everyone = _run(world, ["companies"], capsys)
    assert "Quill Labs" in everyone and "Anthropic" in everyone


def test_machine_read_deals_are_listed_with_quotes_and_ids(world, capsys):
    out = _run(world, ["deals", "--origin", "extracted"], capsys)
    assert "Tessel Cloud -> Quill Labs" in out
    assert "“Tessel Cloud will host 20,000 GPUs for Quill Labs in Oregon" in out
    assert "Anthropic" not in out  # ledger deals are not machine-read
    table = _run(world, ["deals", "--customer", "Quill Labs"], capsys)
    assert "read from the text" in table


def test_an_accepted_deal_is_written_next_to_its_source_and_survives_a_rebuild(small_corpus, tmp_path, capsys):
    report = tmp_path / "outside" / "halcyon.txt"
    report.parent.mkdir()
    report.write_text(
        "Halcyon Grid signs with Nvidia\n\nNvidia will supply Halcyon Grid with 30,000 GB300 GPUs for its "
        "Iowa site, the companies said on 2 March 2026.\n",
        encoding="utf-8",
    )
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_CORPUS_DIR": str(small_corpus)}
    with mock.patch.dict(os.environ, env):
        assert cli.main(["ingest", "--local", str(report)]) == 0
        capsys.readouterr()
        assert cli.main(["deals", "--origin", "extracted"]) == 0
        listing = capsys.readouterr().out
        assert "Nvidia -> Halcyon Grid" in listing
        deal_id = listing.split()[0]
        assert cli.main(["deals", "--accept", deal_id]) == 0
        review = small_corpus / "added" / "halcyon.txt.reviewed.yaml"
        assert review.is_file() and "Halcyon Grid" in review.read_text()
        assert cli.main(["ingest", "--local", "--rebuild"]) == 0
        capsys.readouterr()
        assert cli.main(["deals", "--customer", "Halcyon Grid"]) == 0
        table = capsys.readouterr().out
    assert "reviewed" in table and "read from the text" not in table
    assert cli.main(["deals", "--accept", "nosuchid"]) == 1


def test_the_review_functions_are_open_to_other_front_ends(small_corpus, tmp_path):
    """What the web UI calls: list machine-read deals, accept one by id."""
    (small_corpus / "added").mkdir()
    (small_corpus / "added" / "orbit.txt").write_text(
        "Orbit Compute rents Anthropic 5,000 GPUs\n\nOrbit Compute will provide Anthropic with 5,000 GPUs in "
        "Nevada from May 2026, the company said.\n",
        encoding="utf-8",
    )
    assistant = Assistant(Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus))
    (entry,) = [e for e in assistant.extracted_deals() if e["supplier"] == "Orbit Compute"]
    assert entry["customer"] == "Anthropic" and entry["doc_id"] == "added/orbit.txt"
    assert ("Orbit Compute", "neocloud", 1) in assistant.companies(new=True)
    path = Path(assistant.accept_deal(entry["id"]))
    assert path.name == "orbit.txt.reviewed.yaml"
    assert [d.origin for d in assistant.deals(supplier="Orbit Compute")] == ["ledger"]
    assert not assistant.extracted_deals() or all(e["supplier"] != "Orbit Compute" for e in assistant.extracted_deals())


def test_a_new_reading_of_the_same_text_reaches_the_deal_graph_live_and_after_a_restart(
    small_corpus, tmp_path, monkeypatch
):
    """An upgrade that reads a report's deals differently, then a rebuild: the graph follows at once, and a
    restart does not bring back the graph saved from the old reading."""
    from assistant import review
    from assistant.types import DealEntry

    (small_corpus / "added").mkdir()
    (small_corpus / "added" / "orbit.txt").write_text(
        "Orbit Compute and Anthropic\n\nOrbit Compute will provide Anthropic with 5,000 GPUs in Nevada.\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    first = Assistant(settings)
    assert [d.customer for d in first.deals(supplier="Orbit Compute")] == ["Anthropic"]

    real = review.read_deals

    def reversed_reading(*args, **kwargs):
        deals, new = real(*args, **kwargs)
        flipped = [DealEntry(**{**e.__dict__, "supplier": e.customer, "customer": e.supplier}) for e in deals]
        return flipped, new

    monkeypatch.setattr(review, "read_deals", reversed_reading)
    first.ingest(rebuild=True)
    assert [d.supplier for d in first.deals(customer="Orbit Compute")] == ["Anthropic"]
    assert first.deals(supplier="Orbit Compute") == []
    restarted = Assistant(settings)
    assert [d.supplier for d in restarted.deals(customer="Orbit Compute")] == ["Anthropic"]
