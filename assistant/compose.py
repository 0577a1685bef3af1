"""Selected deals + the question Plan -> a short cited draft: the answer first, one row per counterpart,
sums and comparisons with their arithmetic shown, conflicts as one clause, the full list kept apart.

Every row is built from the figures and words of the quotes it cites, so the verifier can check it:

    "- Amazon: up to 5 GW, more than $100 billion, April 2026 [4][5][6]."
    "- Google: about 3.5 GW [7][8] vs 5 GW [9], April 2026."
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from assistant import citations, sentences, textmatch
from assistant.graph import DealGraph, compared, compared_figures, disputed_among, figure_role, headline_figures
from assistant.relations import ENDED, Selection, focused
from assistant.types import Conflict, Deal, Evidence, Passage, Plan
from assistant.wording import date_words

BUDGET_WORDS = 200  # visible words of a list answer; the complete list goes to the details
CITES_PER_CLAIM = 5  # source documents cited for one claim; the rest stay in the coverage count
HARD_WORDS = 228  # first rows of counterparts may use a little more, so that up to 20 are named
SHOWN_COUNTERPARTS = 20  # counterparts with a row in the text; more go to the details
ROWS_PER_COUNTERPART = 8  # deals of one counterpart written as rows; more are counted
SHOWN_STATUS_ROWS = 5  # deals of a pair listed under a status verdict; more go to the details
DETAILS_ROWS = 40  # rows in the details; a longer list is left to `assistant deals` and the Deals tab
CLOSE_ENOUGH = citations.OVERLAP_SUPPORT  # share of a row's words one of its quotes must hold
_MONTHS = "January February March April May June July August September October November December".split()
_NOUN = {"chips": " chips"}
_VERBS = {  # deal type -> (what the supplier side does, what the customer side does)
    "compute": ("supply compute to", "get compute from"),
    "investment": ("invest in", "are invested in by"),
    "financing": ("finance", "are financed by"),
    "backstop": ("backstop", "are backstopped by"),
}
_KIND = {"power": "w", "chips": "n", "amount": "usd"}
_LABEL = {
    "amount": "amount",
    "power": "power figure",
    "chips": "chip count",
    "date": "date",
    "duration": "duration",
    "price": "price",
}
_STATES = {
    "amount": re.compile(r"[$€£]\s?\d|\b\d[\d.,]*\s?(?:billion|million|trillion)\b", re.I),
    "power": re.compile(r"\b\d[\d.,]*\s?(?:GW|MW|gigawatts?|megawatts?)\b", re.I),
    "chips": re.compile(
        r"\b\d[\d.,]*\s?(?:thousand|million)?\s(?:\w+\s){0,3}?(?:GPUs?|chips?|TPUs?|accelerators?|servers?|H100s?|H200s?)\b"
        r"|\b(?:hundreds|tens) of thousands\b",
        re.I,
    ),
    "date": re.compile(r"\b(?:19|20)\d\d\b|\b(?:" + "|".join(_MONTHS) + r")\b", re.I),
    "duration": re.compile(
        r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)[- ]"
        r"(?:years?|months?|weeks?|days?)\b"
        r"|\b(?:through|until|till|runs? to)\b|\bmulti-?year\b|\bby (?:the )?end of\b",
        re.I,
    ),
    "price": re.compile(
        r"\bper (?:GPU|chip|hour|GPU-hour|month|year|share|unit|kWh|MWh|megawatt)\b|\b(?:a|each) (?:month|year)\b"
        r"|\bmonthly\b|\bannual(?:ly)?\b|\bprice[ds]?\b|\bpricing\b",
        re.I,
    ),
}


def states(attribute: str, text: str, question: str = "") -> bool:
    """Whether `text` gives the detail `attribute` asks for ("price": "$920 million per month")."""
    pattern = _STATES.get(attribute)
    if attribute == "price" and not re.search(r"\bshares?\b", question, re.I):
        # Unless shares are asked about, the price of a share is not the price of compute.
        text = re.sub(r"\b(?:exercise |share[- ])price\b|\bper share\b", "", text, flags=re.I)
    return True if pattern is None else bool(pattern.search(text))


_TERM_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
# A term as a figure: "15-year", "seven years", "18 months".
_TERM = re.compile(rf"\b(\d+|{'|'.join(_TERM_WORDS)})[- ](years?|months?)\b", re.I)


# The same details, stated as a figure rather than hinted at ("runs through 2026" hints at a duration).
_STATES_EXACTLY = {
    **_STATES,
    "duration": _TERM,
    "date": re.compile(r"\b(?:\d{1,2} )?(?:" + "|".join(_MONTHS) + r") (?:19|20)\d\d\b"),
}


def states_exactly(attribute: str, text: str, question: str = "") -> bool:
    """Whether `text` gives the detail as a figure, a day or a month: the sentence an answer starts with.

    >>> states_exactly("duration", "It runs through 2026."), states_exactly("duration", "A five-year lease.")
    (False, True)
    """
    if attribute not in _STATES_EXACTLY:
        return False
    return states(attribute, text, question) and bool(_STATES_EXACTLY[attribute].search(text))


def names_detail(detail: str, text: str) -> bool:
    """Whether `text` names any word of a detail the question asked for ("monthly fee": "$920 million per month").

    >>> names_detail("penalty", "No penalties were disclosed."), names_detail("penalty", "It vests in tranches.")
    (True, False)
    """
    stems = [w[: max(len(w) - 2, 5)] for w in detail.lower().split()]  # "penalty" -> "penal", "colour" -> "colou"
    return any(re.search(rf"\b{re.escape(stem)}", text, re.I) for stem in stems)


@dataclass(frozen=True)
class Composed:
    """A draft over numbered sources; `details` continues the same numbering."""

    text: str
    passages: tuple[Passage, ...]
    details: str = ""
    conflicts: tuple[Conflict, ...] = ()
    coverage: str = ""
    missing: tuple[str, ...] = ()


class Sources:
    """Numbers sources by document: one number per note, its quotes joined as one passage."""

    def __init__(self) -> None:
        self._docs: dict[str, Passage] = {}
        self._texts: dict[str, list[str]] = {}
        self._numbers: dict[str, int] = {}

    def number(self, item: Evidence | Passage) -> int:
        doc_id = item.doc_id
        text = item.quote if isinstance(item, Evidence) else item.text
        if doc_id not in self._docs:
            self._docs[doc_id] = _as_passage(item)
            self._texts[doc_id] = []
            self._numbers[doc_id] = len(self._numbers) + 1
        if text.strip() not in self._texts[doc_id]:
            self._texts[doc_id].append(text.strip())
        return self._numbers[doc_id]

    def cite(self, *items: Evidence | Passage, limit: int = CITES_PER_CLAIM) -> str:
        """'[1][2]': the documents of `items`, at most `limit` of them (those already numbered first)."""
        return "".join(f"[{n}]" for n in dict.fromkeys(self.number(i) for i in self.chosen(items, limit)))

    def chosen(self, items: tuple | list, limit: int = CITES_PER_CLAIM) -> list:
        """One item per document, at most `limit`: documents the answer already cites come first, then
        the rest in the order given (a claim that fifty reports repeat is not cited fifty times)."""
        first: dict[str, Evidence | Passage] = {}
        for item in items:
            first.setdefault(item.doc_id, item)
        ordered = sorted(first.values(), key=lambda i: i.doc_id not in self._numbers)
        return [i for i in items if i in ordered[:limit]] if len(ordered) > limit else list(items)

    def passages(self) -> tuple[Passage, ...]:
        out = []
        for doc_id, first in self._docs.items():
            out.append(_with_text(first, " ".join(self._texts[doc_id])))
        return tuple(out)


def merge_by_document(text: str, passages: list[Passage], sources: Sources | None = None) -> tuple[str, Sources]:
    """Renumber a draft over per-sentence passages so that each source document has one number.

    '"A [1]. B [2]."' over two sentences of one note -> '"A [1]. B [1]."' over one passage holding both.
    """
    sources = sources or Sources()
    numbers = {i: sources.number(p) for i, p in enumerate(passages, start=1)}

    def swap(match: re.Match) -> str:
        n = int(match.group(1))
        return f"[{numbers[n]}]" if n in numbers else match.group(0)

    merged = re.sub(r"\[(\d{1,3})\]", swap, text)
    return re.sub(r"(\[\d+\])(?:\1)+", r"\1", merged), sources


# -- rows ------------------------------------------------------------------------------------------------


def figure_phrases(quote: str, per_kind: int = 1) -> list[tuple[str, str]]:
    """(kind and role, words as the quote writes them) for the first money, power and count figures of a
    quote, money told apart by role (a value, a rate, an investment: `graph.figure_role`).

    >>> figure_phrases("AMD will supply 6 GW for about $90 billion a year.")
    [('w', '6 GW'), ('usd:rate', 'about $90 billion a year')]
    """
    out: list[tuple[str, str]] = []
    for match in textmatch.FIGURE.finditer(quote):
        for kind, value in textmatch.figures(match.group(0)):
            kind = figure_role(quote, match.start(), match.end(), kind) if kind == "usd" else kind
            if kind == "usd:company":
                continue  # "CoreWeave's revenue was $1.9 billion" says nothing of a deal's size
            taken = sum(1 for k, _ in out if k == kind)
            if taken >= per_kind or not compared(kind, value):
                continue
            start, end = match.start(), match.end()
            lead = re.search(r"(?:up to|about|around|roughly|more than|over|at least|nearly|some)\s+$", quote[:start])
            if lead:
                start = lead.start()
            tail = quote[end:]
            if kind.startswith("usd"):
                per = re.match(r"\s(?:per|a|each)\s(?:month|year|share|GPU)\b", tail)
                end += per.end() if per else 0
            elif kind == "n":
                noun = re.match(r"(?:\s(?:[A-Z][\w-]*|\d\w*)){0,3}\s(?:\w+\s)?(?:GPUs|chips|TPUs|accelerators)\b", tail)
                end += noun.end() if noun else 0
            out.append((kind, quote[start:end].strip()))
    return out


def when(deal: Deal, quotes: str) -> str:
    """The deal's date as its quotes write it: '6 October 2025', 'October 2025' or '2025' ("" if none fits)."""
    day = deal.announced or ""
    options = []
    if len(day) >= 7:
        month = _MONTHS[int(day[5:7]) - 1]
        if len(day) == 10 and re.search(rf"\b{int(day[8:10])} {month}\b", quotes):
            options.append(f"{int(day[8:10])} {month} {day[:4]}")
        if month in quotes:
            options.append(f"{month} {day[:4]}")
    if day:
        options.append(day[:4])
    return next((o for o in options if not textmatch.unsupported_figures(o, quotes)), "")


