"""question + passages -> a draft answer made of source sentences, each with its [n] marker.

The offline default: it ranks every sentence of the retrieved passages by meaning (MiniLM
cosine), shared words, shared companies and shared figures; keeps the best few that are not
near-duplicates; and quotes them word for word. When the evidence is weak it abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant import sentences, textmatch
from assistant.compose import names_detail, states, states_exactly
from assistant.embedding import Vectors
from assistant.entities import EntityTable
from assistant.slots import read_slots
from assistant.types import Passage

MAX_SENTENCES = 4
MIN_SCORE = 0.3  # below this the best sentence does not answer the question (tuned on the dev split of the eval set)
MIN_SCORE_ARTICLE = 0.2  # a question about "the article" already names its source
KEEP_RATIO = 0.8
DETAIL_BONUS = 0.08  # for a sentence that states the detail asked for (a duration for "how long")
# "Where is X, and how much is Y paying?": a second question joined by "and" is answered on its own.
_SECOND_QUESTION = re.compile(
    r"(?:[,;]\s*|\s+)(?:and|but|also)\s+(?=(?:how|what|when|where|which|who|whose|why|is|are|was|were|does|did"
    r"|do|has|have|can|will)\b)",
    re.I,
)


@dataclass(frozen=True)
class Candidate:
    passage: int  # 1-based position in the passage list
    text: str
    score: float
    companies: frozenset[str]
    start: int = 0  # offset of the sentence in its passage


def question_parts(question: str) -> list[str]:
    """The questions a question asks: "Where is it, and how much is paid up front?" asks two.

    >>> question_parts("Where is IREN building it, and how much is Microsoft paying up front?")
    ['Where is IREN building it', 'how much is Microsoft paying up front?']
    >>> question_parts("Who supplies Amazon and Google?")
    ['Who supplies Amazon and Google?']
    """
    parts = [p.strip(" ,;") for p in _SECOND_QUESTION.split(question)]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) > 1 else [question]


def rank_sentences(
    question: str,
    passages: list[Passage],
    vectors: Vectors,
    entities: EntityTable,
    attribute: str = "",
    detail: str = "",
) -> list[Candidate]:
    """Every usable sentence of the passages, best first; those that state the `attribute` asked for (a
    duration, a price) or name the `detail` asked for ("penalty") rank higher."""
    asked = set(entities.mentions(question))
    asked_figures = {v for _, v in textmatch.figures(question)}
    raw: list[tuple[int, str, int]] = []
    for i, passage in enumerate(passages, start=1):
        for start, end in sentences.spans(passage.text):
            text = passage.text[start:end]
            if not text.rstrip("\"'’”)").endswith((".", "!", "?")) or len(text.split()) < 5:
                continue  # headings and fragments are not answers
            raw.append((i, text, start))
    if not raw:
        return []
    sims = vectors([t for _, t, _ in raw]) @ vectors.query(question)
    ranked = []
    for (i, text, start), sim in zip(raw, sims, strict=True):
        named = frozenset(entities.mentions(text))
        entity = len(asked & named) / len(asked) if asked else 0.0
        figure = 1.0 if asked_figures & {v for _, v in textmatch.figures(text)} else 0.0
        rank_bonus = 0.04 * (1 - (i - 1) / max(len(passages), 1))
        score = (
            0.55 * float(sim) + 0.25 * textmatch.overlap(question, text) + 0.15 * entity + 0.05 * figure + rank_bonus
        )
        if attribute and states(attribute, text, question) or detail and names_detail(detail, text):
            score += DETAIL_BONUS
        ranked.append(Candidate(i, text, score, named, start))
    return sorted(ranked, key=lambda c: c.score, reverse=True)


def select(ranked: list[Candidate], min_score: float = MIN_SCORE, limit: int = MAX_SENTENCES) -> list[Candidate]:
    """The best sentences, skipping near-duplicates."""
    if not ranked or ranked[0].score < min_score:
        return []
    chosen: list[Candidate] = []
    floor = ranked[0].score * KEEP_RATIO
    for cand in ranked:
        if len(chosen) >= limit or cand.score < floor:
            break
        if _said_again(cand.text, [c.text for c in chosen]):
            continue
        chosen.append(cand)
    return chosen


def draft(
    question: str,
    passages: list[Passage],
    vectors: Vectors,
    entities: EntityTable,
    min_score: float = MIN_SCORE,
    attribute: str = "",
    detail: str = "",
) -> tuple[str, list[Passage]] | None:
    """Answer text whose [n] markers number the quoted sentences themselves, and those sentences
    as passages (so each citation quotes exactly one sentence); None when nothing answers.

    A question that asks two things gets the best sentence for each part first, in the order asked."""
    ranked = rank_sentences(question, passages, vectors, entities, attribute, detail)
    asked = set(entities.mentions(question))
    if 0 < len(asked) <= 2:
        # An answer about two companies must be about both: prefer sentences naming every one of
        # them, and abstain when the chosen sentences leave one out ("Anthropic pays Lambda?").
        # A sentence that names the detail asked for and one of them answers too ("the Michigan utility").
        both = [
            c for c in ranked if asked <= c.companies or detail and asked & c.companies and names_detail(detail, c.text)
        ]
        if not both and len(asked) == 2:
            return None  # no sentence puts the two together: quoting each apart would imply a link
        ranked = both + [c for c in ranked if not asked <= c.companies]
    chosen = select(ranked, min_score)
    if chosen and attribute:
        chosen = _answer_first(chosen, ranked, attribute, question)
    parts = question_parts(question)
    if chosen and len(parts) > 1:
        chosen = _each_part_answered(question, parts, passages, vectors, entities, chosen, min_score)
    if not chosen or not asked <= frozenset().union(*(c.companies for c in chosen)):
        return None
    quoted: list[Passage] = []
    parts = []
    for cand in chosen:
        source = passages[cand.passage - 1]
        quoted.append(
            replace(
                source,
                chunk_id=f"{source.chunk_id}@{cand.start}",
                text=cand.text,
                start=source.start + cand.start,
                score=round(cand.score, 4),
            )
        )
        parts.append(cite_sentence(cand.text, len(quoted)))
    return " ".join(parts), quoted


def _answer_first(chosen: list[Candidate], ranked: list[Candidate], attribute: str, question: str) -> list[Candidate]:
    """The chosen sentences with the best one that states the asked detail exactly ("a five-year lease"
    for "how long") first; taken from the next-best sentences when none of the chosen states it."""
    floor = chosen[0].score * KEEP_RATIO**2
    stating = next(
        (c for c in ranked if c.score >= floor and states_exactly(attribute, c.text, question)),
        None,
    )
    if stating is None or stating is chosen[0]:
        return chosen
    rest = [c for c in chosen if c is not stating and not textmatch.restates(c.text, [stating.text])]
    return [stating, *rest][: max(len(chosen), 1)]


def _each_part_answered(
    question: str,
    parts: list[str],
    passages: list[Passage],
    vectors: Vectors,
    entities: EntityTable,
    chosen: list[Candidate],
    min_score: float,
) -> list[Candidate]:
    """The best sentence for each part of the question, then the rest of `chosen`."""
    surfaces = list(dict.fromkeys(question[s:e] for s, e, _ in entities.spans(question)))
    first: list[Candidate] = []
    for part in parts:
        unnamed = [n for n in surfaces if n not in part]
        query = f"{part} ({', '.join(unnamed)})" if unnamed else part
        attribute = read_slots(part, entities).attribute
        best = select(rank_sentences(query, passages, vectors, entities, attribute), min_score, limit=1)
        if best and not _said_again(best[0].text, [c.text for c in first]):
            first.append(best[0])
    rest = [c for c in chosen if not _said_again(c.text, [f.text for f in first])]
    return (first + rest)[: MAX_SENTENCES + len(first) - 1]


def _said_again(sentence: str, said: list[str]) -> bool:
    """Whether a sentence restates one already chosen, or shows a run of eight of its words again."""
    return textmatch.restates(sentence, said) or textmatch.shares_run(sentence, said)


def cite_sentence(sentence: str, number: int) -> str:
    """'X costs $1 billion.' -> 'X costs $1 billion [2].'"""
    body = sentence.rstrip()
    if body and body[-1] in ".!?":
        return f"{body[:-1]} [{number}]{body[-1]}"
    return f"{body} [{number}]."
