"""Evaluation: the runner, its metrics and reports, ablations, a user's own set, and the CI gate."""

import json
import os
import subprocess
import sys

import pytest
from conftest import CORPUS, REPO
from scripted_llm import Reply, ScriptedServer, source_number

from assistant import citecheck
from assistant.evaluate import (
    Question,
    diff_reports,
    load_questions,
    repeated_sentences,
    run,
    score,
    visible_words,
    write_reports,
)
from assistant.types import Answer, Citation

QUESTIONS = REPO / "eval" / "questions.jsonl"

# Set from measured runs of the offline pipeline, with a margin (see eval/README.md); a regression fails CI.
FLOORS = {
    "must_mention": 0.9,
    "complete": 0.82,
    "decision": 0.95,
    "verdict_first": 0.95,
    "citation_precision": 0.98,
    "citation_recall": 0.93,
    "hit_rate": 0.93,
}
CEILINGS = {"false_abstention": 0.03, "missed_abstention": 0.1, "repeats": 0.0, "list_words": 250}
# Over every eval file (questions, paraphrases, follow-up conversations) at once.
WHOLE_EVAL = ("questions.jsonl", "paraphrase.jsonl", "followups.jsonl")
WHOLE_FLOORS = {"must_mention": 0.92, "decision": 0.95, "verdict_first": 0.95}
WHOLE_CEILINGS = {"repeats": 0.0, "list_words": 250, "missed_abstention": 0.1}


def test_question_file_is_well_formed():
    questions, errors = load_questions(QUESTIONS)
    assert errors == [] and len(questions) >= 60
    assert sum(1 for q in questions if not q.answerable) >= 10
    assert {q.split for q in questions} == {"dev", "heldout"}
    assert any(q.turns for q in questions)


def test_malformed_lines_are_reported_by_number_and_the_rest_run(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "a", "question": "Who supplies Anthropic?"}\n{broken\n\n[1, 2]\n'
        '{"id": "b", "question": "x", "unknown_field": 1}\n',
        encoding="utf-8",
    )
    questions, errors = load_questions(path)
    assert [q.id for q in questions] == ["a", "b"]
    assert [e.split(":")[1] for e in errors] == ["2", "4"]


@pytest.fixture(scope="module")
def full_run(assistant):
    questions, _ = load_questions(QUESTIONS)
    return run(assistant, questions, ["ours", "no-graph", "naive"], progress=False)


def test_full_question_set_meets_the_floors(full_run):
    summary = full_run["summary"]["ours"]
    assert summary["errors"] == 0
    for metric, floor in FLOORS.items():
        assert summary[metric] >= floor, f"{metric} {summary[metric]} fell below {floor}"
    for metric, ceiling in CEILINGS.items():
        assert summary[metric] <= ceiling, f"{metric} {summary[metric]} rose above {ceiling}"


def test_the_whole_eval_answers_first_briefly_and_never_twice(assistant):
    # Paraphrases and follow-ups too: list answers stay short, no answer says a run of words twice,
    # compare, total and yes/no answers open with their verdict, and the held-out split is scored with the rest.
    questions = []
    for name in WHOLE_EVAL:
        loaded, errors = load_questions(REPO / "eval" / name)
        assert errors == [], name
        questions += loaded
    summary = run(assistant, questions, ["ours"], progress=False)["summary"]["ours"]
    assert summary["errors"] == 0
    for metric, floor in WHOLE_FLOORS.items():
        assert summary[metric] >= floor, f"{metric} {summary[metric]} fell below {floor}"
    for metric, ceiling in WHOLE_CEILINGS.items():
        assert summary[metric] <= ceiling, f"{metric} {summary[metric]} rose above {ceiling}"


def test_metrics_tell_our_pipeline_from_the_naive_baseline(full_run):
    ours, naive = full_run["summary"]["ours"], full_run["summary"]["naive"]
    assert ours["must_mention"] > naive["must_mention"] + 0.1
    assert ours["complete"] > naive["complete"] + 0.1
    assert ours["missed_abstention"] < naive["missed_abstention"]
    assert ours["citation_recall"] > naive["citation_recall"] + 0.3


