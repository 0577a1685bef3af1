"""Deals read from sentences: who supplies whom, outlets and people are no parties, new companies get a
kind, and machine-read deals join ledger deals in one graph (sentences written for these tests)."""

from __future__ import annotations

import json

from assistant.entities import EntityTable
from assistant.extract import read_deals, sentence_deals
from assistant.graph import DealGraph

TABLE = EntityTable(
    {
        "Anthropic": {"kind": "lab", "aliases": ["Claude"]},
        "OpenAI": {"kind": "lab"},
        "Nvidia": {"kind": "chipmaker", "products": ["GB300"]},
        "Oracle": {"kind": "cloud", "aliases": ["OCI"]},
        "CoreWeave": {"kind": "neocloud"},
    }
)


def pairs(sentence: str, publisher: str = "") -> list[tuple[str, str]]:
    return [(d.supplier, d.customer) for d, _ in sentence_deals(sentence, TABLE, "2026-03-02", publisher)]


def test_the_direction_comes_from_the_verb_not_the_word_order():
    assert pairs("CoreWeave will supply Anthropic with 40,000 GPUs from April 2026.") == [("CoreWeave", "Anthropic")]
    assert pairs("Anthropic agreed to rent 40,000 GPUs from CoreWeave for three years.") == [("CoreWeave", "Anthropic")]
    assert pairs("OpenAI signed a five-year contract with Oracle worth $9 billion.") == [("Oracle", "OpenAI")]
    assert pairs("Oracle leased its Abilene halls to OpenAI for 15 years.") == [("Oracle", "OpenAI")]


def test_rent_and_lease_read_both_ways_by_who_is_let_to():
    assert pairs("Marlin Cloud will rent Anthropic 4,096 Nvidia B200 GPUs for three years.") == [
        ("Marlin Cloud", "Anthropic")
    ]
    assert pairs("Marlin Cloud will rent 4,096 Nvidia B200 GPUs to Anthropic.") == [("Marlin Cloud", "Anthropic")]
    assert pairs("Anthropic will rent 4,096 GPUs from Marlin Cloud.") == [("Marlin Cloud", "Anthropic")]
    assert pairs("OpenAI will rent CoreWeave GPUs to train its models.") == [("CoreWeave", "OpenAI")]
    assert pairs("OpenAI leases 1 GW from Oracle to serve Anthropic.") == [("Oracle", "OpenAI")]


def test_new_companies_are_read_in_the_ways_news_names_a_deal():
    assert pairs("Anthropic has tapped Marlin Cloud to supply 10,000 GPUs.") == [("Marlin Cloud", "Anthropic")]
    assert pairs("Marlin Cloud, a Denver neocloud, said it will supply OpenAI with 5,000 GPUs.") == [
        ("Marlin Cloud", "OpenAI")
    ]
    assert pairs("Marlin Cloud has won a $300 million contract from Orca Robotics.") == [
        ("Marlin Cloud", "Orca Robotics")
    ]
    assert pairs("Marlin Cloud landed Orca Robotics as a customer in a $300 million deal.") == [
        ("Marlin Cloud", "Orca Robotics")
    ]


def test_a_chip_named_in_the_deal_is_what_is_supplied_not_a_party():
    assert pairs("CoreWeave will provide OpenAI with 9,000 Nvidia GB300 GPUs in Texas.") == [("CoreWeave", "OpenAI")]


def test_outlets_and_background_mentions_are_not_parties():
    assert pairs("CoreWeave will supply Anthropic with 2 GW, according to Oracle Insider.") == [
        ("CoreWeave", "Anthropic")
    ]
    assert pairs("The Anthropic contract with CoreWeave starts in 2027.") == []
    assert pairs("Nvidia and OpenAI both appeared at the conference in March.") == []


def test_two_clauses_give_two_deals():
    found = pairs("OpenAI agreed to buy $3 billion of OCI capacity, while Nvidia pledged $2 billion to Anthropic.")
    assert found == [("Oracle", "OpenAI"), ("Nvidia", "Anthropic")]


