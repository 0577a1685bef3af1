"""A conversation: each follow-up is read through the previous turn's Plan to a standalone question, then answered."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from assistant.condense import Rewrite
from assistant.types import Answer, TextDelta, Turn

Streamer = Callable[..., Iterator[TextDelta | Answer]]
Condenser = Callable[[str, list[Turn]], str | Rewrite]  # a Rewrite also carries the turn's Plan


def final_answer(events: Iterator[TextDelta | Answer]) -> Answer:
    """Drain a stream of events and return its final Answer (every stream ends with one)."""
    answer = None
    for event in events:
        if isinstance(event, Answer):
            answer = event
    if answer is None:
        raise RuntimeError("a stream ended without an Answer")
    return answer


class Chat:
    """Keeps the turns; `ask` and `stream` behave like the Assistant's, with context carried over."""

    HISTORY = 20  # turns a follow-up is condensed against

    def __init__(self, stream: Streamer, condense: Condenser) -> None:
        self._stream = stream
        self._condense = condense
        self.turns: list[Turn] = []

    def stream(self, question: str, **options: object) -> Iterator[TextDelta | Answer]:
        """Options (as_of, top_k) apply to this turn only."""
        condensed = self._condense(question, self.turns[-self.HISTORY :])
        rewrite = condensed if isinstance(condensed, Rewrite) else Rewrite(condensed)
        for event in self._stream(question, rewrite.standalone, **options):
            if isinstance(event, Answer):
                # The plan is kept with the turn, so the next follow-up is read against it.
                self.turns.append(Turn(question, event, plan=rewrite.plan))
            yield event

    def ask(self, question: str, **options: object) -> Answer:
        return final_answer(self.stream(question, **options))

    def reset(self) -> None:
        self.turns.clear()
