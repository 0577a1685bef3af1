"""Bad input gets a clear error and loses nothing: questions, corpus files, front matter (fuzzed)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.api import clean_question
from assistant.corpus import load_corpus
from assistant.errors import AssistantError, CorpusError, QuestionError
from assistant.readers import split_front_matter
from assistant.types import Answer


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x01"])
def test_empty_questions_are_refused_clearly(question):
    with pytest.raises(QuestionError, match="the question is empty"):
        clean_question(question, 2000)


def test_a_100_kb_question_is_refused_with_its_length(assistant):
    with pytest.raises(QuestionError, match=r"102,400 characters long; the limit is 2,000"):
        assistant.ask("x" * 102_400)


def test_control_characters_are_dropped_and_other_scripts_kept(assistant):
    assert clean_question("Who\x07 supplies\u200b Anthropic?\x1b[31m", 2000) == "Who supplies Anthropic? [31m"
    answer = assistant.ask("Qui fournit Anthropic? 谁向Anthropic提供算力? Кто поставляет Anthropic?")
    assert isinstance(answer, Answer)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=300))
def test_any_text_gets_an_answer_or_a_clear_error(assistant, question):
    try:
        answer = assistant.ask(question)
    except QuestionError:
        return
    assert answer.abstained or answer.citations
    for c in answer.citations:
        assert c.quote


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_front_matter_parser_never_crashes(text):
    try:
        meta, body = split_front_matter("---\n" + text, "fuzz.md")
    except CorpusError as exc:
        assert str(exc).startswith("fuzz.md: ")
        return
    assert meta is None or isinstance(meta, dict)
    assert isinstance(body, str)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(["title", "publisher", "url", "published", "kind", "companies", "deals"]),
        st.one_of(
            st.none(),
            st.text(max_size=20),
            st.integers(),
            st.lists(st.text(max_size=5), max_size=3),
            st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
        ),
    )
)
def test_validator_turns_any_front_matter_into_a_note_or_a_named_error(tmp_path_factory, fields):
    import yaml

    root = tmp_path_factory.mktemp("fuzz")
    (root / "entities.yaml").write_text("Amazon: {kind: cloud, aliases: [AWS]}\n")
    (root / "note.md").write_text("---\n" + yaml.safe_dump(fields) + "---\nBody sentence here.\n", encoding="utf-8")
    docs, errors = load_corpus(root)
    assert len(docs) + len(errors) == 1
    assert all(e.startswith("note.md: ") for e in errors)


def test_a_50_mb_file_is_refused_by_name(small_corpus):
    with open(small_corpus / "huge.txt", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
        handle.seek(0)
        handle.write(b"start")
    docs, errors = load_corpus(small_corpus)
    assert len(docs) == 3
    assert errors == ["huge.txt: the file is 50 MB; the limit is 10 MB"]


def test_a_duplicate_document_is_indexed_once(small_corpus):
    (small_corpus / "notes" / "copy.md").write_bytes((small_corpus / "notes" / "amazon.md").read_bytes())
    (small_corpus / "a.txt").write_text("Lambda rents GPUs to Zephyr.", encoding="utf-8")
    (small_corpus / "b.txt").write_text("Lambda rents GPUs to Zephyr.", encoding="utf-8")
    docs, errors = load_corpus(small_corpus)
    assert len(docs) == 4
    assert errors == [
        "b.txt: same content as a.txt; duplicate not indexed",
        "notes/copy.md: url: same url and title as notes/amazon.md",
    ]


def test_bad_as_of_date_is_a_clear_error(assistant):
    with pytest.raises(AssistantError, match="is not an ISO date"):
        assistant.ask("Who supplies Anthropic?", as_of="next spring")


def test_store_is_unchanged_after_a_failed_ingest_of_broken_files(tmp_path, small_corpus):
    from assistant.api import Assistant
    from assistant.settings import Settings

    first = Assistant(Settings(data_dir=tmp_path / "d", corpus_dir=small_corpus))
    before = sorted(first.store.records()["ids"])
    (small_corpus / "notes" / "bad.md").write_bytes(b"\x00\x00binary")
    (small_corpus / "notes" / "google.md").write_text("---\nbroken: [\n---\n")
    report = first.ingest()
    assert len(report.errors) == 2
    assert sorted(first.store.records()["ids"]) == before
