"""The notes' `deals:` ledgers and the deals read from other documents -> one networkx graph of
supplier -> customer deals with evidence.

Entries from different notes about the same pair within a few weeks are one deal with several
pieces of evidence, whatever their origin; when those notes give different figures or dates, the
deal carries a conflict. Companies found only in new reports are nodes too (kind guessed or unknown).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from functools import lru_cache

import networkx as nx

from assistant import textmatch
from assistant.dates import on_or_before
from assistant.entities import EntityTable
from assistant.types import Deal, Evidence

SAME_DEAL_DAYS = 21
DATE_SLACK_DAYS = 2  # outlets a day or two apart (time zones, overnight reports) date the same announcement
SAME_RESOURCE = 0.25  # word overlap (Jaccard) of two entries' resource for them to be one deal
RARE_SHARE = 0.15  # a name in at most this share of deal descriptions can single a deal out ("Abilene")
# A word written as a name: capitalised past a text's first word, or with a digit ("Abilene", "GB300").
NAME_TOKEN = re.compile(r"(?<=\S )(?:[A-Z][\w-]*|[a-z-]*\d[\w-]*[a-z][\w-]*)")
_STATUS_ORDER = ("rumored", "reported", "announced", "operational", "stalled", "ended", "denied")


def _day(iso: str | None) -> dt.date | None:
    if not iso:
        return None
    parts = (iso + "-01-01")[:10] if len(iso) < 10 else iso
    return dt.date.fromisoformat(parts)


class DealGraph:
    """A MultiDiGraph: nodes are canonical companies (with `kind`), edges are deals."""

    def __init__(self, graph: nx.MultiDiGraph, entities: EntityTable) -> None:
        self.graph = graph
        self.entities = entities
        self._conflicts: dict = {}
        self._entries: dict[tuple[str, str, Evidence], dict] | None = None  # (pair, evidence) -> ledger entry
        self._rare: frozenset[str] | None = None
        self._groups: dict[tuple[str, str], tuple[tuple, list]] = {}  # pair -> (its claims, their clusters)
        self._basis: tuple = ()

    @classmethod
    def from_documents(
        cls, documents: dict[str, dict], entities: EntityTable, previous: DealGraph | None = None
    ) -> DealGraph:
        """Build from the store's document table (each document's `deals` JSON travels with it).

        With `previous` (the graph of an earlier version of the same store), pairs whose claims did not
        change keep their clustering: after a one-document ingest only the pairs it touches are redone."""
        claims: dict[tuple[str, str], list[tuple[dict, Evidence]]] = {}
        provisional = {
            name: kind
            for meta in documents.values()
            for name, kind in json.loads(meta.get("new_companies") or "[]")
            if not entities.resolve(name)
        }
        basis = (entities.fingerprint, tuple(sorted(provisional.items())))
        known = previous._groups if previous is not None and previous._basis == basis else {}
        entities = entities.with_provisional(provisional)
        for doc_id, meta in sorted(documents.items()):
            for entry in json.loads(meta.get("deals") or "[]"):
                supplier = entities.resolve(entry["supplier"]) or entry["supplier"]
                customer = entities.resolve(entry["customer"]) or entry["customer"]
                start = int(entry.get("start", -1))
                evidence = Evidence(
                    doc_id,
                    meta.get("title", ""),
                    meta.get("publisher", ""),
                    meta.get("url", ""),
                    meta.get("published") or None,
                    entry["quote"],
                    start,
                    start + len(entry["quote"]),
                    entry.get("origin") or "ledger",
                )
                claims.setdefault((supplier, customer), []).append((entry, evidence))
        graph = nx.MultiDiGraph()
        for name, entity in entities.entities.items():
            graph.add_node(name, kind=entity.kind)
        built = cls(graph, entities)
        built._basis = basis
        if known:
            # Conflicts are keyed by a deal's exact evidence: those of unchanged deals still hold.
            built._conflicts = dict(previous._conflicts) if previous is not None else {}
        for (supplier, customer), items in claims.items():
            key = tuple((ev, repr(entry)) for entry, ev in items)
            groups = known[(supplier, customer)][1] if known.get((supplier, customer), ((),))[0] == key else None
            if groups is None:
                groups = [(group, _deal(supplier, customer, group)) for group in _cluster(items)]
            built._groups[(supplier, customer)] = (key, groups)
            for group, deal in groups:
                graph.add_edge(supplier, customer, deal=deal, claims=group)
        return built

    def deals(
        self,
        supplier: str | None = None,
        customer: str | None = None,
        as_of: str | None = None,
        status: str | None = None,
        since: str | None = None,
    ) -> list[Deal]:
        """Deals matching every given filter; `as_of` keeps only evidence published by then (undated kept)."""
        want_s = self.entities.resolve(supplier) or supplier if supplier else None
        want_c = self.entities.resolve(customer) or customer if customer else None
        out = []
        for s, c, data in self.graph.edges(data=True):
            if (want_s and s != want_s) or (want_c and c != want_c):
                continue
            deal: Deal = data["deal"]
            if as_of:
                kept = [e for e in deal.evidence if on_or_before(e.published, as_of)]
                if (
                    not kept
                    or all(e.published is None for e in kept)
                    and deal.announced
                    and not on_or_before(deal.announced, as_of)
                ):
                    continue
                deal = _deal(s, c, [(entry, ev) for entry, ev in data["claims"] if ev in kept])
            if since and not any(e.published and e.published[: len(since)] >= since for e in deal.evidence):
                continue
            if status and deal.status != status:
                continue
            out.append(deal)
        return sorted(out, key=lambda d: (d.supplier, d.customer, d.announced or ""))

    def deals_of(self, companies: set[str]) -> list[Deal]:
        """Every deal in which one of `companies` is supplier or customer (no filters, no copies)."""
        out = []
        for name in companies & set(self.graph.nodes):
            out += [data["deal"] for _, _, data in self.graph.out_edges(name, data=True)]
            out += [
                data["deal"]
                for _, _, data in self.graph.in_edges(name, data=True)
                if data["deal"].supplier not in companies
            ]
        return out

    def conflicts(self, deal: Deal) -> list[tuple[str, list[Evidence]]]:
        """(what, the evidence on each side) where outlets disagree about this deal.

        `figures`: their headline figures differ; `date`: they date the announcement to different days.
        Computed once per deal.
        """
        key = (deal.supplier, deal.customer, deal.evidence)
        if key not in self._conflicts:
            self._conflicts[key] = self._find_conflicts(deal)
        return self._conflicts[key]

    def _find_conflicts(self, deal: Deal) -> list[tuple[str, list[Evidence]]]:
        ev = [e for e in deal.evidence if e.publisher != "unsourced"]
        found = []
        if any(
            disputed_kinds(a.quote, b.quote)
            for i, a in enumerate(ev)
            for b in ev[i + 1 :]
            if a.publisher != b.publisher
        ):
            found.append(("figures", ev))
        days: dict[str, Evidence] = {}
        for entry, evidence in self._claims(deal):
            day = entry.get("announced") or ""
            if len(day) == 10 and evidence.publisher != "unsourced" and day not in days:
                if all(other.publisher != evidence.publisher for other in days.values()):
                    days[day] = evidence
        if len(days) > 1 and (_day(max(days)) - _day(min(days))).days > DATE_SLACK_DAYS:  # type: ignore[operator]
            found.append(("date", [days[d] for d in sorted(days)]))
        return found

    def claimed_days(self, deal: Deal) -> dict[Evidence, str]:
        """The announcement day each piece of a deal's evidence gives in its ledger entry."""
        return {ev: entry.get("announced") or "" for entry, ev in self._claims(deal)}

    def _claims(self, deal: Deal) -> list[tuple[dict, Evidence]]:
        if self._entries is None:
            entries: dict[tuple[str, str, Evidence], dict] = {}
            for supplier, customer, data in self.graph.edges(data=True):
                for entry, ev in data["claims"]:
                    entries.setdefault((supplier, customer, ev), entry)
            self._entries = entries
        found = [(self._entries.get((deal.supplier, deal.customer, ev)), ev) for ev in deal.evidence]
        return [(entry, ev) for entry, ev in found if entry is not None]

    def rare_words(self) -> frozenset[str]:
        """Names that single deals out: words the deal descriptions (resource and scale) write as names
        (capitalised past the first word, or with a digit: "Abilene", "UAE", "GB300") and that at most
        RARE_SHARE of the deals hold. "contract" or "capacity" are no names; "GPU" is in too many."""
        if self._rare is None:
            counts: Counter[str] = Counter()
            named: set[str] = set()
            edges = list(self.graph.edges(data=True))
            for _, _, data in edges:
                text = f"{data['deal'].resource} {data['deal'].scale}"
                counts.update(set(textmatch.words(text)))
                for token in NAME_TOKEN.findall(text):
                    named.update(textmatch.words(token))
            limit = max(3, int(RARE_SHARE * len(edges)))
            self._rare = frozenset(w for w in named if counts[w] <= limit)
        return self._rare

    def warm(self) -> None:
        """Find every deal's conflicts, and the names that single deals out, now (a list answer at scale
        reads dozens of deals' conflicts)."""
        for _, _, data in self.graph.edges(data=True):
            self.conflicts(data["deal"])
        self.rare_words()

    def new_companies(self) -> list[tuple[str, str, list[Evidence]]]:
        """(name, guessed kind, evidence naming it) for each company read from new reports only."""
        out = []
        for name in sorted(self.entities.provisional):
            evidence = {ev for d in self.deals_of({name}) for ev in d.evidence}
            out.append((name, self.kind(name) or "unknown", sorted(evidence, key=lambda e: (e.doc_id, e.start))))
        return out

    def companies(self) -> list[str]:
        return sorted(self.graph.nodes)

    def kind(self, name: str) -> str | None:
        return self.graph.nodes[name].get("kind") if name in self.graph else None


