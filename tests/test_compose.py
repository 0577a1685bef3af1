"""Computed answers from the real deal graph: totals, counts, comparisons, status, missing details, and
concise lists (verdict first, one row per counterpart, word budget, nothing said twice, every sentence verified)."""

import re

import pytest
from conftest import CORPUS

from assistant import sentences
from assistant.answer import stream_answer
from assistant.chat import final_answer
from assistant.compose import visible_words
from assistant.corpus import load_corpus
from assistant.types import Plan


def _ask(assistant, question: str, plan: Plan):
    return final_answer(stream_answer(question, question, assistant._context(), plan=plan))


def _rows(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("- ")]


def _all_verified(answer) -> bool:
    return (
        bool(answer.citations)
        and all(c.verified for c in answer.citations)
        and all(v.supported for v in answer.verdicts)
    )


def _gw(text: str) -> float:
    value, unit = re.search(r"(\d+(?:\.\d+)?)\s?(GW|MW)", text).groups()
    return float(value) * (1 if unit == "GW" else 0.001)


def test_total_adds_the_cited_gigawatts_and_names_the_stalled_deal(assistant):
    plan = Plan(intent="total", customers=("OpenAI",), companies=("OpenAI",), attribute="power")
    answer = _ask(assistant, "What's the total gigawatts OpenAI has contracted?", plan)
    lead, rows = answer.text.splitlines()[0], _rows(answer.text)
    counted = [r for r in rows if not r.startswith("Not counted")]
    # The arithmetic is visible: the lead's sum is the sum of the first figure of every counted row.
    total = float(re.search(r"about (\d+(?:\.\d+)?) GW", lead).group(1))
    assert total == pytest.approx(sum(_gw(r) for r in counted), abs=0.01)
    assert any(r.startswith("AMD") and "6 GW" in r for r in counted)
    assert any(r.startswith("Broadcom") and "10 GW" in r for r in counted)
    stalled = [r for r in rows if r.startswith("Not counted")]
    assert stalled and "Nvidia" in stalled[0] and "stalled" in stalled[0]
    assert _all_verified(answer)


def test_a_total_names_apart_the_counted_companies_whose_other_deals_give_no_figure(assistant):
    plan = Plan(intent="total", customers=("Anthropic",), companies=("Anthropic",), attribute="power")
    answer = _ask(assistant, "How much power has Anthropic lined up in total?", plan)
    counted = {r.split(":")[0] for r in _rows(answer.text)}
    coverage = answer.to_dict()["text"].split("No figure for: ")[-1]
    none, _, partly = coverage.partition("; nor for other deals of ")
    assert any("Amazon" in c for c in counted) and "Amazon" in partly and "Amazon" not in none
    assert not any(name in " ".join(counted) for name in re.findall(r"[A-Z]\w+", none))


def test_a_company_its_reports_call_by_another_name_is_labelled_with_both(assistant):
    plan = Plan(intent="changed_since", companies=("xAI",), since="2026-01")
    labels = [r.split(":")[0] for r in _rows(_ask(assistant, "What has xAI sold since January 2026?", plan).text)]
    assert "xAI (SpaceX) to Anthropic" in labels  # the reports say SpaceX
    assert not any("(Colossus" in label for label in labels)  # a product is no other name


def test_nothing_new_since_a_date_is_said_with_the_latest_deals_before_it(assistant):
    plan = Plan(intent="changed_since", companies=("OpenAI",), since="2026-04")
    answer = _ask(assistant, "What has OpenAI signed since April 2026?", plan)
    assert answer.text.startswith("The sources report no deals of OpenAI since April 2026; the latest before that:")
    rows = _rows(answer.text)
    assert 1 <= len(rows) <= 3 and all("OpenAI" in r and "2026" in r for r in rows) and _all_verified(answer)


def test_count_matches_the_compute_deals_in_the_ledger(assistant):
    expected = [d for d in assistant.deals(customer="Anthropic") if d.type == "compute"]
    answer = _ask(assistant, "How many deals does Anthropic have?", Plan(intent="count", customers=("Anthropic",)))
    suppliers = {d.supplier for d in expected}
    assert answer.text.startswith(
        f"The sources record {len(expected)} compute deals with Anthropic, from {len(suppliers)} companies"
    )


