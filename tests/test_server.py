"""The HTTP API: the official openai client against the running app, REST routes, adding sources, auth, fuzzing."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from assistant.api import Assistant
from assistant.errors import ConfigError
from assistant.server import build_api
from assistant.settings import Settings
from assistant.ui import launch_options

NEWS_PAGE = """<!doctype html><html><head><title>Lambda signs GPU deal with Zephyr Labs | Wire Daily</title>
<meta property="og:site_name" content="Wire Daily"><meta name="date" content="2026-03-04"></head><body>
<nav><a href="/">Home</a> <a href="/markets">Markets</a> <a href="/tech">Tech</a> Subscribe now</nav>
<div class="ad">ADVERTISEMENT: Buy cheap servers today! Limited offer on racks.</div>
<article><h1>Lambda signs GPU deal with Zephyr Labs</h1><p class="dateline">SAN FRANCISCO, 4 March 2026</p>
<p>Lambda agreed to supply Zephyr Labs with 12,000 Nvidia GB300 GPUs under a three-year contract worth
$1.1 billion, the companies said on Wednesday.</p>
<p>The Zephyr Labs contract is Lambda's largest with a start-up, and the first GPUs will be delivered to
Zephyr Labs in the third quarter of 2026 from a Lambda data center in Kansas City.</p>
<p>Zephyr Labs plans to use the Lambda capacity to train its next family of coding models, a spokesperson said.</p>
</article><aside>Most read: Ten gadgets you need. Sign up for our newsletter.</aside>
<footer>Copyright Wire Daily. Privacy. Cookies.</footer></body></html>"""


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text, written by hand."""
    content = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -18 Td" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@pytest.fixture
def news_site():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            data = NEWS_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/2026/03/lambda-zephyr"
    httpd.shutdown()


@pytest.fixture
def api(small_corpus, tmp_path):
    (small_corpus / "entities.yaml").write_text(
        (small_corpus / "entities.yaml").read_text() + "Lambda: {kind: neocloud, aliases: []}\n", encoding="utf-8"
    )
    assistant = Assistant(Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus, allow_private_urls=True))
    return TestClient(build_api(assistant)), assistant


def test_openai_client_gets_a_cited_answer_and_structured_citations(app_url):
    import openai

    client = openai.OpenAI(base_url=f"{app_url}v1", api_key="unused-locally")
    assert {m.id for m in client.models.list()} >= {"assistant", "assistant-extractive"}
    reply = client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": "What did AMD agree to supply to OpenAI?"}]
    )
    content = reply.choices[0].message.content
    assert "6 GW" in content and "[1]" in content and "\n\nSources:\n[1] " in content
    assert reply.citations[0]["verified"] and reply.citations[0]["number"] == 1


def test_openai_client_streams_and_gets_citations_in_the_last_chunk(app_url):
    import openai

    client = openai.OpenAI(base_url=f"{app_url}v1", api_key="unused-locally")
    stream = client.chat.completions.create(
        model="assistant",
        stream=True,
        messages=[
            {"role": "user", "content": "Who supplies compute to Anthropic?"},
            {"role": "assistant", "content": "(earlier answer)"},
            {"role": "user", "content": "And OpenAI?"},
        ],
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1]
    assert "Broadcom" in text and "Sources:" in text
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["answer"]["standalone_question"] == "Who supplies compute to OpenAI?"
    numbers = [c["number"] for c in last.model_extra["citations"]]
    assert numbers == list(range(1, len(numbers) + 1)) and f"[{numbers[-1]}]" in text


