"""A question Plan + the deal graph -> the deals that answer it (who supplies whom, between, both,
excluding, counts, totals, comparisons, status, what changed since).

`rules_plan` is the fallback reading of a question (regular expressions over the entity table) for
when no meaning-based plan is available; `select` is the one place a Plan becomes a set of deals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant import dates, textmatch
from assistant.entities import EntityTable
from assistant.graph import NAME_TOKEN, DealGraph
from assistant.types import Deal, Plan

GRAPH_INTENTS = frozenset(
    {"suppliers_of", "customers_of", "between", "intersection", "excluding", "count", "total", "compare"}
    | {"status", "changed_since", "timeline"}
)
ENDED = ("stalled", "ended", "denied")

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


def rules_plan(question: str, entities: EntityTable) -> Plan:
    """The regular-expression reading of a relation question; intent "facts" when none applies.

    >>> rules_plan("Who supplies compute to Anthropic?", EntityTable({"Anthropic": {"kind": "lab"}})).customers
    ('Anthropic',)
    """
    as_of = dates.as_of(question)
    bare = _LEADING_DATE.sub("", question)
    named = tuple(entities.mentions(bare))
    kind = _kind(bare)
    products = tuple(entities.products_named(bare))
    base = Plan(companies=named, as_of=as_of, kinds=(kind,) if kind else (), resources=products)
    if m := _COUNT.search(bare):
        unit = "GW" if m.group(2).lower().startswith("g") else "MW"
        return _replace(base, intent="count", threshold=(unit, float(m.group(1))), attribute="power")
    if _CHANGED.search(bare) and (since := dates.since(bare)):
        return _replace(base, intent="changed_since", since=since)
    if len(named) >= 2 and _PAIR.search(bare):
        return _replace(base, intent="between")
    if not named:
        return base
    target = named[-1] if len(named) == 1 else named[0]
    if any(p.search(bare) for p in _CUSTOMERS_OF):
        return _replace(base, intent="customers_of", suppliers=(target,))
    if any(p.search(bare) for p in _SUPPLIERS_OF):
        return _replace(base, intent="suppliers_of", customers=(target,))
    return base


@dataclass(frozen=True)
class Selection:
    """The deals a plan asks about, split the way an answer shows them."""

    deals: tuple[Deal, ...]  # what the answer is about (compute supply unless other types were asked for)
    others: tuple[Deal, ...] = ()  # the same parties' deals of other types (investments), named apart
    role: str = "pair"  # which side of each deal is the counterpart: supplier | customer | pair
    target: str = ""  # the company the question is about
    targets: tuple[str, ...] = ()  # every company the question names in the asked role


def select(plan: Plan, graph: DealGraph) -> Selection | None:
    """The deals answering `plan`, or None when the plan is not a relation question the graph answers."""
    if plan.intent not in GRAPH_INTENTS:
        return None
    as_of = plan.as_of
    named = list(plan.companies)
    if plan.intent == "count" and plan.threshold:
        unit, value = plan.threshold
        watts = value * (1e9 if unit.upper().startswith("G") else 1e6)
        deals = [d for d in graph.deals(as_of=as_of) if _max_power(d) >= watts]
        return _split(plan, graph, deals, role="pair")
    if plan.intent == "changed_since":
        deals = graph.deals(as_of=as_of, since=plan.since)
        if named:
            deals = [d for d in deals if {d.supplier, d.customer} & set(named)]
        return _split(plan, graph, deals, role="pair")
    if plan.intent == "timeline":
        # The history of a pair (or of one company): every deal either way, whatever its type.
        if not named:
            return None
        deals = [
            d
            for d in graph.deals(as_of=as_of, since=plan.since)
            if ({d.supplier, d.customer} <= set(named) if len(named) >= 2 else named[0] in (d.supplier, d.customer))
        ]
        return _split(plan, graph, deals, role="pair", target=named[0], targets=tuple(named))
    if plan.intent in ("between", "compare", "status") and len(named) >= 2:
        deals = [d for d in graph.deals(as_of=as_of) if {d.supplier, d.customer} <= set(named)]
        if plan.intent == "compare" and len(deals) < 2 and len(named) >= 3:
            # "AMD's deal with OpenAI or Broadcom's?": each named company with the one they share.
            deals = [d for d in graph.deals(as_of=as_of) if d.supplier in named and d.customer in named]
        return _split(plan, graph, deals, role="pair", target=named[0], targets=tuple(named))
    if plan.intent == "intersection":
        return _intersection(plan, graph)
    role, targets = _role(plan, graph)
    if not targets:
        return None
    deals = []
    for target in targets:
        if role == "supplier":  # the counterparts are suppliers: deals where the target is the customer
            deals += graph.deals(customer=target, as_of=as_of)
        else:
            deals += graph.deals(supplier=target, as_of=as_of)
    if plan.intent in ("status", "compare") and len(targets) == 1:
        # "Has the Abilene Stargate site gone live?": deals whose description names the company count too.
        named_in = re.compile(rf"\b{re.escape(targets[0])}\b", re.I)
        deals += [d for d in graph.deals(as_of=as_of) if named_in.search(d.resource) and d not in deals]
        if not deals:
            return None
    return _split(plan, graph, deals, role=role, target=targets[0], targets=targets)


def _role(plan: Plan, graph: DealGraph) -> tuple[str, tuple[str, ...]]:
    """(the counterparts' role, the companies asked about)."""
    if plan.intent == "customers_of" or (plan.suppliers and not plan.customers):
        return "customer", plan.suppliers or plan.companies[:1]
    if plan.customers:
        return "supplier", plan.customers
    if plan.companies:
        # "How many deals does Anthropic have?": labs buy compute, everyone else sells it.
        first = plan.companies[0]
        return ("supplier" if graph.kind(first) == "lab" else "customer"), (first,)
    return "supplier", ()


def _intersection(plan: Plan, graph: DealGraph) -> Selection | None:
    role, targets = _role(plan, graph)
    if len(targets) < 2:
        targets = tuple(plan.companies)
        role = "supplier" if all(graph.kind(t) == "lab" for t in targets) else "customer"
    if len(targets) < 2:
        return None
    per_target = []
    for target in targets:
        if role == "supplier":
            per_target.append(graph.deals(customer=target, as_of=plan.as_of))
        else:
            per_target.append(graph.deals(supplier=target, as_of=plan.as_of))
    common = set.intersection(*({getattr(d, role) for d in deals if d.type == "compute"} for deals in per_target))
    deals = [d for deals in per_target for d in deals if getattr(d, role) in common]
    return _split(plan, graph, deals, role=role, target=targets[0], targets=targets)


def _split(
    plan: Plan, graph: DealGraph, deals: list[Deal], role: str, target: str = "", targets: tuple[str, ...] = ()
) -> Selection:
    deals = [d for d in deals if _admits(plan, d, role, graph)]
    wanted = set(plan.deal_types) or {"compute"}
    if plan.intent in ("between", "compare", "status", "changed_since", "timeline"):
        # About named parties every kind of deal counts: "still investing" may be a compute deal's money.
        wanted = {"compute", "investment", "financing", "backstop"}
    chosen = tuple(d for d in deals if d.type in wanted)
    others = tuple(d for d in deals if d.type not in wanted)
    return Selection(chosen, others, role, target, targets)


def _admits(plan: Plan, deal: Deal, role: str, graph: DealGraph) -> bool:
    counterpart = getattr(deal, role) if role in ("supplier", "customer") else None
    if plan.excluded and {deal.supplier, deal.customer} & set(plan.excluded):
        return False
    if counterpart is not None and plan.excluded_kinds and graph.kind(counterpart) in plan.excluded_kinds:
        return False
    if plan.kinds and counterpart is not None and graph.kind(counterpart) not in plan.kinds:
        return False
    if plan.kinds and role == "pair" and not {graph.kind(deal.supplier), graph.kind(deal.customer)} & set(plan.kinds):
        return False  # "which neocloud contracts since May?": a neocloud on either side
    # Only product lines of the entity table ("TPU", "Trainium", "Colossus") filter deals: a ledger's wording
    # of generic resources ("chips", "data center") is too loose to leave a deal out on.
    products = [r for r in plan.resources if graph.entities.products_named(r)]
    if products and not mentions_product(deal, products):
        return False
    excluded = [r for r in plan.excluded_resources if graph.entities.products_named(r)]
    if excluded and mentions_product(deal, excluded):
        return False
    if plan.until and deal.announced and deal.announced[: len(plan.until)] > plan.until:
        return False
    return not (plan.since and plan.intent != "changed_since" and (deal.announced or "") < plan.since)


# A deal's state is a slot of the question, not a description of the deal ("is the stalled one back?").
_STATUS_WORDS = frozenset(
    textmatch.words("announced operational reported rumored rumoured stalled ended denied confirmed unconfirmed live")
)


def focused(question: str, deals: list[Deal] | tuple[Deal, ...], graph: DealGraph) -> list[Deal]:
    """The deals a question singles out by what they are about rather than by party: "the Abilene site",
    "Stargate UAE or Stargate Norway". A word counts when the question has it, it is not a company's
    name, few of all the graph's deal descriptions hold it (a place, a project, a chip; not "contract"),
    and some but not all of `deals` hold it; the deals holding most such words are returned ([] when
    the question names none). Descriptions are the ledger's resource and scale."""
    names = {w for _, _, name in graph.entities.spans(question) for w in textmatch.words(name)}
    asked = [w for w in dict.fromkeys(textmatch.words(question)) if w not in names and not w.isdigit()]
    if question[1:] != question[1:].lower():
        # A question written with capitals writes names with them too: "the new Oracle deal" names no "New Mexico".
        written = {w for token in NAME_TOKEN.findall(question) for w in textmatch.words(token)}
        asked = [w for w in asked if w in written]
    if not asked or len(deals) < 2:
        return []
    rare = graph.rare_words()
    texts = [_described(d) for d in deals]
    specific = [w for w in asked if w in rare and 0 < sum(w in t for t in texts) < len(deals)]
    if not specific:
        return []
    scores = [sum(w in t for w in specific) for t in texts]
    best = max(scores)
    # Among equals, the deal described by fewest other names first: "the Abilene site" is the campus
    # in Abilene rather than "three new sites ... with the Abilene expansion".
    chosen = [(len(t & rare), i) for i, (t, score) in enumerate(zip(texts, scores, strict=True)) if score == best]
    return [deals[i] for _, i in sorted(chosen)]


def _described(deal: Deal) -> set[str]:
    return set(textmatch.words(f"{deal.resource} {deal.scale}")) - _STATUS_WORDS


def mentions_product(deal: Deal, products: tuple[str, ...] | list[str]) -> bool:
    text = " ".join([deal.resource, *(e.quote for e in deal.evidence)]).lower()
    stems = {p.lower().rstrip("s") for p in products}
    return any(stem in text for stem in stems)


def max_power(deal: Deal) -> float:
    return _max_power(deal)


def _kind(question: str) -> str | None:
    m = re.search(r"\bwhich\s+(\w+)", question, re.I)
    return _KIND_WORDS.get(m.group(1).lower()) if m else None


def _max_power(deal: Deal) -> float:
    values = [v for k, v in textmatch.figures(deal.scale + " " + " ".join(e.quote for e in deal.evidence)) if k == "w"]
    return max(values, default=0.0)


def _replace(plan: Plan, **changes) -> Plan:
    from dataclasses import replace

    return replace(plan, **changes)
