"""ASSISTANT_* environment variables and `.env` -> one Settings value, built at the entry points."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

Backend = Literal["extractive", "openai"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    backend: Backend | None = None
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY"), repr=False
    )
    llm_timeout: float = Field(default=30.0, gt=0)  # the whole answer, first request to last token
    llm_first_token_timeout: float = Field(default=20.0, gt=0)  # the model's first token (prompt reading)
    llm_max_tokens: int = Field(default=400, ge=16, le=32768)  # longest reply requested, sent with every request
    llm_max_unsupported: float = Field(default=0.5, ge=0, le=1)  # a larger share of unsupported sentences falls back
    embed_model: str = "local"
    embed_runtime: Literal["auto", "onnx", "torch"] = "auto"
    chroma_url: str | None = None
    data_dir: Path = Path(".assistant")
    corpus_dir: Path = Path("corpus")
    top_k: int = Field(default=6, ge=1, le=50)
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    auth: str | None = Field(default=None, repr=False)
    max_question_chars: int = Field(default=2000, ge=10)
    collection: str = "assistant_chunks"
    allow_private_urls: bool = False
    lock_wait: float = Field(default=10.0, ge=0)  # seconds a second writer waits for an embedded store
    watch_interval: float = Field(default=1.0, gt=0)  # seconds between a server's checks for new ingests
    max_upload_mb: int = Field(default=10, ge=1, le=100)
    import_dir: Path | None = None  # the one folder whose files POST /api/ingest may add by path; unset = none
    # Pipeline parts that evaluation switches off one at a time to measure what each earns.
    use_graph: bool = True  # the deal graph answers list and aggregate questions and adds graph facts
    use_plan: bool = True  # the typed question plan steers routing and composition

    @model_validator(mode="after")
    def _default_backend(self) -> Settings:
        if self.backend is None:
            self.backend = "openai" if self.openai_api_key else "extractive"
        return self


def load_settings(**overrides: Any) -> Settings:
    """Settings from env/.env with keyword overrides; bad values become one ConfigError line."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(
            f"setting {field}: {first['msg']} (got {first.get('input')!r}); see the configuration table in README.md"
        ) from None
