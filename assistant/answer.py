"""standalone question -> streamed answer: route (graph or retrieval), draft, verify, cite.

Both backends produce a draft with [n] markers over the same numbered passages; the same
verifier then checks every sentence, so an LLM answer is never trusted more than a quote.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from assistant import citations, extractive
from assistant.entities import EntityTable
from assistant.retrieve import Filters, Retriever
from assistant.types import Answer, Passage, TextDelta

if TYPE_CHECKING:
    from assistant.graph import DealGraph

_ARTICLE = re.compile(r"\b(the|this|that) (article|piece|story)\b|\bthe information\b|\bcybercorsairs\b", re.I)
_CAPITALISED = re.compile(r"(?<![\w.])([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)")
_COMPANY_SUFFIXES = {
    "ai",
    "labs",
    "lab",
    "systems",
    "technologies",
    "inc",
    "corp",
    "cloud",
    "computing",
    "networks",
    "energy",
    "capital",
    "group",
    "holdings",
    "robotics",
    "compute",
    "data",
}
_QUESTION_WORDS = {
    "who",
    "whom",
    "whose",
    "what",
    "which",
    "when",
    "where",
    "why",
    "how",
    "does",
    "did",
    "do",
    "is",
    "are",
    "please",
    "explain",
    "describe",
    "should",
    "would",
    "will",
    "if",
    "besides",
    "apart",
    "other",
    "than",
    "was",
    "were",
    "can",
    "could",
    "has",
    "have",
    "and",
    "i",
    "as",
    "list",
    "tell",
    "show",
    "give",
    "name",
    "compare",
    "summarize",
    "summarise",
    "according",
    "in",
    "since",
    "between",
}


class Vectors(Protocol):
    """Unit vectors for texts (assistant.embedding.SentenceVectors): one row per text, and one for a query."""

    def __call__(self, texts: list[str]) -> Any: ...
    def query(self, text: str) -> Any: ...


class Model(Protocol):
    """A language model drafter (assistant.llm.LLMDrafter): streams text, returns (draft or None, notice)."""

    max_unsupported: float  # above this share of rejected sentences, the extractive answer is shown instead

    def stream_draft(
        self, question: str, passages: list[Passage]
    ) -> Generator[TextDelta, None, tuple[str | None, str]]: ...


@dataclass
class Context:
    """What one answer needs, built by the Assistant and passed down."""

    retriever: Retriever
    vectors: Vectors
    entities: EntityTable
    top_k: int
    llm: Model | None = None  # None: the extractive answerer drafts
    graph: DealGraph | None = None


def unknown_names(question: str, vocabulary: frozenset[str], entities: EntityTable, text: str = "") -> list[str]:
    """Capitalised names in the question that no corpus text contains ("Zorblax", "Together AI")."""
    unknown = []
    for match in _CAPITALISED.finditer(question):
        name = match.group(1)
        words = re.findall(r"[A-Za-z0-9]+", name)
        while words and words[0].lower() in _QUESTION_WORDS:
            words.pop(0)  # "Does Zorblax" -> "Zorblax"
        name = " ".join(words)
        if not words or entities.resolve(name):
            continue
        strangers = [w for w in words if w.lower() not in vocabulary and w.lower() not in _QUESTION_WORDS]
        # A company name made of common words ("Together AI") must occur as a phrase.
        unseen_phrase = (
            len(words) > 1
            and words[-1].lower() in _COMPANY_SUFFIXES
            and bool(text)
            and f" {name.lower()} " not in f" {text} "
        )
        if strangers or unseen_phrase:
            unknown.append(name)
    return unknown


def stream_answer(
    question: str, standalone: str, ctx: Context, filters: Filters | None = None
) -> Iterator[TextDelta | Answer]:
    """Text deltas, then the final verified Answer."""
    began = time.perf_counter()
    retriever = ctx.retriever
    retriever.refresh()
    base = Answer(
        question=question,
        text="",
        citations=(),
        abstained=True,
        standalone_question=standalone,
        backend="extractive",
        corpus_version=retriever.version,
    )
    unknown = unknown_names(standalone, retriever.vocabulary, ctx.entities, retriever.text)
    if unknown:
        text = f"The sources do not mention {', '.join(unknown)}, so they cannot answer this question."
        yield TextDelta(text)
        yield replace(base, text=text, route="unknown-company", timings=_ms(began))
        return
    passages = _retrieve(standalone, ctx, filters)
    t_retrieved = time.perf_counter()
    graph_draft = None
    if ctx.graph is not None and not _ARTICLE.search(standalone):
        from assistant import relations

        graph_draft = relations.draft(standalone, ctx.graph, filters.before if filters else None)
    if graph_draft is not None and not graph_draft.text:
        text = f"The sources record no deal that answers “{standalone}”."
        yield TextDelta(text)
        yield replace(base, text=text, route="graph", timings=_ms(began))
        return
    if graph_draft is not None:
        # Graph facts lead; retrieved passages follow as further numbered evidence.
        passages = list(graph_draft.passages) + [
            p for p in passages if p.chunk_id not in {g.chunk_id for g in graph_draft.passages}
        ]
    draft_text, backend, notice = None, "extractive", ""
    cited = passages  # what the draft's [n] markers number
    if ctx.llm is not None and passages and graph_draft is None:
        draft_text, notice = yield from ctx.llm.stream_draft(standalone, passages)
        backend = "openai" if draft_text is not None else "extractive"
        if draft_text == "":  # the model says the sources do not answer
            text = _abstention(standalone)
            yield replace(
                base,
                text=text,
                passages=tuple(passages),
                backend=backend,
                route="retrieval",
                timings=_ms(began, retrieve=t_retrieved - began),
            )
            return
    if draft_text is None:
        if graph_draft is not None:
            draft_text = graph_draft.text
        elif passages:
            draft_text, cited = _extractive_draft(standalone, passages, ctx)
    t_drafted = time.perf_counter()
    if not draft_text:
        text = _abstention(standalone)
        yield TextDelta(text)
        yield replace(
            base,
            text=text,
            passages=tuple(passages),
            notice=notice,
            backend=backend,
            timings=_ms(began, retrieve=t_retrieved - began),
        )
        return
    text, cites, verdicts = citations.verify(draft_text, cited, ctx.vectors, ctx.entities)
    model_draft = ""
    if backend == "openai" and ctx.llm is not None:
        failed, checked = citations.unsupported(verdicts)
        if failed > ctx.llm.max_unsupported * checked or not checked:
            # An answer the verifier rejects is not shown as the answer; the record keeps it.
            model_draft, backend = text, "extractive"
            notice = (
                f"The sources support only {checked - failed} of the {checked} sentences of the language model's "
                "answer; this answer comes from the extractive answerer instead."
                if checked
                else "The language model's answer stated nothing the sources could support; "
                "this answer comes from the extractive answerer instead."
            )
            draft_text, cited = _extractive_draft(standalone, passages, ctx)
            if not draft_text:
                text = _abstention(standalone)
                yield TextDelta(text)
                yield replace(
                    base,
                    text=text,
                    passages=tuple(passages),
                    notice=notice,
                    model_draft=model_draft,
                    timings=_ms(began, retrieve=t_retrieved - began),
                )
                return
            text, cites, verdicts = citations.verify(draft_text, cited, ctx.vectors, ctx.entities)
    if backend == "extractive":
        # The extractive text was never streamed: send it now, sentence by sentence.
        for piece in re.split(r"(?<=[.!?\]])\s+", text):
            yield TextDelta(piece + " ")
    answer = replace(
        base,
        text=text,
        citations=tuple(cites),
        abstained=False,
        passages=tuple(passages),
        verdicts=tuple(verdicts),
        backend=backend,
        notice=notice,
        model_draft=model_draft,
        conflicts=tuple(graph_draft.conflicts) if graph_draft is not None else (),
        route="graph" if graph_draft is not None else "retrieval",
        timings=_ms(
            began, retrieve=t_retrieved - began, draft=t_drafted - t_retrieved, verify=time.perf_counter() - t_drafted
        ),
    )
    if graph_draft is not None and graph_draft.coverage and not answer.abstained:
        answer = replace(answer, text=f"{answer.text}\n\n{graph_draft.coverage}")
        yield TextDelta("\n\n" + graph_draft.coverage)
    yield answer


def _extractive_draft(standalone: str, passages: list[Passage], ctx: Context) -> tuple[str | None, list[Passage]]:
    """The extractive answerer's draft over `passages` (None when nothing is close enough to quote)."""
    article = bool(_ARTICLE.search(standalone))
    drafted = extractive.draft(
        standalone,
        passages,
        ctx.vectors,
        ctx.entities,
        min_score=extractive.MIN_SCORE_ARTICLE if article else extractive.MIN_SCORE,
    )
    if not drafted:
        return None, passages
    draft_text, cited = drafted
    if ctx.graph is not None:
        from assistant import relations

        draft_text = relations.with_graph_facts(draft_text, standalone, ctx.graph, cited)
    return draft_text, cited


def _retrieve(question: str, ctx: Context, filters: Filters | None) -> list[Passage]:
    # One query embedding serves retrieval and sentence ranking alike.
    vector = ctx.vectors.query(question)
    passages = ctx.retriever.retrieve(question, filters, ctx.top_k, embedding=vector)
    if _ARTICLE.search(question):
        # Questions about "the article" must draw on the article's own note first.
        article_filter = replace(filters or Filters(), kinds=("article",))
        first = ctx.retriever.retrieve(question, article_filter, 3, embedding=vector)
        seen = {p.chunk_id for p in first}
        passages = first + [p for p in passages if p.chunk_id not in seen][: max(ctx.top_k - len(first), 0)]
    return passages


def _abstention(question: str) -> str:
    return f"The sources do not say. Nothing in the corpus answers “{question.strip()}” closely enough to quote."


def _ms(began: float, **parts: float) -> dict[str, float]:
    timings = {k: round(v * 1000, 1) for k, v in parts.items()}
    timings["total_ms"] = round((time.perf_counter() - began) * 1000, 1)
    return {k if k.endswith("_ms") else f"{k}_ms": v for k, v in timings.items()}
