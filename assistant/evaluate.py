"""Question file (JSONL) -> every system's answers, scored -> report.json, report.md and a chart.

Per question: must_mention recall and completeness, whether it answered or abstained as it should
(false and missed abstentions apart), verdict-first for compare/total/yes-no questions, visible
words and repeated sentences, an independent citation check (`citecheck`), the LLM judge when a
backend is configured, retrieval hit rate and MRR against expected_sources, latency.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import citecheck
from assistant.chat import final_answer
from assistant.errors import AssistantError
from assistant.eval_report import diff_reports, table, write_reports
from assistant.types import Answer

OURS = "ours"
METRICS = (
    "must_mention",
    "complete",
    "decision",
    "false_abstention",
    "missed_abstention",
    "verdict_first",
    "citation_precision",
    "citation_recall",
    "judge_supported",
    "judge_partly",
    "judge_not",
    "words",
    "list_words",
    "repeats",
    "hit_rate",
    "mrr",
)
LIST_INTENTS = ("suppliers_of", "customers_of", "between", "intersection", "excluding")
_YES_NO = re.compile(r"^(is|are|was|were|does|do|did|has|have|had|can|could|will|would|should)\b", re.I)
_VERDICT = {
    "yes-no": re.compile(r"\b(yes|no|not|never|still|no longer|none|neither)\b|n[’']t\b", re.I),
    "compare": re.compile(
        r"\b(larger|bigger|smaller|more|less|fewer|earlier|later|sooner|higher|lower|longer|shorter|greater|"
        r"than|exceeds?|outweighs?|twice|times|first|before|after)\b",
        re.I,
    ),
    "total": re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen)\b", re.I),
}
_WORD = re.compile(r"[^\W_]+(?:[’'.,-][^\W_]+)*")


@dataclass
class Question:
    id: str
    question: str
    answerable: bool = True
    must_mention: list[str] = field(default_factory=list)
    expected_sources: list[str] = field(default_factory=list)
    turns: list[str] = field(default_factory=list)
    category: str = "uncategorised"
    split: str = "dev"
    intent: str = ""


def load_questions(path: Path) -> tuple[list[Question], list[str]]:
    """Valid questions, and one error per malformed line (by line number); unknown fields are ignored."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AssistantError(f"cannot read the question file {path}: {exc}") from exc
    questions, errors = [], []
    known = set(Question.__dataclass_fields__)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict) or not isinstance(raw.get("question"), str):
                raise ValueError("needs an object with a 'question' string")
            raw.setdefault("id", f"line{number}")
            questions.append(Question(**{k: v for k, v in raw.items() if k in known}))
        except (ValueError, TypeError) as exc:
            errors.append(f"{path.name}:{number}: {exc}")
    return questions, errors


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def verdict_kind(q: Question) -> str | None:
    """ "compare", "total" or "yes-no" when the question wants a verdict first; from its intent or category,
    else from its form (a question opening with an auxiliary verb is a yes/no question)."""
    intent = q.intent or {"comparison": "compare"}.get(q.category, "")
    if intent == "compare":
        return "compare"
    if intent in ("total", "count"):
        return "total"
    return "yes-no" if _YES_NO.match(q.question.strip()) else None


def is_list(q: Question) -> bool:
    return q.category == "list" or q.intent in LIST_INTENTS


def visible_words(text: str) -> int:
    """Words a reader sees: citation markers and the verifier's flag do not count."""
    return len(_WORD.findall(" ".join(citecheck.plain(line) for line in text.splitlines())))