def _cluster(items: list[tuple[dict, Evidence]]) -> list[list[tuple[dict, Evidence]]]:
    """Split one pair's entries into deals: announced within SAME_DEAL_DAYS and about the same resource."""
    dated = sorted(items, key=lambda it: _day(it[0].get("announced") or it[1].published) or dt.date.max)
    groups: list[list[tuple[dict, Evidence]]] = []
    for item in dated:
        day = _day(item[0].get("announced") or item[1].published)
        home = None
        for group in groups:
            first = _day(group[0][0].get("announced") or group[0][1].published)
            near = day is not None and first is not None and abs((day - first).days) <= SAME_DEAL_DAYS
            if near and any(_same_resource(item[0], other[0]) or _same_terms(item, other) for other in group):
                home = group
                break
        if home is None:
            groups.append([item])
        else:
            home.append(item)
    return groups


def _same_terms(a: tuple[dict, Evidence], b: tuple[dict, Evidence]) -> bool:
    """Entries of one type announced the same day with the same headline figures are one deal, however
    each report words the resource (a letter of intent, and the later report that it stalled)."""
    day = a[0].get("announced")
    if not day or str(day) != str(b[0].get("announced")) or a[0].get("type") != b[0].get("type"):
        return False
    ha = headline_figures(f"{a[1].quote} {a[0].get('scale', '')}")
    hb = headline_figures(f"{b[1].quote} {b[0].get('scale', '')}")
    shared = ha.keys() & hb.keys()
    return bool(shared) and all(abs(ha[k] - hb[k]) <= 0.02 * max(ha[k], hb[k]) for k in shared)


