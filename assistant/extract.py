"""A document's body -> deals read from its sentences (`origin: extracted`) and the new companies they name.

Offline and rule-based on the project's own pieces: the entity table finds the parties, a supply cue
gives the direction, the figure and date parsers give scale and date. The quote is always the whole
sentence, word for word, so an extracted deal is checked like a ledger one.

>>> table = EntityTable({"AMD": {"kind": "chipmaker"}, "OpenAI": {"kind": "lab"}})
>>> [(d.supplier, d.customer, d.announced) for d in read_deals(
...     "AMD agreed on 6 October 2025 to supply OpenAI with 6 GW of GPUs.", table, "2025-10-07")[0]]
[('AMD', 'OpenAI', '2025-10-06')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant import sentences
from assistant.dates import MONTHS
from assistant.deal_attributes import KIND_HINTS, date_of, guess_kind, resource_of, scale_of, status_of, type_of
from assistant.entities import EntityTable
from assistant.types import DealEntry

MAX_WORDS = 90  # longer "sentences" are unsplit text (a PDF table, a list without stops), not statements

# Which side a cue puts its grammatical subject on: a supplier ("X supplies Y") or a customer ("Y rents from X").
_SUPPLY = (
    r"suppl(?:y|ies|ied|ying)|provid(?:e|es|ed|ing)|sell(?:s|ing)?|sold|leas(?:e|es|ed|ing)(?=(?:(?!\bfrom\b).){0,80}\bto\b)"
    r"|rent(?:s|ed)? out|host(?:s|ed|ing)?|deliver(?:s|ed|ing)?|build(?:s|ing)?|built|develop(?:s|ed|ing)?"
    r"|deploy(?:s|ed|ing)?|invest(?:s|ed|ing)?|put(?:s|ting)? \S+ \S+ into|giv(?:e|es|ing)|gave|grant(?:s|ed)?"
    r"|charg(?:e|es|ed|ing)|power(?:s|ed|ing)?|operat(?:e|es|ed|ing) .{0,60}\bfor\b|run(?:s)? .{0,60}\bfor\b"
    r"|back(?:s|ed|ing)?|fund(?:s|ed|ing)?|offer(?:s|ed|ing)?|named .{0,40}\bas\b.{0,30}customer"
    r"|will (?:resell|serve)|serv(?:e|es|ed|ing) as|w[oi]ns? .{0,60}\b(?:contract|deal|order)s? from|landed"
)
_BUY = (
    r"buy(?:s|ing)?|bought|purchas(?:e|es|ed|ing)|spend(?:s|ing)?|spent|rent(?:s|ed|ing)?|leas(?:e|es|ed|ing)"
    r"|us(?:e|es|ed|ing)|ch(?:o|oo)se|chose|select(?:s|ed)?|secur(?:e|es|ed|ing)|pa(?:y|ys|id|ying)"
    r"|receiv(?:e|es|ed|ing)|get(?:s|ting)?|got|gain(?:s|ed|ing)?|tap(?:s|ped)?"
    r"|train(?:s|ed|ing)? .{0,60}\bon\b|runn?(?:s|ing)? on|access(?:es|ed)?(?!\s+to\b)|locked in|accounted for"
    r"|expand(?:s|ed)? (?:its|the) (?:contract|partnership|deal|agreement)|commit(?:s|ted)? to (?:buy|spend|pay)"
)
_WITH = (
    r"(?:pledg(?:e|es|ed)|commit(?:s|ted)\b|(?:in|held|holds) talks with"
    r"|(?:sign(?:s|ed)?|agree(?:s|d)?|strik(?:e|es)|struck|announc(?:e|es|ed)|reach(?:es|ed)?|ink(?:s|ed)?)\b"
    r".{0,80}?\b(?:deal|contract|agreement|partnership|letter of intent|pact)s?\b)"
)
# Supply verbs are tried first, so "leases X to Y" and "rents out" are read before "leases" and "rents".
_CUE = re.compile(rf"\b(?:(?P<supply>{_SUPPLY})|(?P<buy>{_BUY})|(?P<with>{_WITH}))\b", re.I)

# Attribution ("according to X", "X reported on 3 May that") names outlets, never parties.
_ATTRIBUTION = [
    re.compile(r"\b(?:according to|citing|relaying|carried by|as reported by|reported by)\b[^,;]*", re.I),
    re.compile(
        r"^[A-Z][^,;]{0,60}?\b(?:reported|said|says|reports|wrote|noted|described|argued|listed|compared"
        r"|estimated|added)\b(?: on [^,;]{0,30}?| in [^,;]{0,30}?)?(?:,[^,;]{0,80},)? that\b"
    ),
    # ", DC Pulse reported on 17 December 2025." ends a sentence; ", a neocloud, said it will supply" does not.
    re.compile(
        r",\s*[^,;]{0,60}\b(?:reported|said|says|wrote|noted|learned|added|confirmed|told\s+[^,;]{0,40}?)"
        r"(?:\s+(?:on|in|last|this|late|early)\b[^,;]{0,30})?[\s,.]*$"
    ),
]
# A sentence that opens with a clause ("Besides its Oracle rental, xAI ...") has its subject after the comma.
_LEADING = re.compile(
    r"^(?:Besides|Under|At|Over|If|After|Before|With|As part of|In|On|During|Since|Unlike|Like|Alongside|Apart from"
    r"|Despite|Through|Following|Beyond|Unless|When|While|Although)\b(?:[^,]|,(?=\d)){0,120},"
)
_NOUN_BEFORE = re.compile(
    r"\b(?:a|an|the|its|their|this|that|his|her)\s+(?:(?!(?:to|will|would|has|have|had|can|could|may|must|should|also|is|are|was|were)\b)[\w$,.-]+\s+){0,3}$",
    re.I,
)
_TITLED = r"(?:chief executive|CEO|founder|chairman|president|co-founder|Mr\.?|Ms\.?)\s+(?:\w+\s+)?{name}\b"
# A company name right before one of these words names what is supplied, not a party ("Nvidia GPUs").
_RESOURCE = re.compile(
    r"^(?:'s\s+|’s\s+)?(?:-\w+\s+)?(?:[A-Z0-9][\w.-]*\s+){0,3}(?i:gpus?|tpus?|chips?|accelerators?|servers?|systems?|sites?|campus|data\s*cent(?:er|re)s?"
    r"|capacity|compute|cloud|cluster|supercomputer|shares?|stock|hardware|superclusters?|instances?|ultraservers?"
    r"|racks?|flagship|facility|platform)\b"
)
_AS_CUSTOMER = re.compile(r"\s+as\s+(?:the|its|an?|their)\s+(?:\w+\s+){0,2}(?:customer|offtaker|tenant|client)\b", re.I)
_RECIPIENT = re.compile(r"\b(?:to|for|in|into|with)\s+(?:its\s+(?:\w+\s+)?|the\s+)?$", re.I)
_PLACE = re.compile(r"^(?:[A-Z][\w-]*\s+)*(?:sites?|campus|facility|project|region|township)\b")
_NAME = re.compile(r"\b[A-Z][\w&.-]*[\w&]?(?:\s+(?:[A-Z][\w&.-]*[\w&]|[0-9]+|&)){0,3}")
_NOT_NAMES = frozenset(
    """a an the this that these its their in on at for from to with by as after before under over both each
    besides part also it he she they we chief ceo if while when since until through during and but or so all
    one two three some many most any no not our much several other others accounts countries monday tuesday
    wednesday thursday friday saturday sunday q1 q2 q3 q4""".split()
)
_PARTY_BEFORE = re.compile(
    r"(?:\b(?:to|from|with|for|pay|pays|paid|supply|supplies|hosts?|named|customer|tapped|taps|hired|chose"
    r"|selected|picked|landed|signed|backs|backed|funds|funded|joins|joined)\s+(?:its\s+\w+\s+)?)$",
    re.I,
)
# How far up the supply chain a kind sits; unlisted kinds (neocloud, data-center, energy) are 3.
_KIND_RANK = {"lab": 1, "unknown": 1, "investor": 2, "cloud": 2, "chipmaker": 4, "hardware": 4}


@dataclass(frozen=True)
class _Party:
    name: str  # canonical when known, as written when provisional
    start: int
    end: int
    known: bool


def read_deals(
    body: str, entities: EntityTable, published: str | None = None, publisher: str = "", title: str = ""
) -> tuple[list[DealEntry], dict[str, str]]:
    """Deals stated in `body` (first sentence per supplier -> customer pair) and new companies -> guessed kind.

    A report is about the deal its headline names: when the title names two parties, a pair is kept
    if the title names both of its companies or the sentence is the first one that states a deal;
    a passing mention of another deal ("besides its Oracle rental ...") is background.
    """
    found: dict[tuple[str, str], DealEntry] = {}
    first_quote = None
    new: dict[str, str] = {}
    for start, end in sentences.spans(body):
        sentence = body[start:end]
        line = body[body.rfind("\n", 0, start) + 1 : start]
        words = len(sentence.split())
        if line.lstrip().startswith(("#", "|")) or not 5 <= words <= MAX_WORDS or _same_text(sentence, title):
            continue  # headings, a plain file's title line, table rows and unsplit text are not deal sentences
        for entry, provisional in sentence_deals(sentence, entities, published, publisher):
            first_quote = first_quote or entry.quote
            key = (entry.supplier, entry.customer)
            if key not in found or _richer(entry, found[key]):
                found[key] = entry
            for name in provisional:
                new.setdefault(name, guess_kind(name))
    people = {n for n in new if _person(n, body)}
    deals = [e for e in found.values() if not {e.supplier, e.customer} & people]
    headline = _named(title, entities, new)
    if len(headline) >= 2:
        deals = [
            e
            for e in deals
            if {e.supplier, e.customer} <= headline
            or e.quote == first_quote
            or ({e.supplier, e.customer} & headline and e.scale)
        ]
    kept = {n: k for n, k in new.items() if any(n in (e.supplier, e.customer) for e in deals)}
    return deals, kept


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.lower().split()).rstrip(".") == " ".join(b.lower().split()).rstrip(".")


def _person(name: str, body: str) -> bool:
    """Whether a capitalised name reads as a person: titled ("chief executive Jo Roe"), or known by a surname
    the text also uses alone ("Elon Musk" ... "Musk said"), which companies' names are not."""
    words = name.split()
    last = re.escape(words[-1])
    if re.search(_TITLED.format(name=last), body):
        return True
    if len(words) == 1:
        return bool(re.search(rf"\b[A-Z][a-z]+ {last}\b", body))
    corporate = any(pattern.search(words[-1]) for pattern, _ in KIND_HINTS)
    alone = len(re.findall(rf"\b{last}\b", body)) > len(re.findall(rf"\b{re.escape(name)}\b", body))
    return len(words) == 2 and not corporate and alone


