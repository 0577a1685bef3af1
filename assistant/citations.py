"""Draft answer with [n] markers over numbered passages -> verified, renumbered citations.

Every sentence is checked against the passages it cites: its figures and companies must appear
there, and it must be close to one of their sentences (embedding similarity or word overlap).
Unknown numbers are dropped; "[3] ... [1]" becomes "[1] ... [2]" in order of first use.

    >>> renumber("AMD supplies 6 GW [3]. OpenAI pays [1][9].", valid=4)
    ('AMD supplies 6 GW [1]. OpenAI pays [2].', {3: 1, 1: 2})
"""

from __future__ import annotations

import re

from assistant import sentences, textmatch
from assistant.embedding import Vectors
from assistant.entities import EntityTable
from assistant.types import Citation, Passage, Verdict

MARKER = re.compile(r"\s?\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
SIM_SUPPORT = 0.62
OVERLAP_SUPPORT = 0.6
UNVERIFIED = " (unverified)"
MACHINE_READ = " (read from the text)"  # a note on a claim's source, not part of the claim
_LEAD_IN = "lead-in to a list"
_NO_FACTS = "no facts to cite"


def renumber(text: str, valid: int, mapping: dict[int, int] | None = None) -> tuple[str, dict[int, int]]:
    """Renumber markers by first use; numbers outside 1..valid are removed."""
    mapping = {} if mapping is None else mapping

    def swap(match: re.Match[str]) -> str:
        out = []
        for raw in re.split(r"\s*,\s*", match.group(1)):
            n = int(raw)
            if 1 <= n <= valid:
                new = mapping.setdefault(n, len(mapping) + 1)
                if f"[{new}]" not in out:
                    out.append(f"[{new}]")
        return (" " + "".join(out)) if out else ""

    text = MARKER.sub(swap, text)
    return re.sub(r"\](\s*)\[", lambda m: "][", text), mapping


def cited_numbers(sentence: str) -> list[int]:
    return [int(n) for group in MARKER.findall(sentence) for n in re.split(r"\s*,\s*", group)]


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).replace(UNVERIFIED, "").replace(MACHINE_READ, "").strip()


def verify(
    draft: str, passages: list[Passage], vectors: Vectors, entities: EntityTable
) -> tuple[str, list[Citation], list[Verdict]]:
    """Check each sentence of `draft` against its cited passages; return shown text, citations, verdicts."""
    text, mapping = renumber(draft, len(passages))
    by_new = {new: passages[old - 1] for old, new in mapping.items()}
    verdicts: list[Verdict] = []
    quotes: dict[int, tuple[float, tuple[int, int]]] = {}
    used: dict[int, list[tuple[int, int]]] = {}  # every span that served a claim, per citation
    support: dict[int, list[bool]] = {}
    pieces: list[str] = []
    cursor = 0
    for start, end in sentences.spans(text):
        sentence = text[start:end]
        numbers = [n for n in dict.fromkeys(cited_numbers(sentence)) if n in by_new]
        claim = strip_markers(sentence)
        verdict, spans = _judge(claim, numbers, by_new, vectors, entities)
        verdicts.append(verdict)
        for n, (score, span) in spans.items():
            if n not in quotes or score > quotes[n][0]:
                quotes[n] = (score, span)
            if span not in used.setdefault(n, []):
                used[n].append(span)
        for n in numbers:
            support.setdefault(n, []).append(verdict.supported)
        pieces.append(text[cursor:end])
        if not verdict.supported and (numbers or _has_facts(claim, entities)):
            pieces.append(UNVERIFIED)
        cursor = end
    pieces.append(text[cursor:])
    citations = []
    for n in sorted(by_new):
        passage = by_new[n]
        lo, hi = quotes[n][1] if n in quotes else (0, len(passage.text))
        citations.append(
            Citation(
                number=n,
                doc_id=passage.doc_id,
                title=passage.title,
                publisher=passage.publisher,
                url=passage.url,
                published=passage.published,
                quote=passage.text[lo:hi],
                verified=all(support.get(n, [False])),
                quotes=tuple(dict.fromkeys(passage.text[a:b] for a, b in sorted(used.get(n, [(lo, hi)])))),
            )
        )
    return "".join(pieces), citations, verdicts


