"""Process-wide offline defaults, applied on import of the package so no user has to know them.

Only `setdefault`: a user who exports a different value keeps it.
"""

import os

_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def apply() -> None:
    for key, value in _DEFAULTS.items():
        os.environ.setdefault(key, value)
    # llama-index uses its bundled nltk/tiktoken caches only when these are unset or point at them;
    # an empty value would make it try to download.
    for key in ("NLTK_DATA", "TIKTOKEN_CACHE_DIR"):
        if os.environ.get(key) == "":
            del os.environ[key]
