"""Relation questions ("who supplies X", "whom does X supply", "does X supply Y", "which labs use
TPUs", "how many deals over 1 GW", "what changed since DATE") -> complete, cited answers from the graph.

Every list item is a note's own quote, so the verifier can check it like any other sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant import dates, textmatch
from assistant.graph import DealGraph, headline_figures
from assistant.types import Conflict, Deal, Evidence, Passage

_KIND_WORDS = {
    "lab": "lab",
    "labs": "lab",
    "neocloud": "neocloud",
    "neoclouds": "neocloud",
    "cloud": "cloud",
    "clouds": "cloud",
    "hyperscaler": "cloud",
    "hyperscalers": "cloud",
    "chipmaker": "chipmaker",
    "chipmakers": "chipmaker",
    "investors": "investor",
}
_SUPPLY = (
    r"(?:suppl(?:y|ies|ied)|provid(?:e|es|ed)|sell(?:s)?|sold|leas(?:e|es|ed)|rent(?:s|ed)? out|serv(?:e|es|ed)"
    r"|power(?:s|ed)?|deliver(?:s|ed)?)"
)
_BUY = (
    r"(?:use[sd]?|buy[s]?|bought|rent(?:s|ed)?|leas(?:e|es|ed)|get[s]?|got|sign(?:s|ed)? with|depend(?:s)? on"
    r"|rel(?:y|ies) on|train(?:s)? on)"
)
_WHO = r"(?:who|which (?:companies|company|firms|suppliers|providers|customers|(?P<kind>\w+)))"

_SUPPLIERS_OF = [
    re.compile(rf"^{_WHO}\s+(?:\w+\s+)?{_SUPPLY}\b", re.I),  # who supplies compute to X
    re.compile(r"\bsuppliers?\s+(?:of|to|for)\b|\b's\s+(?:\w+\s+){0,2}(?:suppliers|providers)\b", re.I),
    re.compile(r"\bwhere does .+ get\b|\bwho does .+ (?:buy|rent|get) (?:compute|chips|capacity) from\b", re.I),
]
_CUSTOMERS_OF = [
    re.compile(rf"^(?:who|whom|which \w+)\s+(?:does|did|do)\s+.+?\s+{_SUPPLY}\b", re.I),  # whom does X supply
    re.compile(rf"^{_WHO}\s+(?:\w+\s+)?{_BUY}\b", re.I),  # which labs use TPUs
    re.compile(r"\bcustomers?\s+(?:of|for)\b|\b's\s+customers\b|\bwho buys .+ from\b", re.I),
]
_PAIR = re.compile(rf"^(?:does|did|do|is|was|has|have)\s+.+?\s+(?:{_SUPPLY}|{_BUY})\b|\bdeals? between\b", re.I)
_COUNT = re.compile(
    r"\bhow many deals\b.*?\b(?:over|above|more than|at least|of)\s+(\d+(?:\.\d+)?)\s*(gw|mw|gigawatts?|megawatts?)",
    re.I,
)
_LEADING_DATE = re.compile(r"^\s*(?:as of|as at|by|before|until|in)\s+[^,]{3,30},\s*", re.I)
_CHANGED = re.compile(r"\b(?:what|which deals?)\b.*\b(?:changed|new|happened|announced|signed)\b.*\bsince\b", re.I)


@dataclass(frozen=True)
class GraphDraft:
    text: str
    passages: tuple[Passage, ...]
    conflicts: tuple[Conflict, ...]
    coverage: str


def draft(question: str, graph: DealGraph, as_of: str | None = None) -> GraphDraft | None:
    """A complete answer from the graph, or None when the question is not about relations."""
    as_of = as_of or dates.as_of(question)
    question = _LEADING_DATE.sub("", question)  # "As of March 2025, who supplied ..." -> "who supplied ..."
    named = graph.entities.mentions(question)
    kind = _kind(question)
    if m := _COUNT.search(question):
        watts = float(m.group(1)) * (1e9 if m.group(2).lower().startswith("g") else 1e6)
        deals = [d for d in graph.deals(as_of=as_of) if _max_power(d) >= watts]
        return _compose(
            f"The sources record {len(deals)} deals of {m.group(1)} {m.group(2).upper()} or more:",
            deals,
            graph,
            as_of,
            by="pair",
        )
    if _CHANGED.search(question) and (since := dates.since(question)):
        deals = sorted(graph.deals(as_of=as_of, since=since), key=lambda d: d.evidence[-1].published or "")
        return _compose(f"Deals reported since {since}:", deals, graph, as_of, by="pair", since=since)
    if len(named) >= 2 and _PAIR.search(question):
        a, b = named[0], named[1]
        deals = graph.deals(supplier=a, customer=b, as_of=as_of) + graph.deals(supplier=b, customer=a, as_of=as_of)
        if not deals:
            return GraphDraft("", (), (), "")  # a relation question with no recorded deal: abstain
        return _compose(
            f"Yes. The sources record {len(deals)} deal(s) between {a} and {b}:", deals, graph, as_of, by="pair"
        )
    if not named:
        return None
    target = named[-1] if len(named) == 1 else named[0]
    if any(p.search(question) for p in _CUSTOMERS_OF):
        deals = graph.deals(supplier=target, as_of=as_of)
        deals = [d for d in deals if not kind or graph.kind(d.customer) == kind]
        products = graph.entities.products_named(question)
        if products:
            # "Which labs use TPUs?" wants the TPU deals, not every Google deal.
            deals = [d for d in deals if _mentions_product(d, products)]
        label = f"{kind}s" if kind else "companies"
        return _compose(
            f"The sources name {len(_names(deals, 'customer'))} {label} that get compute from {target}:",
            deals,
            graph,
            as_of,
            by="customer",
        )
    if any(p.search(question) for p in _SUPPLIERS_OF):
        deals = graph.deals(customer=target, as_of=as_of)
        deals = [d for d in deals if not kind or graph.kind(d.supplier) == kind]
        label = f"{kind}s" if kind else "companies"
        return _compose(
            f"The sources name {len(_names(deals, 'supplier'))} {label} that supply compute to {target}:",
            deals,
            graph,
            as_of,
            by="supplier",
        )
    return None


def _compose(
    lead: str, deals: list[Deal], graph: DealGraph, as_of: str | None, by: str, since: str | None = None
) -> GraphDraft:
    if not deals:
        return GraphDraft("", (), (), "")
    passages: list[Passage] = []
    conflicts: list[Conflict] = []
    cite = Citer(passages)

    lines = [lead if not as_of else f"{lead[:-1]} (sources published by {as_of}):"]
    for deal in sorted(deals, key=lambda d: (getattr(d, by) if by != "pair" else d.supplier, d.announced or "")):
        shown = [e for e in deal.evidence if not since or (e.published or "") > since] or list(deal.evidence)
        main = _consensus(shown)
        marks = [cite(e) + machine_read(e) for e in [main, *(e for e in shown if e.quote != main.quote)]]
        cited = (" " if any(m.endswith(")") for m in marks[:-1]) else "").join(marks)
        name = (
            deal.customer
            if by == "customer"
            else deal.supplier
            if by == "supplier"
            else f"{deal.supplier} to {deal.customer}"
        )
        status = "" if deal.status in ("announced", "operational") else f" ({deal.status})"
        no_date = " (undated source)" if main.published is None else ""
        lines.append(f"- {name}{status}: {_bare(main.quote)} {cited}{no_date}.")
        for attribute, sides in graph.conflicts(deal):
            lines.append(conflict_line(attribute, sides, cite))
            conflicts.append(
                Conflict(deal.supplier, deal.customer, attribute, tuple((e.quote, cite.number(e)) for e in sides))
            )
    dated = sorted(p.published for p in passages if p.published)
    span = f", dated {dated[0]} to {dated[-1]}" if dated else ""
    undated = sum(1 for p in passages if not p.published)
    coverage = (
        f"Coverage: {len(deals)} deal(s) from {len({p.doc_id for p in passages})} sources{span}"
        + (f", {undated} undated" if undated else "")
        + "."
    )
    return GraphDraft("\n".join(lines), tuple(passages), tuple(conflicts), coverage)


def with_graph_facts(text: str, question: str, graph: DealGraph, passages: list[Passage]) -> str:
    """Add what the graph knows that a few retrieved sentences can miss: that sources disagree about
    a deal the answer cites, and that a deal between the companies asked about later stalled or ended.

    Quotes for these lines are appended to `passages` (numbered after the others) so they are cited.
    """
    named = set(graph.entities.mentions(question))
    cited_docs = {p.doc_id for p in passages}
    lines = []
    # Only deals that touch a cited document can carry a conflict the answer should mention.
    touched = [
        d
        for d in graph.deals_of(named)
        if {e.doc_id for e in d.evidence} & cited_docs
        or (d.status in ("stalled", "ended", "denied") and {d.supplier, d.customer} <= named)
    ]
    for deal in touched:
        if deal.status in ("stalled", "ended", "denied") and {deal.supplier, deal.customer} <= named:
            latest = deal.evidence[-1]
            line = f"Later reports mark this deal as {deal.status}: {_bare(latest.quote)} {Citer(passages)(latest)}."
            if line not in lines:
                lines.append(line)
        for attribute, sides in graph.conflicts(deal):
            if {e.doc_id for e in sides} & cited_docs:
                line = conflict_line(attribute, sides, Citer(passages)).removeprefix("- ")
                if line not in lines:
                    lines.append(line)
    return text if not lines else text + "\n\n" + "\n".join(lines[:3])


class Citer:
    """Numbers evidence quotes as passages of `passages`, reusing the number of a quote already there."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.numbers = {(p.doc_id, p.start, p.text): i for i, p in enumerate(passages, start=1)}

    def number(self, ev: Evidence) -> int:
        key = (ev.doc_id, ev.start, ev.quote)
        if key not in self.numbers:
            self.passages.append(_evidence_passage(ev))
            self.numbers[key] = len(self.passages)
        return self.numbers[key]

    def __call__(self, ev: Evidence) -> str:
        return f"[{self.number(ev)}]"


