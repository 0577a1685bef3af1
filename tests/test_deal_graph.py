"""The deal graph built from a small hand-written document table: merging, aliases, filters, conflicts."""

import json

import pytest

from assistant.entities import EntityTable
from assistant.graph import DealGraph, disputed_kinds, headline_figures

TABLE = EntityTable(
    {
        "Amazon": {"kind": "cloud", "aliases": ["AWS"]},
        "Anthropic": {"kind": "lab", "aliases": []},
        "Google": {"kind": "cloud", "aliases": []},
        "Zeta": {"kind": "neocloud", "aliases": []},
    }
)


def _doc(name: str, publisher: str, published: str | None, *entries: tuple[str, ...]) -> dict:
    keys = ("supplier", "customer", "resource", "scale", "announced", "status", "quote")
    return {
        "title": name,
        "publisher": publisher,
        "url": f"https://example.com/{name}",
        "published": published,
        "deals": json.dumps([{**dict(zip(keys, entry, strict=True)), "start": 0} for entry in entries]),
    }


DOCUMENTS = {
    "a.md": _doc(
        "a",
        "Wire A",
        "2025-01-10",
        (
            "AWS",
            "Anthropic",
            "Trainium2 chips",
            "500,000 chips",
            "2025-01-08",
            "announced",
            "AWS will give Anthropic 500,000 Trainium2 chips.",
        ),
    ),
    "b.md": _doc(
        "b",
        "Wire B",
        "2025-01-20",
        (
            "Amazon",
            "Anthropic",
            "Trainium2 chips",
            "1 million chips",
            "2025-01-15",
            "operational",
            "Amazon runs 1 million Trainium2 chips for Anthropic.",
        ),
    ),
    "c.md": _doc(
        "c",
        "Wire C",
        "2025-09-01",
        ("Google", "Anthropic", "TPUs", "1 GW", "2025-08-30", "announced", "Google gives Anthropic 1 GW of TPUs."),
    ),
    "d.md": _doc(
        "d",
        "Wire D",
        None,
        (
            "Amazon",
            "Anthropic",
            "data centers",
            "2 GW",
            "2025-12-01",
            "reported",
            "Amazon may build 2 GW of data centers for Anthropic.",
        ),
    ),
}


@pytest.fixture(scope="module")
def graph() -> DealGraph:
    return DealGraph.from_documents(DOCUMENTS, TABLE)


def _summary(deals):
    return [(d.supplier, d.resource, d.announced, d.status, [e.doc_id for e in d.evidence]) for d in deals]


def test_reports_of_one_deal_merge_and_aliases_resolve(graph):
    assert _summary(graph.deals()) == [
        ("Amazon", "Trainium2 chips", "2025-01-08", "operational", ["a.md", "b.md"]),
        ("Amazon", "data centers", "2025-12-01", "reported", ["d.md"]),
        ("Google", "TPUs", "2025-08-30", "announced", ["c.md"]),
    ]
    merged = graph.deals()[0]
    assert merged.scale == "1 million chips"  # the latest report's figure


def test_filters_by_company_alias_status_and_date(graph):
    assert [d.resource for d in graph.deals(supplier="aws")] == ["Trainium2 chips", "data centers"]
    assert [d.resource for d in graph.deals(status="reported")] == ["data centers"]
    assert [d.resource for d in graph.deals(since="2025-06")] == ["TPUs"]
    assert [d.resource for d in graph.deals(since="2025-09")] == ["TPUs"]  # since September counts September
    assert graph.deals(since="2025-10") == []
    assert graph.deals(customer="Zeta") == []


def test_as_of_keeps_only_what_was_published_by_then(graph):
    assert _summary(graph.deals(as_of="2025-01-15")) == [
        ("Amazon", "Trainium2 chips", "2025-01-08", "announced", ["a.md"]),
    ]
    # An undated report of a deal announced after the cut-off is left out too.
    assert [d.resource for d in graph.deals(as_of="2025-06")] == ["Trainium2 chips"]


