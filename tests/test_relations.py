"""Questions about who supplies whom, answered from the deal graph of a three-note corpus."""

import pytest

from assistant.api import Assistant
from assistant.settings import Settings


@pytest.fixture
def small(small_corpus, tmp_path):
    return Assistant(Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus))


def test_a_supplier_question_lists_every_recorded_supplier_with_verified_quotes(small):
    answer = small.ask("Who supplies compute to Anthropic?")
    assert answer.route == "graph" and not answer.abstained
    assert "Amazon" in answer.text and "Google" in answer.text and "Nvidia" not in answer.text
    assert {c.doc_id for c in answer.citations} == {"notes/amazon.md", "notes/google.md"}
    assert all(c.verified for c in answer.citations)


def test_a_customer_question_names_the_customer_and_its_quote(small):
    answer = small.ask("Whom does Nvidia supply?")
    assert answer.route == "graph" and "OpenAI" in answer.text
    assert [c.quote for c in answer.citations] == [
        "Nvidia agreed to supply OpenAI with 10 GW of systems for $100 billion."
    ]


def test_a_pair_with_no_recorded_deal_gets_no_invented_answer(small):
    answer = small.ask("Does Nvidia supply Anthropic?")
    assert answer.abstained and not answer.citations
