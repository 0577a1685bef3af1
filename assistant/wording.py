"""Plan -> a readable standalone question: what a follow-up is shown to have searched for.

The wording is built so that reading it again gives the same Plan (intent, companies, roles, limits):

>>> standalone_question(Plan(intent="suppliers_of", companies=("OpenAI",), customers=("OpenAI",)))
'Who supplies compute to OpenAI?'
>>> standalone_question(Plan(intent="facts", suppliers=("AMD",), customers=("OpenAI",), attribute="size"))
"How big is AMD's deal with OpenAI?"
"""

from __future__ import annotations

from dataclasses import replace

from assistant.dates import MONTHS
from assistant.entities import EntityTable
from assistant.roles import RANK
from assistant.types import Plan

_KIND_WORDS = {
    "lab": "labs",
    "cloud": "clouds",
    "neocloud": "neoclouds",
    "chipmaker": "chipmakers",
    "data-center": "data center operators",
    "investor": "investors",
    "energy": "energy companies",
    "hardware": "hardware makers",
}
_RESOURCE_WORDS = {
    "GPU": "GPUs",
    "TPU": "TPUs",
    "chip": "chips",
    "custom chip": "custom chips",
    "data center": "data centers",
    "cloud": "cloud capacity",
}
_TOTAL_WORDS = {"power": "power", "amount": "dollar value", "chips": "number of chips", "price": "cost"}
_COMPARE_WORDS = {
    "date": "Which came first",
    "size": "Which is bigger",
    "amount": "Which is worth more",
    "power": "Which has more power",
    "chips": "Which has more chips",
    "duration": "Which runs longer",
    "price": "Which is cheaper",
}
_FACT_WORDS = {
    "size": "How big is {deal}?",
    "amount": "How much is {deal} worth?",
    "power": "How much power does {deal} cover?",
    "chips": "How many chips does {deal} involve?",
    "date": "When was {deal} announced?",
    "duration": "How long does {deal} run?",
    "price": "What price per GPU does {deal} set?",
    "status": "What is the status of {deal}?",
    "reason": "Why was {deal} made?",
    "": "What are the terms of {deal}?",
}


def standalone_question(plan: Plan, entities: EntityTable | None = None) -> str:
    """A question that asks what `plan` asks; "" for plans no template words (an article, out of scope).

    With `entities`, a deal whose direction its parties' kinds would not suggest (a lab selling to a
    cloud) is worded with a verb, so that reading the question again keeps who supplies whom."""
    body = _body(plan, entities)
    if not body:
        return ""
    if plan.as_of:
        body = f"As of {date_words(plan.as_of)}, {body[0].lower()}{body[1:]}"
    return body


