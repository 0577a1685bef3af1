"""The model's reply is bounded and filtered: max_tokens on every request, first-token and whole-answer
limits, prompt scaffolding removed, and an answer the verifier mostly rejects replaced by the extractive one."""

import time

import pytest
from conftest import CORPUS
from scripted_llm import Reply, source_number

from assistant.api import Assistant
from assistant.settings import Settings
from assistant.types import TextDelta

QUESTION = "How much will Google pay SpaceX for compute each month?"
RIGHT = "Google will pay SpaceX $920 million a month for compute capacity"


@pytest.fixture
def make(server, index_dir, assistant):
    def build(**settings) -> Assistant:
        base = dict(
            data_dir=index_dir,
            corpus_dir=CORPUS,
            backend="openai",
            llm_base_url=server.base_url,
            openai_api_key="sk-local",
            llm_model="scripted",
            llm_timeout=10,
        )
        return Assistant(Settings(**{**base, **settings}))

    return build


def _cite(body) -> int:
    return source_number(body, "$920 million")


def test_every_request_carries_the_token_limit(server, make):
    def script(body):
        if "standalone question" in body["messages"][0]["content"]:
            return Reply("How much will Microsoft pay SpaceX for compute each month?")
        return Reply(f"{RIGHT} [{_cite(body)}].")

    server.script = script
    chat = make(llm_max_tokens=123).chat()
    chat.ask(QUESTION)
    chat.ask("And Microsoft?")
    answers = [r for r in server.requests if "standalone question" not in r["messages"][0]["content"]]
    condensing = [r for r in server.requests if "standalone question" in r["messages"][0]["content"]]
    assert len(answers) == 2 and len(condensing) == 1
    assert all(r["max_tokens"] == 123 for r in answers)
    assert 0 < condensing[0]["max_tokens"] <= 123


def test_no_first_token_in_time_falls_back_and_says_why(server, make):
    server.script = lambda body: Reply(f"{RIGHT} [{_cite(body)}].", delay=12)
    began = time.monotonic()
    answer = make(llm_first_token_timeout=1, llm_timeout=60).ask(QUESTION)
    waited = time.monotonic() - began
    assert answer.backend == "extractive" and "no first token within 1 s" in answer.notice
    assert "920 million" in answer.text and answer.citations
    assert waited < 12  # the reply would have come after 12 s; the first-token limit ended the wait


def test_first_token_limit_holds_while_the_server_sends_keepalives(server, make):
    server.script = lambda body: Reply(f"{RIGHT} [{_cite(body)}].", delay=12, keepalive=True)
    began = time.monotonic()
    answer = make(llm_first_token_timeout=1, llm_timeout=60).ask(QUESTION)
    assert time.monotonic() - began < 12
    assert answer.backend == "extractive" and "no first token within 1 s" in answer.notice


def test_whole_answer_limit_keeps_the_finished_sentence_and_marks_the_cut(server, make):
    rambling = " ".join(["and it goes on"] * 30)
    server.script = lambda body: Reply(f"{RIGHT} [{_cite(body)}]. Then {rambling}.", gap=0.2)
    events = list(make(llm_timeout=8, llm_first_token_timeout=8).stream(QUESTION))
    answer = events[-1]
    assert answer.backend == "openai"
    assert answer.text.startswith(RIGHT) and answer.text.endswith("[1]. …")
    assert "goes on" not in answer.text
    assert "still writing after 8 s" in answer.notice
    assert answer.citations[0].verified
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert streamed.startswith(RIGHT)  # the user saw it arrive before the limit struck


def test_token_limit_mid_answer_keeps_what_was_finished(server, make):
    server.script = lambda body: Reply(f"{RIGHT} [{_cite(body)}]. Over 32 months the contract", finish="length")
    answer = make(llm_max_tokens=40).ask(QUESTION)
    assert answer.backend == "openai" and answer.text.endswith("[1]. …")
    assert "32 months" not in answer.text
    assert "limit of 40 tokens" in answer.notice


def test_token_limit_before_any_finished_sentence_falls_back(server, make):
    server.script = lambda body: Reply("Google will pay SpaceX", finish="length")
    answer = make(llm_max_tokens=20).ask(QUESTION)
    assert answer.backend == "extractive" and "920 million" in answer.text
    assert "limit of 20 tokens before it finished a sentence" in answer.notice


def test_prompt_scaffolding_never_reaches_the_user(server, make):
    def script(body):
        n = _cite(body)
        return Reply(
            f"<sources>\n[{n}] SpaceX and Google — Reuters, 2026-05-06\nGoogle pays $920 million.\n</sources>\n\n"
            f"Question: {QUESTION}\nAnswer: {RIGHT} [{n}].\nQuestion: And Microsoft?"
        )

    server.script = script
    events = list(make().stream(QUESTION))
    answer = events[-1]
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    for shown in (streamed, answer.text):
        for scaffold in ("<sources>", "</sources>", "Reuters, 2026", "Question", "Answer:", "Microsoft"):
            assert scaffold not in shown
    assert answer.backend == "openai" and answer.text.startswith(RIGHT)
    assert all(v.supported for v in answer.verdicts)


def _mostly_wrong(body) -> Reply:
    n = _cite(body)
    return Reply(
        f"{RIGHT} [{n}]. Google will pay SpaceX $9 billion a month [{n}]. "
        f"The contract with Google is worth $400 billion over 32 months [{n}]."
    )


def test_mostly_unsupported_answer_is_replaced_by_the_extractive_one(server, make):
    server.script = _mostly_wrong
    answer = make().ask(QUESTION)
    assert answer.backend == "extractive"
    assert "support only 1 of the 3 sentences" in answer.notice
    assert "$9 billion" not in answer.text and "920 million" in answer.text
    record = answer.to_dict()
    assert "$9 billion" in record["model_draft"] and record["model_draft"].count("(unverified)") == 2


def test_the_unsupported_share_that_falls_back_is_a_setting(server, make):
    server.script = _mostly_wrong
    answer = make(llm_max_unsupported=1.0).ask(QUESTION)
    assert answer.backend == "openai" and not answer.model_draft
    assert answer.text.count("(unverified)") == 2


def test_condensing_is_bounded_and_a_cut_rewrite_is_not_used(server, make):
    def script(body):
        if "standalone question" in body["messages"][0]["content"]:
            return Reply("How much will Microsoft pay SpaceX for compute each month and over how many", finish="length")
        return Reply("The sources do not say.")

    server.script = script
    chat = make().chat()
    chat.ask(QUESTION)
    second = chat.ask("And Microsoft?")
    assert "over how many" not in second.standalone_question
    assert "Microsoft" in second.standalone_question  # the offline rules rewrote it instead


def test_slow_condensing_gives_way_to_the_offline_rules(server, make):
    def script(body):
        if "standalone question" in body["messages"][0]["content"]:
            return Reply("How much will Microsoft pay SpaceX each month?", delay=12)
        return Reply("The sources do not say.")

    server.script = script
    llm = make(llm_timeout=1)
    chat = llm.chat()
    chat.ask(QUESTION)
    began = time.monotonic()
    standalone = llm.condense("And Microsoft?", chat.turns)
    assert time.monotonic() - began < 12  # the rewrite would have come after 12 s
    assert "Microsoft" in standalone and standalone != "How much will Microsoft pay SpaceX each month?"