def _evidence_passage(ev: Evidence) -> Passage:
    return Passage(
        chunk_id=f"{ev.doc_id}@{ev.start}",
        doc_id=ev.doc_id,
        text=ev.quote,
        score=1.0,
        title=ev.title,
        publisher=ev.publisher,
        url=ev.url,
        published=ev.published,
        start=ev.start,
    )


def _consensus(evidence: list[Evidence]) -> Evidence:
    """The evidence whose figures most other outlets share; reviewed before machine-read, then the latest."""

    def agreement(ev: Evidence) -> int:
        mine = set(headline_figures(ev.quote).items())
        return sum(1 for other in evidence if other is not ev and mine & set(headline_figures(other.quote).items()))

    # A reviewed quote leads a machine-read one that agrees as much.
    return max(reversed(evidence), key=lambda ev: (agreement(ev), ev.origin == "ledger"))


def conflict_line(attribute: str, sides: list[Evidence], cite) -> str:
    """'- Sources differ on the figures: A: “…” [1]; B: “…” [2].' with every side quoted word for word."""
    claims = "; ".join(f"{e.publisher}: “{_bare(e.quote)}” {cite(e)}{machine_read(e)}" for e in sides)
    return f"- Sources differ on the {attribute}: {claims}."


def machine_read(ev: Evidence) -> str:
    """' (read from the text)' after a quote no person has reviewed as a deal yet."""
    return " (read from the text)" if ev.origin == "extracted" else ""


def _mentions_product(deal: Deal, products: list[str]) -> bool:
    text = " ".join([deal.resource, *(e.quote for e in deal.evidence)]).lower()
    stems = {p.lower().rstrip("s") for p in products}
    return any(stem in text for stem in stems)


def _names(deals: list[Deal], role: str) -> set[str]:
    return {getattr(d, role) for d in deals}


def _kind(question: str) -> str | None:
    m = re.search(r"\bwhich\s+(\w+)", question, re.I)
    return _KIND_WORDS.get(m.group(1).lower()) if m else None


def _max_power(deal: Deal) -> float:
    values = [v for k, v in textmatch.figures(deal.scale + " " + " ".join(e.quote for e in deal.evidence)) if k == "w"]
    return max(values, default=0.0)


def _bare(quote: str) -> str:
    return quote.rstrip().rstrip(".")