def deal_row(
    name: str,
    deal: Deal,
    graph: DealGraph,
    sources: Sources,
    evidence: list[Evidence] | None = None,
    per_kind: int = 1,
    dated: bool = True,
) -> str:
    """One sentence for one deal: its figures, disputed ones as 'A [1] vs B [2]', its date (unless the
    row's label gives it) and status."""
    shown = evidence or list(deal.evidence)
    main = consensus(shown)
    quotes = " ".join(e.quote for e in shown)
    disputed: dict[str, str] = {}
    conflicts = dict(graph.conflicts(deal)) if evidence is None else {}
    if "figures" in conflicts:
        disputed = figure_clauses(conflicts["figures"], sources)
    parts = []
    clauses_shown = set()
    phrases = figure_phrases(main.quote, per_kind)
    for kind, phrase in phrases:
        if kind in disputed:
            parts.append(disputed.pop(kind))  # the disputed figure as "A [1] vs B [2]"
            clauses_shown.add(kind)
        elif kind not in clauses_shown:
            parts.append(phrase)
    parts += list(disputed.values())
    kinds = {k for k, _ in phrases}
    invested = dict(phrases).get("usd:invest") if "usd" in kinds and "usd:invest" not in clauses_shown else None
    if invested and per_kind == 1:  # a compact row keeps the deal's own value, not the stake beside it
        parts = [p for p in parts if p != invested]
    elif invested:  # "$30 billion, investment of $5 billion"
        parts = [f"investment of {p}" if p == invested else p for p in parts]
    quoted = not parts and not _what(deal, main.quote)
    if not parts:
        parts.append(_what(deal, main.quote) or bare(main.quote))
    if quoted or not dated:
        pass  # the quote or the label carries the date
    elif "date" in conflicts:
        parts.append(date_clause(deal, conflicts["date"], graph, sources))
    elif date := when(deal, quotes):
        parts.append(date)
    if deal.status not in ("announced", "operational"):
        parts.append(deal.status)
    if main.published is None:
        parts.append("undated source")
    inline = {int(n) for p in parts for n in re.findall(r"\[(\d+)\]", p)}
    cited = sources.chosen([main, *(e for e in shown if e != main)])
    rest = "".join(f"[{n}]" for n in dict.fromkeys(sources.number(e) for e in cited) if n not in inline)
    mark = machine_read(main)
    row = f"{name}: {', '.join(p for p in parts if p)} {rest}".rstrip() + mark + "."
    if _checkable(row, shown):
        return row
    return f"{name}: {bare(main.quote)} {sources.cite(main, *shown)}{mark}."


