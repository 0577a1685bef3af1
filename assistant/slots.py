"""question -> the slots of a Plan: companies and their roles, resources, kinds, exclusions, dates, attribute.

Companies come from the entity table; a company's role comes from where it stands around the
supply verb ("who supplies X" -> X is the customer, "whom does X supply" -> X is the supplier),
from the preposition before it ("to X", "from X") and from nouns around it ("X's suppliers").

>>> table = EntityTable({"Anthropic": {"kind": "lab"}, "Google": {"kind": "cloud", "products": ["TPU", "TPUs"]}})
>>> plan = read_slots("Who supplies Anthropic apart from Google, as of March 2026?", table)
>>> plan.customers, plan.excluded, plan.as_of
(('Anthropic',), ('Google',), '2026-03')
>>> read_slots("Which labs use TPUs?", table).suppliers
('Google',)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.dates import MONTHS
from assistant.entities import EntityTable
from assistant.types import Plan

SUPPLIER_KINDS = ("cloud", "chipmaker", "neocloud", "data-center", "hardware", "energy", "investor")

# -- vocabularies: the few words that name kinds, resources, deal types and details -----------------

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
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
_RESOURCES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("GPU", r"\bgpus?\b|\bgraphics (?:processors|chips|cards)\b"),
        ("custom chip", r"\bcustom (?:chips?|silicon|accelerators?)\b|\basics?\b"),
        ("chip", r"\bchips?\b|\baccelerators?\b|\bprocessors?\b"),
        ("data center", r"\bdata[- ]?cent(?:er|re)s?\b|\bcampus(?:es)?\b"),
        ("cloud", r"\bcloud (?:capacity|services?|contracts?|computing|credits)\b"),
    )
)
_DEAL_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("investment", re.compile(r"\binvest(?:s|ed|ing|ments?|or)?\b|\bstakes?\b|\bequity\b|\bfunding\b", re.I)),
    ("financing", re.compile(r"\bfinanc(?:e|es|ed|ing)\b|\bloans?\b|\bdebt\b|\bcredit line\b", re.I)),
    ("backstop", re.compile(r"\bbackstops?\b|\bguarantee[sd]?\b", re.I)),
)
_COMPUTE = re.compile(r"\bcompute\b", re.I)
# First match wins: a question about why or whether outranks the figures it happens to name.
_ATTRIBUTES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("reason", r"^\s*why\b|\bwhy\b|\breasons?\b|\brationale\b|\bmotivat|\bhow come\b|\bwhat drove\b"),
        (
            "status",
            r"\bstill\b|\bstatus\b|\boperational\b|\blive\b|\bcancel+(?:ed|led)?\b|\bstall(?:ed)?\b|\bconfirmed\b"
            r"|\bfinali[sz]ed\b|\bactive\b|\bgo(?:ne|ing|es)? ahead\b|\bup and running\b|\bdelivered\b|\bdenied\b"
            r"|\bofficial\b|\bstand\b"
            r"|\bended\b|\bstill on\b|\bcollapsed?\b|\bfell through\b|\bback(?:ed)? out\b|\bon hold\b",
        ),
        (
            "price",
            r"\bprices?\b|\bper[- ](?:gpu|chip|hour|gpu-hour|month|year)\b|\brates?\b|\bcheaper\b|\bcosts? per\b",
        ),
        ("duration", r"\bhow long\b|\bduration\b|\bterm\b|\blasts?\b|\blonger\b|\byears? does\b|\blength\b"),
        (
            "date",
            r"\bwhen\b|\bwhat date\b|\bkey dates\b|\bby date\b|\b(?:which|what) (?:year|month|day)\b"
            r"|\bcame first\b|\bhappened first\b|\bfirst\s*[?,:]|\bearlier\b|\bearliest\b|\bbefore or after\b"
            r"|\btiming\b|\bdue\b",
        ),
        (
            "chips",
            r"\bhow many (?:\w+ )?(?:gpus|chips|accelerators|tpus|racks|processors|servers)\b"
            r"|\bnumber of (?:gpus|chips|accelerators)\b|\bchip count\b|\bgpus (?:in total|altogether)\b",
        ),
        ("power", r"\bgigawatts?\b|\bmegawatts?\b|\bgw\b|\bmw\b|\bhow much power\b|\bpower\b|\belectricity\b"),
        (
            "amount",
            r"\bhow much\b|\bworth\b|\bvalue\b|\bdollars?\b|\$|\bbillions?\b|\bcost\b|\bspend(?:ing)?\b|\bpaying\b"
            r"|\bpaid\b|\bpay\b|\bmoney\b",
        ),
        ("size", r"\bhow big\b|\bhow large\b|\bsize\b|\bbigger\b|\blarger\b|\bscale\b|\bbiggest\b|\blargest\b"),
    )
)

# -- roles --------------------------------------------------------------------------------------

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

# -- exclusions, thresholds, dates ---------------------------------------------------------------

_EXCLUDE = re.compile(
    r"\b(?:excluding|exclude|except(?: for)?|apart from|other than|besides|aside from|not counting|leaving(?: out)?"
    r"|ignoring|setting aside|but not|without|beyond|rather than|not including|outside(?: of)?|minus)\s+",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|n[’']t|isnt|arent|non-?)\s*(?:(?:a|an|the|for|with|from|one of the)\s+)?", re.I)
_CLAUSE_END = re.compile(r"[,;?.!]|\b(?:who|which|what|where|how|and who|do|does)\b", re.I)
_NUMBER = r"\$?(?P<n>\d+(?:[.,]\d+)?)\s*(?P<unit>gw|gigawatts?|mw|megawatts?|billion|bn|b|million|m|gpus|chips)\b"
_THRESHOLD = re.compile(
    rf"\b(?:over|above|more than|greater than|at least|exceeding|bigger than|larger than|north of|upwards of"
    rf"|in excess of)\s+{_NUMBER}|{_NUMBER.replace('?P<n>', '?P<n2>').replace('?P<unit>', '?P<unit2>')}"
    rf"\s+(?:or|and) (?:more|above|bigger|larger|up)",
    re.I,
)
_SCALE_WORD = re.compile(r"\bgigawatt[- ]scale\b", re.I)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY_DATE = (
    rf"(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH})\.?,?\s+(?P<y>\d{{4}})"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    rf"|(?P<m3>{_MONTH})\.?,?\s+(?:of\s+)?(?P<y3>\d{{4}})"
    rf"|(?P<iso>\d{{4}}-\d{{2}}(?:-\d{{2}})?)"
    rf"|(?:q(?P<q>[1-4])|(?P<half>h[12]|first half of|second half of))\s*(?P<yq>\d{{4}})"
    rf"|(?:the )?(?:(?P<edge>end|start|beginning|middle) of |mid-?|early |late )?(?P<y4>(?:19|20)\d{{2}}))"
)
_DATE = re.compile(_DAY_DATE, re.I)
_WHEN = re.compile(
    r"\b(?P<word>as of|as at|by|at the end of|before|until|till|up to|through|no later than|since|after|from"
    r"|starting|beginning|in|during|between|within)\s+(?:the\s+)?(?=[\w$])",
    re.I,
)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    name: str
    surface: str


def read_slots(question: str, entities: EntityTable) -> Plan:
    """Every slot of the Plan but the intent (left at its default)."""
    text = " ".join(question.split())
    mentions = [_Mention(s, e, name, text[s:e]) for s, e, name in entities.spans(text)]
    masked = _mask(text, mentions)
    excluded_spans = _exclusion_spans(masked)
    products = {p.lower() for ent in entities.entities.values() for p in ent.products}

    def excluded_at(pos: int) -> bool:
        return any(a <= pos < b for a, b in excluded_spans)

    product_only = {m.name for m in mentions if m.surface.lower() in products}
    product_only -= {m.name for m in mentions if m.surface.lower() not in products}
    named = any(m.name not in product_only for m in mentions)
    roles = _roles(text, masked, mentions, entities, products)
    companies: list[str] = []
    excluded: list[str] = []
    suppliers: list[str] = []
    customers: list[str] = []
    resources: list[str] = []
    excluded_resources: list[str] = []
    for mention, role in zip(mentions, roles, strict=True):
        if mention.surface.lower() in products:
            _add(excluded_resources if excluded_at(mention.start) else resources, _product(mention.surface, products))
        if excluded_at(mention.start):
            _add(excluded, mention.name)
            continue
        if mention.surface.lower() in products:
            if mention.name not in product_only:
                continue  # its maker is named too
            if not named:
                role = "supplier"  # "Which labs use TPUs?": a product's maker supplies it
        _add(companies, mention.name)
        if role == "supplier":
            _add(suppliers, mention.name)
        elif role == "customer":
            _add(customers, mention.name)
    for name, pattern in _RESOURCES:
        for m in pattern.finditer(masked):
            if name == "chip" and any(r in ("GPU", "custom chip") for r in resources):
                continue
            _add(excluded_resources if excluded_at(m.start()) else resources, name)
    kinds: list[str] = []
    excluded_kinds: list[str] = []
    kind_text = masked
    for kind, pattern in _KINDS:
        for m in pattern.finditer(kind_text):
            _add(excluded_kinds if excluded_at(m.start()) else kinds, kind)
        kind_text = pattern.sub(lambda m: "_" * len(m.group(0)), kind_text)  # "neoclouds" is not also "clouds"
    # A company both kept and left out ("Google, apart from its TPUs") stays in.
    excluded = [c for c in excluded if c not in companies]
    threshold_span, threshold = _threshold(masked)
    # Product names stay readable for the detail asked ("How many TPUs ..." asks a chip count).
    readable = _mask(text, [m for m in mentions if m.surface.lower() not in products])
    asked = readable[: threshold_span[0]] + readable[threshold_span[1] :] if threshold_span else readable
    as_of, since, until = _window(text)
    return Plan(
        companies=tuple(companies),
        suppliers=tuple(suppliers),
        customers=tuple(customers),
        excluded=tuple(excluded),
        resources=tuple(resources),
        excluded_resources=tuple(excluded_resources),
        kinds=tuple(kinds),
        excluded_kinds=tuple(excluded_kinds),
        deal_types=_deal_types(masked),
        as_of=as_of,
        since=since,
        until=until,
        attribute=_attribute(_strip_dates(asked)),
        threshold=threshold,
    )


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _product(surface: str, products: set[str]) -> str:
    """'TPUs' -> 'TPU' when the singular is a product name too; else the name as written."""
    single = surface[:-1] if surface.lower().endswith("s") else surface
    return single if single.lower() in products else surface


def _mask(text: str, mentions: list[_Mention]) -> str:
    """The question with every company name blanked, so "Lambda Labs" is no kind and "Google Cloud" no resource."""
    chars = list(text)
    for m in mentions:
        chars[m.start : m.end] = "_" * (m.end - m.start)
    return "".join(chars)


def _exclusion_spans(masked: str) -> list[tuple[int, int]]:
    spans = []
    for m in _EXCLUDE.finditer(masked):
        end = _CLAUSE_END.search(masked, m.end())
        spans.append((m.end(), end.start() if end else len(masked)))
    for m in _NEGATION.finditer(masked):
        # "not neoclouds", "aren't with Nvidia": only the next word or name is left out.
        word = re.match(r"[\w_-]+(?:\s+[\w_-]+)?", masked[m.end() :])
        if word:
            spans.append((m.end(), m.end() + word.end()))
    return spans


def _roles(
    text: str,
    masked: str,
    mentions: list[_Mention],
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
        return len(before) > 1 and (before[-2].lower() in _DETERMINERS or last.endswith(("'s", "’s")))
    return False


def _subject_before_verb(mention: _Mention, verbs: list[re.Match[str]], masked: str) -> bool:
    after = [v for v in verbs if v.start() > mention.start]
    return bool(after) and _subject_of(mention, after[0], masked)


def _kind_of(words: str) -> str | None:
    for kind, pattern in _KINDS:
        if pattern.fullmatch(words):
            return kind
    return None


def _invests(before: str) -> bool:
    return bool(re.search(r"\binvest\w*\s+(?:\S+\s+){0,3}in\s+\S*$", before, re.I))


def _inside_name(pos: int, mentions: list[_Mention]) -> bool:
    return any(m.start <= pos < m.end for m in mentions)


def _by_verb(mention: _Mention, verbs: list[re.Match[str]], masked: str) -> str:
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


def _subject_of(mention: _Mention, verb: re.Match[str], masked: str) -> bool:
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
    roles: list[str], mentions: list[_Mention], entities: EntityTable, products: frozenset[str] | set[str] = frozenset()
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


def _deal_types(masked: str) -> tuple[str, ...]:
    found = [kind for kind, pattern in _DEAL_TYPES if pattern.search(masked)]
    if found and _COMPUTE.search(masked):
        found.insert(0, "compute")
    return tuple(found)


def _attribute(text: str) -> str:
    for name, pattern in _ATTRIBUTES:
        if pattern.search(text):
            return name
    return ""


def _threshold(masked: str) -> tuple[tuple[int, int] | None, tuple[str, float] | None]:
    m = _THRESHOLD.search(masked)
    if m:
        number = (m.group("n") or m.group("n2")).replace(",", "")
        unit = (m.group("unit") or m.group("unit2")).lower()
        value = float(number)
        if unit.startswith("g"):
            limit: tuple[str, float] = ("GW", value) if unit != "gpus" else ("chips", value)
        elif unit.startswith("m") and unit not in ("million", "m"):
            limit = ("GW", value / 1000)
        elif unit in ("billion", "bn", "b"):
            limit = ("USD", value * 1e9)
        elif unit in ("million", "m"):
            limit = ("USD", value * 1e6)
        else:
            limit = ("chips", value)
        return m.span(), limit
    if m := _SCALE_WORD.search(masked):
        return m.span(), ("GW", 1.0)
    return None, None


# -- dates ------------------------------------------------------------------------------------


def _iso(m: re.Match[str]) -> tuple[str, str] | None:
    """(first, last) ISO prefixes a matched date covers: '2025' -> ('2025', '2025'); 'Q1 2026' -> 2026-01..03."""
    if m.group("iso"):
        return m.group("iso"), m.group("iso")
    if m.group("yq"):
        year = m.group("yq")
        if m.group("q"):
            q = int(m.group("q"))
            return f"{year}-{3 * q - 2:02d}", f"{year}-{3 * q:02d}"
        first = m.group("half").lower() in ("h1", "first half of")
        return (f"{year}-01", f"{year}-06") if first else (f"{year}-07", f"{year}-12")
    if m.group("y4"):
        return m.group("y4"), m.group("y4")
    day, month, year = _parts(m)
    number = MONTHS.get(month.lower().rstrip("."))
    if not number:
        return None
    iso = f"{year}-{number:02d}" + (f"-{int(day):02d}" if day else "")
    return iso, iso


def _parts(m: re.Match[str]) -> tuple[str | None, str, str]:
    if m.group("y"):
        return m.group("d"), m.group("m"), m.group("y")
    if m.group("y2"):
        return m.group("d2"), m.group("m2"), m.group("y2")
    return None, m.group("m3"), m.group("y3")


def _window(text: str) -> tuple[str | None, str | None, str | None]:
    """(as_of, since, until) from "as of DATE", "since DATE", "before DATE", "between A and B", "in YEAR"."""
    as_of = since = until = None
    for word in _WHEN.finditer(text):
        date = _DATE.match(text, word.end())
        if not date or not (span := _iso(date)):
            continue
        key = word.group("word").lower()
        if key == "between":
            second = re.match(r"\s+(?:and|to)\s+(?:the\s+)?", text[date.end() :])
            other = _DATE.match(text, date.end() + second.end()) if second else None
            if other and (last := _iso(other)):
                since, until = span[0], last[1]
            continue
        if key in ("as of", "as at", "by", "at the end of"):
            as_of = span[1]
        elif key in ("before", "until", "till", "up to", "through", "no later than"):
            until = span[1]
        elif key in ("since", "after", "from", "starting", "beginning"):
            since = span[0]
        else:  # "in 2025", "during Q1 2026": a period
            since, until = span
    return as_of, since, until


def _strip_dates(text: str) -> str:
    """Dates say when, not what is asked: "deals since May 2025" asks no date."""
    return _DATE.sub(" ", text)


_PRONOUN = re.compile(
    r"\b(?:they|them|their|theirs|it|its|he|she|that company|this company|those two|both of them)\b", re.I
)


def pronoun_roles(question: str, entities: EntityTable) -> list[tuple[str, str]]:
    """(pronoun, role) for each pronoun, its role read as a company's would be:
    "Who else do they supply?" -> [('they', 'supplier')]; "Who supplies them?" -> [('them', 'customer')]."""
    text = " ".join(question.split())
    mentions = [_Mention(s, e, name, text[s:e]) for s, e, name in entities.spans(text)]
    pronouns = [_Mention(m.start(), m.end(), "", m.group(0)) for m in _PRONOUN.finditer(text)]
    if not pronouns:
        return []
    every = sorted(mentions + pronouns, key=lambda m: m.start)
    roles = _roles(text, _mask(text, every), every, entities)
    return [(m.surface.lower(), role) for m, role in zip(every, roles, strict=True) if not m.name]
