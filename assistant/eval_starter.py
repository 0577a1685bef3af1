"""Deal ledger -> a starter eval set of list and fact questions, for users who have no question file.

Expected items come from the ledger itself: a list question expects the companies on the other side
of a company's deals, a fact question expects the deal's figures as its quote writes them.

    >>> [q["question"] for q in starter_questions(deals, 2)]    # doctest: +SKIP
    ['Which companies supply compute to Anthropic?', 'What scale of compute does AMD supply to OpenAI?']
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from assistant import citecheck
from assistant.errors import AssistantError
from assistant.types import Deal

LIST_ITEMS = 3  # companies a list question expects: the most reported ones


def list_questions(deals: list[Deal]) -> list[dict]:
    """One question per company with two or more counterparties, in either role; most counterparties first."""
    questions = []
    for role, other, template in (
        ("customer", "supplier", "Which companies supply compute to {}?"),
        ("supplier", "customer", "Which companies get compute from {}?"),
    ):
        weight: dict[str, Counter] = defaultdict(Counter)
        sources: dict[tuple[str, str], list[str]] = defaultdict(list)
        for deal in deals:
            name, counterpart = getattr(deal, role), getattr(deal, other)
            if deal.type != "compute" or name == counterpart:
                continue
            weight[name][counterpart] += len(deal.evidence)
            sources[(name, counterpart)] += [e.doc_id for e in deal.evidence]
        for name, counts in weight.items():
            if len(counts) < 2:
                continue
            top = sorted(counts, key=lambda c: (-counts[c], c))[:LIST_ITEMS]
            questions.append(
                {
                    "question": template.format(name),
                    "must_mention": top,
                    "expected_sources": sorted({doc for c in top for doc in sources[(name, c)][:2]}),
                    "category": "list",
                    "_rank": -len(counts),
                }
            )
    return sorted(questions, key=lambda q: (q["_rank"], q["question"]))


def fact_questions(deals: list[Deal]) -> list[dict]:
    """One question per supplier-customer pair with a single deal whose figures its quote states word for word."""
    pairs = Counter((d.supplier, d.customer) for d in deals)
    questions = []
    for deal in deals:
        if pairs[(deal.supplier, deal.customer)] != 1 or deal.supplier == deal.customer or deal.type != "compute":
            continue
        for evidence in deal.evidence:
            quote = " ".join(evidence.quote.lower().split())
            written = [f for f, _, _ in citecheck.figures(deal.scale) if " ".join(f.lower().split()) in quote]
            if written:
                questions.append(
                    {
                        "question": f"What scale of compute does {deal.supplier} supply to {deal.customer}?",
                        "must_mention": list(dict.fromkeys(written))[:2],
                        "expected_sources": [evidence.doc_id],
                        "category": "fact",
                        "_rank": -len(deal.evidence),
                    }
                )
                break
    return sorted(questions, key=lambda q: (q["_rank"], q["question"]))


def starter_questions(deals: list[Deal], count: int) -> list[dict]:
    """`count` questions, lists and facts taking turns; every third (from the second) is held out."""
    lists, facts = list_questions(deals), fact_questions(deals)
    mixed: list[dict] = []
    while (lists or facts) and len(mixed) < count:
        for pool in (lists, facts):
            if pool and len(mixed) < count:
                mixed.append(pool.pop(0))
    return [
        {
            "id": f"G{i:02d}",
            "question": q["question"],
            "answerable": True,
            "must_mention": q["must_mention"],
            "expected_sources": q["expected_sources"],
            "category": q["category"],
            "split": "heldout" if i % 3 == 2 else "dev",
        }
        for i, q in enumerate(mixed, start=1)
    ]


def check_target(file: str | Path | None, count: int) -> Path:
    """The file to write the starter set to: given, new, and for a positive number of questions."""
    if not file:
        raise AssistantError("give the file to write, e.g. assistant eval --from-graph 20 my-questions.jsonl")
    if count < 1:
        raise AssistantError(f"--from-graph needs a positive number of questions, got {count}")
    path = Path(file)
    if path.exists():
        raise AssistantError(f"{path} already exists; choose a new file name for the starter questions")
    return path


def write_starter(deals: list[Deal], count: int, path: Path) -> int:
    """Write the starter set as JSONL to a new file; an existing file is never overwritten."""
    check_target(path, count)
    questions = starter_questions(deals, count)
    if not questions:
        raise AssistantError("the deal ledger holds no deals to ask about; add notes with a `deals:` list first")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    except OSError as exc:
        raise AssistantError(f"cannot write {path}: {exc}") from exc
    return len(questions)
