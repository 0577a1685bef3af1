"""A company named in a question -> its role there: supplier, customer, or neither.

The role comes from where the name stands around the supply verb ("who supplies X" -> X buys,
"whom does X supply" -> X sells), from the preposition before it ("to X", "from X"), from nouns
around it ("X's suppliers", "X's investment"), and, when no word says, from the kinds of the parties.

>>> table = EntityTable({"OpenAI": {"kind": "lab"}, "AMD": {"kind": "chipmaker"}})
>>> pronoun_roles("Who else do they supply?", table)
[('they', 'supplier')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.entities import EntityTable

# The words that name a kind of company ("hyperscalers" -> cloud); neoclouds before clouds.
KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        ("neocloud", r"\bneo-?clouds?\b"),
        ("cloud", r"\bhyperscalers?\b|\b(?:big |public )?clouds\b|\bcloud (?:providers?|companies|vendors|firms)\b"),
        ("chipmaker", r"\bchip-? ?makers?\b|\bchip (?:designers?|vendors?|companies|firms)\b|\bsemiconductor firms\b"),
        (
            "data-center",
            r"\bdata[- ]?cent(?:er|re) (?:operators?|developers?|firms?|companies|builders?|providers?)\b",
        ),
        ("investor", r"\binvestors?\b"),
        ("energy", r"\b(?:energy|power|utility) (?:companies|firms|providers)\b|\butilities\b"),
        ("hardware", r"\b(?:hardware|server) (?:makers?|vendors?|companies)\b"),
        ("lab", r"\b(?:ai |model )?labs?\b|\bmodel (?:makers|developers|builders)\b"),
    )
)
_SUPPLY = (
    r"suppl(?:y|ies|ied|ying)|provid(?:e|es|ed|ing)|sell(?:s|ing)?|sold|rent(?:s|ed|ing)? out|lease(?:s|d)? out"
    r"|serv(?:e|es|ed|ing)|power(?:s|ed|ing)?|host(?:s|ed|ing)?|deliver(?:s|ed|ing)?|build(?:s|ing)? for|built for"
    r"|giv(?:e|es|ing)|gave|ship(?:s|ped|ping)?|invest(?:s|ed|ing)?|fund(?:s|ed|ing)?|back(?:s|ed|ing)?|grant(?:s|ed)?"
    r"|offer(?:s|ed|ing)?"
)
_BUY = (
    r"use[sd]?|using|buy(?:s|ing)?|bought|purchas(?:e|es|ed|ing)|rent(?:s|ed|ing)?|leas(?:e|es|ed|ing)|get(?:s|ting)?"
    r"|got|obtain(?:s|ed)?|sourc(?:e|es|ed|ing)|train(?:s|ed|ing)? on|run(?:s|ning)? on|rel(?:y|ies|ied|ying) on"
    r"|depend(?:s|ed|ing)? on|order(?:s|ed|ing)?|secur(?:e|es|ed|ing)|procur(?:e|es|ed|ing)|tap(?:s|ped)?"
    r"|pay(?:s|ing)?|paid|take(?:s)?|took|count(?:s)? on|contracted(?!\s+with)"
    r"|spen(?:d|ds|ding|t) (?:on|with)"
)
_VERB = re.compile(rf"\b(?:(?P<supply>{_SUPPLY})|(?P<buy>{_BUY}))\b", re.I)
_PASSIVE = re.compile(r"^\s+by\b", re.I)
_FILLER = r"(?:(?:the|its|their|both|either|all|of|three|two|a|an)\s+)*"
_TO = re.compile(rf"\b(?:to|for|into|in|at)\s+{_FILLER}$", re.I)
_FROM = re.compile(rf"\b(?:from|by|of)\s+{_FILLER}$", re.I)
_SUPPLIER_NOUN = r"(?:suppliers?|providers?|vendors?|sources?|landlords?|partners? for compute)"
_CUSTOMER_NOUN = r"(?:customers?|clients?|buyers?|tenants?|users?)"
_NOUN_BEFORE = re.compile(
    rf"\b(?:(?P<of_supplier>{_SUPPLIER_NOUN})|(?P<of_customer>{_CUSTOMER_NOUN}))\s+(?:of|to|for|at|behind|serving)"
    rf"\s+{_FILLER}$",
    re.I,
)
# "Which suppliers has X signed with?": the question asks for one side, so the name is the other.
_ASKS_FOR = re.compile(
    rf"^\W*(?:which|what|name|list|who are the)\s+(?:\w+\s+)?(?:(?P<supplier>{_SUPPLIER_NOUN})"
    rf"|(?P<customer>{_CUSTOMER_NOUN}))\b",
    re.I,
)
# "To whom does X lease ...?", "Who does X sell to?": the one asked about receives, so X gives.
_TO_WHOM = re.compile(r"^\W*to whom\b|\bto\s*\?*\s*$", re.I)
_FROM_WHOM = re.compile(r"^\W*from whom\b|\bfrom\s*\?*\s*$", re.I)
_NOUN_AFTER = re.compile(
    rf"^(?:(?:'s|’s)\s+(?:(?:\w+\s+){{0,2}}?)|\s+)(?:(?P<supplier>{_SUPPLIER_NOUN})|(?P<customer>{_CUSTOMER_NOUN}))\b",
    re.I,
)
_IS_A = re.compile(
    rf"^\s+(?:(?:is|was|as|has been|became)\s+(?:a|an|the|one)?|(?:a|an|the|one))\s*(?:\w+\s+)?"
    rf"(?:(?P<supplier>{_SUPPLIER_NOUN})"
    rf"|(?P<customer>{_CUSTOMER_NOUN}))\b",
    re.I,
)
# "Which labs has AWS got as customers?", "Whom does Meta have as suppliers?": the name holds the other side.
_HAS_AS = re.compile(
    rf"^\s+(?:(?:has|have|had)\s+)?(?:got|gotten|gets|won|landed|added|signed|counts?|lists?|names?|has|have|had)"
    rf"\s+(?:\w+\s+){{0,2}}?as\s+(?:(?:a|an|its|their)\s+)?(?:\w+\s+)?(?:(?P<supplier>{_SUPPLIER_NOUN})"
    rf"|(?P<customer>{_CUSTOMER_NOUN}))\b",
    re.I,
)
# "Amazon's investments in Anthropic": the owner of a giving noun gives; of a taking noun, takes.
_GIVES = re.compile(
    r"^(?:'s|’s)\s+(?:[A-Za-z-]+\s+){0,2}?(?:(?P<gives>investments?|stakes?|sales?|backstops?|loans?|financing|offers?)"
    r"|(?P<takes>purchases?|orders?|spending|rentals?|bills?))\b",
    re.I,
)
# "Microsoft's neocloud contracts": the other side is of the kind named.
_KIND_DEALS = re.compile(
    r"^(?:'s|’s)\s+(?P<kind>[\w-]+(?:\s+[\w-]+)?)\s+(?:deals?|contracts?|agreements?|leases?|commitments?)\b", re.I
)
_OWN_SIDE = re.compile(
    rf"\b(?:its|their)\s+(?:\w+\s+){{0,2}}?(?:(?P<supplier>{_SUPPLIER_NOUN})|(?P<customer>{_CUSTOMER_NOUN}))\b", re.I
)
_DEAL_AFTER = re.compile(
    r"^(?:'s|’s)?\s+(?:[\w-]+\s+)?(?:deals?|agreements?|contracts?|partnerships?|arrangements?|leases?)\b", re.I
)
_AND = re.compile(r"^\s*(?:,|and|or|,\s*and|as well as|nor)\s*(?:also\s+)?(?:to\s+|from\s+|of\s+|for\s+)?$", re.I)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    name: str
    surface: str


def mask(text: str, mentions: list[Mention]) -> str:
    """The question with every company name blanked, so "Lambda Labs" is no kind and "Google Cloud" no resource."""
    chars = list(text)
    for m in mentions:
        chars[m.start : m.end] = "_" * (m.end - m.start)
    return "".join(chars)


def read_roles(
    text: str,
    masked: str,
    mentions: list[Mention],
    entities: EntityTable,
    products: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """'supplier', 'customer' or '' for each mention, read from the words around it.

    A product named beside companies takes no role from the words ("Who supplies Microsoft with GB300s?"
    asks about Microsoft's suppliers, not Nvidia's)."""
    others = any(m.surface.lower() not in products for m in mentions)
    verbs = [m for m in _VERB.finditer(masked) if not _inside_name(m.start(), mentions) and not _noun_like(m, masked)]
    roles: list[str] = []
    for i, mention in enumerate(mentions):
        before, after = text[: mention.start], text[mention.end :]
        role = ""
        if others and mention.surface.lower() in products:
            role = ""
        elif m := _NOUN_BEFORE.search(before):
            role = "customer" if m.group("of_supplier") else "supplier"
        elif m := _IS_A.match(after):
            role = "supplier" if m.group("supplier") else "customer"  # "is X a supplier", "X as the customer"
        elif m := _HAS_AS.match(masked[mention.end :]):
            role = "customer" if m.group("supplier") else "supplier"  # "X has got as customers"
        elif m := _NOUN_AFTER.match(after):
            role = "customer" if m.group("supplier") else "supplier"  # "X's suppliers"
        elif m := _GIVES.match(masked[mention.end :]):
            role = "supplier" if m.group("gives") else "customer"
        elif (m := _KIND_DEALS.match(after)) and (kind := _kind_of(m.group("kind"))):
            role = "supplier" if kind == "lab" else "customer"
        elif len({x.name for x in mentions}) == 1 and (m := _OWN_SIDE.search(after)):
            role = "customer" if m.group("supplier") else "supplier"
        elif i and _AND.match(text[mentions[i - 1].end : mention.start]):
            role = roles[-1]  # "to OpenAI and Anthropic": the same role as the name before
        elif _DEAL_AFTER.match(after) and (_TO.search(before) or _FROM.search(before)):
            role = ""  # "figures for the xAI supply deal": the preposition governs the deal, not the name
        elif _TO.search(before) and not re.search(r"\b(?:compared?|similar|relative|next)\s+to\s+$", before, re.I):
            role = "customer" if not re.search(r"\b(?:in|at)\s+\S*$", before) or _invests(before) else ""
        elif _FROM.search(before) and not re.search(r"\bof\s+\S*$", before):
            role = "supplier"
        elif m := _ASKS_FOR.match(masked):
            role = "customer" if m.group("supplier") else "supplier"
        elif _TO_WHOM.search(masked) and _subject_before_verb(mention, verbs, masked):
            role = "supplier"
        elif _FROM_WHOM.search(masked) and _subject_before_verb(mention, verbs, masked):
            role = "customer"
        else:
            role = _by_verb(mention, verbs, masked)
        roles.append(role)
    return _orient_pair(roles, mentions, entities, products)


_DETERMINERS = {
    "the",
    "a",
    "an",
    "its",
    "their",
    "his",
    "her",
    "this",
    "that",
    "these",
    "those",
    "much",
    "more",
    "less",
    "of",
    "total",
    "some",
    "any",
    "no",
    "new",
    "first",
    "same",
}


def _noun_like(verb: re.Match[str], masked: str) -> bool:
    """ "the Hut 8 lease", "how much power", "Order ... by date": the word is a noun or an imperative here."""
    before = masked[: verb.start()].split()
    if not before:
        return True
    last = before[-1].lower()
    if last in _DETERMINERS or last.endswith(("'s", "’s")):
        return True
    if set(last.strip("'’s")) == {"_"}:  # a name just before: look one word further ("the ___ lease")
        return len(before) > 1 and (before[-2].lower() in _DETERMINERS or before[-2].endswith(("'s", "’s")))
    return False


def _subject_before_verb(mention: Mention, verbs: list[re.Match[str]], masked: str) -> bool:
    after = [v for v in verbs if v.start() > mention.start]
    return bool(after) and _subject_of(mention, after[0], masked)


def _kind_of(words: str) -> str | None:
    for kind, pattern in KIND_WORDS:
        if pattern.fullmatch(words):
            return kind
    return None


def _invests(before: str) -> bool:
    return bool(re.search(r"\binvest\w*\s+(?:\S+\s+){0,3}in\s+\S*$", before, re.I))


def _inside_name(pos: int, mentions: list[Mention]) -> bool:
    return any(m.start <= pos < m.end for m in mentions)


def _by_verb(mention: Mention, verbs: list[re.Match[str]], masked: str) -> str:
    """Subject of a supply verb supplies, its object buys; the other way round for a verb of buying."""
    if not verbs:
        return ""
    after = [v for v in verbs if v.start() > mention.start]
    before = [v for v in verbs if v.start() < mention.start]
    if after and (not before or _subject_of(mention, after[0], masked)):
        verb, subject = after[0], True
    elif before:
        verb, subject = before[-1], False
    else:
        return ""
    supplies = verb.group("supply") is not None
    passive = re.search(r"\b(?:is|are|was|were|being|been)\s+$", masked[: verb.start()]) and not verb.group(0).endswith(
        "ing"
    )
    if _PASSIVE.match(masked[verb.end() :]) or passive:
        supplies = not supplies  # "is supplied by", "are being sold" (but not "is supplying")
    if re.match(r"\s+out\b", masked[verb.end() :]) and verb.group("buy"):
        supplies = True  # "rents out", "leases out"
    return "supplier" if supplies == subject else "customer"


def _subject_of(mention: Mention, verb: re.Match[str], masked: str) -> bool:
    # The name stands before the verb with no other clause between: "does X supply", "X sells".
    between = masked[mention.end : verb.start()]
    return len(between.split()) <= 5 and not re.search(r"[,;?]|\b(?:who|which|whom)\b", between, re.I)


# Who usually supplies whom: a higher rank sells to a lower one (a chipmaker to a neocloud, a neocloud to a
# cloud, a cloud to a lab). Used only when no word in the question says which way a deal points.
RANK = {
    "lab": 0,
    "cloud": 1,
    "neocloud": 2,
    "data-center": 2,
    "investor": 2,
    "chipmaker": 3,
    "hardware": 3,
    "energy": 3,
}


def _orient_pair(
    roles: list[str], mentions: list[Mention], entities: EntityTable, products: frozenset[str] | set[str] = frozenset()
) -> list[str]:
    """Parties and no word saying who supplies whom ("X's deal with Y", "AMD's deal with OpenAI or
    Broadcom's"): the lowest in rank is the customer, the others its suppliers. When some names have a
    role, a name without one takes the other side if its kind fits it."""
    ranks = {m.name: RANK.get(entities.kind(m.name) or "", -1) for m in mentions}
    if not any(roles):
        names = set(ranks)
        if len(names) < 2 or -1 in ranks.values() or len(set(ranks.values())) < 2:
            return roles
        low = min(ranks.values())
        return ["customer" if ranks[m.name] == low else "supplier" for m in mentions]
    suppliers = {m.name for m, r in zip(mentions, roles, strict=True) if r == "supplier"}
    customers = {m.name for m, r in zip(mentions, roles, strict=True) if r == "customer"}
    if bool(suppliers) == bool(customers):
        return roles
    parties = {m.name for m in mentions if m.surface.lower() not in products}
    if len(parties) == 2:
        # Two parties and one side known: the other is the other side ("xAI's lease to Anthropic").
        other = "customer" if suppliers else "supplier"
        return [
            r or (other if m.name not in suppliers | customers and m.name in parties else r)
            for m, r in zip(mentions, roles, strict=True)
        ]
    filled = []
    for mention, role in zip(mentions, roles, strict=True):
        rank = ranks[mention.name]
        product = mention.surface.lower() in products
        if not role and rank >= 0 and not product and mention.name not in suppliers | customers:
            if customers and all(rank > ranks[c] for c in customers if ranks[c] >= 0):
                role = "supplier"
            elif suppliers and all(rank < ranks[c] for c in suppliers if ranks[c] >= 0):
                role = "customer"
        filled.append(role)
    return filled


_PRONOUN = re.compile(
    r"\b(?:they|them|their|theirs|it|its|he|she|that company|this company|those two|both of them)\b", re.I
)


def pronoun_roles(question: str, entities: EntityTable) -> list[tuple[str, str]]:
    """(pronoun, role) for each pronoun, its role read as a company's would be:
    "Who else do they supply?" -> [('they', 'supplier')]; "Who supplies them?" -> [('them', 'customer')]."""
    text = " ".join(question.split())
    mentions = [Mention(s, e, name, text[s:e]) for s, e, name in entities.spans(text)]
    pronouns = [Mention(m.start(), m.end(), "", m.group(0)) for m in _PRONOUN.finditer(text)]
    if not pronouns:
        return []
    every = sorted(mentions + pronouns, key=lambda m: m.start)
    roles = read_roles(text, mask(text, every), every, entities)
    return [(m.surface.lower(), role) for m, role in zip(every, roles, strict=True) if not m.name]
