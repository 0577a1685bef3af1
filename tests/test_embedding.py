"""The packaged MiniLM: both runtimes give the same vectors; answering needs no torch when exported."""

import subprocess
import sys

import numpy as np
import pytest

from assistant.embedding import load_embedder, onnx_path

TEXTS = [
    "AMD agreed to supply OpenAI with 6 GW of Instinct GPUs.",
    "Who supplies compute to Anthropic?",
    "Google will pay SpaceX $920 million a month for compute at xAI data centers in Memphis, Tennessee.",
]


def test_the_model_loads_from_the_installed_package_with_384_dimensions():
    vector = load_embedder("local", "torch").get_text_embedding("hello")
    assert len(vector) == 384


def test_onnx_and_torch_runtimes_give_the_same_vectors():
    if not onnx_path().exists():
        pytest.skip(f"no ONNX export at {onnx_path()}: `make` runs `python -m assistant.embedding`")
    onnx = np.array(load_embedder("local", "onnx").get_text_embedding_batch(TEXTS))
    torch = np.array(load_embedder("local", "torch").get_text_embedding_batch(TEXTS))
    cosines = (onnx * torch).sum(axis=1) / (np.linalg.norm(onnx, axis=1) * np.linalg.norm(torch, axis=1))
    assert cosines.min() > 0.9999


def test_answering_with_the_onnx_runtime_never_imports_torch(assistant, index_dir):
    if not onnx_path().exists():
        pytest.skip(f"no ONNX export at {onnx_path()}")
    code = (
        "import sys; from pathlib import Path; from assistant.api import Assistant; "
        f"a = Assistant(data_dir=Path({str(index_dir)!r}), corpus_dir=Path({str(assistant.settings.corpus_dir)!r})); "
        "answer = a.ask('What did AMD agree to supply to OpenAI?'); "
        "print('6 GW' in answer.text, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "False", "False"], done.stderr