def machine_read(ev: Evidence) -> str:
    """' (read from the text)' after a deal whose quote no person has reviewed as a deal yet."""
    return citations.MACHINE_READ if ev.origin == "extracted" else ""


def figure_clauses(sides: list[Evidence], sources: Sources) -> dict[str, str]:
    """'3.5 GW [1][2] vs 5 GW [3]' for each kind of figure the sides disagree on."""
    out: dict[str, str] = {}
    heads = [(e, compared_figures(e.quote)) for e in sides]
    disputed = disputed_among([e.quote for e in sides])
    for kind in ("w", "usd", "usd:rate", "usd:invest", "n"):
        if kind not in disputed:
            continue
        values: dict[float, list[Evidence]] = {}
        for ev, head in heads:
            if kind in head:
                values.setdefault(head[kind], []).append(ev)
        distinct = sorted(values)
        if len(distinct) < 2 or distinct[-1] - distinct[0] <= 0.02 * distinct[-1]:
            continue
        pieces = []
        for value in (distinct[0], distinct[-1]):  # the lowest and the highest claim; every source is cited
            evs = values[value]
            phrase = dict(figure_phrases(evs[0].quote)).get(kind) or _plain(kind, value)
            pieces.append(f"{phrase} {sources.cite(*evs)}")
        out[kind] = " vs ".join(pieces)
    return out


def date_clause(deal: Deal, sides: list[Evidence], graph: DealGraph, sources: Sources) -> str:
    """'20 April 2026 [1] vs 21 April 2026 [2]' when outlets date the deal differently."""
    days = graph.claimed_days(deal)
    pieces = []
    for ev in (sides[0], sides[-1]) if len(sides) > 1 else sides:  # the earliest and the latest day claimed
        day = days.get(ev, "")
        label = when(Deal(deal.supplier, deal.customer, "", "", day, "", ()), ev.quote) or day
        pieces.append(f"{label} {sources.cite(ev)}")
    return " vs ".join(pieces)


def conflict_records(deal: Deal, graph: DealGraph, sources: Sources) -> list[Conflict]:
    return [
        Conflict(deal.supplier, deal.customer, attribute, tuple((e.quote, sources.number(e)) for e in sides))
        for attribute, sides in graph.conflicts(deal)
    ]


# -- answers ---------------------------------------------------------------------------------------------