def repeated_sentences(text: str, run: int = 8) -> int:
    """Sentences that show again a run of `run` words (or, if shorter, all their words) already shown
    earlier in the answer: a claim restated, or a quote repeated in a later line."""
    seen: set[tuple[str, ...]] = set()
    repeats = 0
    for sentence in citecheck.sentences(text):
        words = tuple(_norm(re.sub(r"[“”\"'’.,;:!?()]", " ", citecheck.plain(sentence))).split())
        if len(words) < 5:
            continue
        n = min(run, len(words))
        grams = {words[i : i + n] for i in range(len(words) - n + 1)}
        shorter = any(words == g[j : j + n] for g in seen for j in range(len(g) - n + 1)) if n < run else False
        if grams & seen or shorter:
            repeats += 1
        seen |= {words[i : i + run] for i in range(max(len(words) - run + 1, 1))}
    return repeats


def score(q: Question, answer: Answer, entities=None, judge=None) -> dict[str, float | None]:
    """The metrics of one answer (None where a metric does not apply)."""
    from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate

    metrics: dict[str, float | None] = {m: None for m in METRICS}
    metrics["decision"] = float(answer.abstained != q.answerable)
    if q.answerable:
        metrics["false_abstention"] = float(answer.abstained)
        if q.must_mention:
            text = _norm(answer.text)
            found = sum(1 for m in q.must_mention if _norm(m) in text)
            metrics["must_mention"] = found / len(q.must_mention)
            metrics["complete"] = float(found == len(q.must_mention))
    else:
        metrics["missed_abstention"] = float(not answer.abstained)
    if not answer.abstained:
        kind = verdict_kind(q)
        if kind and q.answerable:
            first = next(iter(citecheck.sentences(answer.text)), "")
            metrics["verdict_first"] = float(bool(_VERDICT[kind].search(citecheck.plain(first))))
        metrics["words"] = float(visible_words(answer.text))
        metrics["list_words"] = metrics["words"] if is_list(q) else None
        metrics["repeats"] = float(repeated_sentences(answer.text))
        # Every quote a citation shows counts: its best one and the others the answer relies on.
        cites = [
            {"number": c.number, "quote": " ".join(dict.fromkeys((c.quote, *c.quotes))), "published": c.published}
            for c in answer.citations
        ]
        check = citecheck.check_answer(answer.text, cites, entities)
        metrics["citation_precision"], metrics["citation_recall"] = check["precision"], check["recall"]
        if judge is not None:
            ratings = citecheck.judge_answer(answer.text, cites, judge)
            for rating in citecheck.RATINGS:
                metrics[f"judge_{rating}"] = ratings.count(rating) / len(ratings) if ratings else None
    if q.expected_sources:
        retrieved = list(dict.fromkeys([c.doc_id for c in answer.citations] + [p.doc_id for p in answer.passages]))
        hit = HitRate().compute(expected_ids=q.expected_sources, retrieved_ids=retrieved).score if retrieved else 0.0
        mrr = MRR().compute(expected_ids=q.expected_sources, retrieved_ids=retrieved).score if retrieved else 0.0
        metrics["hit_rate"], metrics["mrr"] = hit, mrr
    metrics["latency_ms"] = answer.timings.get("total_ms", 0.0)
    return metrics


def missed(q: Question, answer: Answer | None) -> list[str]:
    """What an answer lacks: the must_mention items it leaves out, or a wrong abstention."""
    if answer is None:
        return ["no answer (error)"]
    if q.answerable and answer.abstained:
        return ["abstained on an answerable question", *q.must_mention]
    if not q.answerable and not answer.abstained:
        return ["answered an unanswerable question"]
    text = _norm(answer.text)
    return [m for m in q.must_mention if _norm(m) not in text]


def answer_question(assistant, q: Question, system: str) -> Answer:
    """Ask `q` (after its earlier turns) through our pipeline, an ablation of it, or a baseline."""
    from assistant.baselines import ABLATIONS, ablated, baseline_stream

    if system in ABLATIONS:
        with ablated(assistant, system):
            return answer_question(assistant, q, OURS)
    chat = assistant.chat()
    for turn in q.turns:
        chat.ask(turn)
    if system == OURS:
        return chat.ask(q.question)
    standalone = assistant.condense(q.question, chat.turns)
    return final_answer(baseline_stream(system, assistant, q.question, standalone))