@pytest.mark.parametrize(
    ("attribute", "verdict"),
    [
        ("date", "AMD's deal with OpenAI came first (6 October 2025 against 13 October 2025"),
        ("power", "Broadcom's deal with OpenAI is the bigger one (10 GW against 6 GW)"),
    ],
)
def test_compare_starts_with_the_verdict_then_both_deals(assistant, attribute, verdict):
    plan = Plan(intent="compare", companies=("AMD", "OpenAI", "Broadcom"), attribute=attribute)
    answer = _ask(assistant, "AMD's deal with OpenAI or Broadcom's?", plan)
    assert answer.text.startswith(verdict)
    rows = _rows(answer.text)
    assert len(rows) == 2 and {r.split("'")[0] for r in rows} == {"AMD", "Broadcom"}
    assert _all_verified(answer)


def test_compare_of_terms_says_which_runs_longer_with_both_terms(assistant):
    plan = Plan(intent="compare", companies=("Akamai", "Anthropic", "Hut 8"), attribute="duration")
    answer = _ask(assistant, "Which runs longer: Akamai's contract with Anthropic or the Hut 8 lease?", plan)
    lead, rows = answer.text.splitlines()[0], _rows(answer.text)
    # The 15-year lease beats seven years, and each term stands in its own deal's row, as its quote says it.
    assert lead.startswith("Hut 8's deal with Anthropic runs longer (15-year against seven years")
    assert "15-year" in rows[0] and rows[0].startswith("Hut 8") and "seven years" in rows[1]
    assert len(rows) == 2 and _all_verified(answer)


def test_compare_sides_named_by_what_they_are_find_their_deals(assistant):
    # Neither side names a party: "Stargate UAE" and "Stargate Norway" are told apart by the deals' descriptions.
    plan = Plan(intent="compare", companies=("Stargate",), attribute="date")
    answer = _ask(assistant, "Who announced first, Stargate UAE or Stargate Norway?", plan)
    assert answer.text.startswith("Stargate UAE came first (22 May 2025 against 31 July 2025 for Stargate Norway)")
    rows = _rows(answer.text)
    assert [r.split(",")[0] for r in rows] == ["Stargate UAE", "Stargate Norway"] and _all_verified(answer)


def test_each_side_of_a_comparison_stands_for_the_deal_the_question_means(assistant):
    # Size: a company's biggest compute deal (Nvidia's 10 GW letter, not its share purchase); equal sizes are said.
    plan = Plan(intent="compare", companies=("Nvidia", "OpenAI", "Broadcom"), attribute="size")
    same = _ask(assistant, "Which is bigger, Nvidia's deal with OpenAI or Broadcom's?", plan)
    assert same.text.startswith(
        "Nvidia's deal with OpenAI and Broadcom's deal with OpenAI are the same size (10 GW each)"
    )
    # Dates: each party's first deal, and "come before" asks for dates.
    first = assistant.ask("Did CoreWeave's first Meta contract come before Nebius's?")
    assert first.text.startswith("CoreWeave's deal with Meta came first (30 September 2025 against November 2025")
    assert _all_verified(same) and _all_verified(first)


def test_status_of_a_pair_with_several_deals_counts_each_state(assistant):
    deals = assistant.deals(supplier="Oracle", customer="OpenAI")
    live = [d for d in deals if d.status in ("announced", "operational")]
    reported = [d for d in deals if d.status in ("reported", "rumored")]
    assert live and reported  # the ledger this test reads
    answer = _ask(
        assistant, "Is Oracle's deal with OpenAI confirmed?", Plan(intent="status", companies=("Oracle", "OpenAI"))
    )
    lead = answer.text.splitlines()[0]
    assert lead.startswith(f"Yes: {len(live)} of the {len(deals)} deals between Oracle and OpenAI stand")
    assert f"; {len(reported)} " in lead and "not confirmed" in lead
    # One row per deal, in the text or the details; the one only reported comes first, marked so.
    rows = _rows(answer.text) + _rows(answer.details)
    assert len(rows) == len(deals) and rows[0].endswith(tuple(f"reported [{n}]." for n in range(1, 9)))
    assert _all_verified(answer)


