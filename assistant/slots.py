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

import datetime as dt
import re

from assistant.dates import MONTHS
from assistant.entities import EntityTable
from assistant.roles import KIND_WORDS, Mention, mask, read_roles
from assistant.types import Plan

# -- vocabularies: the few words that name kinds, resources, deal types and details -----------------

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
        (
            "reason",
            r"\bwhy\b|\breasons?\b|\brationale\b|\bmotivat|\bhow come\b|\bwhat (?:drove|led|made|pushed)\b"
            r"|\bexplains?\b|\blogic\b|\bthinking behind\b",
        ),
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
        (
            "duration",
            r"\bhow long\b|\bduration\b|\bterm\b|\blast(?:s|ed)?\s+(?:for|longer|until|through|\?)|\blonger\b"
            r"|\byears? does\b|\blength\b",
        ),
        (
            "date",
            r"\bwhen\b|\bwhat date\b|\bkey dates\b|\bby date\b|\b(?:which|what) (?:year|month|day)\b"
            r"|\bcame first\b|\bhappened first\b|\bfirst\s*[?,:]|\bearlier\b|\bearliest\b|\bbefore or after\b"
            r"|\b(?:was|were|is|are|moved|went|signed)\s+(?:the\s+)?first\b"
            r"|\btiming\b|\bdue\b|\b(?:come|came|coming|happen(?:ed)?)\s+(?:before|after|sooner)\b"
            # "Did Nebius sign with Meta before CoreWeave did?": before another party, not before a date.
            r"|\b(?:sign(?:ed)?|announce[sd]?)\b(?:\s+\w+){0,4}?\s+before\s+(?!the\b|mid|early|late|\d"
            r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\b)(?=\w)",
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

# -- exclusions, thresholds, dates ---------------------------------------------------------------

_EXCLUDE = re.compile(
    r"\b(?:excluding|exclude|except(?: for)?|apart from|other than|besides|aside from|not counting|leaving(?: out)?"
    r"|ignoring|setting aside|but not|without|beyond|rather than|not including|outside(?: of)?|minus)\s+",
    re.I,
)
# "Setting the neoclouds aside", "leaving Google out": the words in between are left out.
_AROUND = re.compile(
    r"\b(?:setting|putting|leaving|keeping|laying|taking)\s+(?P<what>[^,;?.!]{1,40}?)\s+(?:aside|out)\b", re.I
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
    rf"|(?:the )?(?P<edge>(?:end|start|beginning|middle) of |mid-?|early |late )?(?P<y4>(?:19|20)\d{{2}}))"
)
_DATE = re.compile(_DAY_DATE, re.I)
_WHEN = re.compile(
    r"\b(?P<word>as of|as at|by|at the end of|before|until|till|up to|through|no later than|since|after|from"
    r"|starting|beginning|in|during|between|within)\s+(?:the\s+)?(?=[\w$])",
    re.I,
)


def read_slots(question: str, entities: EntityTable) -> Plan:
    """Every slot of the Plan but the intent (left at its default)."""
    text = " ".join(question.split())
    mentions = [Mention(s, e, name, text[s:e]) for s, e, name in entities.spans(text)]
    masked = mask(text, mentions)
    excluded_spans = _exclusion_spans(masked)
    products = {p.lower() for ent in entities.entities.values() for p in ent.products}

    def excluded_at(pos: int) -> bool:
        return any(a <= pos < b for a, b in excluded_spans)

    product_only = {m.name for m in mentions if m.surface.lower() in products}
    product_only -= {m.name for m in mentions if m.surface.lower() not in products}
    named = any(m.name not in product_only for m in mentions)
    roles = read_roles(text, masked, mentions, entities, products)
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
    for kind, pattern in KIND_WORDS:
        for m in pattern.finditer(kind_text):
            _add(excluded_kinds if excluded_at(m.start()) else kinds, kind)
        kind_text = pattern.sub(lambda m: "_" * len(m.group(0)), kind_text)  # "neoclouds" is not also "clouds"
    # A company both kept and left out ("Google, apart from its TPUs") stays in.
    excluded = [c for c in excluded if c not in companies]
    threshold_span, threshold = _threshold(masked)
    # Product names stay readable for the detail asked ("How many TPUs ..." asks a chip count).
    readable = mask(text, [m for m in mentions if m.surface.lower() not in products])
    asked = readable[: threshold_span[0]] + readable[threshold_span[1] :] if threshold_span else readable
    as_of, since, until = _window(text)
    attribute = _attribute(_strip_dates(asked))
    if attribute in ("amount", "price") and _PAID.search(masked) and not _GOODS.search(masked):
        # "How much is CoreWeave getting from Meta?": money flows the other way to compute.
        suppliers, customers = customers, suppliers
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
        attribute=attribute,
        threshold=threshold,
    )


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _product(surface: str, products: set[str]) -> str:
    """'TPUs' -> 'TPU' when the singular is a product name too; else the name as written."""
    single = surface[:-1] if surface.lower().endswith("s") else surface
    return single if single.lower() in products else surface


