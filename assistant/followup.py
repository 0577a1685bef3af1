"""A follow-up and the previous Plan -> one merged Plan -> the standalone question shown as "Searched for".

A follow-up inherits what the previous question asked and overrides what it names:

    "Who supplies compute to Anthropic?" then "And OpenAI?"    -> Who supplies compute to OpenAI?
    "What did AMD agree to supply OpenAI?" then "How big is it?" -> How big is AMD's deal with OpenAI?
    "What did AMD agree to supply OpenAI?" then "Whom else do they supply?" -> they = AMD, the supplier
    "Who supplies compute to OpenAI?" then "How big is the AMD deal?" -> How big is AMD's deal with OpenAI?
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from assistant.dates import MONTHS
from assistant.entities import EntityTable
from assistant.plan import LISTS, RELATIONS, Embed, read_plan, settle
from assistant.roles import pronoun_roles
from assistant.types import Plan

# Words that carry a follow-up on from the question before: "and", "what about", "same for".
_LEAD = re.compile(
    r"^\W*(?:and|also|plus|but|then|now|ok(?:ay)?|so|what about|how about|and what about|and how about"
    r"|same (?:question |thing )?(?:for|with|about)|what if|only|just)\b",
    re.I,
)
_DEAL = re.compile(
    r"\b(?:deals?|agreements?|contracts?|partnerships?|leases?|arrangements?|pacts?|commitments?)\b", re.I
)
_DEICTIC = re.compile(r"\b(?:that|this|those|these|the same|the deal|the agreement|the contract|them|else)\b", re.I)
_PARTITIVE = re.compile(r"\b(?:which|how many|any) of (?:them|those|these)\b", re.I)
_THERE = re.compile(r"\b(?:in|at|from|inside|out of) there\b", re.I)  # "Which chips are in there?"
_ELSE = re.compile(r"\b(?:else|other|others|another|besides them|apart from them)\b", re.I)
# What is left of "And OpenAI?" once the lead, the names and the glue are gone: nothing.
_GLUE = re.compile(
    r"\b(?:and|also|plus|but|then|now|ok|okay|so|what|about|how|same|question|thing|for|with|to|from|of|the|a|an"
    r"|only|just|is|are|was|were|do|does|did|in|case|one|ones|please|instead|too|as|well|if|s"
    r"|deals?|agreements?|contracts?|partnerships?|arrangements?)\b",
    re.I,
)


ALONE, SLOTS, OWN = "", "slots", "own"  # how a follow-up draws on the turn before (see `follow_up`)


def merge_plan(
    previous: Plan | None, question: str, entities: EntityTable, embed: Embed | None = None, vector=None
) -> Plan:
    """The Plan of a follow-up read against the previous turn's Plan (the new one alone when it stands alone)."""
    return follow_up(previous, question, entities, embed, vector)[0]


def follow_up(
    previous: Plan | None,
    question: str,
    entities: EntityTable,
    embed: Embed | None = None,
    vector=None,
    earlier: Plan | None = None,
    before: str = "",
) -> tuple[Plan, str]:
    """(merged Plan, how it draws on the previous one): ALONE when the follow-up stands alone; SLOTS when
    it only changes what the previous question asked ("And OpenAI?", "How many of them?"), so the merged
    plan words it; OWN when it asks its own question about someone or something named before ("Where
    are its data centers?"), so its own words are kept with the references filled in.

    `earlier` is the plan of the turn before the previous one: "Which deal came first?" after one
    question about Nebius and Microsoft and one about Nebius and Meta compares those two deals.
    `before` is the previous question as searched for; a fragment's preposition is matched against it."""
    question = " ".join(question.split())
    new = read_plan(question, entities, embed, vector)
    if previous is None or previous.intent == "out_of_scope":
        return new, ALONE
    refs = pronoun_roles(question, entities)
    words = re.findall(r"[\w'’-]+", question)
    lead = bool(_LEAD.match(question))
    if _elliptical(question, new, entities, lead, words):
        return _carry(previous, new, entities, before, question), SLOTS
    if _PARTITIVE.search(question) and not new.companies:
        # "How many of them are labs?": the same list, counted or narrowed.
        carried = _carry(previous, new, entities)
        if new.intent in ("count", "total", "timeline", "compare"):
            carried = replace(carried, intent=new.intent, attribute=new.attribute or carried.attribute)
        return carried, SLOTS
    if new.intent == "compare" and new.companies and (refs or _DEICTIC.search(question)):
        return _compare_with(previous, new, entities), SLOTS
    if _PARTITIVE.search(question):
        return _narrow(previous, new), SLOTS
    again = bool(new.companies) and set(new.companies) <= set(previous.companies) and bool(_ELSE.search(question))
    if (
        refs
        or again
        or _THERE.search(question)
        or (not new.companies and (len(words) <= 4 or lead or _DEICTIC.search(question)))
    ):
        merged = _resolve(previous, new, refs, question)
        if merged.intent == "compare" and earlier is not None:
            merged = _second_deal(merged, earlier)
        return merged, OWN
    if len(new.companies) == 1 and _DEAL.search(question) and not (new.suppliers and new.customers):
        merged = _complete_deal(previous, new, entities)
        return merged, OWN if merged is not new else ALONE
    return new, ALONE