def test_rest_errors_are_json_with_the_right_status(api):
    client, _ = api
    assert client.post("/api/ask", json={"question": "  "}).status_code == 400
    assert client.post("/api/ask", json={"question": "x" * 5000}).json()["error"]["type"] == "QuestionError"
    bad = client.post("/api/ask", json={"nope": 1})
    assert bad.status_code == 422 and "question" in bad.json()["error"]["message"]
    unknown = client.post(
        "/v1/chat/completions", json={"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert unknown.status_code == 404 and "not found" in unknown.json()["error"]["message"]
    assert client.get("/api/deals", params={"as_of": "soon"}).status_code == 400


def test_rest_routes_answer_and_list(api):
    client, _ = api
    record = client.post("/api/ask", json={"question": "What will Nvidia supply to OpenAI?"}).json()
    assert "10 GW" in record["text"] and record["citations"][0]["verified"]
    deals = client.get("/api/deals", params={"customer": "Anthropic"}).json()
    assert {d["supplier"] for d in deals} == {"Amazon", "Google"}
    assert len(client.get("/api/sources").json()) == 3
    assert "/v1/chat/completions" in client.get("/openapi.json").json()["paths"]


def test_a_web_page_becomes_searchable_and_citable_without_a_restart(api, news_site, small_corpus):
    client, _ = api
    done = client.post("/api/ingest", json={"urls": [news_site]})
    assert done.status_code == 200, done.text
    assert done.json()["added"] == 1
    note = next((small_corpus / "added").glob("*.md")).read_text()
    assert "Buy cheap servers" not in note and "Subscribe now" not in note and "newsletter" not in note
    assert "publisher: Wire Daily" in note and "url: " + news_site in note
    answer = client.post("/api/ask", json={"question": "How many GB300 GPUs will Lambda supply to Zephyr Labs?"}).json()
    assert "12,000" in answer["text"]
    assert answer["citations"][0]["url"] == news_site


def test_an_uploaded_pdf_becomes_searchable_and_citable(api):
    client, _ = api
    pdf = tiny_pdf(
        [
            "Crusoe will deliver 300 MW of power to Orbital Robotics in Wyoming.",
            "The Orbital Robotics campus opens in 2027.",
        ]
    )
    done = client.post("/api/upload", files={"file": ("orbital.pdf", pdf, "application/pdf")})
    assert done.status_code == 200, done.text
    answer = client.post(
        "/api/ask", json={"question": "How much power will Crusoe deliver to Orbital Robotics?"}
    ).json()
    assert "300 MW" in answer["text"] and answer["citations"][0]["doc_id"] == "added/orbital.pdf"


def test_uploads_are_limited_in_type_and_size(api, small_corpus):
    client, assistant = api
    assert client.post("/api/upload", files={"file": ("x.exe", b"MZ", "application/octet-stream")}).status_code == 422
    big = b"a" * (assistant.settings.max_upload_mb * 1024 * 1024 + 10)
    too_big = client.post("/api/upload", files={"file": ("big.txt", big, "text/plain")})
    assert too_big.status_code == 422 and "limit" in too_big.json()["error"]["message"]
    assert not (small_corpus / "added").exists() or not list((small_corpus / "added").iterdir())


def test_url_ingestion_refuses_other_schemes_and_private_addresses(small_corpus, tmp_path):
    strict = Assistant(Settings(data_dir=tmp_path / "d", corpus_dir=small_corpus))
    client = TestClient(build_api(strict))
    for url, words in [
        ("file:///etc/passwd", "only http"),
        ("ftp://example.com/x", "only http"),
        ("http://127.0.0.1:1/x", "private or local"),
        ("http://10.0.0.7/x", "private or local"),
    ]:
        reply = client.post("/api/ingest", json={"urls": [url]})
        assert reply.status_code == 422 and words in reply.json()["error"]["message"]


def test_api_key_is_required_when_auth_is_set(small_corpus, tmp_path):
    guarded = Assistant(Settings(data_dir=tmp_path / "d", corpus_dir=small_corpus, auth="admin:s3cret"))
    client = TestClient(build_api(guarded))
    assert client.get("/v1/models").status_code == 401
    assert client.get("/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert "s3cret" not in repr(guarded.settings)


def test_non_loopback_binding_needs_auth():
    with pytest.raises(ConfigError, match="without ASSISTANT_AUTH"):
        launch_options(Settings(host="0.0.0.0"))
    assert launch_options(Settings(host="0.0.0.0", auth="a:b"))["auth"] == ("a", "b")
    assert launch_options(Settings(host="0.0.0.0"), insecure=True)["auth"] is None
    assert launch_options(Settings())["server_name"] == "127.0.0.1"


def test_fuzzed_requests_never_cause_a_server_error(api):
    """schemathesis generates requests from the OpenAPI schema; none may get a 5xx or a non-JSON error."""
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as fuzz_settings

    client, assistant = api
    # Fit the question reader and build the graph first: the fuzzing client waits 10 s per request, and
    # the first answer on a busy machine can take longer than that to set them up.
    assistant.warm()
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ("/api/ingest", "/api/upload"):
            continue  # these write to the corpus; the tests above cover them

        @given(case=operation.as_strategy())
        @fuzz_settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call()
            assert response.status_code < 500, (
                f"{case.method} {case.path}: {response.status_code} {response.text[:200]}"
            )
            if response.status_code >= 400:
                assert "error" in response.json()

        check()
        tried.append(operation.path)
    assert {"/api/ask", "/v1/chat/completions", "/api/deals"} <= set(tried)