def test_reports_show_every_system_per_category_and_the_worst_answers(full_run, tmp_path):
    files = write_reports(full_run, tmp_path / "a", [])
    assert [f.name for f in files] == ["report.json", "report.md", "report.png"]
    assert files[2].read_bytes().startswith(b"\x89PNG")
    report = files[1].read_text()
    for section in ("## must_mention by category", "## Complete answers"):
        assert "| category | ours | no-graph | naive |" in report.split(section)[1].split("\n## ")[0], section
    check = report.split("## Independent citation check")[1].split("\n## ")[0]
    assert all(f"\n| {s} | " in check for s in ("ours", "no-graph", "naive"))
    per_category = report.split("## must_mention by category")[1].split("\n## ")[0]
    assert "| list |" in per_category and "| fact |" in per_category
    worst = report.split("## Ten worst answers")[1].split("\n## ")[0]
    failing = [
        r
        for r in full_run["records"]
        if r["system"] == "ours"
        and (r["error"] or r.get("missed") or (r["metrics"].get("citation_precision") or 1) < 1)
    ]
    assert worst.count("\n- **") == min(10, len(failing)) and "missed:" in worst
    assert "LLM judge: skipped" in report


def test_diff_lists_regressions_with_the_items_now_missing(full_run, tmp_path):
    files = write_reports(full_run, tmp_path / "a", [])
    data = json.loads(files[0].read_text())
    record = next(r for r in data["records"] if r["system"] == "ours" and r["metrics"]["must_mention"] == 1.0)
    record["metrics"]["must_mention"] = 0.5
    record["missed"] = ["Trainium2"]
    (tmp_path / "worse.json").write_text(json.dumps(data))
    diff = diff_reports(files[0], tmp_path / "worse.json")
    assert diff.startswith("worse (1):")
    assert f"ours {record['id']} [{record['category']}]: must_mention 1 -> 0.5; missing: Trainium2" in diff
    assert "better (0):" in diff


def test_an_abstention_on_an_unanswerable_question_is_no_missed_abstention(assistant):
    q = Question(id="x", question="What GPUs does Zorblax Robotics rent?", answerable=False)
    metrics = score(q, assistant.ask(q.question))
    assert metrics["decision"] == 1.0 and metrics["missed_abstention"] == 0.0
    assert metrics["must_mention"] is None and metrics["false_abstention"] is None


def _answer(text: str, quotes: list[tuple[str, str | None]] = (), abstained: bool = False) -> Answer:
    cites = tuple(
        Citation(n, f"notes/{n}.md", "t", "p", "u", published, quote)
        for n, (quote, published) in enumerate(quotes, start=1)
    )
    return Answer(question="q", text=text, citations=cites, abstained=abstained, standalone_question="q")


def test_independent_check_needs_every_figure_date_and_company_in_the_cited_quote(assistant):
    quotes = [("Amazon will supply Anthropic with 1 GW of Trainium chips.", "2025-10-06")]
    good = "AWS will supply Anthropic with 1 GW of Trainium chips, announced on 6 October 2025 [1]."
    for bad, lacking in (
        ("Amazon will supply Anthropic with 2 GW of Trainium chips [1].", "2 GW"),
        ("Amazon will supply Anthropic with 1 GW in March 2026 [1].", "March 2026"),
        ("Amazon will supply OpenAI with 1 GW of Trainium chips [1].", "OpenAI"),
    ):
        check = citecheck.check_answer(f"{good} {bad}", [_cite(q, p) for q, p in quotes], assistant.entities)
        assert check["precision"] == 0.5, bad
        assert check["failures"] == [{"sentence": bad.replace(" [1]", ""), "missing": [lacking]}]
    uncited = citecheck.check_answer(f"{good} Google pays $3 billion.", [_cite(*quotes[0])], assistant.entities)
    assert uncited["precision"] == 1.0 and uncited["recall"] == 0.5


def _cite(quote: str, published: str | None) -> dict:
    return {"number": 1, "quote": quote, "published": published}