def _named(text: str, entities: EntityTable, new: dict[str, str]) -> set[str]:
    lowered = text.lower()
    return set(entities.mentions(text)) | {n for n in new if n.lower() in lowered}


def _richer(new: DealEntry, old: DealEntry) -> bool:
    """A later sentence replaces the first one only when the first named no figure and it does."""
    return not old.scale and bool(new.scale)


def sentence_deals(
    sentence: str, entities: EntityTable, published: str | None = None, publisher: str = ""
) -> list[tuple[DealEntry, list[str]]]:
    """Each supplier -> customer deal one sentence states, with the provisional names among its parties."""
    whole = _mask_attribution(sentence, publisher)
    pairs = []
    for start, end in _clauses(whole):
        clause = whole[start:end]
        parties = _parties(clause, entities)
        if len({p.name for p in parties}) >= 2:
            pairs += _roles(clause, parties, entities)
    out = []
    for supplier, customer in dict.fromkeys(pairs):
        if supplier.name == customer.name:
            continue
        entry = DealEntry(
            supplier=supplier.name,
            customer=customer.name,
            resource=resource_of(sentence),
            scale=scale_of(sentence),
            announced=date_of(sentence, published),
            status=status_of(sentence),
            quote=sentence,
            type=type_of(sentence),
            origin="extracted",
        )
        out.append((entry, [p.name for p in (supplier, customer) if not p.known]))
    return out


