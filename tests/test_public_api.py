"""The public Python API (names, signatures, fields), pinned so a change to it is deliberate."""

import dataclasses
import inspect

import assistant
from assistant.types import Answer, Citation


def test_public_names():
    assert {"Assistant", "Answer", "Citation", "Deal", "IngestReport", "TextDelta", "Turn"} <= set(assistant.__all__)
    from assistant import Assistant

    for method in ("ask", "stream", "chat", "deals", "ingest", "sources"):
        assert callable(getattr(Assistant, method))
    assert list(inspect.signature(Assistant.deals).parameters)[1:4] == ["supplier", "customer", "as_of"]


def test_answer_and_citation_fields():
    assert {f.name for f in dataclasses.fields(Citation)} >= {
        "number",
        "doc_id",
        "title",
        "publisher",
        "url",
        "published",
        "quote",
        "verified",
    }
    assert {f.name for f in dataclasses.fields(Answer)} >= {"text", "citations", "abstained", "standalone_question"}


def test_keyword_overrides_reach_settings(index_dir, assistant):
    from conftest import CORPUS

    from assistant import Assistant

    other = Assistant(data_dir=index_dir, corpus_dir=CORPUS, top_k=3)
    assert other.settings.top_k == 3 and other.settings.backend == "extractive"
    assert len(other.ask("Who rents GPUs to Meta in 2026?").passages) <= 6


def test_backend_defaults_to_openai_when_a_key_is_set(monkeypatch):
    from assistant.settings import load_settings

    assert load_settings().backend == "extractive"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert load_settings().backend == "openai"


def test_warming_keeps_the_question_readers_vectors_for_the_next_process(assistant, index_dir, tmp_path, monkeypatch):
    from assistant import plan
    from assistant.embedding import shared_dir

    assistant.warm()
    # Kept in the data folder, or (after set-up's `python -m assistant.plan`) in the environment's folder.
    kept = [*index_dir.glob("plan-examples-*.npy"), *shared_dir().glob("plan-examples-*.npy")]
    assert kept and all(k.stat().st_size > 100_000 for k in kept)  # hundreds of example vectors

    # A new process fits the reader without embedding a single example: with set-up's copy even on a
    # data folder of its own, else on the one the warm-up wrote to.
    def no_embedding(*_):
        raise AssertionError("the example questions were embedded again")

    monkeypatch.setattr(plan, "_embed_all", no_embedding)
    monkeypatch.setattr(plan, "_BANKS", {})
    folder = tmp_path / "new-data" if list(shared_dir().glob("plan-examples-*.npy")) else index_dir
    plan.example_bank(assistant.vectors, assistant.graph.entities, folder)
