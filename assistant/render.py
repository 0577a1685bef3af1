"""Answers and deals -> plain text for terminals and the OpenAI-compatible API (no decisions here)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from assistant.types import Answer, Citation, Deal

ORIGIN_LABELS = {"ledger": "reviewed", "extracted": "read from the text"}


def date_label(published: str | None) -> str:
    return published or "undated"


def citation_line(c: Citation) -> str:
    badge = "" if c.verified else " (unverified)"
    head = f"[{c.number}] {c.publisher}, {date_label(c.published)}: {c.title}{badge}"
    return f"{head}\n    {c.url or c.doc_id}\n    “{c.quote.strip()}”"


def answer_text(answer: Answer, show_search: bool = True) -> str:
    parts = []
    if answer.notice:
        parts.append(f"Note: {answer.notice}")
    if show_search and answer.standalone_question != answer.question:
        parts.append(f"Searched for: {answer.standalone_question}")
    parts.append(answer.text)
    if answer.citations:
        parts.append("Sources:\n" + "\n".join(citation_line(c) for c in answer.citations))
    return "\n\n".join(parts)


def answer_markdown(answer: Answer) -> str:
    """An answer as Markdown a reader can paste: text, the complete list, then its numbered sources.

    "... 6 GW [1]." -> "... 6 GW [1].\n\n**Sources**\n\n[1] Nasdaq, 2025-10-06: AMD ... <https://...>\n> “quote”"
    """
    parts = []
    if answer.notice:
        parts.append(f"> {answer.notice}")
    parts.append(answer.text.strip())
    if answer.details:
        parts.append(answer.details.strip())
    if answer.missing and not answer.abstained:
        parts.append("Not in the sources: " + "; ".join(answer.missing))
    if answer.citations:
        lines = ["**Sources**", ""]
        for c in answer.citations:
            where = f" <{c.url}>" if c.url else f" ({c.doc_id})"
            badge = "" if c.verified else " (unverified)"
            lines.append(f"[{c.number}] {c.publisher}, {date_label(c.published)}: {c.title}{badge}{where}")
            lines.append(f"> “{' '.join(c.quote.split())}”")
            lines.append("")
        parts.append("\n".join(lines).rstrip())
    return "\n\n".join(parts)


def conversation_markdown(answers: list[Answer], title: str = "Conversation") -> str:
    """A whole conversation as one Markdown document, each answer with its own numbered sources."""
    parts = [f"# {title}"]
    for answer in answers:
        parts.append(f"## {answer.question}")
        if answer.standalone_question != answer.question:
            parts.append(f"*Searched for: {answer.standalone_question}*")
        parts.append(answer_markdown(answer))
    return "\n\n".join(parts) + "\n"


def deals_table(deals: list[Deal]) -> str:
    rows = [("supplier", "customer", "announced", "status", "resource", "sources", "origin")]
    for d in deals:
        rows.append(
            (
                d.supplier,
                d.customer,
                d.announced or "",
                d.status,
                _short(d.resource, 50),
                ", ".join(sorted({e.publisher for e in d.evidence})),
                ORIGIN_LABELS.get(d.origin, d.origin),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def deals_csv(deals: list[Deal]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "supplier",
            "customer",
            "resource",
            "scale",
            "announced",
            "status",
            "publishers",
            "urls",
            "quotes",
            "origin",
            "type",
        ]
    )
    for d in deals:
        writer.writerow(
            [
                d.supplier,
                d.customer,
                d.resource,
                d.scale,
                d.announced or "",
                d.status,
                " | ".join(e.publisher for e in d.evidence),
                " | ".join(e.url for e in d.evidence),
                " | ".join(e.quote for e in d.evidence),
                d.origin,
                d.type,
            ]
        )
    return out.getvalue()


def deals_json(deals: list[Deal]) -> str:
    return json.dumps([asdict(d) for d in deals], indent=2, ensure_ascii=False)


def extracted_list(entries: list[dict]) -> str:
    """Machine-read deals for review: id, pair, where, and the quote word for word."""
    if not entries:
        return "No machine-read deals: every indexed deal comes from a reviewed ledger."
    blocks = []
    for e in entries:
        facts = ", ".join(x for x in (e.get("scale"), e.get("announced"), e.get("status")) if x)
        blocks.append(
            f"{e['id']}  {e['supplier']} -> {e['customer']}"
            + (f"  ({facts})" if facts else "")
            + f"\n    {e['doc_id']}: {e.get('title', '')}\n    “{e['quote']}”"
        )
    return "\n".join(blocks) + "\n\nAccept one with: assistant deals --accept ID"


def companies_list(rows: list[tuple[str, str, int]], new_only: bool) -> str:
    """(name, kind, deals) rows; new companies are those read from reports but not in entities.yaml."""
    if not rows:
        return "No new companies: every party of every deal is in entities.yaml." if new_only else "No companies."
    width = max(len(name) for name, _, _ in rows)
    lines = [f"{name.ljust(width)}  {kind:<11}  {count} deal(s)" for name, kind, count in rows]
    if new_only:
        lines.append("\nRead from new reports; add them to corpus/entities.yaml to make them permanent.")
    return "\n".join(lines)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
