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

from assistant.dates import MONTHS
from assistant.entities import EntityTable
from assistant.followup import ALONE, OWN, follow_up
from assistant.plan import Embed, read_plan
from assistant.roles import pronoun_roles
from assistant.types import Plan, Turn
from assistant.wording import deal_phrase, names, standalone_question

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
    plan, how = follow_up(previous, question, entities, embed, earlier=earlier, before=before)
    if how == ALONE:
        return Rewrite(question, plan)
    if how == OWN and (plan.intent in OWN_WORDS or _THING.search(question)):
        filled = fill_references(question, plan, before, entities)
        if filled:
            return Rewrite(filled, plan)
    worded = standalone_question(plan, entities) if plan.intent not in ("article", "out_of_scope") else ""
    if not worded:
        return Rewrite(condense(question, [t.answer.standalone_question for t in turns], entities), plan)
    return Rewrite(worded, plan)


# Intents whose question a plan cannot word in full ("Where are its data centers?" asks for more than
# "the terms of" a deal): such follow-ups keep their own words, with what they refer to filled in.
OWN_WORDS = frozenset({"facts", "reason", "status", "timeline"})
_LEADS = re.compile(r"^\W*(?:(?:and|also|so|then|ok(?:ay)?|but|now)\b[\s,]*)+", re.I)
_TOPIC_NOUN = (
    r"(?:deal|agreement|contract|partnership|lease|arrangement|campus|site|cluster|project|supercomputer"
    r"|facility|expansion|build-?out|data cent(?:er|re))s?"
)
# "Oracle's 4.5 GW deal with OpenAI", "the Colossus 1 site", "OpenAI's Stargate Michigan campus".
_TOPIC = re.compile(
    r"(?:\b[A-Z][\w.&-]*(?:'s|’s)|\bthe)\s+(?:[\w$.,%-]+\s+){0,5}?" + _TOPIC_NOUN + r"\b"
    r"(?:\s+(?:with|for|to|from|in|at|between)\s+(?:the\s+)?[A-Z][\w.&-]*(?:\s+(?:and\s+)?[A-Z0-9][\w.&-]*)*)?"
)
_NAMED_TOPIC = re.compile(r"(?<=\s)([A-Z][\w&-]*(?:\s+[A-Z0-9][\w&-]*)+)")  # "Project Rainier"
_THING = re.compile(
    r"\b(?:(?P<deal>(?:that|this|the|its|their) (?:deal|agreement|contract|partnership|lease|arrangement))"
    r"|(?P<there>(?<=\bin )there)|(?P<its>its)|(?P<it>it)"
    r"|(?:" + "|".join(rf"(?<=\b{w} )" for w in "is was are did does for on with about behind".split()) + ")"
    r"(?P<that>that|this)(?=\s*(?:[?.,!]|$|\w+ed\b))"
    r")\b",
    re.I,
)
_PEOPLE = re.compile(r"\b(they|them|their)\b", re.I)


def fill_references(question: str, plan: Plan, before: str, entities: EntityTable) -> str:
    """The follow-up in its own words with "it", "its", "there", "that deal" and "they" filled in from the
    turn before; "" when there is nothing to refer to.

    "Where are its data centers located?" after "What is Project Rainier?" ->
    "Where are Project Rainier's data centers located?"; "And when does the first capacity arrive?"
    after a question about AMD's deal with OpenAI -> "When does the first capacity arrive for AMD's
    deal with OpenAI?"."""
    referent = _topic(before, entities) or (deal_phrase(plan, entities) if plan.companies else "")
    if not referent:
        return ""
    text = _LEADS.sub("", question).strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    roles = dict(pronoun_roles(text, entities))

    def thing(m: re.Match[str]) -> str:
        if m.group("its"):
            return f"{referent}'s" if not referent.endswith("s") else f"{referent}'"
        return referent

    def people(m: re.Match[str]) -> str:
        word = m.group(1).lower()
        role = roles.get(word, "")
        side = plan.suppliers if role == "supplier" else plan.customers if role == "customer" else ()
        side = side or plan.companies
        said = names(tuple(side)) if side else referent
        return f"{said}'s" if word == "their" and side else said

    filled = _THING.sub(thing, text)
    filled = _PEOPLE.sub(people, filled)
    named = entities.mentions(filled)
    for start, end, _ in entities.spans(filled):
        # "How big is the AMD deal?" after a question about OpenAI: AMD's deal with the other party.
        one = re.match(r"\s+(?:deal|agreement|contract)\b", filled[end:])
        if one and filled[:start].lower().endswith("the ") and set(plan.companies) - set(named):
            filled = filled[: start - 4] + deal_phrase(plan, entities) + filled[end + one.end() :]
            break
    if filled == text or set(plan.companies) - set(entities.mentions(filled)) and referent not in filled:
        if len(text.split()) <= 3:
            return ""  # "Why?": nothing of its own to keep; the plan words it
        filled = f"{filled.rstrip(' ?.!')} for {referent}?"
    if filled.rstrip("?").endswith("?"):
        filled = filled.rstrip("?") + "?"
    return filled[0].upper() + filled[1:]


def _topic(before: str, entities: EntityTable) -> str:
    """What the previous question was about when it names a deal, a site or a project rather than a company."""
    for match in _TOPIC.finditer(before):
        phrase = match.group(0).rstrip(" ,.")
        if len(phrase.split()) > 2 or not phrase.lower().startswith("the "):
            return phrase  # not a bare "the deal"
    products = [p for p in entities.products_named(before) if len(p.split()) > 1]
    if products:
        return products[0]  # "Project Rainier", "Colossus 1"
    for match in _NAMED_TOPIC.finditer(before):
        phrase = match.group(1)
        words = phrase.split()
        covered = " ".join(phrase[s:e] for s, e, _ in entities.spans(phrase)).split()
        if any(w not in covered and w.lower() not in MONTHS and not w.isdigit() for w in words):
            return phrase
    return ""


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