def _clauses(masked: str) -> list[tuple[int, int]]:
    """Spans of the sentence's main clauses: "A buys from B, while C invests in D" reads as two."""
    cuts = [m.start() for m in re.finditer(r",\s+(?:while|whereas)\s+|;\s+|,\s+and\s+(?=[A-Z])", masked)]
    bounds = [0, *cuts, len(masked)]
    spans = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        lead = re.match(r"[,;]?\s*(?:while|whereas|and)?\s*", masked[a:b])
        spans.append((a + (lead.end() if lead else 0), b))
    return spans


def _mask_attribution(sentence: str, publisher: str) -> str:
    masked = _LEADING.sub(lambda m: " " * len(m.group(0)), sentence)
    for pattern in _ATTRIBUTION:
        masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
    if publisher:
        masked = re.sub(re.escape(publisher), lambda m: " " * len(m.group(0)), masked, flags=re.I)
    return masked


def _parties(masked: str, entities: EntityTable) -> list[_Party]:
    """Known companies by the entity table, plus capitalised names standing where a party stands."""
    known = [_Party(name, s, e, True) for s, e, name in entities.spans(masked)]
    taken = [(p.start, p.end) for p in known]
    extra = []
    for m in _NAME.finditer(masked):
        s, e = m.start(), m.end()
        text = m.group(0).removesuffix("'s").removesuffix("’s").rstrip(".")
        if any(s < b and a < e for a, b in taken) or not _name_like(text):
            continue
        before = masked[max(0, s - 40) : s]
        at_start = not masked[:s].strip()
        if not (at_start or _PARTY_BEFORE.search(before)) or _RESOURCE.match(masked[s + len(text) :].lstrip()):
            continue
        extra.append(_Party(text, s, s + len(text), False))
    return sorted(known + extra, key=lambda p: p.start)