def test_verdict_first_looks_at_the_first_sentence_only():
    q = Question(id="c", question="Which is bigger, AMD's deal or Broadcom's?", category="comparison")
    first = _answer("Broadcom's 10 GW deal is larger than AMD's 6 GW one [1]. AMD supplies GPUs [2].")
    later = _answer("AMD supplies GPUs [2]. Broadcom's 10 GW deal is larger than AMD's 6 GW one [1].")
    assert score(q, first)["verdict_first"] == 1.0 and score(q, later)["verdict_first"] == 0.0
    yes_no = Question(id="y", question="Does Oracle still rent GPUs to xAI?")
    assert score(yes_no, _answer("No, the talks collapsed in 2025 [1]."))["verdict_first"] == 1.0
    assert score(yes_no, _answer("Oracle rented 16,000 GPUs to xAI [1]."))["verdict_first"] == 0.0
    assert score(Question(id="f", question="What did AMD agree to?"), first)["verdict_first"] is None


def test_repeated_sentences_and_visible_words_are_counted_as_a_reader_sees_them():
    text = (
        "- AMD: AMD agreed to supply 6 GW of GPUs to OpenAI [1].\n"
        "- Sources differ: Nasdaq: “AMD agreed to supply 6 GW of GPUs to OpenAI” [1]; Reuters: “AMD agreed” [2].\n"
        "- Nvidia will supply 10 GW [3] (unverified)"
    )
    assert repeated_sentences(text) == 1
    assert repeated_sentences(text.replace("AMD agreed to supply 6 GW of GPUs to OpenAI”", "”")) == 0
    assert visible_words("AMD agreed to supply 6 GW [1][2]. (unverified)") == 6


def _cli(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_") and k != "OPENAI_API_KEY"}
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_CORPUS_DIR=str(CORPUS))
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env, timeout=240
    )


@pytest.fixture(scope="module")
def starter_file(assistant, index_dir, tmp_path_factory):
    """The starter set the CLI writes from the deal ledger, as a user would run it."""
    path = tmp_path_factory.mktemp("starter") / "starter.jsonl"
    done = _cli("eval", "--from-graph", "12", str(path), data_dir=index_dir)
    assert done.returncode == 0, done.stderr
    assert "wrote 12 questions" in done.stdout
    again = _cli("eval", "--from-graph", "12", str(path), data_dir=index_dir)
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr
    return path


def test_starter_set_from_the_ledger_has_list_and_fact_questions_with_ledger_items(starter_file, assistant):
    questions, errors = load_questions(starter_file)
    assert errors == [] and len(questions) == 12
    assert {q.category for q in questions} == {"list", "fact"}
    ledger = {(d.supplier, d.customer) for d in assistant.deals()}
    for q in questions:
        assert q.must_mention and q.expected_sources
        if q.category == "list":
            named = assistant.entities.mentions(q.question)
            assert all((named[0], m) in ledger or (m, named[0]) in ledger for m in q.must_mention), q


def test_switching_the_graph_off_lowers_list_recall_on_the_starter_set(starter_file, assistant):
    questions, _ = load_questions(starter_file)
    result = run(assistant, questions, ["ours", "no-graph"], progress=False)
    ours, ablated = (result["summary"][s]["by_category"]["list"] for s in ("ours", "no-graph"))
    assert ours["must_mention"] > ablated["must_mention"] + 0.1
    assert ours["complete"] > ablated["complete"]
    assert assistant.settings.use_graph  # the ablation is undone after the run


