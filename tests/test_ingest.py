"""Incremental ingest into a real embedded Chroma with the packaged model."""

import pytest
from conftest import write_note

from assistant.api import Assistant
from assistant.settings import Settings


@pytest.fixture
def fresh(small_corpus, tmp_path):
    return Assistant(Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus))


def test_first_use_builds_the_index(fresh):
    assert {d["doc_id"] for d in fresh.sources()} == {"notes/amazon.md", "notes/google.md", "notes/nvidia.md"}
    assert fresh.store.count() >= 3


def test_reingest_of_an_unchanged_corpus_embeds_nothing(fresh):
    report = fresh.ingest()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 3)
    assert report.embedded == 0


def test_changed_file_replaces_its_chunks_and_deleted_file_is_removed(fresh, small_corpus):
    before = fresh.store.count()
    write_note(small_corpus, "notes/amazon.md", quote="Amazon will supply Anthropic with 2 GW of Trainium chips.")
    (small_corpus / "notes/nvidia.md").unlink()
    report = fresh.ingest()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 1, 1)
    assert report.embedded == 1
    texts = " ".join(fresh.store.records()["documents"])
    assert "2 GW" in texts and "1 GW of Trainium" not in texts and "Nvidia" not in texts
    assert fresh.store.count() == before - 1


def test_reingest_replaces_rather_than_duplicates(fresh, small_corpus):
    write_note(small_corpus, "notes/amazon.md", extra="A new closing sentence.")
    fresh.ingest()
    fresh.ingest()
    ids = fresh.store.records()["ids"]
    assert len(ids) == len(set(ids))
    assert sum(1 for i in ids if i.startswith("notes/amazon.md#")) == 1


def test_broken_file_is_reported_and_the_rest_still_ingests(fresh, small_corpus):
    (small_corpus / "notes/broken.md").write_bytes(b"\xff\xfe\x00junk")
    write_note(small_corpus, "notes/new.md", title="New", quote="Google will rent TPUs to OpenAI for five years.")
    report = fresh.ingest()
    assert report.added == 1
    assert any(e.startswith("notes/broken.md: ") for e in report.errors)


def test_a_note_that_breaks_keeps_its_last_good_version(fresh, small_corpus):
    (small_corpus / "notes/google.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    report = fresh.ingest()
    assert report.removed == 0
    assert "notes/google.md" in {d["doc_id"] for d in fresh.sources()}


def test_rebuild_switches_to_a_fresh_collection(fresh):
    old = fresh.store.state()["collection"]
    report = fresh.ingest(rebuild=True)
    assert report.added == 3 and report.embedded >= 3
    assert fresh.store.state()["collection"] != old
    assert len(fresh.sources()) == 3
    assert fresh.ask("Who gives Anthropic TPUs?").citations