def _name_like(text: str) -> bool:
    words = text.split()
    if not words or words[0].lower() in _NOT_NAMES or words[0].lower() in MONTHS:
        return False
    if len(text) <= 3 and text.isupper():
        return False  # "US", "GW", "AI"
    return not re.search(r"\d{4}", text)


def _roles(masked: str, parties: list[_Party], entities: EntityTable) -> list[tuple[_Party, _Party]]:
    """(supplier, customer) pairs: the subject's side comes from the cue, the other side from what follows.

    The subject is the first party (with any joined by "and"), and it must govern the cue directly:
    in "The Meta contract with Nebius starts in 2027" Meta only names the contract.
    """
    if len(masked[: parties[0].start].split()) > 2:
        return []  # the first company named is not the subject ("The 1 GW Stargate cluster for OpenAI ...")
    subjects = [parties[0]]
    for p in parties[1:]:
        between = masked[subjects[-1].end : p.start]
        if re.fullmatch(r"(?:'s|’s)?\s*(?:,|and|, and)\s*", between):
            subjects.append(p)
        else:
            break
    names = {p.name for p in subjects}
    objects = [p for p in parties if p.name not in names and p.start >= subjects[-1].end]
    named_customer = next((p for p in objects if _AS_CUSTOMER.match(masked[p.end :])), None)
    if named_customer is not None:
        return [(s, named_customer) for s in subjects]  # "... with OpenAI as the initial customer"
    cue = _cue(masked, subjects[-1].end)
    if not objects:
        # "Nvidia and OpenAI signed a letter of intent": the side of a supplying kind supplies.
        cue = next(
            (m for m in _CUE.finditer(masked, subjects[-1].end) if _governs(masked[subjects[-1].end : m.start()])), None
        )
        if cue is None or len(names) != 2:
            return []
        pair = _by_kind(subjects[0], subjects[1], entities)
        return [pair] if _rank(pair[0], entities) > _rank(pair[1], entities) else []
    if cue is None or not _governs(masked[subjects[-1].end : cue.start()]):
        return []
    builders = [
        p
        for p in objects
        if re.search(r"\b(?:through|via|built (?:with|by))\s+$", masked[: p.start]) and not _modifier(masked, p)
    ]
    if cue.group("buy"):
        lessee = _lessee(masked, objects, cue)
        if lessee is not None:
            return [(s, lessee) for s in subjects]  # "Wombat will rent Mistral 4,096 GPUs", "... rent GPUs to Y"
        seller = _first_supplier_object(masked, objects, cue)
        if seller is None:
            return []
        if re.search(r"\b(?:unsold|unused|residual)\b", masked, re.I):
            return [(s, seller) for s in subjects]  # a buyer of last resort backs the seller
        return [(o, s) for s in subjects for o in dict.fromkeys([seller, *builders])]
    if cue.group("supply"):
        if builders:
            return [(b, s) for s in subjects for b in builders]  # "invests in data centers built with X"
        later = [p for p in objects if p.start >= cue.start()]
        customer = (
            next((p for p in later if not masked[cue.end() : p.start].strip() and not _modifier(masked, p)), None)
            or next((p for p in later if _RECIPIENT.search(masked[: p.start]) and not _modifier(masked, p)), None)
            or next((p for p in later if not _modifier(masked, p)), None)
            or next(
                (p for p in later if re.search(r"\b(?:to|for|in|at)\s+(?:the\s+|its\s+)?$", masked[: p.start])), None
            )
        )
        building = re.match(r"(?:deploy|build|built|develop|install)", cue.group(0), re.I)
        if customer is None and building and not re.match(r"\s+(?:on|upon)\b", masked[cue.end() :]):
            # "Mistral will deploy 18,000 Nvidia GPUs": the maker of what is deployed supplies the subject.
            makers = [p for p in later if _modifier(masked, p) and _rank(p, entities) == 4]
            return [(m, s) for s in subjects for m in makers[:1]]
        return [(s, customer) for s in subjects] if customer else []
    later = [p for p in objects if p.start >= cue.start()] or objects
    other = next((p for p in later if _RECIPIENT.search(masked[: p.start])), later[0])
    return [_by_kind(s, other, entities) for s in subjects]