def test_a_new_company_becomes_provisional_with_a_guessed_kind_and_people_do_not():
    body = (
        "Marlin Cloud will host 12,000 GPUs for Anthropic in Ohio under a $700 million contract.\n\n"
        "Jonas Whitfield chose to back Anthropic, Whitfield said.\n\n"
        "Anthropic plans to move Claude training to the Ohio halls by May 2026."
    )
    deals, new = read_deals(body, TABLE, "2026-03-02", "Wire", "Marlin Cloud to host GPUs for Anthropic")
    assert [(d.supplier, d.customer, d.origin) for d in deals] == [("Marlin Cloud", "Anthropic", "extracted")]
    assert new == {"Marlin Cloud": "neocloud"}
    deal = deals[0]
    assert deal.quote in body and deal.scale == "12,000 GPUs; $700 million" and deal.announced is None


def test_a_headline_that_names_the_parties_keeps_background_deals_out():
    body = (
        "CoreWeave agreed on 2 March 2026 to supply Anthropic with 1 GW of capacity.\n\n"
        "Nvidia invested in OpenAI last year."
    )
    deals, _ = read_deals(body, TABLE, "2026-03-03", "Wire", "CoreWeave signs Anthropic")
    assert [(d.supplier, d.customer, d.announced) for d in deals] == [("CoreWeave", "Anthropic", "2026-03-02")]


def _documents(*entries: tuple[str, str, dict, str]) -> dict[str, dict]:
    return {
        doc_id: {"title": doc_id, "publisher": publisher, "url": "", "published": published, "deals": json.dumps([e])}
        for doc_id, publisher, e, published in entries
    }


def _entry(scale: str, quote: str, origin: str, announced: str | None, resource: str) -> dict:
    return {
        "supplier": "CoreWeave",
        "customer": "Anthropic",
        "resource": resource,
        "scale": scale,
        "announced": announced,
        "status": "announced",
        "quote": quote,
        "origin": origin,
        "start": 0,
    }


def test_a_machine_read_deal_joins_the_ledger_deal_it_restates_and_its_figure_conflicts():
    ledger = _entry(
        "1 GW",
        "CoreWeave will supply Anthropic with 1 GW of Nvidia GPU capacity.",
        "ledger",
        "2026-03-02",
        "Nvidia GPU cloud capacity over five years",
    )
    machine = _entry("1.5 GW", "CoreWeave will supply Anthropic with 1.5 GW of GPUs.", "extracted", None, "GPUs")
    later = _entry("2 GW", "CoreWeave will supply Anthropic with 2 GW of GPUs.", "extracted", None, "GPUs")
    docs = _documents(
        ("notes/a.md", "Wire A", ledger, "2026-03-02"),
        ("added/b.md", "Wire B", machine, "2026-03-09"),
        ("added/c.md", "Wire C", later, "2026-11-20"),
    )
    graph = DealGraph.from_documents(docs, TABLE)
    first, second = sorted(graph.deals(supplier="CoreWeave"), key=lambda d: d.evidence[0].published or "")
    assert first.origin == "ledger" and [e.origin for e in first.evidence] == ["ledger", "extracted"]
    assert [what for what, _ in graph.conflicts(first)] == ["figures"]
    assert second.origin == "extracted" and len(second.evidence) == 1  # months later: another deal


def test_new_companies_are_graph_nodes_that_questions_can_name():
    entry = _entry("", "Marlin Cloud will host 12,000 GPUs for Anthropic.", "extracted", None, "GPUs")
    entry["supplier"] = "Marlin Cloud"
    docs = _documents(("added/m.md", "Wire", entry, "2026-03-02"))
    docs["added/m.md"]["new_companies"] = json.dumps([["Marlin Cloud", "neocloud"]])
    graph = DealGraph.from_documents(docs, TABLE)
    assert graph.kind("Marlin Cloud") == "neocloud"
    assert graph.entities.mentions("Who supplies Anthropic, Marlin Cloud?") == ["Anthropic", "Marlin Cloud"]
    assert [(n, k) for n, k, _ in graph.new_companies()] == [("Marlin Cloud", "neocloud")]
    assert "Marlin Cloud" not in TABLE.entities
