"""Adding sources over HTTP: partial front matter gets defaults, a file that cannot be indexed is refused and
leaves nothing behind, and server paths are read only inside the configured import folder."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant import sentences
from assistant.api import Assistant
from assistant.readers import article_text, html_text
from assistant.server import build_api
from assistant.settings import Settings

PARTIAL = b"""---
publisher: Field Notes
published: 2026-02-03
---
# Kestrel Robotics rents Trainium from AWS

Kestrel Robotics agreed to rent 4,000 Trainium chips from AWS for its warehouse models, Field Notes reported.
"""


def _client(small_corpus, tmp_path, **settings) -> tuple[TestClient, Assistant]:
    assistant = Assistant(Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus, **settings))
    return TestClient(build_api(assistant)), assistant


def _added(small_corpus) -> list[str]:
    folder = small_corpus / "added"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_markdown_with_partial_front_matter_is_indexed_with_defaults_and_a_warning(small_corpus, tmp_path):
    client, assistant = _client(small_corpus, tmp_path)
    done = client.post("/api/upload", files={"file": ("kestrel.md", PARTIAL, "text/markdown")})
    assert done.status_code == 200, done.text
    reply = done.json()
    assert reply["added"] == 1 and not reply["errors"]
    assert any("kind" in w and "report" in w for w in reply["warnings"])
    source = next(s for s in assistant.sources() if s["doc_id"] == "added/kestrel.md")
    assert source["kind"] == "report" and source["title"] == "Kestrel Robotics rents Trainium from AWS"
    assert source["publisher"] == "Field Notes" and source["published"] == "2026-02-03"
    answer = assistant.ask("How many Trainium chips will Kestrel Robotics rent?")
    assert "4,000" in answer.text and answer.citations[0].doc_id == "added/kestrel.md"


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("bad-kind.md", b"---\ntitle: X\nkind: blog\n---\nSome body text.\n", "kind"),
        ("open.md", b"---\ntitle: never closed\nSome body text.\n", "never closed"),
        ("bad-yaml.md", b"---\ntitle: [unclosed\n---\nBody.\n", "not valid YAML"),
        ("latin1.txt", "Caf\xe9 deal with Nvidia".encode("latin-1"), "UTF-8"),
    ],
)
def test_a_file_that_cannot_be_indexed_is_refused_and_leaves_no_file(small_corpus, tmp_path, name, data, reason):
    client, assistant = _client(small_corpus, tmp_path)
    reply = client.post("/api/upload", files={"file": (name, data, "text/plain")})
    assert reply.status_code == 422, reply.text
    assert reason in reply.json()["error"]["message"] and name in reply.json()["error"]["message"]
    assert _added(small_corpus) == []
    assert assistant.ingest().errors == ()  # later ingests are not haunted by it


def test_an_upload_that_duplicates_a_source_is_refused_and_removed(small_corpus, tmp_path):
    client, assistant = _client(small_corpus, tmp_path)
    copy = (small_corpus / "notes" / "amazon.md").read_bytes()
    reply = client.post("/api/upload", files={"file": ("again.md", copy, "text/markdown")})
    message = reply.json()["error"]["message"]
    assert reply.status_code == 422 and "added/again.md: not indexed" in message and "same url and title" in message
    assert _added(small_corpus) == []
    assert assistant.ingest().errors == ()
    assert "notes/amazon.md" in {s["doc_id"] for s in assistant.sources()}  # the original is still indexed


def test_machine_read_deals_can_be_reviewed_over_http(small_corpus, tmp_path):
    client, assistant = _client(small_corpus, tmp_path)
    page = b"Orbit Compute signs Anthropic\n\nOrbit Compute will provide Anthropic with 5,000 GPUs from May 2026.\n"
    assert client.post("/api/upload", files={"file": ("orbit.txt", page, "text/plain")}).status_code == 200
    (entry,) = client.get("/api/deals/extracted").json()
    assert (entry["supplier"], entry["customer"]) == ("Orbit Compute", "Anthropic") and "5,000 GPUs" in entry["quote"]
    machine = client.get("/api/deals", params={"origin": "extracted"}).json()
    assert [d["supplier"] for d in machine] == ["Orbit Compute"]
    done = client.post(f"/api/deals/{entry['id']}/accept")
    assert done.status_code == 200 and done.json()["review_file"].endswith("orbit.txt.reviewed.yaml")
    assert client.get("/api/deals/extracted").json() == []
    assert client.get("/api/deals", params={"origin": "extracted"}).json() == []
    assert client.post("/api/deals/nosuchid/accept").status_code == 422


@pytest.fixture
def import_dir(tmp_path):
    folder = tmp_path / "imports"
    folder.mkdir()
    (folder / "inside.txt").write_text("Vireo Labs rents 900 GPUs from Lambda in Utah.\n", encoding="utf-8")
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "outside.txt").write_text("The vault code is 4417 and Zanzibar holds it.\n", encoding="utf-8")
    (folder / "link.txt").symlink_to(secret / "outside.txt")
    return folder


def test_server_paths_are_read_only_inside_the_import_folder(small_corpus, tmp_path, import_dir):
    client, assistant = _client(small_corpus, tmp_path, import_dir=import_dir)
    outside = tmp_path / "private" / "outside.txt"
    for path in (
        str(outside),
        str(import_dir / ".." / "private" / "outside.txt"),
        "../private/outside.txt",
        "link.txt",
    ):
        reply = client.post("/api/ingest", json={"paths": [path]})
        assert reply.status_code == 403, (path, reply.text)
        assert "outside the import folder" in reply.json()["error"]["message"]
    assert _added(small_corpus) == []
    done = client.post("/api/ingest", json={"paths": ["inside.txt"]})
    assert done.status_code == 200, done.text
    assert _added(small_corpus) == ["inside.txt"]
    answer = assistant.ask("What is the vault code that Zanzibar holds?")
    assert "4417" not in answer.text and all("vault" not in c.quote for c in answer.citations)


def test_server_paths_are_off_unless_an_import_folder_is_set(small_corpus, tmp_path, import_dir):
    client, _ = _client(small_corpus, tmp_path)
    reply = client.post("/api/ingest", json={"paths": [str(import_dir / "inside.txt")]})
    assert reply.status_code == 403 and "ASSISTANT_IMPORT_DIR" in reply.json()["error"]["message"]
    assert _added(small_corpus) == []


def test_a_page_headline_and_byline_stand_apart_from_the_first_sentence():
    page = (
        "<html><head><title>Vireo signs with Lambda</title></head><body><nav>Home Markets</nav>"
        "<div class='advert'>Buy racks now</div><article><h1>Vireo signs with Lambda</h1>"
        "<p class='byline'>By Jo Roe</p><p>SEATTLE, 4 March 2026</p>"
        "<p>Vireo Labs agreed to rent\n900 GPUs from Lambda.</p><h2>What comes next</h2>"
        "<p>The GPUs arrive in May.</p></article><footer>Cookies</footer></body></html>"
    )
    assert html_text(page).split("\n\n") == [
        "# Vireo signs with Lambda",
        "Vireo Labs agreed to rent 900 GPUs from Lambda.",
        "## What comes next",
        "The GPUs arrive in May.",
    ]
    # what a page reader hands over for a fetched URL: one line per block, headline and dateline first
    extracted = "Vireo signs with Lambda\nSEATTLE, 4 March 2026\nVireo Labs agreed to rent 900 GPUs.\nMore soon."
    body = article_text(extracted, "Vireo signs with Lambda")
    assert [body[s:e] for s, e in sentences.spans(body)] == [
        "Vireo Labs agreed to rent 900 GPUs.",
        "More soon.",
    ]