def _body(plan: Plan, entities: EntityTable | None) -> str:
    if not plan.companies and (plan.suppliers or plan.customers):
        plan = replace(plan, companies=tuple(dict.fromkeys((*plan.suppliers, *plan.customers))))
    s, c = plan.suppliers, plan.customers
    neutral = tuple(x for x in plan.companies if x not in s and x not in c)
    limits = _limits(plan)
    intent = plan.intent
    if intent in ("suppliers_of", "customers_of", "excluding"):
        if c and (intent != "customers_of" or not s):
            return _suppliers_of(plan, c) + limits + "?"
        if s:
            return _customers_of(plan, s) + limits + "?"
        return f"What compute deals does {names(neutral)} have{limits}?" if neutral else ""
    if intent == "intersection":
        if len(c) >= 2:
            return f"{_suppliers_of(plan, ())} to both {names(c)}{limits}?"
        if len(s) >= 2:
            return f"{_whom(plan)} do {names(s)} both supply{limits}?"
        return f"Who supplies both {names(plan.companies)}{limits}?" if len(plan.companies) >= 2 else ""
    if intent == "between":
        if s and c:
            return f"Does {names(s)} supply {_what(plan)} to {names(c)}{limits}?"
        if len(plan.companies) >= 2:
            return f"What deals are there between {names(plan.companies)}{limits}?"
        return f"What compute deals does {names(plan.companies)} have{limits}?" if plan.companies else ""
    if intent == "count":
        return _count(plan, limits)
    if intent == "total":
        what = _TOTAL_WORDS.get(plan.attribute, "size")
        return f"What is the total {what} of {_supply_phrase(plan)}{limits}?"
    if intent == "compare":
        return _compare(plan, limits)
    if intent == "timeline":
        return f"How have {_deals_phrase(plan)} developed over time{limits}?"
    if intent == "changed_since":
        window = limits or " recently"
        if c and not s:
            return f"What has been supplied to {names(c)}{window}?"
        if s and not c:
            return f"What has {names(s)} supplied{window}?"
        if plan.companies:
            return f"What compute deals involving {names(plan.companies)} have been announced{window}?"
        return f"What compute deals have been announced{window}?"
    if intent == "status":
        return f"What is the status of {deal_phrase(plan, entities)}{limits}?"
    if intent == "reason":
        if s and c:
            return f"Why did {names(s)} agree to supply {names(c)}{limits}?"
        if len(plan.companies) == 1:
            return f"Why did {plan.companies[0]} sign its compute deals{limits}?"
        return f"Why was {deal_phrase(plan, entities)} made{limits}?" if plan.companies else ""
    if intent == "facts":
        if not plan.companies:
            return ""
        deal = deal_phrase(plan, entities)
        template = _FACT_WORDS.get(plan.attribute, _FACT_WORDS[""])
        if deal.endswith("deals"):  # one company's deals: plural verbs
            template = template.replace(" is {", " are {").replace(" was {", " were {").replace(" does {", " do {")
        return template.format(deal=deal)[:-1] + limits + "?"
    return ""


def _whom(plan: Plan) -> str:
    return f"Which {_kinds(plan.kinds)}" if plan.kinds else "Whom"


def _what(plan: Plan) -> str:
    words = [_RESOURCE_WORDS.get(r, r) for r in plan.resources]
    return " and ".join(words) if words else "compute"


def _suppliers_of(plan: Plan, customers: tuple[str, ...]) -> str:
    subject = f"Which {_kinds(plan.kinds)} supply" if plan.kinds else "Who supplies"
    return f"{subject} {_what(plan)} to {names(customers)}" if customers else f"{subject} {_what(plan)}"


def _customers_of(plan: Plan, suppliers: tuple[str, ...]) -> str:
    whom = f"Which {_kinds(plan.kinds)}" if plan.kinds else "Whom"
    supply = "supply" if len(suppliers) == 1 else "both supply"
    with_what = f" with {_what(plan)}" if plan.resources else ""
    return (
        f"{whom} does {names(suppliers)} {supply}{with_what}"
        if len(suppliers) == 1
        else (f"{whom} do {names(suppliers)} {supply}{with_what}")
    )


def _count(plan: Plan, limits: str) -> str:
    counted = _kinds(plan.kinds) if plan.kinds else "companies"
    if plan.customers and not plan.suppliers:
        return f"How many {counted} supply {_what(plan)} to {names(plan.customers)}{limits}?"
    if plan.suppliers and not plan.customers:
        return f"How many {counted} does {names(plan.suppliers)} supply{limits}?"
    if plan.companies:
        return (
            f"How many deals are there between {names(plan.companies)}{limits}?"
            if len(plan.companies) > 1
            else f"How many compute deals does {names(plan.companies)} have{limits}?"
        )
    return f"How many deals are there{limits}?"


def _compare(plan: Plan, limits: str) -> str:
    s, c = plan.suppliers, plan.customers
    if len(s) >= 2 and len(c) == 1:
        pair = (f"{s[0]}'s deal with {c[0]}", f"{s[1]}'s deal with {c[0]}")
    elif len(c) >= 2 and len(s) == 1:
        pair = (f"{s[0]}'s deal with {c[0]}", f"its deal with {c[1]}")
    elif len(s) >= 2 and len(c) >= 2:
        pair = (f"{s[0]}'s deal with {c[0]}", f"{s[1]}'s deal with {c[1]}")
    elif len(plan.companies) >= 2:
        pair = (f"the {plan.companies[0]} deal", f"the {plan.companies[1]} deal")
    else:
        return ""
    lead = _COMPARE_WORDS.get(plan.attribute)
    if lead:
        return f"{lead}, {pair[0]} or {pair[1]}{limits}?"
    return f"How does {pair[0]} compare with {pair[1]}{limits}?"


