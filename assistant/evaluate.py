"""Question file (JSONL) -> every system's answers, scored -> report.json, report.md and a chart.

Per question: answered/abstained correctly, must_mention recall, citation precision (cited
sentences whose citations verify) and recall (answer sentences carrying a verified citation),
retrieval hit rate and MRR against expected_sources (llama-index's metrics), latency.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.chat import final_answer
from assistant.errors import AssistantError
from assistant.types import Answer

METRICS = ("correct", "must_mention", "citation_precision", "citation_recall", "hit_rate", "mrr")
OURS = "ours"


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


def score(q: Question, answer: Answer) -> dict[str, float | None]:
    """The metrics of one answer (None where a metric does not apply)."""
    from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate

    correct = float(answer.abstained != q.answerable)
    mention = None
    if q.answerable and q.must_mention:
        text = _norm(answer.text)
        mention = sum(1 for m in q.must_mention if _norm(m) in text) / len(q.must_mention)
    claims = [v for v in answer.verdicts if not v.sentence.endswith(":")]
    cited = [v for v in claims if v.citations]
    precision = sum(v.supported for v in cited) / len(cited) if cited else None
    recall = sum(bool(v.citations) and v.supported for v in claims) / len(claims) if claims else None
    hit = mrr = None
    if q.expected_sources:
        retrieved = list(dict.fromkeys([c.doc_id for c in answer.citations] + [p.doc_id for p in answer.passages]))
        hit = HitRate().compute(expected_ids=q.expected_sources, retrieved_ids=retrieved).score if retrieved else 0.0
        mrr = MRR().compute(expected_ids=q.expected_sources, retrieved_ids=retrieved).score if retrieved else 0.0
    return {
        "correct": correct,
        "must_mention": mention,
        "citation_precision": precision,
        "citation_recall": recall,
        "hit_rate": hit,
        "mrr": mrr,
        "latency_ms": answer.timings.get("total_ms", 0.0),
    }


def answer_question(assistant, q: Question, system: str) -> Answer:
    """Ask `q` (after its earlier turns) through our pipeline or a baseline."""
    from assistant.baselines import baseline_stream

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

    records = []
    bar = tqdm(total=len(questions) * len(systems), unit="q", desc="eval", disable=not progress, file=sys.stderr)
    for system in systems:
        for q in questions:
            began = time.perf_counter()
            try:
                answer = answer_question(assistant, q, system)
                record = {
                    "id": q.id,
                    "system": system,
                    "category": q.category,
                    "split": q.split,
                    "metrics": score(q, answer),
                    "answer": answer.to_dict(),
                    "error": None,
                }
            except AssistantError as exc:
                record = {
                    "id": q.id,
                    "system": system,
                    "category": q.category,
                    "split": q.split,
                    "metrics": {m: 0.0 for m in METRICS} | {"latency_ms": (time.perf_counter() - began) * 1000},
                    "answer": None,
                    "error": str(exc),
                }
            records.append(record)
            bar.update(1)
    bar.close()
    return {"systems": systems, "records": records, "summary": summarise(records, systems)}


def summarise(records: list[dict], systems: list[str]) -> dict:
    """Means per system, overall, per category and per split."""

    def mean(rows: list[dict], metric: str) -> float | None:
        values = [r["metrics"][metric] for r in rows if r["metrics"].get(metric) is not None]
        return round(statistics.fmean(values), 3) if values else None

    out: dict = {}
    for system in systems:
        rows = [r for r in records if r["system"] == system]
        latencies = sorted(r["metrics"]["latency_ms"] for r in rows)
        block: dict[str, Any] = {m: mean(rows, m) for m in METRICS}
        block["abstention_accuracy"] = mean([r for r in rows if r["category"] == "unanswerable"], "correct")
        block["latency_p50_ms"] = round(latencies[len(latencies) // 2], 1) if latencies else None
        block["latency_p95_ms"] = (
            round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 1) if latencies else None
        )
        block["errors"] = sum(1 for r in rows if r["error"])
        block["by_category"] = {
            c: {m: mean([r for r in rows if r["category"] == c], m) for m in METRICS}
            for c in sorted({r["category"] for r in rows})
        }
        block["by_split"] = {
            s: {m: mean([r for r in rows if r["split"] == s], m) for m in METRICS}
            for s in sorted({r["split"] for r in rows})
        }
        out[system] = block
    return out


def table(summary: dict, systems: list[str]) -> str:
    """Markdown table: one row per metric, one column per system, with deltas against ours."""
    metrics = [*METRICS, "abstention_accuracy", "latency_p50_ms", "latency_p95_ms"]
    head = "| metric | " + " | ".join(systems) + " |"
    lines = [head, "|" + " --- |" * (len(systems) + 1)]
    for m in metrics:
        cells = []
        for s in systems:
            value = summary[s].get(m)
            cell = "–" if value is None else f"{value:g}"
            ours = summary.get(OURS, {}).get(m)
            if s != OURS and value is not None and ours is not None and not m.startswith("latency"):
                cell += f" ({value - ours:+.3f})"
            cells.append(cell)
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_reports(result: dict, out: Path, errors: list[str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    systems = result["systems"]
    (out / "report.json").write_text(
        json.dumps({**result, "file_errors": errors}, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    parts = ["# Evaluation report", "", table(result["summary"], systems), ""]
    for split in ("dev", "heldout"):
        rows = {s: result["summary"][s]["by_split"].get(split) for s in systems}
        if any(rows.values()):
            parts += [
                f"## Split: {split}",
                "",
                "| metric | " + " | ".join(systems) + " |",
                "|" + " --- |" * (len(systems) + 1),
            ]
            parts += [
                f"| {m} | "
                + " | ".join("–" if (rows[s] or {}).get(m) is None else f"{rows[s][m]:g}" for s in systems)
                + " |"
                for m in METRICS
            ]
            parts.append("")
    parts += [
        "## By category (ours)",
        "",
        "| category | " + " | ".join(METRICS) + " |",
        "|" + " --- |" * (len(METRICS) + 1),
    ]
    for category, values in result["summary"][systems[0]]["by_category"].items():
        parts.append(
            f"| {category} | " + " | ".join("–" if values[m] is None else f"{values[m]:g}" for m in METRICS) + " |"
        )
    failed = [r for r in result["records"] if r["error"]]
    if failed or errors:
        parts += (
            ["", "## Errors", ""]
            + [f"- {r['system']} {r['id']}: {r['error']}" for r in failed]
            + [f"- {e}" for e in errors]
        )
    (out / "report.md").write_text("\n".join(parts) + "\n", encoding="utf-8")
    chart = out / "report.png"
    chart.write_bytes(_chart(result["summary"], systems))
    return [out / "report.json", out / "report.md", chart]


def _chart(summary: dict, systems: list[str]) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5), dpi=90)
    width = 0.8 / len(systems)
    for i, s in enumerate(systems):
        left.bar(
            [x + i * width for x in range(len(METRICS))], [summary[s].get(m) or 0 for m in METRICS], width, label=s
        )
    left.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(METRICS))], METRICS, rotation=25, ha="right")
    left.set_ylim(0, 1.05)
    left.set_title("metrics per system")
    left.legend()
    categories = list(summary[systems[0]]["by_category"])
    for i, s in enumerate(systems):
        values = [summary[s]["by_category"].get(c, {}).get("correct") or 0 for c in categories]
        right.bar([x + i * width for x in range(len(categories))], values, width, label=s)
    right.set_xticks(
        [x + width * (len(systems) - 1) / 2 for x in range(len(categories))], categories, rotation=25, ha="right"
    )
    right.set_ylim(0, 1.05)
    right.set_title("answered/abstained correctly, per category")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def diff_reports(old: Path, new: Path) -> str:
    """Questions whose score moved between two report.json files (ours only)."""

    def load(path: Path) -> dict:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AssistantError(f"cannot read report {path}: {exc}") from exc
        return {r["id"]: r for r in data.get("records", []) if r["system"] == OURS}

    def value(record: dict) -> float:
        m = record["metrics"]
        return m["correct"] + (m.get("must_mention") or 0) + (m.get("citation_precision") or 0)

    before, after = load(old), load(new)
    better = [i for i in after if i in before and value(after[i]) > value(before[i]) + 1e-9]
    worse = [i for i in after if i in before and value(after[i]) < value(before[i]) - 1e-9]
    lines = [f"better ({len(better)}): {', '.join(better) or '-'}", f"worse ({len(worse)}): {', '.join(worse) or '-'}"]
    new_ids = sorted(set(after) - set(before))
    if new_ids:
        lines.append(f"new ({len(new_ids)}): {', '.join(new_ids)}")
    return "\n".join(lines)


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
    result = run(assistant, questions, [OURS, *compare])
    files = write_reports(result, out, errors)
    print(table(result["summary"], result["systems"]))
    print("\nwrote " + ", ".join(str(f) for f in files))
    return 0


__all__ = ["Question", "load_questions", "score", "run", "write_reports", "diff_reports", "run_cli"]