def _elliptical(question: str, new: Plan, entities: EntityTable, lead: bool, words: list[str]) -> bool:
    """Nothing but a lead, names, dates, exclusions or kinds: "And OpenAI?", "What about since 2025?"."""
    rest = question
    for start, end, _ in reversed(entities.spans(question)):
        rest = rest[:start] + " " + rest[end:]
    rest = _GLUE.sub(" ", rest)
    has_slots = bool(
        new.companies or new.excluded or new.excluded_resources or new.excluded_kinds or new.kinds or new.since
    ) or bool(new.as_of or new.until or new.resources or new.threshold)
    leftover = [w for w in re.findall(r"[A-Za-z]+", rest) if len(w) > 2]
    leftover = [w for w in leftover if not _slot_word(w)]
    return has_slots and not new.attribute and (lead or len(words) <= 4) and not leftover


def _slot_word(word: str) -> bool:
    """Words that only restate a slot ("excluding", "neoclouds", "since", "March") are no new question."""
    from assistant.slots import read_slots

    lower = word.lower()
    return lower in _SLOT_GLUE or lower in MONTHS or read_slots(word, _NO_NAMES) != Plan()


_SLOT_GLUE = {
    "excluding",
    "except",
    "apart",
    "other",
    "than",
    "besides",
    "aside",
    "without",
    "since",
    "after",
    "before",
    "until",
    "between",
    "from",
    "as",
    "of",
    "not",
    "counting",
    "leaving",
    "out",
    "ignoring",
    "setting",
    "beyond",
    "over",
    "above",
    "more",
    "least",
    "start",
    "end",
    "year",
    "mid",
    "early",
    "late",
    "big",
}
_NO_NAMES = EntityTable({})


def _carry(previous: Plan, new: Plan, entities: EntityTable, before: str = "", question: str = "") -> Plan:
    """The previous question again, with the names, dates and limits the follow-up gives swapped in."""
    merged = previous
    for name in new.companies:
        target = _parallel(before, question, name, entities)
        merged = _swap(merged, name, new, entities, target if target in merged.companies else None)
    if new.companies:
        merged = replace(merged, companies=_order(merged))
    window: dict[str, Any] = {k: getattr(new, k) for k in ("as_of", "since", "until") if getattr(new, k)}
    extra: dict[str, Any] = {
        k: tuple(dict.fromkeys(getattr(merged, k) + getattr(new, k)))
        for k in ("excluded", "excluded_resources", "excluded_kinds")
        if getattr(new, k)
    }
    merged = replace(merged, **window, **extra)
    if new.kinds:
        merged = replace(merged, kinds=new.kinds)
    if new.resources:
        merged = replace(merged, resources=new.resources)
    if new.threshold:
        merged = replace(merged, threshold=new.threshold)
    intent = merged.intent
    if extra and intent in ("suppliers_of", "customers_of"):
        intent = "excluding"
    return replace(merged, intent=settle(intent, merged), confidence=previous.confidence, reader=previous.reader)