def test_a_users_own_file_with_only_question_and_must_mention_scores_and_ranks_systems(assistant, tmp_path):
    path = tmp_path / "mine.jsonl"
    lines = [
        {"question": "Which companies supply compute to Meta?", "must_mention": ["CoreWeave", "Nebius", "Oracle"]},
        {"question": "Who provides compute to xAI?", "must_mention": ["Oracle", "Nvidia"]},
        {"question": "What did AMD agree to supply OpenAI?", "must_mention": ["6 GW"]},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    questions, errors = load_questions(path)
    assert errors == [] and [q.id for q in questions] == ["line1", "line2", "line3"]
    result = run(assistant, questions, ["ours", "no-graph", "no-plan", "dense", "bm25", "naive"], progress=False)
    summary = result["summary"]
    assert all(r["error"] is None for r in result["records"])
    assert summary["ours"]["must_mention"] > summary["no-graph"]["must_mention"]
    assert set(summary["ours"]["by_category"]) == {"uncategorised"}
    files = write_reports(result, tmp_path / "out", [])
    assert "| uncategorised |" in files[1].read_text()


def test_llm_judge_rates_cited_sentences_only_with_a_backend(assistant, index_dir, tmp_path):
    from assistant.api import Assistant
    from assistant.settings import Settings

    server = ScriptedServer().start()
    seen = []

    def script(body):
        if body["messages"][0]["content"] == citecheck.JUDGE_PROMPT:
            seen.append(body["messages"][1]["content"])
            return Reply("partly" if "6 GW" in body["messages"][1]["content"] else "supported")
        try:
            return Reply(f"AMD agreed to supply OpenAI with 6 GW of GPUs [{source_number(body, '6 GW')}].")
        except AssertionError:  # not a drafting request over numbered sources
            return Reply("The sources do not say.")

    server.script = script
    try:
        llm_assistant = Assistant(
            Settings(
                data_dir=index_dir,
                corpus_dir=CORPUS,
                backend="openai",
                llm_base_url=server.base_url,
                openai_api_key="sk-local",
                llm_model="scripted",
                llm_timeout=5,
            )
        )
        llm = llm_assistant.llm
        q = Question(id="j", question="What did AMD agree to supply OpenAI?", must_mention=["6 GW"])
        answer = _answer(
            "AMD agreed to supply OpenAI with 6 GW [1]. OpenAI got a warrant [2]. No citation here.",
            [("AMD agreed to supply OpenAI with 6 GW of GPUs.", None), ("OpenAI got a warrant.", None)],
        )
        metrics = score(q, answer, assistant.entities, judge=llm)
        seen_directly = list(seen)
        result = run(llm_assistant, [q], ["ours"], progress=False)
    finally:
        server.stop()
    assert len(seen_directly) == 2 and "AMD agreed to supply OpenAI with 6 GW of GPUs." in seen_directly[0]
    assert (metrics["judge_supported"], metrics["judge_partly"], metrics["judge_not"]) == (0.5, 0.5, 0.0)
    # A whole run with an LLM backend judges its answers and reports the ratings.
    assert result["judge"] and len(seen) > 2
    assert result["summary"]["ours"]["judge_partly"] is not None
    assert "LLM judge, share of cited sentences" in write_reports(result, tmp_path, [])[1].read_text()
    offline = score(q, answer, assistant.entities)
    assert offline["judge_supported"] is None and offline["citation_precision"] == 1.0


def test_the_no_plan_ablation_rewrites_follow_ups_by_word_rules_alone(assistant):
    from assistant.baselines import ablated

    chat = assistant.chat()
    chat.ask("Who supplies compute to Anthropic?")
    assert assistant.rewrite("And to OpenAI?", chat.turns).plan is not None
    with ablated(assistant, "no-plan"):
        rewritten = assistant.rewrite("And to OpenAI?", chat.turns)
    assert rewritten.plan is None and "OpenAI" in rewritten.standalone
    assert assistant.settings.use_plan


def test_questions_with_an_intent_are_also_reported_by_intent(assistant, tmp_path):
    questions = [
        Question(id="a", question="Which firms sell computing capacity to OpenAI?", intent="suppliers_of"),
        Question(id="b", question="Is Nvidia's investment in OpenAI still on?", intent="status"),
    ]
    result = run(assistant, questions, ["ours"], progress=False)
    assert set(result["summary"]["ours"]["by_intent"]) == {"suppliers_of", "status"}
    report = write_reports(result, tmp_path, [])[1].read_text()
    assert "| status |" in report.split("## verdict_first by intent")[1].split("\n## ")[0]
