"""The note validator: the real corpus passes; each kind of broken note gets its own clear error."""

import pytest
from conftest import CORPUS, write_note

from assistant.corpus import load_corpus
from assistant.entities import EntityTable


def test_real_corpus_is_valid():
    docs, errors = load_corpus(CORPUS)
    assert errors == []
    assert len(docs) >= 60
    assert sum(len(d.deals) for d in docs) >= 62


def test_every_deal_quote_is_a_sentence_of_its_note():
    docs, _ = load_corpus(CORPUS)
    for doc in docs:
        for deal in doc.deals:
            assert deal.quote in doc.body, doc.doc_id


def test_the_article_note_is_undated_and_attributed():
    docs, _ = load_corpus(CORPUS)
    article = [d for d in docs if "cybercorsairs.com" in d.url]
    assert len(article) == 1
    assert article[0].published is None
    assert article[0].url == "https://cybercorsairs.com/xai-now-sells-compute-to-its-rival-anthropic/"
    assert "The Information" in article[0].body


def test_entities_resolve_aliases_and_products():
    table = EntityTable.load(CORPUS / "entities.yaml")
    assert table.resolve("AWS") == "Amazon"
    assert table.resolve("trainium2") == "Amazon"
    assert table.resolve("SpaceX") == "xAI"
    assert table.mentions("Claude runs on TPUs and Nvidia's GB300s") == ["Anthropic", "Google", "Nvidia"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"publisher": ""}, "publisher: must not be empty"),
        ({"published": "May 2025"}, "published: 'May 2025' is not an ISO date"),
        ({"published": "2025-13-01"}, "impossible date"),
        ({"quote": "Amazon never said this sentence."}, "deals[0].quote: not found word for word in the body"),
        ({"supplier": "Zorblax"}, "'Zorblax' is not in entities.yaml"),
    ],
)
def test_broken_note_gets_its_own_error(small_corpus, fields, message):
    if "quote" in fields:
        fields = {**fields, "body": "Amazon will supply Anthropic with 1 GW of Trainium chips."}
    write_note(small_corpus, "notes/broken.md", **fields)
    docs, errors = load_corpus(small_corpus)
    assert len(docs) == 3
    assert len(errors) == 1
    assert errors[0].startswith("notes/broken.md: ")
    assert message in errors[0]


def test_missing_field_is_named(small_corpus):
    path = write_note(small_corpus, "notes/broken.md")
    path.write_text(path.read_text().replace("kind: report\n", ""), encoding="utf-8")
    _, errors = load_corpus(small_corpus)
    assert errors == ["notes/broken.md: kind: required field is missing"]


def test_duplicate_url_and_title_is_refused(small_corpus):
    write_note(small_corpus, "notes/zz-again.md", url="https://example.com/notes/amazon.md")
    _, errors = load_corpus(small_corpus)
    assert errors == ["notes/zz-again.md: url: same url and title as notes/amazon.md"]


def test_plain_text_html_and_symlink_files(small_corpus, tmp_path):
    (small_corpus / "plain.txt").write_text("Lambda rents GPUs\n\nLambda signed a deal.", encoding="utf-8")
    (small_corpus / "page.html").write_text(
        "<html><head><title>Page title</title><script>x()</script></head>"
        "<body><nav>menu</nav><p>Body text here.</p></body></html>"
    )
    outside = tmp_path / "secret.md"
    outside.write_text("secret")
    (small_corpus / "link.md").symlink_to(outside)
    (small_corpus / "binary.md").write_bytes(b"\x00\x01\x02binary")
    (small_corpus / "latin.md").write_bytes("caf\xe9".encode("latin-1"))
    (small_corpus / "empty.md").write_text("   ")
    (small_corpus / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\nbody")
    docs, errors = load_corpus(small_corpus)
    by_id = {d.doc_id: d for d in docs}
    assert by_id["plain.txt"].title == "Lambda rents GPUs"
    assert by_id["page.html"].title == "Page title"
    assert "x()" not in by_id["page.html"].body and "menu" not in by_id["page.html"].body
    messages = "\n".join(errors)
    assert "link.md: links outside the corpus folder; refused" in messages
    assert "binary.md: the file is binary" in messages
    assert "latin.md: not UTF-8 text" in messages
    assert "empty.md: the file is empty" in messages
    assert "bad-yaml.md: front matter is not valid YAML" in messages
    assert not any(d.doc_id == "link.md" for d in docs)


def test_front_matter_reads_the_same_with_the_fast_loader_as_with_pyyaml_s_own():
    import yaml

    from assistant.readers import YAML_LOADER

    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.md"))]
    fronts = [t[4 : t.find("\n---", 4)] for t in texts if t.startswith("---\n")]
    assert len(fronts) >= 60
    for front in fronts:
        assert yaml.load(front, Loader=YAML_LOADER) == yaml.safe_load(front)
    for bad in ("title: [unclosed", "a: b: c", "- x\ny: z"):
        with pytest.raises(yaml.YAMLError):
            yaml.load(bad, Loader=YAML_LOADER)