def _swap(plan: Plan, name: str, new: Plan, entities: EntityTable, target: str | None = None) -> Plan:
    """Put `name` where the company it replaces stood: `target` (named with the same preposition before),
    else the one of the same kind, else the role the fragment gives it, else the side its kind takes."""
    if name in plan.companies:
        return plan
    if target:
        swapped_in: dict[str, Any] = {
            role: tuple(name if c == target else c for c in getattr(plan, role))
            for role in ("suppliers", "customers", "companies")
        }
        return replace(plan, **swapped_in)
    role = _same_kind(plan, name, entities)
    if not role:
        role = "suppliers" if name in new.suppliers else "customers" if name in new.customers else ""
    if not role:
        role = _side(plan, name, entities)
    if role:
        current = getattr(plan, role)
        replaced = current[:1]
        kept = tuple(c for c in current if c not in replaced)
        companies = tuple(c for c in plan.companies if c not in replaced)
        swapped: dict[str, Any] = {role: (name, *kept) if current else (name,), "companies": (*companies, name)}
        return replace(plan, **swapped)
    if plan.companies:
        return replace(plan, companies=(*plan.companies[:-1], name))
    return replace(plan, companies=(name,))


def _parallel(before: str, question: str, name: str, entities: EntityTable) -> str | None:
    """The company of the previous question that stood after the same preposition as `name` does here:
    "And from Meta?" after "How much is Nebius getting from Microsoft?" -> Microsoft."""
    prep = _preposition(question, name, entities)
    if not prep or not before:
        return None
    for start, _, other in entities.spans(before):
        if _preposition_at(before, start) == prep and other != name:
            return other
    return None


def _preposition(text: str, name: str, entities: EntityTable) -> str:
    return next((_preposition_at(text, s) for s, _, n in entities.spans(text) if n == name), "")


def _preposition_at(text: str, start: int) -> str:
    m = re.search(r"\b(to|from|for|with|by|of|in|at)\s+(?:the\s+)?$", text[:start], re.I)
    return m.group(1).lower() if m else ""


def _same_kind(plan: Plan, name: str, entities: EntityTable) -> str:
    mine = entities.kind(name)
    for role in ("customers", "suppliers"):
        if any(entities.kind(c) == mine for c in getattr(plan, role)):
            return role
    return ""


def _side(plan: Plan, name: str, entities: EntityTable) -> str:
    mine = entities.kind(name)
    if plan.customers and not plan.suppliers:
        return "customers"
    if plan.suppliers and not plan.customers:
        return "suppliers"
    return "customers" if mine == "lab" else "suppliers" if (plan.suppliers or plan.customers) else ""


def _order(plan: Plan) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*plan.suppliers, *plan.customers, *plan.companies)))


def _resolve(previous: Plan, new: Plan, refs: list[tuple[str, str]], question: str) -> Plan:
    """A follow-up with its own question about someone named before ("How big is it?", "Whom else do they supply?")."""
    suppliers, customers = list(new.suppliers), list(new.customers)
    companies = list(new.companies)
    roles = [role for _, role in refs] or [""]
    for role in roles:
        if role == "supplier":
            picked = _focus(previous, "suppliers")
            suppliers += [c for c in picked if c not in suppliers]
        elif role == "customer":
            picked = _focus(previous, "customers")
            customers += [c for c in picked if c not in customers]
        elif new.companies:
            picked = ()  # "Who else does CoreWeave supply?": the names are given; only "else" looks back
        else:
            picked = previous.companies
            if not new.companies:
                suppliers += [c for c in previous.suppliers if c in picked and c not in suppliers]
                customers += [c for c in previous.customers if c in picked and c not in customers]
        companies += [c for c in picked if c not in companies]
    merged = replace(new, suppliers=tuple(suppliers), customers=tuple(customers), companies=tuple(companies))
    if not any(getattr(new, k) for k in ("as_of", "since", "until")):
        merged = replace(merged, as_of=previous.as_of, since=previous.since, until=previous.until)
    if not new.companies and new.intent in LISTS:
        # "How many?" after "Which of them are labs?": the limits asked before still hold.
        inherited: dict[str, Any] = {
            k: getattr(previous, k)
            for k in ("resources", "kinds", "excluded", "excluded_resources", "excluded_kinds", "deal_types")
            if not getattr(merged, k)
        }
        merged = replace(merged, **inherited, threshold=merged.threshold or previous.threshold)
    intent = new.intent
    if _ELSE.search(question) and intent in RELATIONS:
        # "Who else supplies them?": the ones already named are left out.
        asked = "suppliers" if customers else "customers"
        known = tuple(c for c in getattr(previous, asked) if c not in companies)
        if known:
            merged = replace(merged, excluded=tuple(dict.fromkeys((*merged.excluded, *known))))
            intent = "excluding"
    if intent == "out_of_scope":
        intent = "facts"
    return replace(merged, intent=settle(intent, merged))