def _cue(masked: str, after: int) -> re.Match | None:
    """The first supply or purchase verb after the subject; a "signed a deal with" cue only when none is."""
    cues = [m for m in _CUE.finditer(masked, after) if m.group("with") or not _NOUN_BEFORE.search(masked[: m.start()])]
    verbs = [m for m in cues if not m.group("with")]
    if len(verbs) > 1:
        # "secured an agreement to keep supplying": the verb the chain ends in says who supplies
        # (but in "tapped Nimbus to supply" the first verb's object is the supplier).
        gap = masked[verbs[0].end() : verbs[1].start()]
        if re.fullmatch(r"\s+(?:\S+\s+){0,3}to\s+(?:\w+\s+)?", gap) and not re.search(r"\b[A-Z]", gap):
            return verbs[1]
    return next(iter(verbs), None) or next(iter(cues), None)


_NOUN_FIRST = re.compile(
    r"^(?:[\w-]+\s+)?(?:deal|contract|agreement|relationship|arrangement|capacity|site|campus|investment|order"
    r"|figure|news|announcement|shift|review|portion|terms|statement|move|money|payments?|facility|cluster"
    r"|partnership|rental|lease|cloud|compute|data)s?\b",
    re.I,
)
# Verbs that go both ways: "X rents GPUs from Y" (X pays) and "X rents Y GPUs" or "X rents GPUs to Y" (X lets).
_TWO_WAY = re.compile(r"(?:rent|leas)\w*", re.I)
_FROM = re.compile(r"\bfrom\s+(?:its\s+\w+\s+|the\s+)?$")
_TO = re.compile(r"\bto\s+(?:its\s+\w+\s+|the\s+)?$")
_SUBORDINATE = re.compile(r"\b(?:that|which|who|where|while|whose|because|after|before|although|if)\b|[;:]", re.I)
_ANNOUNCED_THAT = re.compile(
    r"\b(?:announced|said|confirmed|disclosed|revealed)\b[^,;]{0,40}?\bthat\s+(?:it|they|the companies)?\s*", re.I
)


def _governs(gap: str) -> bool:
    """Whether the words between the subject and the cue leave the subject in charge of it."""
    gap = _ANNOUNCED_THAT.sub(" ", re.sub(r"^(?:'s|’s)", "", gap.strip()))
    gap = re.sub(r",[^,]{0,60},", " ", gap).strip()  # an aside: "Aker and Nscale, through their venture, will"
    return len(gap.split()) <= 8 and not _NOUN_FIRST.search(gap) and not _SUBORDINATE.search(gap)


def _lessee(masked: str, objects: list[_Party], cue: re.Match) -> _Party | None:
    """The party a "rent"/"lease" subject lets to: named right after the verb ("rent Mistral 4,096 GPUs")
    or after "to" ("rent GPUs to Mistral"). None when it rents from someone ("rent GPUs from X",
    "rent Nebius capacity")."""
    if not _TWO_WAY.fullmatch(cue.group(0)) or any(_FROM.search(masked[: p.start]) for p in objects):
        return None
    for p in objects:
        if p.start < cue.end() or _modifier(masked, p):
            continue
        if not masked[cue.end() : p.start].strip() or _TO.search(masked[cue.end() : p.start]):
            return p
    return None


def _first_supplier_object(masked: str, objects: list[_Party], cue: re.Match) -> _Party | None:
    """The seller in "Y buys ... from X": a party after "from", else the first one named after the cue."""
    for p in objects:
        if _FROM.search(masked[: p.start]):
            return p
    return next((p for p in objects if p.start >= cue.start() and not _PLACE.match(masked[p.end :].lstrip())), None)


def _modifier(masked: str, party: _Party) -> bool:
    """'Nvidia' in 'Nvidia GPUs' or 'OpenAI-designed' names what is supplied, not who gets it."""
    rest = masked[party.end :]
    return bool(rest.startswith("-") or _RESOURCE.match(rest.lstrip()))


def _by_kind(a: _Party, b: _Party, entities: EntityTable) -> tuple[_Party, _Party]:
    """'A signed a deal with B': the side whose kind supplies (neocloud, chipmaker, ...) is the supplier."""

    return (b, a) if _rank(b, entities) > _rank(a, entities) else (a, b)


def _rank(p: _Party, entities: EntityTable) -> int:
    kind = entities.kind(p.name) if p.known else guess_kind(p.name)
    return _KIND_RANK.get(kind or "unknown", 3)