def test_status_follows_the_deal_the_question_describes(assistant):
    answer = assistant.ask("has the abilene stargate site gone operational")
    assert answer.text.startswith("Yes:") and "operational" in answer.text.splitlines()[0]
    assert "Abilene" in _rows(answer.text)[0] and _all_verified(answer)


def test_a_detail_question_starts_with_the_sentence_that_states_it(assistant):
    answer = assistant.ask("How long does IREN's deal with Microsoft run?")
    start, end = sentences.spans(answer.text)[0]
    first = answer.text[start:end]
    assert re.search(r"\b(?:\d+|five)[- ]years?\b", first), first


def test_two_companies_with_no_deal_between_them_get_no_answer(assistant):
    answer = assistant.ask("How much is Anthropic paying Lambda for GPU capacity?")
    assert answer.abstained and not answer.citations
    assert answer.text.startswith("The sources record no deal between Anthropic and Lambda")


def test_status_question_gets_no_first_when_the_deal_stalled(assistant):
    question = "Is Nvidia still investing $100 billion in OpenAI?"
    answer = _ask(assistant, question, Plan(intent="status", companies=("Nvidia", "OpenAI")))
    assert answer.text.startswith("No: the latest reports mark Nvidia's deal with OpenAI as stalled")
    assert "$100 billion" in answer.text.split("\n")[1]
    assert _all_verified(answer)


def test_a_question_about_an_end_gets_its_yes_and_no_the_right_way_round(assistant):
    stalled = _ask(
        assistant, "Has the Nvidia OpenAI deal stalled?", Plan(intent="status", companies=("Nvidia", "OpenAI"))
    )
    assert stalled.text.startswith("Yes: the latest reports mark Nvidia's deal with OpenAI as stalled")
    # A live deal one of whose reports says a part of it fell through: neither a plain yes nor a plain no.
    collapsed = _ask(
        assistant, "Did Oracle's talks with xAI collapse?", Plan(intent="status", companies=("Oracle", "xAI"))
    )
    assert collapsed.text.startswith("In part:") and "fell through" in _rows(collapsed.text)[0]
    rows = _rows(collapsed.text)
    assert len(rows) == len(set(rows)) and _all_verified(stalled) and _all_verified(collapsed)


def test_a_status_question_naming_a_part_that_ended_gets_no_first(assistant):
    question = "Did Oracle's $10 billion expansion with xAI go ahead?"
    answer = _ask(assistant, question, Plan(intent="status", companies=("Oracle", "xAI")))
    assert answer.text.startswith("No: the $10 billion part of Oracle's deal with xAI fell through")
    assert "$10 billion" in _rows(answer.text)[0] and _all_verified(answer)
    # Without a figure of the part that ended, the deal that stands is a yes.
    live = _ask(assistant, "Is Oracle still renting GPUs to xAI?", Plan(intent="status", companies=("Oracle", "xAI")))
    assert live.text.startswith("Yes: Oracle's deal with xAI stands")


def test_missing_detail_is_said_plainly_with_the_related_citations(assistant):
    plan = Plan(intent="facts", companies=("AMD", "OpenAI"), attribute="price")
    answer = _ask(assistant, "What price per GPU does OpenAI pay AMD?", plan)
    assert answer.text.startswith("The sources describe AMD's agreement with OpenAI but give no price")
    assert answer.missing == ("price",) and answer.abstained
    assert any("oai2-amd-6gw" in c.doc_id for c in answer.citations) and _all_verified(answer)
    rows = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert rows and len(rows) == len(set(rows))  # a sentence found in the ledger and by retrieval is said once


def test_a_detail_the_sources_give_is_not_called_missing(assistant):
    plan = Plan(intent="facts", companies=("AMD", "OpenAI"), attribute="power")
    answer = _ask(assistant, "How many gigawatts did AMD agree to supply to OpenAI?", plan)
    assert not answer.missing and not answer.abstained and "6 GW" in answer.text