def deal_phrase(plan: Plan, entities: EntityTable | None = None) -> str:
    """The deal a plan is about, in words: "AMD's deal with OpenAI", "CoreWeave's compute deals"."""
    s, c = plan.suppliers, plan.customers
    if s and c and entities is not None and not _usual(s, c, entities):
        return f"the deal in which {names(s)} supplies {names(c)}"
    if s and c:
        return f"{names(s)}'s deal with {names(c)}"
    if len(plan.companies) >= 2:
        return f"the deal between {names(plan.companies)}"
    if plan.companies:
        return f"{plan.companies[0]}'s compute deals"
    return "the deal"


def _usual(suppliers: tuple[str, ...], customers: tuple[str, ...], entities: EntityTable) -> bool:
    """Whether the kinds alone would point the deal this way (see `slots.orient`)."""
    ranks = [RANK.get(entities.kind(n) or "", -1) for n in (*suppliers, *customers)]
    low = min(ranks)
    return -1 not in ranks and all(r == low for r in ranks[len(suppliers) :]) and low not in ranks[: len(suppliers)]


def _supply_phrase(plan: Plan) -> str:
    s, c = plan.suppliers, plan.customers
    if s and c:
        return f"the {_what(plan)} {names(s)} supplies to {names(c)}"
    if c:
        return f"the {_what(plan)} supplied to {names(c)}"
    if s:
        return f"the {_what(plan)} {names(s)} supplies"
    if plan.companies:
        return f"the deals of {names(plan.companies)}"
    return "the deals"


def _deals_phrase(plan: Plan) -> str:
    s, c = plan.suppliers, plan.customers
    if s and c:
        return f"the deals in which {names(s)} supplies {names(c)}"
    if c:
        return f"the deals supplying {names(c)}"
    if s:
        return f"the deals in which {names(s)} supplies compute"
    if plan.companies:
        return f"the deals of {names(plan.companies)}"
    return "the compute deals"


def _limits(plan: Plan) -> str:
    """Exclusions, threshold and window as trailing phrases: ", other than Google, since March 2025"."""
    parts = []
    left_out = [*plan.excluded, *(_RESOURCE_WORDS.get(r, r) for r in plan.excluded_resources)]
    left_out += [f"the {_kinds((k,))}" for k in plan.excluded_kinds]
    if left_out:
        parts.append(f", excluding {names(tuple(left_out))}")
    if plan.threshold:
        unit, value = plan.threshold
        parts.append(f" over {_amount(unit, value)}")
    if plan.since and plan.until:
        if plan.since == plan.until:
            parts.append(f" in {date_words(plan.since)}")
        else:
            parts.append(f" between {date_words(plan.since)} and {date_words(plan.until)}")
    elif plan.since:
        parts.append(f" since {date_words(plan.since)}")
    elif plan.until:
        parts.append(f" until {date_words(plan.until)}")
    return "".join(parts)


def _amount(unit: str, value: float) -> str:
    if unit == "USD":
        return f"${value / 1e9:g} billion" if value >= 1e9 else f"${value / 1e6:g} million"
    if unit == "GW":
        return f"{value:g} GW" if value >= 1 else f"{value * 1000:g} MW"
    return f"{value:,.0f} {unit}"


def _kinds(kinds: tuple[str, ...]) -> str:
    return " and ".join(_KIND_WORDS.get(k, k) for k in kinds) or "companies"


def names(items: tuple[str, ...]) -> str:
    """('A', 'B', 'C') -> 'A, B and C'."""
    items = tuple(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_MONTH_NAMES = {number: name.capitalize() for name, number in MONTHS.items() if len(name) > 4 or name == "may"}
_MONTH_NAMES.update({6: "June", 7: "July"})


def date_words(iso: str) -> str:
    """'2025-03' -> 'March 2025'; '2026-01-01' -> '1 January 2026'; '2025' -> '2025'."""
    parts = iso.split("-")
    if len(parts) == 1:
        return iso
    month = _MONTH_NAMES.get(int(parts[1]), parts[1])
    return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"
