"""Evaluation: the runner, its reports, and the CI gate over the whole question set."""

import json

import pytest
from conftest import REPO

from assistant.evaluate import diff_reports, load_questions, run, score, write_reports

QUESTIONS = REPO / "eval" / "questions.jsonl"

# Floors set from measured runs of the offline pipeline (see eval/README.md); a regression fails CI.
FLOORS = {
    "correct": 0.88,
    "must_mention": 0.80,
    "citation_precision": 0.95,
    "abstention_accuracy": 0.5,
    "hit_rate": 0.9,
}


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
    return run(assistant, questions, ["ours"], progress=False)


def test_full_question_set_meets_the_floors(full_run):
    summary = full_run["summary"]["ours"]
    assert summary["errors"] == 0
    for metric, floor in FLOORS.items():
        assert summary[metric] >= floor, f"{metric} {summary[metric]} fell below {floor}"


def test_reports_are_written_and_diffable(full_run, tmp_path):
    files = write_reports(full_run, tmp_path / "a", [])
    assert [f.name for f in files] == ["report.json", "report.md", "report.png"]
    record = json.loads(files[0].read_text())["records"][0]
    assert record["answer"]["citations"] is not None and "metrics" in record
    assert files[2].read_bytes().startswith(b"\x89PNG")
    worse = json.loads(files[0].read_text())
    worse["records"][0]["metrics"]["correct"] = 0.0
    (tmp_path / "worse.json").write_text(json.dumps(worse))
    assert f"worse (1): {record['id']}" in diff_reports(files[0], tmp_path / "worse.json")


def test_baselines_run_side_by_side(assistant):
    questions, _ = load_questions(QUESTIONS)
    result = run(assistant, questions[:6], ["ours", "dense", "bm25", "naive"], progress=False)
    assert set(result["summary"]) == {"ours", "dense", "bm25", "naive"}
    assert all(r["error"] is None for r in result["records"])


def test_an_abstention_on_an_unanswerable_question_scores_as_correct(assistant):
    from assistant.evaluate import Question

    q = Question(id="x", question="What GPUs does Zorblax Robotics rent?", answerable=False)
    metrics = score(q, assistant.ask(q.question))
    assert metrics["correct"] == 1.0 and metrics["must_mention"] is None