def test_outlets_that_disagree_on_figures_or_dates_make_a_conflict(graph):
    merged, single, _ = graph.deals()
    assert [(what, [e.doc_id for e in sides]) for what, sides in graph.conflicts(merged)] == [
        ("figures", ["a.md", "b.md"]),
        ("date", ["a.md", "b.md"]),
    ]
    assert graph.conflicts(single) == []


def test_outlets_a_day_apart_date_the_same_announcement():
    late = dict(DOCUMENTS["b.md"], deals=DOCUMENTS["b.md"]["deals"].replace("2025-01-15", "2025-01-09"))
    graph = DealGraph.from_documents({**DOCUMENTS, "b.md": late}, TABLE)
    assert [what for what, _ in graph.conflicts(graph.deals()[0])] == ["figures"]


def test_figures_of_different_roles_or_parts_of_a_whole_are_not_a_dispute():
    spend = "Anthropic agreed to spend more than $100 billion on AWS, while Amazon invests $5 billion."
    invest = "Amazon will invest $5 billion in Anthropic now and up to $20 billion more."
    whole = "Amazon committed to invest up to $25 billion more in Anthropic."
    assert disputed_kinds(spend, invest) == set()  # $100 billion spent is not $5 billion invested
    assert disputed_kinds(invest, whole) == set()  # $5 billion + $20 billion is the $25 billion
    assert disputed_kinds("xAI charges $1.25 billion per month.", "The contract is worth about $45 billion.") == set()
    assert disputed_kinds("Anthropic will pay more than $40 billion.", "It is worth about $45 billion.") == {"usd"}
    assert disputed_kinds("Google will supply about 3.5 GW.", "Google will supply 5 GW.") == {"w"}
    assert disputed_kinds("Microsoft and Nvidia will put $15 billion into Anthropic.", whole) == {"usd:invest"}


def test_a_companys_revenue_is_not_the_size_of_its_deal():
    from assistant.compose import figure_phrases

    revenue = "Microsoft made up 62% of Zeta's revenue in 2024, when Zeta's total revenue was about $1.9 billion."
    assert "usd" not in headline_figures(revenue) and figure_phrases(revenue) == []
    assert disputed_kinds(revenue, "Zeta signed a $9 billion contract with Microsoft.") == set()
    deal = "Zeta, whose revenue doubled, signed a $9 billion contract with Microsoft."
    assert headline_figures(deal) == {"usd": 9e9} and figure_phrases(deal) == [("usd", "$9 billion")]


def test_companies_kinds_and_deals_of(graph):
    assert graph.companies() == ["Amazon", "Anthropic", "Google", "Zeta"]
    assert (graph.kind("Zeta"), graph.kind("Nobody")) == ("neocloud", None)
    assert [d.resource for d in graph.deals_of({"Google"})] == ["TPUs"]


def test_headline_figures_take_the_first_of_each_kind_and_skip_years_and_percentages():
    text = "Oracle pays $30 billion in 2027 for 4.5 GW and 220,000 GPUs, 27% more, then $40 billion"
    assert headline_figures(text) == {"usd": 3e10, "w": 4.5e9, "n": 220000.0}


def test_a_rebuild_after_one_new_report_redoes_only_the_pairs_it_touches(graph):
    added = _doc(
        "e",
        "Wire E",
        "2025-09-05",
        ("Google", "Anthropic", "TPUs", "1 GW", "2025-08-30", "announced", "Google confirms 1 GW of TPUs."),
    )
    documents = {**DOCUMENTS, "e.md": added}
    again = DealGraph.from_documents(documents, TABLE, previous=graph)
    fresh = DealGraph.from_documents(documents, TABLE)
    assert _summary(again.deals()) == _summary(fresh.deals())  # the same graph as a full build
    before = {(d.supplier, d.resource): d for d in graph.deals()}
    for deal in again.deals():
        kept = before.get((deal.supplier, deal.resource))
        assert (kept is deal) == (deal.supplier == "Amazon")  # Amazon's deals were reused, Google's redone
