"""Shared fixtures: offline guard, clean environment, one real index of the real corpus per session."""

from __future__ import annotations

import ipaddress
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import REPO, Server, free_port, start_server, subprocess_env
from hypothesis import settings as hypothesis_settings
from scripted_llm import ScriptedServer

# Fuzzing with a fixed seed and no example database: every run tries the same inputs.
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None)
hypothesis_settings.load_profile("deterministic")

os.environ.update(
    {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
)

CORPUS = REPO / "corpus"
BLOCKED: list[str] = []


def _is_local(host: object) -> bool:
    if not isinstance(host, str):
        return True
    if host in ("localhost", "") or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _no_network(event: str, args: tuple) -> None:
    """Any attempt to reach a host other than this machine fails the test that made it."""
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else address
    elif event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
    else:
        return
    if not _is_local(host):
        BLOCKED.append(f"{event} {host}")
        raise OSError(f"network access to {host} blocked in tests")


sys.addaudithook(_no_network)


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End the run with pytest's own status once every report is written.

    The session leaves native libraries loaded (Chroma's Rust bindings, ONNX Runtime, Chromium's driver)
    whose teardown at interpreter exit has crashed the process after a fully passing run; the results
    are final by now, so the process exits with exactly the status pytest computed.
    """
    if _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """The OpenAI-compatible stand-in on a loopback port; each test sets its script."""
    s = ScriptedServer().start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """A developer's key or settings can never make a test pass."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_") or key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    yield
    assert not BLOCKED, f"network access attempted: {BLOCKED}"


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def assistant(index_dir):
    """The real corpus, ingested once into an embedded Chroma with the packaged model."""
    from assistant.api import Assistant
    from assistant.settings import Settings

    return Assistant(Settings(data_dir=index_dir, corpus_dir=CORPUS, backend="extractive"))


NOTE = """---
title: {title}
publisher: {publisher}
url: {url}
published: {published}
kind: report
companies: [{supplier}, {customer}]
deals:
  - supplier: {supplier}
    customer: {customer}
    resource: {resource}
    scale: {scale}
    announced: {published}
    status: announced
    quote: "{quote}"
---
# {title}

{body}
"""

ENTITIES = """
Anthropic: {kind: lab, aliases: [Claude]}
OpenAI: {kind: lab, aliases: [ChatGPT]}
Amazon: {kind: cloud, aliases: [AWS], products: [Trainium]}
Google: {kind: cloud, aliases: [Google Cloud], products: [TPU, TPUs]}
Nvidia: {kind: chipmaker, aliases: []}
"""


def write_note(folder: Path, name: str, **fields: str) -> Path:
    values = {
        "title": "A deal",
        "publisher": "Test Wire",
        "url": f"https://example.com/{name}",
        "published": "2025-01-01",
        "supplier": "Amazon",
        "customer": "Anthropic",
        "resource": "Trainium chips",
        "scale": "1 GW",
        "quote": "Amazon will supply Anthropic with 1 GW of Trainium chips.",
        "extra": "The deal runs for five years.",
    }
    values.update(fields)
    values.setdefault("body", f"{values['quote']} {values['extra']}")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NOTE.format(**values), encoding="utf-8")
    return path


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """Three valid notes and an entity table, in a corpus folder of the test's own."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "entities.yaml").write_text(ENTITIES, encoding="utf-8")
    write_note(root, "notes/amazon.md")
    write_note(
        root,
        "notes/google.md",
        title="TPUs for Anthropic",
        supplier="Google",
        resource="TPUs",
        quote="Google will give Anthropic access to one million TPUs worth tens of billions of dollars.",
    )
    write_note(
        root,
        "notes/nvidia.md",
        title="Nvidia and OpenAI",
        supplier="Nvidia",
        customer="OpenAI",
        resource="GPUs",
        quote="Nvidia agreed to supply OpenAI with 10 GW of systems for $100 billion.",
    )
    return root


@pytest.fixture
def copy_corpus(tmp_path) -> Path:
    target = tmp_path / "corpus-copy"
    shutil.copytree(CORPUS, target)
    return target


XSS_NOTE = """---
title: <script>window.pwned = 1</script> Lambda note
publisher: Test <b>Wire</b>
url: https://example.com/xss
published: 2026-01-02
kind: report
companies: [Lambda]
---
# Lambda note

Lambda rents Blackwell racks to the Zanzibar tester <img src=x onerror="window.pwned=2"> per the test wire.
Lambda also ships ![pixel](http://127.0.0.1:9/pixel.png) images to the Zanzibar tester, the wire said.
"""


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, assistant) -> Iterator[Server]:
    """`python app.py` on a free loopback port, over a copy of the index plus a hostile note."""
    from assistant.api import Assistant
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("app")
    corpus, data = root / "corpus", root / "data"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(assistant.settings.data_dir, data)
    (corpus / "notes" / "xss.md").write_text(XSS_NOTE, encoding="utf-8")
    assert Assistant(Settings(data_dir=data, corpus_dir=corpus)).ingest().added == 1
    port = free_port()
    env = subprocess_env(ASSISTANT_DATA_DIR=str(data), ASSISTANT_CORPUS_DIR=str(corpus), ASSISTANT_PORT=str(port))
    url = f"http://127.0.0.1:{port}/"
    server = start_server(
        "the web app (python app.py)", [sys.executable, str(REPO / "app.py")], url, root / "app.log", env
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_url(app_server: Server) -> str:
    return app_server.ready_url