def _same_resource(a: dict, b: dict) -> bool:
    """Two entries' resources are one deal's: enough shared words, or, when either was read from the
    text (a short phrase like "GPUs"), any shared word or no resource named at all."""
    overlap = textmatch.jaccard(a["resource"], b["resource"])
    if "extracted" in (a.get("origin"), b.get("origin")):
        return overlap > 0 or not a["resource"] or not b["resource"]
    return overlap >= SAME_RESOURCE


def _deal(supplier: str, customer: str, group: list[tuple[dict, Evidence]]) -> Deal:
    entries = [e for e, _ in group]
    latest = max(group, key=lambda it: (it[1].published or "", _STATUS_ORDER.index(it[0]["status"])))
    announced = sorted(str(e["announced"]) for e in entries if e.get("announced"))
    resource = Counter(e["resource"] for e in entries).most_common(1)[0][0]
    return Deal(
        supplier=supplier,
        customer=customer,
        resource=resource,
        scale=latest[0].get("scale") or entries[0].get("scale") or "",
        announced=announced[0] if announced else None,
        status=latest[0]["status"],
        type=Counter(e.get("type") or "compute" for e in entries).most_common(1)[0][0],
        origin="ledger" if any(e.get("origin", "ledger") == "ledger" for e in entries) else "extracted",
        evidence=tuple(sorted((ev for _, ev in group), key=lambda ev: (ev.published or "9999", ev.doc_id))),
    )


def disputed_kinds(a: str, b: str) -> set[str]:
    """The kinds of figure (`figure_role`) on which two quotes disagree: their first figures differ by over
    2% and neither matches the other's parts added up.

    "1 million Trainium2 chips now" vs "about 500,000 at launch, 1 million by year end" disagree;
    two quotes that both lead with "$30 billion" do not, nor "will invest $5 billion" and "will spend
    $100 billion", nor "$1.25 billion a month" and "about $45 billion", nor "$15 billion" and
    "up to $5 billion from Microsoft and up to $10 billion from Nvidia".
    """
    return _disputed(_figure_sets(a), _figure_sets(b))


def disputed_among(quotes: list[str]) -> set[str]:
    """The kinds of figure on which any two of `quotes` disagree (each distinct set of figures compared once)."""
    distinct = list({tuple(sorted((k, tuple(v)) for k, v in _figure_sets(q).items())): q for q in quotes}.values())
    return {k for i, a in enumerate(distinct) for b in distinct[i + 1 :] for k in disputed_kinds(a, b)}