def _narrow(previous: Plan, new: Plan) -> Plan:
    """ "Which of those also supply OpenAI?" after "Who supplies Meta?": suppliers of both Meta and OpenAI."""
    suppliers = tuple(dict.fromkeys((*previous.suppliers, *new.suppliers)))
    customers = tuple(dict.fromkeys((*previous.customers, *new.customers)))
    merged = replace(
        new,
        suppliers=suppliers,
        customers=customers,
        companies=tuple(dict.fromkeys((*previous.companies, *new.companies))),
        kinds=new.kinds or previous.kinds,
    )
    both = len(customers) >= 2 and not suppliers or len(suppliers) >= 2 and not customers
    return replace(merged, intent="intersection" if both else settle(new.intent, merged))


def _compare_with(previous: Plan, new: Plan, entities: EntityTable) -> Plan:
    """ "Is that bigger than the AMD deal?" after Nvidia's deal with Humain: Nvidia's and AMD's deals with Humain."""
    suppliers, customers = list(previous.suppliers), list(previous.customers)
    for name in new.companies:
        if name in suppliers or name in customers:
            continue
        role = _same_kind(previous, name, entities) or _side(previous, name, entities) or "suppliers"
        (suppliers if role == "suppliers" else customers).append(name)
    companies = tuple(dict.fromkeys((*suppliers, *customers)))
    merged = replace(new, suppliers=tuple(suppliers), customers=tuple(customers), companies=companies)
    return replace(merged, attribute=new.attribute or previous.attribute)


def _second_deal(plan: Plan, earlier: Plan) -> Plan:
    """A comparison that names one deal takes the other from the turn before, when the two share a party."""
    if len(plan.suppliers) > 1 or len(plan.customers) > 1:
        return plan
    if set(plan.suppliers) & set(earlier.suppliers) and set(earlier.customers) - set(plan.customers):
        customers = tuple(dict.fromkeys((*plan.customers, *earlier.customers)))
        return replace(plan, customers=customers, companies=tuple(dict.fromkeys((*plan.companies, *customers))))
    if set(plan.customers) & set(earlier.customers) and set(earlier.suppliers) - set(plan.suppliers):
        suppliers = tuple(dict.fromkeys((*plan.suppliers, *earlier.suppliers)))
        return replace(plan, suppliers=suppliers, companies=tuple(dict.fromkeys((*suppliers, *plan.companies))))
    return plan


def _focus(previous: Plan, role: str) -> tuple[str, ...]:
    """Whom the previous question was about in `role`; a relation question is about the side it names."""
    if role and getattr(previous, role):
        return getattr(previous, role)
    if previous.intent == "suppliers_of" and previous.customers:
        return previous.customers
    if previous.intent == "customers_of" and previous.suppliers:
        return previous.suppliers
    return previous.companies[:2]


def _complete_deal(previous: Plan, new: Plan, entities: EntityTable) -> Plan:
    """ "How big is the AMD deal?" after a question about OpenAI: AMD's deal with OpenAI."""
    name = new.companies[0]
    kind = entities.kind(name)
    others = [c for c in previous.companies if c != name and (entities.kind(c) == "lab") != (kind == "lab")]
    if not others:
        return new
    other = others[0]
    if kind == "lab":
        suppliers, customers = (other,), (name,)
    else:
        suppliers, customers = (name,), (other,)
    merged = replace(new, companies=(*suppliers, *customers), suppliers=suppliers, customers=customers)
    return replace(merged, intent=settle(new.intent, merged))
