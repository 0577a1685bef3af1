"""Extractive answers: quoted, cited, verified; abstentions when the sources are silent."""

import json

from conftest import CORPUS

from assistant.corpus import load_corpus


def _bodies():
    return {d.doc_id: d.body for d in load_corpus(CORPUS)[0]}


def test_amd_answer_mentions_six_gigawatts_with_a_verified_citation(assistant):
    answer = assistant.ask("What did AMD agree to supply to OpenAI?")
    assert not answer.abstained
    assert "6 GW" in answer.text
    assert answer.citations and all(c.verified for c in answer.citations)
    assert "[1]" in answer.text


def test_every_quote_is_exact_text_of_its_source(assistant):
    bodies = _bodies()
    for question in [
        "What did AMD agree to supply to OpenAI?",
        "How much does Google pay SpaceX each month?",
        "Who supplies compute to Meta?",
        "How many Trainium2 chips does Project Rainier run?",
    ]:
        answer = assistant.ask(question)
        assert answer.citations, question
        for c in answer.citations:
            assert c.quote.strip() and c.quote in bodies[c.doc_id], (question, c)


def test_citations_are_numbered_by_first_use(assistant):
    import re

    answer = assistant.ask("How much does Google pay SpaceX each month?")
    seen = []
    for n in re.findall(r"\[(\d+)\]", answer.text):
        if int(n) not in seen:
            seen.append(int(n))
    assert seen == list(range(1, len(seen) + 1))
    assert [c.number for c in answer.citations] == seen


def test_unknown_company_abstains_without_citations(assistant):
    answer = assistant.ask("What GPUs does Zorblax Robotics rent from CoreWeave?")
    assert answer.abstained and not answer.citations
    assert "Zorblax" in answer.text


def test_question_the_sources_cannot_answer_abstains(assistant):
    answer = assistant.ask("What colour is the carpet in the Memphis data hall?")
    assert answer.abstained and answer.citations == ()


def test_questions_about_the_article_cite_the_article_note(assistant):
    answer = assistant.ask("What does the article say about sunk cost?")
    assert any("article-xai-sells-compute-to-anthropic" in c.doc_id for c in answer.citations)


def test_stream_yields_text_then_the_final_answer(assistant):
    from assistant.types import Answer, TextDelta

    events = list(assistant.stream("What did AMD agree to supply to OpenAI?"))
    assert isinstance(events[-1], Answer)
    assert all(isinstance(e, TextDelta) for e in events[:-1]) and len(events) > 2
    streamed = "".join(e.text for e in events[:-1]).strip()
    assert streamed == events[-1].text.strip()


def test_to_dict_is_json_with_passages_verdicts_and_timings(assistant):
    record = assistant.ask("How much does Google pay SpaceX each month?").to_dict()
    text = json.dumps(record)
    assert record["standalone_question"] and record["passages"] and record["verdicts"]
    assert record["backend"] == "extractive" and record["corpus_version"]
    assert "total_ms" in record["timings"]
    assert all(c["verified"] for c in record["citations"])
    assert "sk-" not in text


def test_conflicting_reports_are_both_cited(assistant):
    answer = assistant.ask("How many Trainium2 chips does Project Rainier run?")
    publishers = {c.publisher for c in answer.citations}
    assert {"Semafor", "Data Centre Magazine"} <= publishers
    assert "Sources differ on the figures" in answer.text


def test_one_citation_number_per_source_document(assistant):
    bodies = _bodies()
    answer = assistant.ask("What did AMD agree to supply to OpenAI?")
    doc_ids = [c.doc_id for c in answer.citations]
    assert len(doc_ids) == len(set(doc_ids))
    # A source quoted twice keeps both sentences on its one citation.
    assert any(len(c.quotes) > 1 for c in answer.citations)
    for c in answer.citations:
        assert c.quote in c.quotes and all(q in bodies[c.doc_id] for q in c.quotes)
