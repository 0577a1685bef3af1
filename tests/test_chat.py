"""Follow-ups: rewritten to stand alone, offline, by rules over the entity table."""

import pytest
from conftest import CORPUS

from assistant.condense import condense
from assistant.entities import EntityTable

TABLE = EntityTable.load(CORPUS / "entities.yaml")


@pytest.mark.parametrize(
    ("previous", "follow_up", "expected"),
    [
        ("Who supplies compute to Anthropic?", "And OpenAI?", "Who supplies compute to OpenAI?"),
        ("Who supplies compute to Anthropic?", "What about Meta?", "Who supplies compute to Meta?"),
        ("Who supplies compute to Anthropic?", "how about for Microsoft", "Who supplies compute to Microsoft?"),
        ("Who supplies compute to Meta?", "Same question for xAI", "Who supplies compute to xAI?"),
        ("Who supplies compute to Meta?", "OpenAI?", "Who supplies compute to OpenAI?"),
        ("Does Amazon supply compute to Anthropic?", "And Google?", "Does Google supply compute to Anthropic?"),
        ("What did AMD agree to supply to OpenAI?", "How big is it?", "How big is the AMD and OpenAI deal?"),
        (
            "What did AMD agree to supply to OpenAI?",
            "When was that deal announced?",
            "When was the AMD and OpenAI deal announced?",
        ),
        ("How many chips does Project Rainier have?", "Who uses it?", "Who uses Project Rainier?"),
        ("Who supplies compute to Anthropic?", "Who supplies compute to Meta?", "Who supplies compute to Meta?"),
    ],
)
def test_follow_up_is_rewritten_to_stand_alone(previous, follow_up, expected):
    assert condense(follow_up, [previous], TABLE) == expected


def test_first_question_is_left_alone():
    assert condense("  Who   supplies Meta? ", [], TABLE) == "Who supplies Meta?"


def test_chat_keeps_context_and_shows_what_it_searched(assistant):
    chat = assistant.chat()
    first = chat.ask("Who supplies compute to Anthropic?")
    second = chat.ask("And OpenAI?")
    assert first.standalone_question == "Who supplies compute to Anthropic?"
    assert second.standalone_question == "Who supplies compute to OpenAI?"
    assert len(chat.turns) == 2 and [t.answer for t in chat.turns] == [first, second]
    # The follow-up is answered about OpenAI: it names a supplier the graph records for OpenAI alone, and
    # every source it cites is about OpenAI, none carried over from the first answer.
    openai_only = {d.supplier for d in assistant.deals(customer="OpenAI")} - {
        d.supplier for d in assistant.deals(customer="Anthropic")
    }
    assert openai_only and any(name in second.text for name in openai_only)
    assert second.citations
    assert all("OpenAI" in TABLE.mentions(f"{c.title} {c.quote}") for c in second.citations), [
        c.quote for c in second.citations if "OpenAI" not in TABLE.mentions(f"{c.title} {c.quote}")
    ]
    assert not {(c.doc_id, c.quote) for c in second.citations} & {(c.doc_id, c.quote) for c in first.citations}
