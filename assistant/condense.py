"""A follow-up plus the conversation so far -> one standalone question for retrieval, and its Plan.

`rewrite` merges the follow-up into the previous turn's Plan (see `followup.py`) and words the
result as a question. The rules below (`condense`) are the fallback for what a plan cannot word,
and an LLM backend may condense instead:

    "Who supplies compute to Anthropic?" then "And OpenAI?"  -> "Who supplies compute to OpenAI?"
    "What did AMD agree to supply to OpenAI?" then "How big is it?" -> "How big is the AMD and OpenAI deal?"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.entities import EntityTable
from assistant.followup import follow_up
from assistant.plan import Embed, read_plan
from assistant.types import Plan, Turn
from assistant.wording import standalone_question

_SWAP_LEAD = re.compile(
    r"^\s*(?:and|also|what about|how about|and what about|and how about|same (?:question )?for|now"
    r"|ok(?:ay)?,? (?:and|what about)|then)"
    r"(?:\s+(?:for|to|with|of|from))?\s+(?P<rest>.+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_PRONOUN_DEAL = re.compile(
    r"\b(?:that|this|the|their|its) (?:deal|agreement|contract|partnership|lease|arrangement)\b", re.I
)
_PRONOUNS = re.compile(r"\b(it|they|them|that|this|their|its)\b", re.I)


@dataclass(frozen=True)
class Rewrite:
    """What a turn searches for, and the Plan it was worded from (None when no plan was read)."""

    standalone: str
    plan: Plan | None = None


def rewrite(question: str, turns: list[Turn], entities: EntityTable, embed: Embed | None = None) -> Rewrite:
    """The follow-up read through the previous turn's Plan; the question as asked when it stands alone."""
    question = " ".join(question.split())
    if not turns:
        return Rewrite(question)
    previous, earlier = (_plan_of(t, entities, embed) for t in (turns[-1], turns[-2] if len(turns) > 1 else None))
    before = turns[-1].answer.standalone_question
    plan, carried = follow_up(previous, question, entities, embed, earlier=earlier, before=before)
    if not carried:
        return Rewrite(question, plan)
    worded = standalone_question(plan, entities) if plan.intent not in ("article", "out_of_scope") else ""
    if not worded:
        return Rewrite(condense(question, [t.answer.standalone_question for t in turns], entities), plan)
    return Rewrite(worded, plan)


def _plan_of(turn: Turn | None, entities: EntityTable, embed: Embed | None) -> Plan | None:
    """The plan a turn was answered by: the answer's own, the one the conversation kept, or its question re-read."""
    if turn is None:
        return None
    return turn.answer.plan or turn.plan or read_plan(turn.answer.standalone_question, entities, embed)


def condense(question: str, previous: list[str], entities: EntityTable) -> str:
    """Rewrite `question` to stand alone, given earlier standalone questions (oldest first), by rules."""
    question = " ".join(question.split())
    if not previous:
        return question
    last = previous[-1]
    asked = entities.mentions(question)
    before = entities.mentions(last) or _last_companies(previous, entities)
    lead = _SWAP_LEAD.match(question)
    if lead and asked and len(lead.group("rest").split()) <= 6:
        return _swap(last, before, asked, entities)
    if asked and len(question.split()) <= 3 and not _PRONOUNS.search(question):
        return _swap(last, before, asked, entities)
    if not asked and before and (_PRONOUN_DEAL.search(question) or _PRONOUNS.search(question)):
        return _fill_pronouns(question, _surface_names(last, entities) or before)
    if lead and not asked and before:
        # "And since 2025?" keeps the earlier question's companies in view.
        return f"{last.rstrip('?. ')} ({lead.group('rest')})?"
    return question


def _swap(last: str, before: list[str], asked: list[str], entities: EntityTable) -> str:
    if not before:
        return f"{last.rstrip('?. ')} ({', '.join(asked)})?"
    spans = entities.spans(last)
    # Replace the earlier company of the same kind as the new one; else the last one named.
    target = next((c for c in before if entities.kind(c) == entities.kind(asked[0])), before[-1])
    for start, end, name in reversed(spans):
        if name == target:
            last = last[:start] + asked[0] + last[end:]
            break
    return last


def _fill_pronouns(question: str, companies: list[str]) -> str:
    pair = " and ".join(companies[:2])
    if _PRONOUN_DEAL.search(question):
        return _PRONOUN_DEAL.sub(f"the {pair} deal", question, count=1)
    subject = f"the {pair} deal" if len(companies) > 1 else companies[0]

    def fill(match: re.Match) -> str:
        word = match.group(1).lower()
        if word in ("their", "its"):
            return f"{companies[0]}'s" if len(companies) == 1 else f"the {pair}"
        if word in ("they", "them") and len(companies) > 1:
            return pair
        return subject

    return _PRONOUNS.sub(fill, question, count=1)


def _surface_names(text: str, entities: EntityTable) -> list[str]:
    """Companies as the user wrote them ("Trainium2", not "Amazon"), first mention of each."""
    seen: dict[str, str] = {}
    for start, end, name in entities.spans(text):
        seen.setdefault(name, text[start:end])
    return list(seen.values())


def _last_companies(previous: list[str], entities: EntityTable) -> list[str]:
    for text in reversed(previous):
        found = entities.mentions(text)
        if found:
            return found
    return []