def _exclusion_spans(masked: str) -> list[tuple[int, int]]:
    spans = []
    for m in _EXCLUDE.finditer(masked):
        end = _CLAUSE_END.search(masked, m.end())
        spans.append((m.end(), end.start() if end else len(masked)))
    spans += [m.span("what") for m in _AROUND.finditer(masked)]
    for m in _NEGATION.finditer(masked):
        # "not neoclouds", "aren't with Nvidia": only the next word or name is left out.
        word = re.match(r"[\w_-]+(?:\s+[\w_-]+)?", masked[m.end() :])
        if word:
            spans.append((m.end(), m.end() + word.end()))
    return spans


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


# The months "start of", "mid-", "late" and so on cover in a year.
_YEAR_PARTS = (
    (("start", "beginning"), (1, 1)),
    (("early",), (1, 4)),
    (("mid", "middle"), (6, 7)),
    (("late",), (9, 12)),
    (("end",), (12, 12)),
)


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
        year, edge = m.group("y4"), (m.group("edge") or "").lower()
        for words, (start, end) in _YEAR_PARTS:
            if edge.startswith(words):
                return f"{year}-{start:02d}", f"{year}-{end:02d}"
        return year, year
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
        elif key == "after":  # "after April 2026" starts in May
            since = _following(span[1])
        elif key in ("since", "from", "starting", "beginning"):
            since = span[0]
        else:  # "in 2025", "during Q1 2026": a period
            since, until = span
    return as_of, since, until


def _following(iso: str) -> str:
    """The period right after an ISO prefix, at the same precision.

    >>> _following("2025"), _following("2026-12"), _following("2026-04-30")
    ('2026', '2027-01', '2026-05-01')
    """
    if len(iso) == 4:
        return str(int(iso) + 1)
    if len(iso) == 7:
        year, month = int(iso[:4]), int(iso[5:])
        return f"{year + month // 12}-{month % 12 + 1:02d}"
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=1)).isoformat()


def _strip_dates(text: str) -> str:
    """Dates say when, not what is asked: "deals since May 2025" asks no date."""
    return _DATE.sub(" ", text)


_PAID = re.compile(r"\b(?:get(?:s|ting)?|got|receiv\w*|earn\w*|mak(?:e|es|ing)|collect\w*|bring\w* in)\b", re.I)
_GOODS = re.compile(r"\b(?:compute|capacity|gpus?|chips?|tpus?|power|servers?|accelerators?|data cent)", re.I)


# The noun a "what X" question asks for is its detail, unless it only names the question's own frame
# (a deal, a company, a kind of company or chip): "What penalty does OpenAI owe?" asks for a penalty.
_FOCUS = re.compile(
    r"\b(?:what|which|whose|how much|how many)\s+(?P<focus>(?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)"
    r"\s+(?:does|do|did|is|are|was|were|will|would|can|could|has|have|had|must|should|goes|go|went|comes|came)\b",
    re.I,
)
_FRAME_WORDS = set(
    """kind kinds type types sort sorts part parts role roles way ways thing things size value terms term status
    hardware equipment infrastructure systems machines technology silicon
    details detail deal deals agreement agreements contract contracts company companies firm firms business
    businesses lab labs supplier suppliers customer customers provider providers partner partners buyer buyers
    seller sellers party parties one ones developers startups players clients users compute capacity amount figure
    figures number numbers share stake year years month months date dates day days time times much many money
    dollars cash power""".split()
)


def asked_detail(question: str, entities: EntityTable) -> str:
    """The detail a "what X ..." question names, when it is not a word of the question's frame:
    "What monthly fee does Cursor pay?" -> "monthly fee"; "What did AMD agree?" -> "".

    >>> asked_detail("What penalty does OpenAI owe AMD if it misses milestones?", EntityTable({}))
    'penalty'
    >>> asked_detail("Which labs do Google TPUs serve?", EntityTable({}))
    ''
    """
    masked = question
    for start, end, _ in reversed(entities.spans(question)):
        masked = masked[:start] + "X" * (end - start) + masked[end:]
    m = _FOCUS.search(masked)
    if not m:
        return ""
    words = [w for w in m.group("focus").split() if not w.startswith("X")]
    if not words or words[-1].lower() in _FRAME_WORDS or _attribute(words[-1]):
        return ""  # a frame word, or a detail the plan's attribute asks for already ("what reason")
    if any(p.search(words[-1]) for _, p in (*_RESOURCES, *KIND_WORDS)):
        return ""
    return " ".join(words).lower()