def unsupported(verdicts: list[Verdict]) -> tuple[int, int]:
    """(unsupported, checked): sentences that state or cite something, and how many of those failed.

    Lead-ins and sentences without facts are not counted either way.
    """
    checked = [v for v in verdicts if v.citations or v.reason not in (_NO_FACTS, _LEAD_IN)]
    return sum(not v.supported for v in checked), len(checked)


def _judge(
    claim: str, numbers: list[int], by_new: dict[int, Passage], vectors: Vectors, entities: EntityTable
) -> tuple[Verdict, dict[int, tuple[float, tuple[int, int]]]]:
    if not numbers and claim.endswith(":"):
        return Verdict(claim, (), True, _LEAD_IN), {}
    if not numbers:
        facts = _has_facts(claim, entities)
        return Verdict(claim, (), not facts, "no citation" if facts else _NO_FACTS), {}
    cited = " ".join(by_new[n].text for n in numbers)
    missing = textmatch.unsupported_figures(claim, cited)
    # Each cited text is read for companies once (a list's rows cite the same quotes again and again).
    cited_companies = {
        c for n in numbers for text in (by_new[n].text, by_new[n].title) for c in entities.mentions(text)
    }
    strangers = [c for c in entities.mentions(claim) if c not in cited_companies]
    if not missing and not strangers:
        lexical = {
            n: max(
                ((textmatch.overlap(claim, by_new[n].text[s:e]), (s, e)) for s, e in sentences.spans(by_new[n].text))
            )
            for n in numbers
            if sentences.spans(by_new[n].text)
        }
        if lexical and max(lap for lap, _ in lexical.values()) >= OVERLAP_SUPPORT:
            # The cited sentences already hold the claim's words: supported without embedding it (a list of
            # hundreds of short rows stays cheap); each source is quoted by its closest sentence.
            best = max(lap for lap, _ in lexical.values())
            return Verdict(claim, tuple(numbers), True, "supported", round(best, 3)), dict(lexical.items())
    claim_vec = None
    spans: dict[int, tuple[float, tuple[int, int]]] = {}  # citation -> (closeness, best sentence)
    best_sim, best_overlap = 0.0, 0.0
    for n in numbers:
        text = by_new[n].text
        candidates = sentences.spans(text)
        if not candidates:
            continue
        quoted = [(s, e) for s, e in candidates if text[s:e].rstrip(".!?") in claim]
        if quoted:
            # The claim quotes the source word for word: no need to measure closeness.
            spans[n] = (2.0, (quoted[0][0], quoted[-1][1]))
            best_sim, best_overlap = 1.0, 1.0
            continue
        if claim_vec is None:
            claim_vec = vectors.query(claim)
        sims = vectors([text[s:e] for s, e in candidates]) @ claim_vec
        scored = [
            (
                0.7 * float(sim) + 0.3 * textmatch.overlap(claim, text[s:e]),
                float(sim),
                textmatch.overlap(claim, text[s:e]),
                (s, e),
            )
            for sim, (s, e) in zip(sims, candidates, strict=True)
        ]
        score, sim, lap, span = max(scored)
        spans[n] = (score, span)
        best_sim, best_overlap = max(best_sim, sim), max(best_overlap, lap)
    close = best_sim >= SIM_SUPPORT or best_overlap >= OVERLAP_SUPPORT
    if missing:
        reason = f"figures not in the cited sources: {', '.join(missing)}"
    elif strangers:
        reason = f"companies not in the cited sources: {', '.join(strangers)}"
    elif not close:
        reason = f"not close to any cited sentence (similarity {best_sim:.2f})"
    else:
        reason = "supported"
    return Verdict(claim, tuple(numbers), reason == "supported", reason, round(best_sim, 3)), spans


def _has_facts(claim: str, entities: EntityTable) -> bool:
    return bool(textmatch.figures(claim) or entities.mentions(claim))
