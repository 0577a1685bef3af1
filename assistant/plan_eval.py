"""Question files with expected plans -> how well questions and follow-ups are read (intent, slots, standalone).

    python -m assistant.plan_eval [eval/paraphrase.jsonl] [eval/followups.jsonl]

`eval/paraphrase.jsonl` gives each question its expected `intent` and `slots`; `eval/followups.jsonl`
gives each follow-up turn of a conversation its expected plan (`expected`). A follow-up turn is right
when its merged plan matches and the standalone question shown for it reads back to the same plan.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.condense import Rewrite, rewrite
from assistant.entities import EntityTable
from assistant.plan import Embed, read_plan
from assistant.types import Answer, Plan, Turn

SLOTS = (
    "companies",
    "suppliers",
    "customers",
    "excluded",
    "resources",
    "excluded_resources",
    "kinds",
    "excluded_kinds",
    "deal_types",
    "attribute",
    "as_of",
    "since",
    "until",
    "threshold",
)
_SETS = {
    "companies",
    "suppliers",
    "customers",
    "excluded",
    "resources",
    "excluded_resources",
    "kinds",
    "excluded_kinds",
    "deal_types",
}


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def slot_misses(plan: Plan, expected: dict[str, Any]) -> list[str]:
    """The slots of `plan` that differ from `expected` (a slot not listed is expected empty)."""
    misses = []
    default = Plan()
    for name in SLOTS:
        want = expected.get(name, getattr(default, name))
        got = getattr(plan, name)
        if name in _SETS:
            same = {str(x).lower() for x in want or ()} == {str(x).lower() for x in got or ()}
        elif name == "threshold":
            same = (tuple(want) if want else None) == (tuple(got) if got else None)
        else:
            same = (want or None) == (got or None)
        if not same:
            misses.append(name)
    return misses


def paraphrases(records: list[dict[str, Any]], entities: EntityTable, embed: Embed) -> dict[str, Any]:
    """Intent and slot accuracy per split, and intent accuracy per intent, with every miss listed."""
    rows = []
    for record in records:
        plan = read_plan(record["question"], entities, embed)
        misses = slot_misses(plan, record.get("slots", {}))
        rows.append(
            {
                "id": record["id"],
                "split": record.get("split", "dev"),
                "question": record["question"],
                "intent": record["intent"],
                "read": plan.intent,
                "slot_misses": misses,
            }
        )
    return {"rows": rows, "summary": _summary(rows)}


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in ("dev", "heldout", "all"):
        mine = [r for r in rows if split == "all" or r["split"] == split]
        if not mine:
            continue
        per: dict[str, list[bool]] = defaultdict(list)
        for r in mine:
            per[r["intent"]].append(r["intent"] == r["read"])
        field_right = {name: sum(name not in r["slot_misses"] for r in mine) / len(mine) for name in SLOTS}
        out[split] = {
            "questions": len(mine),
            "intent_accuracy": sum(r["intent"] == r["read"] for r in mine) / len(mine),
            "slot_accuracy": sum(not r["slot_misses"] for r in mine) / len(mine),
            "per_intent": {k: sum(v) / len(v) for k, v in sorted(per.items())},
            "per_slot": field_right,
        }
    return out


def followups(records: list[dict[str, Any]], entities: EntityTable, embed: Embed) -> dict[str, Any]:
    """Every follow-up turn read through the turns before it, as a Chat does (without answering)."""
    rows = []
    for record in records:
        questions = [*record.get("turns", []), record["question"]]
        turns: list[Turn] = []
        for number, question in enumerate(questions, start=1):
            result = rewrite(question, turns, entities, embed)
            plan = result.plan or read_plan(result.standalone, entities, embed)
            turns.append(_turn(question, result, plan))
            if number == 1:
                continue
            expected = next((e for e in record.get("expected", []) if e["turn"] == number), None)
            if expected is None:
                continue
            misses = slot_misses(plan, expected.get("slots", {}))
            if plan.intent != expected["intent"]:
                misses.insert(0, "intent")
            reread = read_plan(result.standalone, entities, embed)
            drift = [m for m in slot_misses(reread, expected.get("slots", {})) if m in ("suppliers", "customers")]
            if reread.intent != expected["intent"]:
                drift.insert(0, "intent")
            rows.append(
                {
                    "id": f"{record['id']}.{number}",
                    "split": record.get("split", "dev"),
                    "question": question,
                    "standalone": result.standalone,
                    "intent": expected["intent"],
                    "read": plan.intent,
                    "plan_misses": misses,
                    "standalone_misses": drift,
                    "right": not misses and not drift,
                }
            )
    summary = {}
    for split in ("dev", "heldout", "all"):
        mine = [r for r in rows if split == "all" or r["split"] == split]
        if mine:
            summary[split] = {
                "turns": len(mine),
                "right": sum(r["right"] for r in mine) / len(mine),
                "plan_right": sum(not r["plan_misses"] for r in mine) / len(mine),
                "standalone_right": sum(not r["standalone_misses"] for r in mine) / len(mine),
            }
    return {"rows": rows, "summary": summary}


def _turn(question: str, result: Rewrite, plan: Plan) -> Turn:
    """A turn as a Chat keeps it, with an empty answer: only its question and plan matter here."""
    answer = Answer(question=question, text="", citations=(), abstained=True, standalone_question=result.standalone)
    return Turn(question, answer, plan=plan)


def report(paraphrase: dict[str, Any] | None, follow: dict[str, Any] | None) -> str:
    """The figures as Markdown tables."""
    lines = []
    if paraphrase:
        s = paraphrase["summary"]
        splits = [k for k in ("dev", "heldout", "all") if k in s]
        lines += ["| paraphrases | " + " | ".join(splits) + " |", "| --- |" + " --- |" * len(splits)]
        lines.append("| questions | " + " | ".join(str(s[k]["questions"]) for k in splits) + " |")
        for key in ("intent_accuracy", "slot_accuracy"):
            lines.append(f"| {key} | " + " | ".join(f"{s[k][key]:.3f}" for k in splits) + " |")
        for intent in s["all"]["per_intent"]:
            cells = [f"{s[k]['per_intent'][intent]:.2f}" if intent in s[k]["per_intent"] else "-" for k in splits]
            lines.append(f"| intent {intent} | " + " | ".join(cells) + " |")
        for slot in SLOTS:
            lines.append(f"| slot {slot} | " + " | ".join(f"{s[k]['per_slot'][slot]:.3f}" for k in splits) + " |")
        lines.append("")
    if follow:
        s = follow["summary"]
        splits = [k for k in ("dev", "heldout", "all") if k in s]
        lines += ["| follow-up turns | " + " | ".join(splits) + " |", "| --- |" + " --- |" * len(splits)]
        for key in ("turns", "right", "plan_right", "standalone_right"):
            cells = [str(s[k][key]) if key == "turns" else f"{s[k][key]:.3f}" for k in splits]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from assistant.embedding import SentenceVectors, load_embedder

    verbose = "-v" in argv  # lists the dev misses (held-out ones are only counted: tune on dev alone)
    paths = [Path(a) for a in argv if not a.startswith("-")]
    root = Path(__file__).resolve().parents[1]
    paraphrase_path = next((p for p in paths if "paraphrase" in p.name), root / "eval" / "paraphrase.jsonl")
    followup_path = next((p for p in paths if "follow" in p.name), root / "eval" / "followups.jsonl")
    entities = EntityTable.load(root / "corpus" / "entities.yaml")
    embed = SentenceVectors(load_embedder("local"))
    para = paraphrases(load(paraphrase_path), entities, embed)
    follow = followups(load(followup_path), entities, embed)
    print(report(para, follow))
    if verbose:
        for r in para["rows"]:
            if r["split"] == "dev" and (r["intent"] != r["read"] or r["slot_misses"]):
                print(
                    f"{r['id']} {r['split']:7} {r['intent']:>13} -> {r['read']:<13} {r['slot_misses']} {r['question']}"
                )
        for r in follow["rows"]:
            if r["split"] == "dev" and not r["right"]:
                misses = f"{r['plan_misses']} {r['standalone_misses']}"
                print(f"{r['id']} {r['split']:7} {misses} {r['question']!r} -> {r['standalone']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
