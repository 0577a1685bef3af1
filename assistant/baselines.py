"""Systems scored beside ours in one eval run: ablations of our pipeline (no deal graph, no question
plan) and baselines (dense-only, BM25-only, a plain llama-index VectorStoreIndex top-k pipeline).
Same store, same embeddings, same questions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from assistant.answer import Context, stream_answer
from assistant.extractive import cite_sentence
from assistant.retrieve import Filters, Retriever, _passage
from assistant.types import Answer, Passage, TextDelta

# Each ablation is our pipeline with one Settings switch turned off.
ABLATIONS = {"no-graph": {"use_graph": False}, "no-plan": {"use_plan": False}}
BASELINES = (*ABLATIONS, "dense", "bm25", "naive")


@contextmanager
def ablated(assistant, name: str) -> Iterator[None]:
    """The assistant with ablation `name`'s switches off, restored afterwards."""
    settings = assistant.settings
    assistant.settings = settings.model_copy(update=ABLATIONS[name])
    try:
        yield
    finally:
        assistant.settings = settings


class OneSidedRetriever:
    """Our retriever with one of its two halves: `dense` (Chroma only) or `bm25` (lexical only)."""

    def __init__(self, retriever: Retriever, side: str) -> None:
        self.inner = retriever
        self.side = side

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def retrieve(
        self, question: str, filters: Filters | None = None, top_k: int | None = None, embedding=None
    ) -> list[Passage]:
        from llama_index.core.schema import QueryBundle

        self.inner.refresh()
        k = top_k or self.inner.top_k
        if self.side == "dense":
            bundle = QueryBundle(
                query_str=question, embedding=None if embedding is None else [float(x) for x in embedding]
            )
            hits = self.inner.index.as_retriever(similarity_top_k=k * 2).retrieve(bundle)
        else:
            hits = self.inner.lexical_retriever(k * 2).retrieve(question)
        passages = [_passage(h) for h in hits]
        if filters:
            passages = [p for p in passages if filters.admits(self.inner.documents.get(p.doc_id, {}))]
        return passages[:k]


def baseline_stream(name: str, assistant, question: str, standalone: str) -> Iterator[TextDelta | Answer]:
    """Answer events from baseline `name`; none of them uses the deal graph or conflict lines."""
    if name in ("dense", "bm25"):
        ctx = Context(
            retriever=cast(Retriever, OneSidedRetriever(assistant.retriever, name)),  # same interface, one half
            vectors=assistant.vectors,
            entities=assistant.entities,
            top_k=assistant.settings.top_k,
        )
        yield from stream_answer(question, standalone, ctx)
        return
    if name == "naive":
        yield from _naive(assistant, question, standalone)
        return
    raise ValueError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")


def _naive(assistant, question: str, standalone: str) -> Iterator[TextDelta | Answer]:
    """What a plain VectorStoreIndex top-k pipeline gives without an LLM: the best chunk, quoted whole."""
    from assistant import citations

    began = time.perf_counter()
    retriever = assistant.retriever
    hits = retriever.index.as_retriever(similarity_top_k=assistant.settings.top_k).retrieve(standalone)
    passages = [_passage(h) for h in hits]
    draft = cite_sentence(passages[0].text.strip(), 1) if passages else ""
    text, cites, verdicts = (
        citations.verify(draft, passages, assistant.vectors, assistant.entities) if draft else ("", [], [])
    )
    yield TextDelta(text)
    yield Answer(
        question=question,
        text=text,
        citations=tuple(cites),
        abstained=not passages,
        standalone_question=standalone,
        passages=tuple(passages),
        verdicts=tuple(verdicts),
        backend="naive",
        corpus_version=retriever.version,
        route="naive",
        timings={"total_ms": round((time.perf_counter() - began) * 1000, 1)},
    )
