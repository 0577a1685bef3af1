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


def test_lexical_index_scores_as_bm25s_does_after_documents_leave_and_return(assistant):
    from llama_index.retrievers.bm25 import BM25Retriever

    from assistant.retrieve import Lexical, tokenize

    assistant.retriever.refresh()
    docs = assistant.retriever._docs
    assert len(docs) > 30
    gone = sorted(docs)[::3]
    lexical = Lexical()
    for doc_id, doc in docs.items():
        lexical.add(doc_id, doc.entries, doc.tokens)
    for doc_id in gone:
        lexical.remove(doc_id)
    for doc_id in gone[::2]:  # half of them come back, as re-ingested documents do
        lexical.add(doc_id, docs[doc_id].entries, docs[doc_id].tokens)
    kept = [n for n in assistant.retriever.nodes if n.metadata["doc_id"] not in set(gone[1::2])]
    reference = BM25Retriever.from_defaults(nodes=kept, similarity_top_k=10)
    for question in ("Trainium2 chips in Project Rainier", "$920 million a month", "Who rents GPUs to Meta?"):
        expected = [(round(h.score, 4), h.node.node_id) for h in reference.retrieve(question)]
        got = [(round(s, 4), e["node_id"]) for e, s in lexical.search(tokenize([question])[0], 10)]
        assert [s for s, _ in got] == [s for s, _ in expected]
        cut = got[-1][0]  # chunks tied at the cut may differ; every chunk above it must not
        assert {c for s, c in got if s > cut} == {c for s, c in expected if s > cut}


def test_a_restart_reads_the_saved_indexes_and_ignores_a_damaged_copy(small_corpus, tmp_path):
    from assistant.api import Assistant
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    first = Assistant(settings)
    expected = first.ask("Who gives Anthropic TPUs?")
    assert first.retriever.last_refresh["full"] and (settings.data_dir / "index-cache.pickle").is_file()

    again = Assistant(settings)
    assert again.ask("Who gives Anthropic TPUs?").text == expected.text
    assert again.retriever.last_refresh == {**again.retriever.last_refresh, "documents": 0, "full": False}

    (settings.data_dir / "index-cache.pickle").write_bytes(b"not a saved index")
    damaged = Assistant(settings)
    assert damaged.ask("Who gives Anthropic TPUs?").text == expected.text
    assert damaged.retriever.last_refresh["full"]


def test_a_restart_reads_the_saved_deal_graph_and_rebuilds_only_what_changed(small_corpus, tmp_path, monkeypatch):
    from assistant.api import Assistant
    from assistant.graph import DealGraph
    from assistant.settings import Settings
    from tests.conftest import write_note

    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    first = Assistant(settings)
    expected = first.ask("Who supplies compute to Anthropic?").text
    assert (settings.data_dir / "graph-cache.pickle").is_file()

    built: list = []
    real = DealGraph.from_documents.__func__

    def counted(cls, documents, entities, previous=None):
        built.append(previous)
        return real(cls, documents, entities, previous=previous)

    monkeypatch.setattr(DealGraph, "from_documents", classmethod(counted))
    again = Assistant(settings)
    assert again.ask("Who supplies compute to Anthropic?").text == expected
    assert built == []  # the same documents: the saved graph is the graph

    # A new note: the saved graph is where the rebuild starts, and the new deal is in the result.
    quote = "Nvidia will supply Anthropic with 50,000 GPUs."
    write_note(small_corpus, "notes/nvidia.md", title="GPUs", supplier="Nvidia", resource="GPUs", quote=quote)
    changed = Assistant(settings)
    changed.ingest()
    assert "Nvidia" in changed.ask("Who supplies compute to Anthropic?").text
    assert len(built) == 1 and built[0] is not None and built[0].deals(customer="Anthropic")

    # Another entity table: the saved graph was made from other names and is not used at all.
    entities = small_corpus / "entities.yaml"
    entities.write_text(entities.read_text(encoding="utf-8") + "Quokka Compute:\n  kind: neocloud\n", encoding="utf-8")
    built.clear()
    renamed = Assistant(settings)
    renamed.ask("Who supplies compute to Anthropic?")
    assert built == [None]
