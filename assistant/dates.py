"""Dates named in questions -> ISO prefixes used as filters.

>>> as_of("As of March 2025, who supplied compute to Anthropic?")
'2025-03'
>>> since("What changed since 1 January 2026?")
'2026-01-01'
"""

from __future__ import annotations

import re

MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(), 1
    )
}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9

_DATE = (
    r"(?:(?P<d1>\d{1,2})\s+)?(?P<m1>[A-Za-z]{3,9})\.?\s+(?P<y1>\d{4})"
    r"|(?P<m2>[A-Za-z]{3,9})\.?\s+(?P<d2>\d{1,2}),?\s+(?P<y2>\d{4})"
    r"|(?P<iso>\d{4}-\d{2}(?:-\d{2})?)|(?:end of |mid-?|early |late )?(?P<y3>\d{4})"
)
_AS_OF = re.compile(
    r"\b(?:as of|as at|by|before|until|up to|at the end of|in early|in late|in)\s+(?:" + _DATE + r")", re.I
)
_SINCE = re.compile(r"\b(?:since|after|from)\s+(?:" + _DATE + r")", re.I)


def _iso(m: re.Match[str]) -> str | None:
    if m.group("iso"):
        return str(m.group("iso"))
    if m.group("y3"):
        return str(m.group("y3"))
    month_name, day, year = (
        (m.group("m1"), m.group("d1"), m.group("y1"))
        if m.group("y1")
        else (m.group("m2"), m.group("d2"), m.group("y2"))
    )
    month = MONTHS.get((month_name or "").lower())
    if not month:
        return None
    return f"{year}-{month:02d}" + (f"-{int(day):02d}" if day else "")


def as_of(question: str) -> str | None:
    """The date a question looks back from ("as of March 2025" -> '2025-03'), if any."""
    m = _AS_OF.search(question)
    if m and m.group(0).lower().startswith("in ") and not re.search(r"\b(?:as of|by)\b", question, re.I):
        return None  # "deals in 2025" is a period, not a cut-off
    return _iso(m) if m else None


def since(question: str) -> str | None:
    m = _SINCE.search(question)
    return _iso(m) if m else None


def on_or_before(published: str | None, cutoff: str) -> bool:
    """Whether a (possibly partial) ISO date falls on or before a (possibly partial) cut-off."""
    if not published:
        return True  # undated sources are kept and shown as undated
    return published[: len(cutoff)] <= cutoff