@pytest.mark.parametrize("customer", ["OpenAI", "Anthropic", "Meta", "Microsoft"])
def test_list_answer_is_short_complete_and_says_nothing_twice(assistant, customer):
    answer = assistant.ask(f"Who supplies compute to {customer}?")
    assert answer.route == "graph" and _all_verified(answer)
    assert visible_words(answer.text) <= 250
    whole = answer.text + "\n" + answer.details
    said = [" ".join(re.sub(r"\[\d+\]", "", whole[a:b]).split()) for a, b in sentences.spans(whole)]
    assert len(said) == len(set(said))
    rows = _rows(answer.text)
    compute = {d.supplier for d in assistant.deals(customer=customer) if d.type == "compute"}
    # Each supplier is named in a row's label; one joint announcement is one row naming both.
    labels = [r.partition(": ")[0] for r in rows]
    assert all(any(re.search(rf"(?:^| and ){re.escape(s)}", label) for label in labels) for s in compute)
    everything = answer.text + answer.details
    assert all(d.supplier in everything for d in assistant.deals(customer=customer))
    # One citation number per source document, its quotes kept on the citation.
    assert len({c.doc_id for c in answer.citations}) == len(answer.citations)
    bodies = {d.doc_id: d.body for d in load_corpus(CORPUS)[0]}
    assert all(c.quotes and all(q in bodies[c.doc_id] for q in c.quotes) for c in answer.citations)


def test_investments_are_named_apart_from_compute_suppliers(assistant):
    answer = assistant.ask("Who supplies compute to Anthropic?")
    investors = {d.supplier for d in assistant.deals(customer="Anthropic") if d.type == "investment"}
    suppliers = {d.supplier for d in assistant.deals(customer="Anthropic") if d.type == "compute"}
    assert answer.text.startswith(f"The sources name {len(suppliers)} companies that supply compute to Anthropic")
    # Nvidia may share a row with Microsoft (one joint announcement), but it is named as an investor there.
    named = [part for r in _rows(answer.text) for part in r.partition(": ")[0].split(" and ") if "Nvidia" in part]
    assert "Nvidia" in investors - suppliers and named and all(p.startswith("Nvidia (investment)") for p in named)


def test_intersection_lists_only_suppliers_of_both(assistant):
    plan = Plan(intent="intersection", customers=("OpenAI", "Anthropic"), companies=("OpenAI", "Anthropic"))
    answer = _ask(assistant, "Who supplies compute to both OpenAI and Anthropic?", plan)
    both = {d.supplier for d in assistant.deals(customer="OpenAI") if d.type == "compute"} & {
        d.supplier for d in assistant.deals(customer="Anthropic") if d.type == "compute"
    }
    rows = _rows(answer.text + "\n" + answer.details)
    assert answer.text.startswith(f"{len(both)} companies supply compute to both OpenAI and Anthropic")
    assert all(any(r.startswith(s) for s in both) for r in rows)
    assert all(any(r.startswith(s) for r in rows) for s in both)


def test_excluded_company_is_left_out(assistant):
    plan = Plan(intent="suppliers_of", customers=("OpenAI",), companies=("OpenAI",), excluded=("Microsoft",))
    answer = _ask(assistant, "Who supplies compute to OpenAI apart from Microsoft?", plan)
    assert "leaving out Microsoft" in answer.text.splitlines()[0]
    assert not any(r.startswith("Microsoft") for r in _rows(answer.text + "\n" + answer.details))


