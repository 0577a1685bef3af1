"""Lexical pieces shared by the answerers and the verifier: content words and normalised figures.

>>> sorted(figures("Google pays $0.92 billion a month for 110,000 GPUs"))
[('n', 110000.0), ('usd', 920000000.0)]
"""

from __future__ import annotations

import re
from functools import lru_cache

STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on
once only or other our out over own same she should so some such than that the their them then there
these they this those through to too under until up very was we were what when where which while who whom
why will with would you your yes per vs says said according reported report reports much many
""".split()
)

_WORD = re.compile(r"[a-z0-9][a-z0-9.'-]*[a-z0-9]|[a-z0-9]")
_MULT = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "t": 1e12,
}
_POWER = {"mw": 1e6, "megawatt": 1e6, "megawatts": 1e6, "gw": 1e9, "gigawatt": 1e9, "gigawatts": 1e9}
FIGURE = re.compile(
    r"(?P<cur>[$€£])?\s?(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?"
    r"(?P<unit>thousand|million|billion|trillion|bn|mn|tn|megawatts?|gigawatts?|mw|gw|k|m|b|t|%|percent)?(?![\w])",
    re.IGNORECASE,
)


def words(text: str) -> list[str]:
    """Lower-case content words with a light plural strip ("chips" -> "chip")."""
    return list(_words(text))


@lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    out = []
    for word in _WORD.findall(text.lower().replace("’", "'")):
        word = word.removesuffix("'s")
        if word in STOPWORDS or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and not word[-2].isdigit():
            word = word[:-1]
        out.append(word)
    return tuple(out)


def overlap(question: str, sentence: str) -> float:
    """Share of the question's content words found in the sentence (0..1)."""
    q = set(words(question))
    return len(q & set(words(sentence))) / len(q) if q else 0.0


def jaccard(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def restates(sentence: str, shown: list[str], run: int = 4) -> bool:
    """Whether `sentence` says again what the `shown` sentences say: most of the same words, or a run of
    `run` content words one of them has too, with no figure they lack.

    >>> a = "Microsoft gave up its exclusive cloud role and kept a right of first refusal on new OpenAI capacity."
    >>> restates("In 2025 Microsoft moved to a right of first refusal on new OpenAI capacity.", [a + " (2025)"])
    True
    >>> restates("Microsoft's right of first refusal on new OpenAI capacity ends in 2030, a filing shows.", [a])
    False
    """
    mine = words(sentence)
    grams = {tuple(mine[i : i + run]) for i in range(len(mine) - run + 1)}
    known = set().union(*(figures(s) for s in shown)) if shown else set()
    new = {f for f in figures(sentence) - known if not (f[0] == "n" and f[1] <= 31)}  # a day of the month is no news
    for other in shown:
        if jaccard(sentence, other) > 0.55:
            return True
        theirs = words(other)
        if not new and grams & {tuple(theirs[i : i + run]) for i in range(len(theirs) - run + 1)}:
            return True
    return False


def shares_run(sentence: str, shown: list[str], run: int = 8) -> bool:
    """Whether `sentence` repeats `run` words in a row (stop words included) of one of the `shown`
    sentences: a reader sees the same words twice, even when the rest is new.

    >>> shown = ["X was renting about 16,000 Nvidia GPUs from Oracle."]
    >>> shares_run("X kept renting about 16,000 Nvidia GPUs from Oracle, GN said.", shown)
    True
    """
    mine = _RUN_WORD.findall(sentence.lower())
    grams = {tuple(mine[i : i + run]) for i in range(len(mine) - run + 1)}
    for other in shown:
        theirs = _RUN_WORD.findall(other.lower())
        if grams & {tuple(theirs[i : i + run]) for i in range(len(theirs) - run + 1)}:
            return True
    return False


_RUN_WORD = re.compile(r"[a-z0-9]+")


def figures(text: str) -> frozenset[tuple[str, float]]:
    """Numbers with their kind: ('usd', 9.2e8), ('w', 6e9), ('pct', 27.0), ('n', 220000.0).
    (Cached per sentence: the same quotes are weighed many times, alone and joined, in one list answer.)"""
    if len(text) > _LONG and ". " in text:
        return frozenset().union(*(_figures(part) for part in text.split(". ")))
    return _figures(text)


_LONG = 400  # a text longer than this is read sentence by sentence, so joined quotes reuse each quote's figures


@lru_cache(maxsize=1 << 16)
def _figures(text: str) -> frozenset[tuple[str, float]]:
    found = set()
    for m in FIGURE.finditer(text):
        value = float(m.group("num").replace(",", ""))
        unit = (m.group("unit") or "").lower()
        if unit in _POWER:
            found.add(("w", value * _POWER[unit]))
        elif unit in ("%", "percent"):
            found.add(("pct", value))
        else:
            value *= _MULT.get(unit, 1.0)
            found.add(("usd" if m.group("cur") else "n", value))
    return frozenset(found)


def unsupported_figures(sentence: str, sources: str) -> list[str]:
    """Figures in `sentence` that appear nowhere in `sources` (money, power, counts, years)."""
    have = figures(sources)
    values = {v for _, v in have}
    missing = []
    for m in FIGURE.finditer(sentence):
        for kind, value in figures(m.group(0)):
            if kind == "n" and value < 10 and "." not in m.group("num"):
                continue  # small counts ("two sites", "3 years") are too ambiguous to police
            ok = (
                (kind, value) in have
                or (kind == "n" and value in values)
                or (kind in ("usd", "w", "pct") and any(abs(v - value) <= 0.005 * value for k, v in have if k == kind))
            )
            if not ok:
                missing.append(m.group(0).strip())
    return missing
