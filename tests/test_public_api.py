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


def test_warming_keeps_the_question_readers_vectors_for_the_next_process(assistant, index_dir):
    assistant.warm()
    kept = list(index_dir.glob("plan-examples-*.npy"))
    assert len(kept) == 1 and kept[0].stat().st_size > 100_000  # hundreds of example vectors
