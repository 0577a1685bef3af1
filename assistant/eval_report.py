"""Scored eval records -> what people read: report.json, report.md, report.png, and a diff of two runs."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

from assistant.errors import AssistantError

OURS = "ours"
HEADLINE = (
    "must_mention",
    "complete",
    "decision",
    "false_abstention",
    "missed_abstention",
    "verdict_first",
    "citation_precision",
    "citation_recall",
    "words",
    "list_words",
    "repeats",
    "hit_rate",
    "mrr",
    "latency_p50_ms",
    "latency_p95_ms",
)
JUDGE = ("judge_supported", "judge_partly", "judge_not")
_PLAIN = ("words", "list_words", "repeats", "latency_p50_ms", "latency_p95_ms")


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def table(summary: dict, systems: list[str], judge: bool = False) -> str:
    """Markdown: one row per metric, one column per system, rates with their difference from ours."""
    metrics = [*HEADLINE[:8], *(JUDGE if judge else ()), *HEADLINE[8:]]
    lines = ["| metric | " + " | ".join(systems) + " |", "|" + " --- |" * (len(systems) + 1)]
    for m in metrics:
        cells = []
        for s in systems:
            value, ours = summary[s].get(m), summary.get(OURS, {}).get(m)
            cell = _cell(value)
            if s != OURS and value is not None and ours is not None and m not in _PLAIN:
                cell += f" ({value - ours:+.3f})"
            cells.append(cell)
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def by_category(summary: dict, systems: list[str], metric: str, group: str = "category") -> str:
    """Markdown: one row per category (or intent), one column per system."""
    key = f"by_{group}"
    categories = sorted({c for s in systems for c in summary[s].get(key, {})})
    categories = [c for c in categories if any(summary[s][key].get(c, {}).get(metric) is not None for s in systems)]
    lines = [f"| {group} | " + " | ".join(systems) + " |", "|" + " --- |" * (len(systems) + 1)]
    for c in categories:
        cells = [_cell(summary[s][key].get(c, {}).get(metric)) for s in systems]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def worst(records: list[dict], system: str = OURS, count: int = 10) -> list[dict]:
    """The answers that failed worst: errors, then wrong abstention decisions, then least must_mention."""

    def badness(r: dict) -> tuple:
        m = r["metrics"]
        mention = m.get("must_mention")
        return (
            r["error"] is None,
            m.get("decision", 1.0) == 1.0,
            1.0 if mention is None else mention,
            m.get("citation_precision") if m.get("citation_precision") is not None else 1.0,
        )

    rows = [r for r in records if r["system"] == system]
    failing = [r for r in rows if r["error"] or r.get("missed") or (r["metrics"].get("citation_precision") or 1) < 1]
    return sorted(failing, key=badness)[:count]


def write_reports(result: dict, out: Path, errors: list[str]) -> list[Path]:
    """report.json (every record), report.md and report.png in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    systems, summary, judge = result["systems"], result["summary"], result.get("judge", False)
    (out / "report.json").write_text(
        json.dumps({**result, "file_errors": errors}, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    parts = ["# Evaluation report", "", f"{summary[systems[0]]['questions']} questions.", ""]
    parts += [table(summary, systems, judge), ""]
    for split in ("dev", "heldout"):
        blocks = {s: summary[s]["by_split"].get(split) for s in systems}
        if all(blocks.values()):
            parts += [f"## Split: {split}", "", table(blocks, systems, judge), ""]
    parts += ["## must_mention by category", "", by_category(summary, systems, "must_mention"), ""]
    parts += [
        "## Complete answers (every must_mention item) by category",
        "",
        by_category(summary, systems, "complete"),
    ]
    if any(summary[s].get("by_intent") for s in systems):
        for metric in ("must_mention", "verdict_first"):
            parts += ["", f"## {metric} by intent", "", by_category(summary, systems, metric, "intent")]
    parts += ["", "## Independent citation check", ""]
    parts += ["| system | precision | recall |", "| --- | --- | --- |"]
    parts += [
        f"| {s} | {_cell(summary[s]['citation_precision'])} | {_cell(summary[s]['citation_recall'])} |" for s in systems
    ]
    parts.append("")
    if judge:
        parts += ["LLM judge, share of cited sentences rated supported / partly / not:", ""]
        parts += [f"- {s}: " + " / ".join(_cell(summary[s][j]) for j in JUDGE) for s in systems]
    else:
        parts.append("LLM judge: skipped (no LLM backend configured; set ASSISTANT_BACKEND=openai to run it).")
    parts += ["", f"## Ten worst answers ({systems[0]})", ""]
    for r in worst(result["records"], systems[0]):
        mention = r["metrics"].get("must_mention")
        lacks = "; ".join(r.get("missed") or []) or "citations not grounded in their quotes"
        head = f"**{r['id']}** ({r['category']}, must_mention {_cell(mention)})"
        parts.append(f"- {head} {r.get('question', '')} — missed: {lacks}")
    failed = [r for r in result["records"] if r["error"]]
    if failed or errors:
        parts += ["", "## Errors", ""]
        parts += [f"- {r['system']} {r['id']}: {r['error']}" for r in failed] + [f"- {e}" for e in errors]
    (out / "report.md").write_text("\n".join(parts) + "\n", encoding="utf-8")
    chart = out / "report.png"
    chart.write_bytes(_chart(summary, systems))
    return [out / "report.json", out / "report.md", chart]


def _chart(summary: dict, systems: list[str]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def value(system: str, category: str, metric: str) -> float | None:
        return summary[system]["by_category"].get(category, {}).get(metric)

    categories = sorted({c for s in systems for c in summary[s]["by_category"]})
    # Categories without must_mention items (unanswerable questions) have nothing to plot.
    categories = [c for c in categories if any(value(s, c, "must_mention") is not None for s in systems)]
    fig, axes = plt.subplots(2, 1, figsize=(max(10, len(categories) * 1.4), 10), dpi=90)
    width = 0.8 / len(systems)
    for ax, metric, title in zip(
        axes, ("must_mention", "complete"), ("must_mention recall", "complete answers (every item)"), strict=True
    ):
        for i, s in enumerate(systems):
            values = [value(s, c, metric) or 0 for c in categories]
            ax.bar([x + i * width for x in range(len(categories))], values, width, label=s)
        ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(categories))], categories)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{title}, per category and system")
    axes[0].legend(ncol=len(systems), fontsize="small", loc="lower center", bbox_to_anchor=(0.5, 1.08))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def diff_reports(old: Path, new: Path) -> str:
    """Per question and system, what got worse or better between two report.json files, with what is now missing."""

    def load(path: Path) -> dict:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {(r["system"], r["id"]): r for r in data.get("records", [])}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AssistantError(f"cannot read report {path}: {exc}") from exc

    def values(record: dict) -> tuple[float, float]:
        m = record["metrics"]
        decision = m.get("decision", m.get("correct"))  # "correct" in reports written before the rename
        return float(decision or 0), float(m.get("must_mention") or 0)

    before, after = load(old), load(new)
    worse, better = [], []
    for key in sorted(set(before) & set(after)):
        (d0, m0), (d1, m1) = values(before[key]), values(after[key])
        system, qid = key
        line = f"  {system} {qid} [{after[key].get('category', '?')}]: must_mention {m0:.3g} -> {m1:.3g}"
        if d1 != d0:
            line += f", decision {d0:g} -> {d1:g}"
        if d1 < d0 or (d1 == d0 and m1 < m0 - 1e-9):
            gone = after[key].get("missed") or []
            worse.append(line + (f"; missing: {', '.join(gone)}" if gone else ""))
        elif d1 > d0 or m1 > m0 + 1e-9:
            better.append(line)
    lines = [f"worse ({len(worse)}):", *worse, f"better ({len(better)}):", *better]
    added = Counter(s for s, _ in set(after) - set(before))
    if added:
        lines.append("only in the new report: " + ", ".join(f"{s} ({n} questions)" for s, n in sorted(added.items())))
    return "\n".join(lines)