def run(assistant, questions: list[Question], systems: list[str], progress: bool = True) -> dict:
    """Every system on every question; errors are recorded per question and the run goes on."""
    from tqdm import tqdm

    judge = getattr(assistant, "llm", None)
    records = []
    bar = tqdm(total=len(questions) * len(systems), unit="q", desc="eval", disable=not progress, file=sys.stderr)
    for system in systems:
        for q in questions:
            began = time.perf_counter()
            base: dict[str, object] = {
                "id": q.id,
                "system": system,
                "category": q.category,
                "split": q.split,
                "question": q.question,
                "intent": q.intent,
            }
            metrics: dict[str, float | None]
            try:
                answer = answer_question(assistant, q, system)
                metrics = score(q, answer, assistant.entities, judge)
                record = base | {
                    "metrics": metrics,
                    "missed": missed(q, answer),
                    "answer": answer.to_dict(),
                    "error": None,
                }
            except AssistantError as exc:
                metrics = {m: None for m in METRICS}
                metrics["latency_ms"] = (time.perf_counter() - began) * 1000
                metrics["decision"] = 0.0
                if q.answerable and q.must_mention:
                    metrics["must_mention"] = metrics["complete"] = 0.0
                record = base | {"metrics": metrics, "missed": missed(q, None), "answer": None, "error": str(exc)}
            records.append(record)
            bar.update(1)
    bar.close()
    return {
        "systems": systems,
        "judge": judge is not None,
        "records": records,
        "summary": summarise(records, systems),
    }


def summarise(records: list[dict], systems: list[str]) -> dict:
    """Means per system, overall, per category and per split."""

    def mean(rows: list[dict], metric: str) -> float | None:
        values = [r["metrics"][metric] for r in rows if r["metrics"].get(metric) is not None]
        return round(statistics.fmean(values), 1 if metric in ("words", "list_words") else 3) if values else None

    def block(rows: list[dict]) -> dict:
        out: dict[str, Any] = {m: mean(rows, m) for m in METRICS}
        latencies = sorted(r["metrics"]["latency_ms"] for r in rows)
        out["latency_p50_ms"] = round(latencies[len(latencies) // 2], 1) if latencies else None
        out["latency_p95_ms"] = (
            round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 1) if latencies else None
        )
        out["questions"] = len(rows)
        return out

    summary: dict = {}
    for system in systems:
        rows = [r for r in records if r["system"] == system]
        summary[system] = block(rows) | {
            "errors": sum(1 for r in rows if r["error"]),
            "by_category": {
                c: block([r for r in rows if r["category"] == c]) for c in sorted({r["category"] for r in rows})
            },
            "by_split": {s: block([r for r in rows if r["split"] == s]) for s in sorted({r["split"] for r in rows})},
            "by_intent": {
                i: block([r for r in rows if r.get("intent") == i])
                for i in sorted({r.get("intent") or "" for r in rows})
                if i
            },
        }
    return summary


def run_cli(assistant, path: Path, out: Path, compare: list[str]) -> int:
    from assistant.baselines import BASELINES

    unknown = [c for c in compare if c not in BASELINES]
    if unknown:
        raise AssistantError(f"unknown baseline {unknown[0]!r}; choose from {', '.join(BASELINES)}")
    questions, errors = load_questions(path)
    for line in errors:
        print(f"skipped {line}", file=sys.stderr)
    if not questions:
        raise AssistantError(f"{path} holds no valid questions")
    result = run(assistant, questions, [OURS, *dict.fromkeys(compare)])
    files = write_reports(result, out, errors)
    print(table(result["summary"], result["systems"], result["judge"]))
    print("\nwrote " + ", ".join(str(f) for f in files))
    return 0


__all__ = [
    "Question",
    "load_questions",
    "score",
    "missed",
    "run",
    "summarise",
    "write_reports",
    "diff_reports",
    "run_cli",
]