def _disputed(fa: dict[str, list[float]], fb: dict[str, list[float]]) -> set[str]:

    def close(x: float, y: float) -> bool:
        return abs(x - y) <= 0.02 * max(x, y)

    out = set()
    for key in fa.keys() & fb.keys():
        xa, xb = fa[key], fb[key]
        if close(xa[0], xb[0]) or close(xa[0], sum(xb)) or close(sum(xa), xb[0]) or close(sum(xa), sum(xb)):
            continue
        out.add(key)
    return out


_RATE = re.compile(
    r"\s*(?:(?:per|a|an|each)\s+(?:month|year|hour|GPU|chip|share|unit|kWh|MWh)\b|monthly\b|annually\b)", re.I
)
_INVEST = re.compile(r"\b(?:invest\w*|stake|equity|funding|fund(?:s|ed)?|valu\w+|rais\w+|back(?:s|ed|ing))\b", re.I)
_SPEND = re.compile(r"\b(?:spend\w*|spent|commit\w*|buy\w*|bought|purchas\w+|pay\w*|paid|contract\w*|pledg\w+)\b", re.I)
_CLAUSE_BREAK = re.compile(r"[;:()]|,\s(?!and up to|up to)|\b(?:while|whereas|but)\b|\band\s+(?=[A-Z])")


_COMPANY_FIGURE = re.compile(r"\b(?:revenue|revenues|sales|earnings|profit|net income|market (?:value|cap\w*))\b", re.I)


def figure_role(text: str, start: int, end: int, kind: str) -> str:
    """The figure's kind, and for money its role: 'usd:rate' (a monthly or yearly price),
    'usd:invest' (an equity investment or a valuation), 'usd:company' (a company's revenue or
    earnings) or plain 'usd' (a deal's value or spend).

    >>> s = "Amazon will invest $5 billion, while Anthropic spends $100 billion on AWS."
    >>> figure_role(s, 19, 29, "usd"), figure_role(s, 52, 64, "usd")
    ('usd:invest', 'usd')
    """
    if kind != "usd":
        return kind
    if _RATE.match(text, end):
        return "usd:rate"
    before = text[max(0, start - 60) : start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    after = text[end : end + 25].split(",")[0]
    if re.match(r"\s*(?:\w+\s)?(?:investment|stake|funding|valuation|into)\b", after, re.I):
        return "usd:invest"
    if _COMPANY_FIGURE.search(clause):
        return "usd:company"  # a company's revenue or earnings, not what a deal is worth
    for span in (clause, text[:start]):  # a clause without its own verb ("and Nvidia $10 billion") shares the last one
        verbs = [(m.start(), "invest") for m in _INVEST.finditer(span)]
        verbs += [(m.start(), "spend") for m in _SPEND.finditer(span)]
        if verbs:
            return "usd:invest" if max(verbs)[1] == "invest" else "usd"
    return "usd"


def compared_figures(text: str) -> dict[str, float]:
    """The first figure of each kind and role a text names: {'usd': 1e11, 'usd:invest': 5e9, 'w': 5e9}."""
    return {key: values[0] for key, values in _figure_sets(text).items()}


@lru_cache(maxsize=1 << 16)
def _figure_sets(text: str) -> dict[str, list[float]]:
    """Every compared figure of a text by kind and role, in order (cached: callers must not change it)."""
    out: dict[str, list[float]] = {}
    for match in textmatch.FIGURE.finditer(text):
        for kind, value in textmatch.figures(match.group(0)):
            if not compared(kind, value):
                continue
            out.setdefault(figure_role(text, match.start(), match.end(), kind), []).append(value)
    return out


@lru_cache(maxsize=1 << 16)
def headline_figures(text: str) -> dict[str, float]:
    """The first money, power and count (not a year) a text names: {'usd': 3e10, 'n': 220000.0}.
    (Cached: callers must not change it.)"""
    out: dict[str, float] = {}
    for match in textmatch.FIGURE.finditer(text):
        for kind, value in textmatch.figures(match.group(0)):
            if kind in out or not compared(kind, value):
                continue
            if kind == "usd" and figure_role(text, match.start(), match.end(), kind) == "usd:company":
                continue  # a company's revenue is not the size of its deal
            out[kind] = value
    return out


def compared(kind: str, value: float) -> bool:
    """Whether a figure says how big a deal is: not a share, a year or a small count ("two sites")."""
    return kind != "pct" and not (kind == "n" and (value < 1000 or 1900 <= value <= 2100))