def list_answer(plan: Plan, sel: Selection, graph: DealGraph, sources: Sources | None = None) -> Composed:
    """Who supplies whom (or a count of it): a lead sentence, then one bullet per counterpart.

    At most SHOWN_COUNTERPARTS counterparts (the most reported) get rows in the text, the rest of the rows
    go to the details, up to DETAILS_ROWS; what is left beyond that is counted in the coverage line."""
    sources = sources or Sources()
    groups: dict[tuple[str, bool], list[Deal]] = {}
    for deal in (*sel.deals, *sel.others):
        groups.setdefault((_counterpart(deal, sel.role), deal.type != _main_type(plan)), []).append(deal)
    for deals in groups.values():
        deals.sort(key=_significance)
    reported = sorted(groups, key=lambda k: (-len({e.doc_id for d in groups[k] for e in d.evidence}), k))
    shown = sorted(reported[:SHOWN_COUNTERPARTS], key=lambda k: (k[1], k[0]))
    built: list[Deal] = []

    def rows_of(key: tuple[str, bool], limit: int) -> list[str]:
        name, apart = key
        out = []
        for i, deal in enumerate(groups[key][:limit]):
            surface = _surface(name, deal, graph)
            if sel.role == "pair":  # "xAI (SpaceX) to Cursor"
                surface = f"{_surface(deal.supplier, deal, graph)} to {_surface(deal.customer, deal, graph)}"
            label = f"{name} ({deal.type})" if apart else _name_for(surface, i)
            out.append(deal_row(label, deal, graph, sources))
            built.append(deal)
        return out

    # Rows for the text and the details, no more: with many counterparts each gets fewer (the rest is counted).
    per_counterpart = max(2, min(ROWS_PER_COUNTERPART, (DETAILS_ROWS + SHOWN_COUNTERPARTS) // max(len(shown), 1)))
    rows = {key: rows_of(key, per_counterpart) for key in shown}
    lead = _lead(plan, sel, len({k[0] for k in groups if not k[1]}))
    visible = _budgeted(lead, rows, [k for k in reported if k in rows])
    # The details name every further counterpart once before the shown ones' other deals fill the rest.
    further: list[str] = []
    for key in reported[SHOWN_COUNTERPARTS:]:
        if len(further) < DETAILS_ROWS:
            further += [f"- {r}" for r in rows_of(key, 1)]
    more = [f"- {r}" for items in rows.values() for r in items if f"- {r}" not in visible]
    hidden = more[: max(DETAILS_ROWS - len(further), 0)] + further
    unlisted = len(sel.deals) + len(sel.others) - (visible.count("\n- ") + len(hidden))
    visible = "\n".join(joint_rows(visible.split("\n"), _main_type(plan)))
    hidden = joint_rows(hidden, _main_type(plan))
    conflicts = [c for d in dict.fromkeys(built) for c in conflict_records(d, graph, sources)]
    return Composed(
        text=visible,
        passages=sources.passages(),
        details="\n".join(["More deals in the sources:", *hidden]) if hidden else "",
        conflicts=tuple(conflicts),
        coverage=_coverage(sel, sources, len(hidden), max(unlisted, 0)) + _differ(conflicts),
    )


def total_answer(plan: Plan, sel: Selection, graph: DealGraph) -> Composed | None:
    """Adds up gigawatts, chips or dollars across the selected deals, each addend cited; disputed
    figures become a range, stalled and ended deals are left out and named."""
    kind = _KIND.get(plan.attribute or "power", "w")
    sources = Sources()
    # One project reported through several deals (each partner of a joint site) is one addend:
    # deals whose main source is the same note and whose figure is the same are grouped.
    groups: dict[tuple[str, float | None], list[Deal]] = {}
    for deal in sel.deals:
        main = consensus(list(deal.evidence))
        groups.setdefault((main.doc_id, headline_figures(main.quote).get(kind)), []).append(deal)
    # A figure a later report marks stalled or ended is not counted through an earlier report either.
    ended = {
        (d.supplier, d.customer, v)
        for d in sel.deals
        if d.status in ENDED
        for e in d.evidence
        if (v := headline_figures(e.quote).get(kind)) is not None
    }
    counted, left_out, silent = [], [], []
    low = high = 0.0
    for deals in groups.values():
        values: dict[float, Evidence] = {}
        for deal in deals:
            for ev in deal.evidence:
                value = headline_figures(ev.quote).get(kind)
                if value is not None:
                    values.setdefault(value, ev)
        names = _join(dict.fromkeys(_counterpart(d, sel.role) for d in deals))
        if not values:
            silent += [_counterpart(d, sel.role) for d in deals]
            continue
        deal = deals[0]
        if deal.status in ENDED:
            left_out.append(deal_row(f"Not counted, {names}", deal, graph, sources))
            continue
        if any((d.supplier, d.customer, v) in ended for d in deals for v in values):
            continue
        low, high = low + min(values), high + max(values)
        counted.append(deal_row(names, deal, graph, sources))
    if not counted:
        return None
    amount = _plain(kind, low) + (f" to {_plain(kind, high)}" if high > low * 1.001 else "")
    whose = f"{sel.target}'s" if sel.target else "the"
    lead = f"The figures in {whose} {len(counted)} live deals add up to about {amount}{_NOUN.get(plan.attribute, '')}:"
    text = "\n".join([lead, *(f"- {r}" for r in counted), *(f"- {r}" for r in left_out)])
    coverage = "Sum of the figures as the sources give them; a range where sources differ; deals may overlap."
    if silent:
        # "No figure for: Akamai; nor for Amazon's other deals": a counted counterpart is named apart.
        partly = sorted({n for n in silent if any(n in row.split(":")[0] for row in counted)})
        none = sorted(set(silent) - set(partly))
        said = [f"No figure for: {_join(none)}"] if none else []
        said += [f"{'nor' if none else 'No figure'} for other deals of {_join(partly)}"] if partly else []
        coverage += " " + "; ".join(said) + "."
    return Composed(text=text, passages=sources.passages(), coverage=coverage)


def compare_answer(plan: Plan, sel: Selection, graph: DealGraph, question: str = "") -> Composed | None:
    """Deals side by side with the verdict first: which came first, which runs longer, or which is bigger."""
    deals = sorted(sel.deals, key=_significance)
    if plan.attribute == "date":  # "which came first": each party's first deal
        deals.sort(key=lambda d: d.announced or "9999")
    sides = _sides(question, deals, graph, _standing_for(plan))
    picked = list(sides)
    one_pair = len({(d.supplier, d.customer) for d in deals}) == 1
    for deal in deals if len(picked) < 2 else ():
        if one_pair or all((deal.supplier, deal.customer) != (p.supplier, p.customer) for p in picked):
            picked.append(deal)
        if len(picked) == 2:
            break
    if len(picked) < 2 or {e.doc_id for e in picked[0].evidence} == {e.doc_id for e in picked[1].evidence}:
        return None  # one report seen from two sides is not two deals to compare
    sources = Sources()
    a, b = picked
    label = {d: sides.get(d) or _deal_name(d) for d in picked}
    if plan.attribute == "duration":
        return _compare_terms(a, b, [] if any(sides.values()) else deals, sides, graph, sources)
    kind = _KIND.get(plan.attribute, "")
    heads = [headline_figures(" ".join(e.quote for e in d.evidence)) for d in picked]
    if not kind and plan.attribute != "date":
        kind = next((k for k in ("w", "usd", "n") if all(k in h for h in heads)), "")
    if kind and all(kind in h for h in heads):
        hi, lo = max(heads[0][kind], heads[1][kind]), min(heads[0][kind], heads[1][kind])
        first, second = (a, b) if heads[0][kind] >= heads[1][kind] else (b, a)
        if hi - lo <= 0.02 * hi:
            lead = f"{_capital(label[first])} and {label[second]} are the same size ({_plain(kind, hi)} each):"
        else:
            lead = f"{_capital(label[first])} is the bigger one ({_plain(kind, hi)} against {_plain(kind, lo)}):"
    elif plan.attribute in _SIZES and all(heads):
        # 1 million TPUs against 5 GW: no verdict the figures can back, so the answer says so and shows both.
        first, second = a, b
        both = "the two deals" if label[a] == label[b] else f"{label[a]} and {label[b]}"
        lead = f"Neither is plainly bigger: the sources size {both} in different units:"
    else:
        if plan.attribute not in ("", "date"):
            return None  # "which is bigger" with no figure on one side: the sources' words tell it
        if not (a.announced and b.announced) or a.announced == b.announced:
            return None
        first, second = (a, b) if a.announced <= b.announced else (b, a)
        days = [date_words(first.announced or ""), date_words(second.announced or "")]
        lead = f"{_capital(label[first])} came first ({days[0]} against {days[1]} for {label[second]}):"
    # The two compared deals, then (unless the question singled them out) the same parties' other deals.
    shown = [first, second, *[d for d in deals if d not in (first, second) and not any(sides.values())][:2]]
    rows = [deal_row(_row_name(d, sides), d, graph, sources, per_kind=3) for d in shown]
    return Composed(text="\n".join([lead, *(f"- {r}" for r in rows)]), passages=sources.passages())


def _row_name(deal: Deal, sides: dict[Deal, str]) -> str:
    """ "Stargate UAE, Cisco's deal with OpenAI" for a deal the question called by its own words."""
    side = sides.get(deal)
    if side and deal.supplier in side and deal.customer in side:
        return _capital(side)  # "Nvidia's letter of intent with OpenAI" names the deal already
    return f"{_capital(side)}, {_deal_name(deal)}" if side else _capital(_deal_name(deal))


_SIZES = ("size", "power", "chips", "amount")


def _standing_for(plan: Plan):
    """How the deals of one side of a comparison are ordered, the first standing for the side: the first
    announced for "which came first", the longest term for "which runs longer", else the biggest compute
    deal ("Nvidia's OpenAI deal" is its 10 GW one, not its share purchase)."""
    if plan.attribute == "date":
        return lambda d: (d.announced or "9999",)
    if plan.attribute == "duration":
        return lambda d: (-(term(d) or ("", 0.0))[1],)
    if plan.attribute not in ("size", "power", "chips"):
        return None  # money may be a stake or a spend: the latest live deal stands for its parties

    kinds = [_KIND[plan.attribute]] if plan.attribute in _KIND else ["w", "n"]

    def biggest(d: Deal) -> tuple:
        heads = headline_figures(" ".join(e.quote for e in d.evidence))
        return (d.type != "compute", *(-heads.get(k, 0.0) for k in kinds))

    return biggest


def _sides(question: str, deals: list[Deal], graph: DealGraph, order=None) -> dict[Deal, str]:
    """The deal each side of "A or B" points at ("Stargate UAE or Stargate Norway"), when the sides
    single out two different deals by their parties or their descriptions, each with the words the
    question calls it by when those are what singled it out; else {}. Among a side's deals the first
    by `order` stands for it."""
    halves = re.split(r"\s(?:or|vs\.?|versus|than|before|after)\s", question, maxsplit=1, flags=re.I)
    if len(halves) != 2:
        return {}
    picked: dict[Deal, str] = {}
    for half in halves:
        named = set(graph.entities.mentions(half))
        pool = (
            [d for d in deals if {d.supplier, d.customer} <= named]
            or [d for d in deals if {d.supplier, d.customer} & named or any(n in d.resource for n in named)]
            or deals
        )
        by_words = focused(half, pool, graph)
        best = [d for d in by_words or (pool if len(pool) < len(deals) else []) if d not in picked]
        if not best:
            return {}
        if order is not None and not by_words:  # a deal singled out by its description stands as found
            best.sort(key=order)  # stable: among equals the most significant first
        picked[best[0]] = _called(half, graph) if by_words else ""
    return picked


def _called(half: str, graph: DealGraph) -> str:
    """What one side of "A or B" calls its deal: "Who announced first, Stargate UAE" -> "Stargate UAE",
    "Was Stargate UAE announced" -> "Stargate UAE", "the Hut 8 lease?" -> "the Hut 8 lease"; "" when no
    short name stands out."""
    tokens = re.split(r"[,:;]\s*", half.strip(" ?!."))[-1].split()
    if tokens and _ASKING.match(tokens[0]):
        # A side that is still a question: the run of words from its first name to its last.
        rare = graph.rare_words()
        keys = [
            i
            for i, t in enumerate(tokens)
            if i > 0 and (t[:1].isupper() or any(c.isdigit() for c in t) or set(textmatch.words(t)) & rare)
        ]
        if not keys:
            return ""
        start = keys[0] - (keys[0] > 1 and tokens[keys[0] - 1].lower() == "the")
        tokens = tokens[start : keys[-1] + 1]
    return " ".join(tokens) if 0 < len(tokens) <= 6 else ""


_ASKING = re.compile(r"(?:is|are|was|were|did|does|do|has|have|had|which|who|whom|when|what|how|will|can|could)$", re.I)


def term(deal: Deal) -> tuple[str, float] | None:
    """(the words, in years) of the first term a deal's quotes give: ("15-year", 15.0), ("18 months", 1.5)."""
    for ev in [consensus(list(deal.evidence)), *deal.evidence]:
        match = _TERM.search(ev.quote)
        if match:
            count, unit = match.group(1).lower(), match.group(2).lower()
            n = float(count) if count.isdigit() else float(_TERM_WORDS[count])
            return match.group(0), n / 12 if unit.startswith("month") else n
    return None


def _compare_terms(
    a: Deal, b: Deal, deals: list[Deal], sides: dict[Deal, str], graph: DealGraph, sources: Sources
) -> Composed | None:
    """'Hut 8's deal with Anthropic runs longer (15-year against seven years):' and each deal's row."""
    term_a, term_b = term(a), term(b)
    if term_a is None or term_b is None:
        return None  # no two terms to set side by side: the sources' own sentences tell it
    (first, t1), (second, t2) = ((a, term_a), (b, term_b)) if term_a[1] >= term_b[1] else ((b, term_b), (a, term_a))
    label = {d: sides.get(d) or _deal_name(d) for d in (a, b)}
    if t1[1] == t2[1]:
        lead = f"{_capital(label[first])} and {label[second]} run equally long ({t1[0]} and {t2[0]}):"
    else:
        lead = f"{_capital(label[first])} runs longer ({t1[0]} against {t2[0]} for {label[second]}):"
    rows = []
    for deal, (words, _) in ((first, t1), (second, t2)):
        row = deal_row(_row_name(deal, sides), deal, graph, sources, per_kind=3)
        rows.append(row if words in row else row.replace(": ", f": {words}, ", 1))
    rows += [
        deal_row(_capital(_deal_name(d)), d, graph, sources, per_kind=3) for d in deals if d not in (first, second)
    ][:2]
    return Composed(text="\n".join([lead, *(f"- {r}" for r in rows)]), passages=sources.passages())


def nothing_since(plan: Plan, earlier: Selection, graph: DealGraph) -> Composed | None:
    """'The sources report no deals of OpenAI since April 2026; the latest before that:' and those deals."""
    deals = sorted((*earlier.deals, *earlier.others), key=lambda d: _latest_report(d), reverse=True)[:3]
    if not deals or not plan.since:
        return None
    sources = Sources()
    whose = f" of {_join(plan.companies, 'or')}" if plan.companies else ""
    lead = f"The sources report no deals{whose} since {date_words(plan.since)}; the latest before that:"
    rows = [
        deal_row(_counterpart(d, "pair") + ("" if d.type == "compute" else f" ({d.type})"), d, graph, sources)
        for d in deals
    ]
    return Composed(text="\n".join([lead, *(f"- {r}" for r in rows)]), passages=sources.passages())


def _latest_report(deal: Deal) -> str:
    return max((e.published or "" for e in deal.evidence), default="")


def timeline_answer(plan: Plan, sel: Selection, graph: DealGraph) -> Composed | None:
    """The deals of a pair (or of one company) in the order they were announced, each row led by its date;
    a deal its quote states without a figure is told in the quote's own words."""
    deals = list(dict.fromkeys((*sel.deals, *sel.others)))
    dated = sorted((d for d in deals if d.announced), key=lambda d: d.announced or "")
    if len(dated) < 2:
        return None  # no history to order: the sources' own sentences tell it
    sources = Sources()
    rows = []
    for deal in [*dated, *(d for d in deals if not d.announced)]:
        main = consensus(list(deal.evidence))
        day = when(deal, " ".join(e.quote for e in deal.evidence))
        kind = "" if deal.type == "compute" else f" ({deal.type})"
        label = f"{day}, {deal.supplier} to {deal.customer}{kind}" if day else f"{deal.supplier} to {deal.customer}"
        if figure_phrases(main.quote):
            rows.append(deal_row(label, deal, graph, sources, dated=False))
        else:
            said = f"{bare(main.quote)} {sources.cite(main)}{machine_read(main)}."
            rows.append(f"{day}: {said}" if day else said)
    keys = [(str(i), False) for i in range(len(rows))]
    span = f"from {date_words(dated[0].announced or '')} to {date_words(dated[-1].announced or '')}"
    lead = f"The sources date {len(dated)} deals of {_join(sel.targets or (sel.target,))}, {span}:"
    shown = _budgeted(lead, {key: [row] for key, row in zip(keys, rows, strict=True)}, keys)
    hidden = [f"- {r}" for r in rows if f"- {r}" not in shown]
    return Composed(
        text=shown,
        passages=sources.passages(),
        details="\n".join(["Later in the same history:", *hidden]) if hidden else "",
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


_ENDING = re.compile(
    r"\b(collaps\w*|f[ae]ll(?:s|en)? (?:through|apart)|cancel\w*|scrap\w*|terminat\w*|abandon\w*|"
    r"called off|pull(?:ed)? out|walk(?:ed)? away|end(?:ed)?|stall\w*)\b",
    re.I,
)


def status_answer(plan: Plan, sel: Selection, graph: DealGraph, question: str) -> Composed | None:
    """Yes, no or not confirmed first, then the latest report and what came before."""
    if not sel.deals:
        return None
    asked = {v for k, v in textmatch.figures(question) if k != "n" or v >= 1000}
    matching = [d for d in sel.deals if asked & {v for e in d.evidence for _, v in textmatch.figures(e.quote)}]
    candidates = matching or list(sel.deals)
    # "Did the talks collapse?" asks about an end: a deal that did end answers it, and yes and no swap.
    asks_end = bool(_ENDING.search(question))
    # "Has the Abilene site gone live?": the deals the question singles out by what they are about.
    named = focused(question, candidates, graph) if not matching else []
    if not asks_end and not matching and not named and len(candidates) > 1:
        return _statuses(sel, candidates, graph)
    candidates = [d for d in (named or candidates) if d.status in ENDED] if asks_end else named
    candidates = candidates or matching or list(sel.deals)
    deal = max(candidates, key=lambda d: max(e.published or "" for e in d.evidence))
    sources = Sources()
    latest = max(deal.evidence, key=lambda e: e.published or "")
    name = _deal_name(deal)
    ending = [e for e in deal.evidence if _ENDING.search(e.quote)]
    # "Did the $10 billion expansion go ahead?": the report that names that figure may say it ended.
    named_ended = [e for e in ending if asked & {v for _, v in textmatch.figures(e.quote)}]
    rows = []
    if named_ended and not asks_end and deal.status not in ENDED:
        figure = textmatch.FIGURE.search(question)
        part = f"the {figure.group(0).strip()} part" if figure else "the part asked about"
        lead = f"No: {part} of {name} fell through, a report says; the rest stands as {deal.status}:"
        rows.append(f"{bare(named_ended[0].quote)} {sources.cite(named_ended[0])}.")
        ending = named_ended
    elif deal.status in ENDED:
        lead = f"{'Yes' if asks_end else 'No'}: the latest reports mark {name} as {deal.status}:"
    elif asks_end and ending:
        lead = f"In part: a report says part of {name} fell through, but the deal stands as {deal.status}:"
        rows.append(f"{bare(ending[0].quote)} {sources.cite(ending[0])}.")
    elif deal.status in ("rumored", "reported"):
        lead = f"Not confirmed: {name} is {deal.status} but not announced by the companies:"
    else:
        lead = f"{'No' if asks_end else 'Yes'}: {name} stands, as {deal.status} in the latest report:"
    shown = ending[:1] if rows else []

    def new_to(ev: Evidence) -> bool:  # not a report already shown, nor the same words again
        return ev not in shown and not textmatch.restates(ev.quote, [e.quote for e in shown])

    if new_to(latest):
        rows.append(f"Latest: {bare(latest.quote)} {sources.cite(latest)}.")
        shown.append(latest)
    first = min(deal.evidence, key=lambda e: e.published or "9999")
    if new_to(first):
        rows.append(f"First: {bare(first.quote)} {sources.cite(first)}.")
    # Other deals between the same parties, latest first, leaving out the same figures reported again.
    mine = {v for e in deal.evidence for v in headline_figures(e.quote).values()}
    others = [
        d
        for d in named or sel.deals
        if d is not deal and not mine & {v for e in d.evidence for v in headline_figures(e.quote).values()}
    ]
    others.sort(key=lambda d: max(e.published or "" for e in d.evidence), reverse=True)
    for other in others[:2]:
        rows.append(deal_row(f"Also {other.supplier} to {other.customer}, {other.type}", other, graph, sources))
    return Composed(text="\n".join([lead, *(f"- {r}" for r in rows)]), passages=sources.passages())


_UNCONFIRMED = ("reported", "rumored")


def _statuses(sel: Selection, deals: list[Deal], graph: DealGraph) -> Composed:
    """Several deals between the parties and nothing singling one out: how many stand, how many are
    only reported, how many ended, with a row per deal (the exceptions first)."""
    live = [d for d in deals if d.status not in ENDED and d.status not in _UNCONFIRMED]
    unconfirmed = [d for d in deals if d.status in _UNCONFIRMED]
    ended = [d for d in deals if d.status in ENDED]
    names = sel.targets or tuple(dict.fromkeys(n for d in deals for n in (d.supplier, d.customer)))
    pair = f"between {_join(names)}" if len(names) > 1 else f"of {names[0]}"
    verdict = "Yes" if live else "Not confirmed" if unconfirmed else "No"
    groups = [
        (live, "stand as announced or operational", "stands as announced or operational"),
        (unconfirmed, "are reported, not confirmed by the companies", "is reported, not confirmed by the companies"),
        (ended, "have stalled or ended", "has stalled or ended"),
    ]
    counts: list[str] = []
    for group, many, one in groups:
        if not group:
            continue
        whole = f"all {len(deals)} deals {pair}" if len(group) == len(deals) else ""
        head = whole or (f"{len(group)} of the {len(deals)} deals {pair}" if not counts else str(len(group)))
        counts.append(f"{head} {many if len(group) > 1 else one}")
    sources = Sources()
    latest_first = sorted(deals, key=_latest_report, reverse=True)
    ordered = [d for d in latest_first if d not in live] + [d for d in latest_first if d in live]
    rows = [f"- {deal_row(_type_label(d), d, graph, sources)}" for d in ordered]
    lead = f"{verdict}: {'; '.join(counts)}:"
    shown, rest = rows[:SHOWN_STATUS_ROWS], rows[SHOWN_STATUS_ROWS:]
    details = "\n".join(["The other deals:", *rest]) if rest else ""
    return Composed(text="\n".join([lead, *shown]), passages=sources.passages(), details=details)


def _type_label(deal: Deal) -> str:
    return f"{deal.supplier} to {deal.customer}, {deal.type}"


def missing_answer(plan: Plan, subject: str, evidence: list[Evidence | Passage], sources: Sources) -> Composed:
    """'The sources describe X but give no price:' then what they do say, quoted and cited."""
    label = _LABEL.get(plan.attribute, plan.attribute)
    lead = f"The sources describe {subject} but give no {label}:"
    rows: list[str] = []
    said: set[str] = set()
    for item in evidence:
        quote = bare(item.quote if isinstance(item, Evidence) else item.text)
        if quote in said:
            continue  # the same sentence reached us from the ledger and from retrieval
        said.add(quote)
        rows.append(f"- {quote} {sources.cite(item)}.")
        if len(rows) == 2:
            break
    return Composed(text="\n".join([lead, *rows]), passages=sources.passages(), missing=(plan.attribute,))


def graph_notes(question_companies: set[str], graph: DealGraph, sources: Sources, cited_docs: set[str]) -> list[str]:
    """What a few retrieved sentences can miss: sources that disagree about a deal the answer cites,
    and a later stall or end of a deal between the companies asked about."""
    ended: list[str] = []
    differ: dict[str, list[str]] = {"figures": [], "date": []}
    touched = [
        d
        for d in graph.deals_of(question_companies)
        if {e.doc_id for e in d.evidence} & cited_docs
        or (d.status in ENDED and {d.supplier, d.customer} <= question_companies)
    ]
    for deal in touched:
        if deal.status in ENDED and {deal.supplier, deal.customer} <= question_companies:
            latest = deal.evidence[-1]
            line = f"Later reports mark this deal as {deal.status}: {bare(latest.quote)} {sources.cite(latest)}."
            if line not in ended:
                ended.append(line)
        for attribute, sides in graph.conflicts(deal):
            if not {e.doc_id for e in sides} & cited_docs:
                continue
            if attribute == "figures":
                clauses = list(figure_clauses(sides, sources).values())
            else:
                clauses = [date_clause(deal, sides, graph, sources)]
            differ[attribute] += [f"- {c}." for c in clauses if f"- {c}." not in differ[attribute]]
    # Each clause is a sentence of its own under one lead-in, so it is checked on its figures and words.
    lines = ended[:2]
    for attribute, clauses in differ.items():
        if clauses:
            lines.append(f"Sources differ on the {attribute}:\n" + "\n".join(clauses[:3]))
    return lines


# -- pieces ----------------------------------------------------------------------------------------------


def consensus(evidence: list[Evidence] | tuple[Evidence, ...]) -> Evidence:
    """The evidence whose figures most other outlets share; the latest among equals."""
    return _consensus(tuple(evidence))


@lru_cache(maxsize=4096)
def _consensus(evidence: tuple[Evidence, ...]) -> Evidence:
    heads = [set(headline_figures(ev.quote).items()) for ev in evidence]

    def agreement(i: int) -> int:
        return sum(1 for j, other in enumerate(heads) if j != i and heads[i] & other)

    # A reviewed quote leads a machine-read one that agrees as much.
    best = max(reversed(range(len(evidence))), key=lambda i: (agreement(i), evidence[i].origin == "ledger"))
    return evidence[best]


def bare(quote: str) -> str:
    return quote.rstrip().rstrip(".")


def visible_words(text: str) -> int:
    """Words a reader sees, citation markers left out."""
    return len(re.sub(r"\[\d+\]", " ", text).split())


def _lead(plan: Plan, sel: Selection, count: int) -> str:
    kind = plan.kinds[0] if plan.kinds else ""
    label = f"{kind}s" if kind else "companies"
    if count == 1:
        label = kind or "company"
    target = _join(sel.targets) if sel.targets else sel.target
    since = f" since {date_words(plan.since)}" if plan.since and plan.intent == "changed_since" else ""
    if plan.intent == "changed_since":
        lead = f"The sources report {len(sel.deals)} {kind + ' ' if kind else ''}deals{since}"
    elif plan.intent == "count" and plan.threshold:
        unit, value = plan.threshold
        lead = f"The sources record {len(sel.deals)} deals of {value:g} {unit} or more"
    elif plan.intent == "count":
        lead = f"The sources record {len(sel.deals)} compute deals with {target}, from {count} {label}"
    elif plan.intent == "intersection":
        verb = "supply compute to both" if sel.role == "supplier" else "get compute from both"
        lead = f"{count} {label} {_agree(verb, count)} {_join(sel.targets, 'and')}"
    elif plan.intent == "between":
        n = len(sel.deals)
        reported = all(d.status in _UNCONFIRMED for d in sel.deals)
        verdict = "Reportedly, though not confirmed by the companies" if reported and n else "Yes"
        lead = f"{verdict}: the sources record {n} deal{'s' if n != 1 else ''} between {_join(sel.targets, 'and')}"
    elif count == 0:
        lead = f"The sources record no compute supply {'from' if sel.role == 'customer' else 'to'} {target}"
    else:
        gives, gets = _VERBS.get(plan.deal_types[0] if plan.deal_types else "compute", _VERBS["compute"])
        verb = gets if sel.role == "customer" else gives
        lead = f"The sources name {count} {label} that {_agree(verb, count)} {target}"
    if plan.excluded:
        lead += f", leaving out {_join(plan.excluded, 'and')}"
    if plan.as_of:
        lead += f" (sources published by {plan.as_of})"
    if sel.others:
        lead += f"; {len({_counterpart(d, sel.role) for d in sel.others})} more invest or finance rather than supply"
    return lead + ":"


def _budgeted(lead: str, rows: dict[tuple[str, bool], list[str]], order: list[tuple[str, bool]]) -> str:
    """The lead, then rows round by round within the budget: first each counterpart's most significant deal
    (most reported counterparts first, up to HARD_WORDS), then second deals and so on up to BUDGET_WORDS.
    Rows are shown in the order of `rows`."""
    chosen: dict[tuple[str, bool], list[str]] = {key: [] for key in rows}
    words = visible_words(lead)
    for depth in range(max((len(r) for r in rows.values()), default=0)):
        for key in order:
            items = rows[key]
            if depth < len(items):
                cost = visible_words(items[depth]) + 1
                if words + cost > (HARD_WORDS if depth == 0 else BUDGET_WORDS):
                    continue
                chosen[key].append(items[depth])
                words += cost
    return "\n".join([lead, *(f"- {r}" for key in rows for r in chosen[key])])


def joint_rows(lines: list[str], main: str = "compute") -> list[str]:
    """Rows that say the same of two counterparts (one joint announcement) become one row naming both;
    when one of them is a deal of another type, the other's type (`main`) is named too.

    >>> joint_rows(["- Broadcom: 3.5 GW [1].", "- Google: 3.5 GW [1].", "- Hut 8: $7 billion [2]."])
    ['- Broadcom and Google: 3.5 GW [1].', '- Hut 8: $7 billion [2].']
    """
    merged: list[str] = []
    where: dict[str, int] = {}
    for line in lines:
        label, colon, body = line.partition(": ")
        if not (line.startswith("- ") and colon):
            merged.append(line)
            continue
        if body in where:
            i = where[body]
            first, second = merged[i].partition(": ")[0], label[2:].removesuffix(", also")
            if second.endswith(")") and not first.endswith(")"):
                first += f" ({main})"
            merged[i] = f"{first} and {second}: {body}"
            continue
        where[body] = len(merged)
        merged.append(line)
    return merged


def _coverage(sel: Selection, sources: Sources, hidden: int, unlisted: int = 0) -> str:
    """'Coverage: 36 deals, 30 sources, 2023-01 to 2026-02-27; 16 more in the full list.'"""
    passages = sources.passages()
    dated = sorted(p.published for p in passages if p.published)
    span = f", {dated[0]} to {dated[-1]}" if dated else ""
    undated = sum(1 for p in passages if not p.published)
    more = f"; {hidden} more below" if hidden else ""
    more += f"; {unlisted} more in `assistant deals`" if unlisted else ""
    deals = len(sel.deals) + len(sel.others)
    documents = len(passages)
    return (
        f"Coverage: {deals} deal{'s' if deals != 1 else ''}, {documents} source{'s' if documents != 1 else ''}{span}"
        + (f", {undated} undated" if undated else "")
        + more
        + "."
    )


def _differ(conflicts: list[Conflict]) -> str:
    """' Sources differ on the figures of 3 deals (“A vs B”).' (or on the dates)"""
    for attribute, noun in (("figures", "figures"), ("date", "dates")):
        n = len({(c.supplier, c.customer) for c in conflicts if c.attribute == attribute})
        if n:
            return f" Sources differ on the {noun} of {n} deal{'s' if n > 1 else ''} (“A vs B”)."
    return ""


def _significance(deal: Deal) -> tuple[bool, str]:
    """Sort key: live deals before stalled ones, then the latest first (dates inverted digit by digit)."""
    latest = max((e.published or "" for e in deal.evidence), default="")
    day = deal.announced or latest
    return deal.status in ENDED, "".join(str(9 - int(c)) if c.isdigit() else c for c in day) or "~"


def _main_type(plan: Plan) -> str:
    return plan.deal_types[0] if plan.deal_types else "compute"


def _counterpart(deal: Deal, role: str) -> str:
    if role in ("supplier", "customer"):
        return getattr(deal, role)
    return f"{deal.supplier} to {deal.customer}"


def _surface(name: str, deal: Deal, graph: DealGraph) -> str:
    """The company as the deal's main quote names it: a name that extends ours ("Google Cloud"), or ours
    with the other name beside it when the quote only uses that one ("xAI (SpaceX)")."""
    quote = consensus(list(deal.evidence)).quote
    written = [quote[start:end] for start, end, canonical in graph.entities.spans(quote) if canonical == name]
    products = {p.lower() for p in graph.entities.entities[name].products} if name in graph.entities.entities else set()
    written = [w for w in written if w.lower() not in products]  # "Colossus 1" is xAI's product, not a name
    longer = [w for w in written if w.startswith(name) and len(w) > len(name)]
    if longer:
        return longer[0]
    if written and not any(w.lower() == name.lower() for w in written):
        return f"{name} ({written[0]})"
    return name


def _name_for(name: str, index: int) -> str:
    return name if index == 0 else f"{name}, also"


def _deal_name(deal: Deal) -> str:
    return f"{deal.supplier}'s deal with {deal.customer}"


def _what(deal: Deal, quote: str) -> str:
    clause = re.split(r"[;(,]", deal.resource)[0].strip()
    return clause if clause and textmatch.overlap(clause, quote) >= 0.6 else ""


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences.spans(text)]


def _checkable(row: str, evidence: list[Evidence]) -> bool:
    claim = citations.strip_markers(row)
    quotes = list(dict.fromkeys(e.quote for e in evidence))  # many reports may carry one wire sentence
    if textmatch.unsupported_figures(claim, " ".join(quotes)):
        return False
    return max((textmatch.overlap(claim, s) for q in quotes for s in _sentences(q)), default=0.0) >= CLOSE_ENOUGH


def _plain(kind: str, value: float) -> str:
    if kind == "w":
        return f"{value / 1e9:.2f}".rstrip("0").rstrip(".") + " GW" if value >= 1e9 else f"{value / 1e6:g} MW"
    if kind.startswith("usd"):
        return (
            f"${value / 1e9:,.2f}".rstrip("0").rstrip(".") + " billion"
            if value >= 1e9
            else f"${value / 1e6:,.0f} million"
        )
    return f"{value:,.0f}"


def _agree(verb: str, count: int) -> str:
    """The verb phrase for one subject or several.

    >>> _agree("supply compute to", 1), _agree("are invested in by", 1), _agree("finance", 2)
    ('supplies compute to', 'is invested in by', 'finance')
    """
    if count != 1:
        return verb
    first, _, rest = verb.partition(" ")
    first = {"are": "is"}.get(first) or (first[:-1] + "ies" if first.endswith("y") else first + "s")
    return f"{first} {rest}".strip()


def _join(names, word: str = "and") -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}" if names else ""


def _as_passage(item: Evidence | Passage) -> Passage:
    if isinstance(item, Passage):
        return item
    return Passage(
        chunk_id=f"{item.doc_id}@{item.start}",
        doc_id=item.doc_id,
        text=item.quote,
        score=1.0,
        title=item.title,
        publisher=item.publisher,
        url=item.url,
        published=item.published,
        start=item.start,
    )


def _with_text(passage: Passage, text: str) -> Passage:
    return replace(passage, text=text)
