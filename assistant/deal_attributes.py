"""One deal sentence -> its attributes: scale figures, the date it gives, status, deal type, resource; a new
company's kind guessed from its name.

>>> scale_of("Hut 8 signed a $7 billion lease for 245 MW, with 18,000 Nvidia GB300 GPUs.")
'$7 billion; 245 MW; 18,000 Nvidia GB300 GPUs'
>>> date_of("AMD agreed on 6 October 2025 to supply OpenAI from 2026.", "2025-10-07")
'2025-10-06'
>>> status_of("Oracle was in talks with Meta"), guess_kind("Zephyr Cloud")
('rumored', 'neocloud')
"""

from __future__ import annotations

import re

from assistant import textmatch
from assistant.dates import MONTHS

_RESOURCE_WORDS = re.compile(
    r"(?:(?:[A-Z][\w.-]*|next-generation|custom|dedicated|cloud|AI|GPU|TPU)\s+){0,4}"
    r"(?:GPUs?|TPUs?|chips|accelerators|servers|cloud (?:capacity|computing|services)|computing capacity|compute"
    r"|data cent(?:er|re)s?|campus|capacity|infrastructure|supercomputer|cluster|systems)\b"
)

_DATE = re.compile(
    r"(?P<d1>\d{1,2})\s+(?P<m1>[A-Z][a-z]{2,8})\.?\s+(?P<y1>\d{4})"
    r"|(?P<m2>[A-Z][a-z]{2,8})\.?\s+(?P<d2>\d{1,2}),?\s+(?P<y2>\d{4})"
    r"|(?P<m3>[A-Z][a-z]{2,8})\s+(?P<y3>\d{4})"
)

_FUTURE = re.compile(
    r"\b(?:from|starting|beginning|by|through|until|toward|towards|before|end of|in the|targeted)\s+"
    r"(?:in\s+)?(?:early\s+|late\s+|mid-?)?$",
    re.I,
)

KIND_HINTS = [
    (re.compile(r"\b(?:labs?|ai|intelligence|research)$", re.I), "lab"),
    (re.compile(r"\b(?:cloud|compute|computing|gpu)$", re.I), "neocloud"),
    (re.compile(r"\b(?:data ?cent(?:er|re)s?|digital|infrastructure|hosting|dc)$", re.I), "data-center"),
    (re.compile(r"\b(?:capital|ventures|partners|fund|investments?|holdings)$", re.I), "investor"),
    (re.compile(r"\b(?:semiconductors?|chips?|silicon|micro|devices)$", re.I), "chipmaker"),
    (re.compile(r"\b(?:energy|power|utilities|electric)$", re.I), "energy"),
]

STATUS_CUES = [
    (re.compile(r"\b(?:denied|denies|deny)\b", re.I), "denied"),
    (
        re.compile(
            r"\b(?:halted|stalled|paused|collapsed|fell through|dropped|abandoned|never a binding|on hold)\b", re.I
        ),
        "stalled",
    ),
    (re.compile(r"\b(?:ended|terminated|cancell?ed|no longer|stopped being)\b", re.I), "ended"),
    (re.compile(r"\b(?:in talks|negotiat\w+|considering|exploring|rumou?r\w*|said to|reportedly)\b", re.I), "rumored"),
    (
        re.compile(
            r"\b(?:went live|is now running|now runs|came online|in service|is operational|began operating)\b", re.I
        ),
        "operational",
    ),
]

TYPES = [
    (re.compile(r"\b(?:backstop|guarantee\w*|unsold|unused)\b", re.I), "backstop"),
    (re.compile(r"\b(?:loan|debt financing|credit facility|financ(?:e|es|ed|ing))\b", re.I), "financing"),
    (re.compile(r"\b(?:invest(?:s|ed|ing|ment)?|stake|equity|funding round|shares)\b", re.I), "investment"),
]


def guess_kind(name: str) -> str:
    """A new company's kind from its name ("Zephyr Cloud" -> neocloud), else `unknown`."""
    for pattern, kind in KIND_HINTS:
        if pattern.search(name):
            return kind
    return "unknown"


def resource_of(sentence: str) -> str:
    m = _RESOURCE_WORDS.search(sentence)
    return m.group(0).strip() if m else ""


def scale_of(sentence: str) -> str:
    """Money, power and chip counts the sentence names, as written: '$7 billion; 245 MW'."""
    out = []
    for m in textmatch.FIGURE.finditer(sentence):
        if m.start("num") and sentence[m.start("num") - 1].isalnum():
            continue  # the 300 of "GB300"
        text = m.group(0).strip()
        unit = (m.group("unit") or "").lower()
        value = float(m.group("num").replace(",", ""))
        follows = sentence[m.end() : m.end() + 40]
        chips = re.match(r"\s*(?:[A-Z][\w-]*\s+){0,3}(?:GPUs?|TPUs?|chips|accelerators|H100s?|H200s?)", follows)
        if m.group("cur") or unit in ("mw", "gw", "megawatt", "megawatts", "gigawatt", "gigawatts") or chips:
            if not m.group("cur") and not unit and (value < 100 or 1900 <= value <= 2100) and not chips:
                continue
            out.append(text + (" " + chips.group(0).strip() if chips and not unit else ""))
    return "; ".join(dict.fromkeys(out))


def date_of(sentence: str, published: str | None) -> str | None:
    """The day or month the sentence dates the deal to (None when it names none: the source's own date
    is not a claim about the deal, so it never makes a date conflict)."""
    best = None
    for m in _DATE.finditer(sentence):
        month = MONTHS.get((m.group("m1") or m.group("m2") or m.group("m3") or "").lower())
        if not month or _FUTURE.search(sentence[: m.start()]):
            continue
        year = m.group("y1") or m.group("y2") or m.group("y3")
        day = m.group("d1") or m.group("d2")
        iso = f"{year}-{month:02d}" + (f"-{int(day):02d}" if day else "")
        if published and iso[:7] > published[:7]:
            continue  # a date after publication is a plan, not the announcement
        if best is None or (len(iso) > len(best) and iso.startswith(best[:7])):
            best = iso
        if day:
            break
    if best and published and len(best) == 7 and published.startswith(best):
        return published  # "in April 2026" in a report of 6 April 2026
    return best


def status_of(sentence: str) -> str:
    return next((status for pattern, status in STATUS_CUES if pattern.search(sentence)), "announced")


def type_of(sentence: str) -> str:
    return next((kind for pattern, kind in TYPES if pattern.search(sentence)), "compute")