def test_a_long_list_keeps_twenty_counterparts_in_the_text_and_the_rest_in_the_details(assistant):
    import json

    from assistant import citations
    from assistant.compose import list_answer
    from assistant.entities import EntityTable
    from assistant.graph import DealGraph
    from assistant.relations import select

    names = [f"Supplier{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(30)]
    table = EntityTable({"Labco": {"kind": "lab"}, **{n: {"kind": "cloud"} for n in names}})
    documents = {}
    for i, name in enumerate(names):
        quote = f"{name} agreed to supply Labco with {i + 1},000 GPUs in May 2025, the outlet reported."
        deal = {"supplier": name, "customer": "Labco", "resource": "GPUs", "scale": f"{i + 1},000 GPUs"}
        deal |= {"announced": "2025-05-01", "status": "announced", "quote": quote, "start": 0}
        documents[f"notes/{name}.md"] = {"title": name, "publisher": "Outlet", "published": "2025-05-02"}
        documents[f"notes/{name}.md"]["deals"] = json.dumps([deal])
    graph = DealGraph.from_documents(documents, table)
    plan = Plan(intent="suppliers_of", customers=("Labco",), companies=("Labco",))
    composed = list_answer(plan, select(plan, graph), graph)
    rows, rest = _rows(composed.text), _rows(composed.details)
    assert composed.text.startswith("The sources name 30 companies that supply compute to Labco:")
    assert len(rows) == 20 and len(rest) == 10 and visible_words(composed.text) <= 250
    assert all(any(r.startswith(n) for r in rows + rest) for n in names)
    text, cites, verdicts = citations.verify(composed.text, list(composed.passages), assistant.vectors, table)
    assert all(v.supported for v in verdicts) and len(cites) == 20


def test_the_details_name_every_further_counterpart_before_more_deals_of_the_shown_ones():
    import json

    from assistant.compose import DETAILS_ROWS, list_answer
    from assistant.entities import EntityTable
    from assistant.graph import DealGraph
    from assistant.relations import select

    # 40 suppliers, the first 20 (most reported) with 4 deals each: their other deals alone would fill the details.
    names = [f"Supplier{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(40)]
    table = EntityTable({"Labco": {"kind": "lab"}, **{n: {"kind": "cloud"} for n in names}})
    documents = {}
    for i, name in enumerate(names):
        for k in range(4 if i < 20 else 1):
            month = f"2025-{k * 3 + 1:02d}"
            quote = f"{name} agreed to supply Labco with {i + 1},{k}00 GPUs in {month}, the outlet reported."
            deal = {
                "supplier": name,
                "customer": "Labco",
                "resource": f"GPUs batch {k}",
                "scale": f"{i + 1},{k}00 GPUs",
            }
            deal |= {"announced": f"{month}-01", "status": "announced", "quote": quote, "start": 0}
            documents[f"notes/{name}-{k}.md"] = {"title": name, "publisher": f"Outlet {k}", "published": f"{month}-02"}
            documents[f"notes/{name}-{k}.md"]["deals"] = json.dumps([deal])
    graph = DealGraph.from_documents(documents, table)
    plan = Plan(intent="suppliers_of", customers=("Labco",), companies=("Labco",))
    composed = list_answer(plan, select(plan, graph), graph)
    rows, rest = _rows(composed.text), _rows(composed.details)
    assert len(rest) <= DETAILS_ROWS
    assert all(any(r.startswith(n) for r in rows + rest) for n in names)


def test_equal_terms_one_company_status_and_signing_before_another_party_get_their_verdicts(assistant):
    equal = assistant.ask("Which runs longer, IREN's Microsoft deal or Nebius's?")
    assert equal.text.startswith("IREN's deal with Microsoft and Nebius's deal with Microsoft run equally long")
    one = _ask(assistant, "Is xAI's deal still going?", Plan(intent="status", companies=("xAI",)))
    assert re.match(r"Yes: \d+ of the \d+ deals of xAI stand", one.text)
    before = assistant.ask("Did Nebius sign with Meta before CoreWeave did?")
    assert before.text.startswith("CoreWeave's deal with Meta came first (30 September 2025")
    # "before" a date is a time window, not a comparison of dates.
    assert assistant.ask("Which deals were signed before May 2025?").plan.attribute == ""
    # "Who was first to ..." asks which came first, not which is bigger.
    first = assistant.ask("Who was first to supply Meta, Nebius or CoreWeave?")
    assert first.text.startswith("CoreWeave's deal with Meta came first (30 September 2025")
