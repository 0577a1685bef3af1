"""A grounded, cited Q&A assistant about AI compute supply deals.

from assistant import Assistant
answer = Assistant().ask("Who supplies compute to Anthropic?")
"""

from assistant import offline as _offline

_offline.apply()

from assistant.errors import AssistantError  # noqa: E402
from assistant.types import Answer, Citation, Deal, Evidence, IngestReport, Passage, TextDelta, Turn  # noqa: E402

__all__ = [
    "Assistant",
    "Answer",
    "AssistantError",
    "Citation",
    "Deal",
    "Evidence",
    "IngestReport",
    "Passage",
    "TextDelta",
    "Turn",
]


def __getattr__(name: str):
    # The Assistant pulls in torch, chromadb and llama-index: import it only when asked for.
    if name == "Assistant":
        from assistant.api import Assistant

        return Assistant
    raise AttributeError(name)
