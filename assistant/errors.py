"""The project's error tree; each edge (CLI, UI, HTTP, eval) translates these once."""


class AssistantError(Exception):
    """Base of every error the assistant raises on purpose; its message is shown to users as is."""


class ConfigError(AssistantError):
    """A setting has a value the assistant cannot use."""


class CorpusError(AssistantError):
    """A corpus file cannot be read or fails validation; the message names the file and field."""


class NotIndexedError(AssistantError):
    """The store holds no index yet; run `assistant ingest`."""


class StoreError(AssistantError):
    """The vector store (embedded or a Chroma server) cannot be reached or used."""


class BackendError(AssistantError):
    """The LLM backend failed; callers fall back to the extractive answer."""


class QuestionError(AssistantError):
    """The question is empty, too long, or otherwise unusable."""


class AccessError(AssistantError):
    """A request reaches for something it may not: a server path outside the import folder."""
