"""Hybrid retrieval over the real corpus: dense + BM25 fused by reciprocal rank, with filters."""

from assistant.retrieve import Filters

TARGET = "notes/other/xai-google-920m-month-techechelon.md"


def test_exact_figure_is_found_by_hybrid_though_dense_ranks_it_low(assistant):
    dense = assistant.retriever.index.as_retriever(similarity_top_k=40).retrieve("$920 million")
    dense_ids = [hit.node.metadata["doc_id"] for hit in dense]
    assert TARGET not in dense_ids[:6]
    hybrid = [p.doc_id for p in assistant.retriever.retrieve("$920 million", top_k=6)]
    assert TARGET in hybrid


def test_passages_are_exact_slices_of_their_notes(assistant):
    from conftest import CORPUS

    from assistant.corpus import load_corpus

    bodies = {d.doc_id: d.body for d in load_corpus(CORPUS)[0]}
    for p in assistant.retriever.retrieve("Who rents GPUs to Meta?"):
        assert bodies[p.doc_id][p.start : p.start + len(p.text)] == p.text


def test_publisher_and_date_filters(assistant):
    hits = assistant.retriever.retrieve("Trainium2 chips in Project Rainier", Filters(publisher="Semafor"))
    assert hits and {p.publisher for p in hits} == {"Semafor"}
    early = assistant.retriever.retrieve("compute deal", Filters(before="2024-12"))
    assert early and all(p.published is None or p.published[:7] <= "2024-12" for p in early)


def test_company_filter_and_undated_sources_survive_date_filters(assistant):
    hits = assistant.retriever.retrieve("xAI sells compute to Anthropic", Filters(companies=("xAI",), before="2020-01"))
    assert hits and all(p.published is None for p in hits)
