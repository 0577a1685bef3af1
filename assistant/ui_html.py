"""Answers, sources and deals -> safe HTML for the web chat. Renders only; decides nothing.

Every piece of corpus or user text is escaped for HTML *and* for markdown, so a note holding
`<script>` or `![x](http://…)` shows as text. The answer's own structure (bullets, tables, bold,
[n] markers) is read by a small Markdown subset and rebuilt as HTML around the escaped text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from assistant import render
from assistant.citations import MARKER
from assistant.types import Answer, Citation, Deal

_MD_SPECIAL = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~>"})
_BULLET = re.compile(r"^(\s*)(?:[-*•]|\d{1,3}[.)])\s+(.*)$")
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_INLINE = re.compile(r"\*\*(?P<bold>[^*\n]+?)\*\*|" + MARKER.pattern)
UNVERIFIED = " (unverified)"
SUPPORTED = "The quoted passage supports the sentence that cites it (checked by the citation verifier)."
NOT_SUPPORTED = "The verifier could not confirm that this quote supports the sentence that cites it."
UNSOURCED_PUBLISHERS = {"", "unsourced", "unknown"}


def safe(text: str) -> str:
    """Inert text: HTML-escaped, markdown punctuation neutralised, newlines kept."""
    # Escape HTML first (no numeric entities, so no '#' for the markdown pass to break), then markdown.
    escaped = html.escape(text, quote=False).replace('"', "&quot;")
    return escaped.translate(_MD_SPECIAL).replace("\n", "<br>")


def attr(text: str) -> str:
    """Text for an HTML attribute, on one line (a raw newline would end the chat's HTML block)."""
    return html.escape(text, quote=True).replace("\n", "&#10;")


def hidden_text(text: str) -> str:
    """Text kept verbatim in the page for scripts (the chat drops data-* attributes): one line, inert.

    It sits inside an HTML block, where Markdown is not read, so escaping HTML is enough.
    """
    return html.escape(text, quote=False).replace("\n", "&#10;")


def turn_id(key: str) -> str:
    """An element id for one answer of one conversation ("3f2a:1" -> "turn-3f2a-1")."""
    return "turn-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def card_id(turn: int, number: int) -> str:
    return f"src-{turn}-{number}"


def cite_link(turn: int, number: int) -> str:
    return f'<a class="cite" href="#{card_id(turn, number)}">[{number}]</a>'


def inline_html(text: str, link: Callable[[int], str]) -> str:
    """One line of answer text: escaped, with **bold** and [n] markers rebuilt."""
    out, last = [], 0
    for m in _INLINE.finditer(text):
        out.append(safe(text[last : m.start()]))
        if m.group("bold") is not None:
            out.append(f"<b>{inline_html(m.group('bold'), link)}</b>")
        else:
            out.append(" " + "".join(link(int(n)) for n in re.split(r"\s*,\s*", m.group(2))))
        last = m.end()
    out.append(safe(text[last:]))
    return "".join(out).replace(safe(UNVERIFIED), ' <span class="unverified">(unverified)</span>')


def markdown_html(text: str, link: Callable[[int], str]) -> str:
    """The answer's Markdown structure (paragraphs, bullets, numbered items, tables, headings) as HTML.

    "- a [1]\\n- b" -> <ul><li>a [1]</li><li>b</li></ul>; anything else is text, never markup.
    """
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.lstrip().startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1].strip()):
            rows = [line]
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out.append(_table(rows, link))
        elif _BULLET.match(line):
            items = []
            while i < len(lines) and _BULLET.match(lines[i]):
                indent, body = _BULLET.match(lines[i]).groups()  # type: ignore[union-attr]
                items.append((len(indent) >= 2, body))
                i += 1
            ordered = bool(re.match(r"^\s*\d", line))
            out.append(_list(items, ordered, link))
        elif heading := _HEADING.match(line):
            level = min(len(heading.group(1)) + 2, 6)
            out.append(f"<h{level}>{inline_html(heading.group(2), link)}</h{level}>")
            i += 1
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not _BULLET.match(lines[i]) and not _HEADING.match(lines[i]):
                if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1].strip()):
                    break
                para.append(inline_html(lines[i].strip(), link))
                i += 1
            out.append("<p>" + "<br>".join(para) + "</p>")
    return "".join(out)


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def _table(rows: list[str], link: Callable[[int], str]) -> str:
    head = "".join(f"<th>{inline_html(c, link)}</th>" for c in _cells(rows[0]))
    body = "".join(
        "<tr>" + "".join(f"<td>{inline_html(c.replace(chr(92) + '|', '|'), link)}</td>" for c in _cells(r)) + "</tr>"
        for r in rows[1:]
    )
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _list(items: list[tuple[bool, str]], ordered: bool, link: Callable[[int], str]) -> str:
    tag = "ol" if ordered else "ul"
    entries: list[tuple[str, list[str]]] = []
    for nested, body in items:
        if nested and entries:
            entries[-1][1].append(inline_html(body, link))
        else:
            entries.append((inline_html(body, link), []))
    lis = "".join(
        f"<li>{body}" + ("<ul>" + "".join(f"<li>{s}</li>" for s in sub) + "</ul>" if sub else "") + "</li>"
        for body, sub in entries
    )
    return f"<{tag}>{lis}</{tag}>"


def answer_html(text: str, turn: int, final: bool = True) -> str:
    """Answer text with each [n] turned into a link to its source card."""
    body = markdown_html(text, lambda n: cite_link(turn, n))
    return body if final else body + '<span class="typing">…</span>'


def streaming_html(text: str, turn: int, key: str = "") -> str:
    """The assistant's message while its text is still arriving."""
    body = answer_html(text, turn, final=False)
    return f'<div class="turn" id="{turn_id(key)}"><div class="answer">{body}</div></div>'


def message_html(answer: Answer, turn: int, key: str = "") -> str:
    """The assistant's message: notice, answer, full list, what is missing, searched-for, tools, sources.

    `key` names the conversation and turn, so the page scrolls to a new answer once, not on every re-render.
    """
    parts = [f'<div class="turn" id="{turn_id(key)}">']
    if answer.notice:
        parts.append(f'<div class="notice">{safe(answer.notice)}</div>')
    if answer.abstained:
        # The text says what the sources hold ("No: the sources record no deal ...", "The sources do not say.
        # ..."); a label of its own above it would say it twice, or contradict a "No:".
        parts.append(f'<div class="abstained">{safe(answer.text)}</div>')
    else:
        parts.append(f'<div class="answer">{answer_html(answer.text, turn)}</div>')
    details = getattr(answer, "details", "")
    if details:
        parts.append(
            '<details class="more"><summary>Show the complete list</summary>'
            f'<div class="answer">{answer_html(details, turn)}</div></details>'
        )
    missing = getattr(answer, "missing", ())
    if missing and not answer.abstained:
        parts.append(f'<div class="missing">Not in the sources: {safe("; ".join(missing))}</div>')
    if answer.standalone_question != answer.question:
        parts.append(f'<div class="searched">Searched for: {safe(answer.standalone_question)}</div>')
    parts.append(
        '<div class="tools"><button class="copy-md" type="button">Copy as Markdown</button>'
        f'<pre class="md-source">{hidden_text(render.answer_markdown(answer))}</pre></div>'
    )
    if answer.citations:
        # Each turn keeps its own sources, folded, so older answers stay checkable (and, on a phone,
        # they sit right under their answer).
        groups = _by_document(answer.citations)
        parts.append(
            f'<details class="turn-sources"><summary>Sources: {len(groups)} '
            f"{'document' if len(groups) == 1 else 'documents'}, {len(answer.citations)} "
            f"{'quote' if len(answer.citations) == 1 else 'quotes'}</summary>"
            + "".join(document_card(g, turn, "src") for g in groups)
            + "</details>"
        )
    parts.append("</div>")
    return "".join(parts)


def user_html(question: str) -> str:
    return f'<div class="asked">{safe(question)}</div>'


def _by_document(citations: tuple[Citation, ...]) -> list[list[Citation]]:
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.doc_id, []).append(c)
    return list(groups.values())


def source_labels(publisher: str, published: str | None) -> str:
    """Plain labels for notes a reader should weigh differently: no named outlet, no date."""
    labels = []
    if publisher.strip().lower() in UNSOURCED_PUBLISHERS:
        labels.append('<span class="label" title="The note names no outlet for this report.">unsourced note</span>')
    if not published:
        labels.append('<span class="label" title="The note gives no publication date.">undated</span>')
    return "".join(labels)


def _meta(publisher: str, published: str | None) -> str:
    """Outlet and date when the note gives them; what it lacks is said by its labels instead."""
    parts = []
    if publisher.strip() and publisher.strip().lower() not in UNSOURCED_PUBLISHERS:
        parts.append(f'<span class="outlet">{safe(publisher)}</span>')
    if published:
        parts.append(f'<span class="date">{safe(published)}</span>')
    return " · ".join(parts) + (" " if parts else "")


def _context(quote: str, doc_id: str, answer: Answer | None, width: int = 110) -> tuple[str, str]:
    """Text just before and after the quote in a retrieved passage of the same document, if any."""
    for p in answer.passages if answer else ():
        at = p.text.find(quote) if p.doc_id == doc_id else -1
        if at >= 0:
            before, after = p.text[max(0, at - width) : at], p.text[at + len(quote) : at + len(quote) + width]
            before = ("…" if at > width else "") + " ".join(before.split()) + " "
            after = " " + " ".join(after.split()) + ("…" if len(p.text) > at + len(quote) + width else "")
            return before.lstrip(), after.rstrip()
    return "", ""


def document_card(group: list[Citation], turn: int, prefix: str, answer: Answer | None = None) -> str:
    """One card per source document; each of its quotes highlighted inside, tagged with its [n]."""
    first = group[0]
    quotes: dict[str, list[Citation]] = {}
    for c in group:
        for q in getattr(c, "quotes", None) or (c.quote,):
            quotes.setdefault(q.strip(), []).append(c)
    items = []
    for quote, cites in quotes.items():
        ok = all(c.verified for c in cites)
        badge = (
            f'<span class="badge ok" title="{attr(SUPPORTED)}">✓ quote supports the sentence</span>'
            if ok
            else f'<span class="badge warn" title="{attr(NOT_SUPPORTED)}">not confirmed by this quote</span>'
        )
        ids = "".join(f'<span class="anchor" id="{prefix}-{turn}-{c.number}"></span>' for c in cites)
        nums = "".join(f'<span class="num">[{c.number}]</span>' for c in cites)
        before, after = _context(quote, first.doc_id, answer)
        items.append(
            f'<div class="quote">{ids}{nums} '
            f'<span class="ctx">{safe(before)}</span><mark>{safe(quote)}</mark><span class="ctx">{safe(after)}</span>'
            f" {badge}</div>"
        )
    link = (
        f'<a href="{attr(first.url)}" target="_blank" rel="noopener noreferrer">{safe(first.url)}</a>'
        if first.url.startswith(("http://", "https://"))
        else safe(first.doc_id)
    )
    return (
        '<div class="card">'
        f'<div class="card-head"><b>{safe(first.title)}</b></div>'
        f'<div class="meta">{_meta(first.publisher, first.published)}'
        f"{source_labels(first.publisher, first.published)}</div>"
        f'{"".join(items)}<div class="link">{link}</div></div>'
    )


def sources_html(answer: Answer | None, turn: int) -> str:
    """The side panel: the current answer's sources, one card per document."""
    if answer is None:
        return '<div class="sources-empty">Sources for the current answer appear here.</div>'
    if not answer.citations:
        return '<div class="sources-empty">This answer cites no sources.</div>'
    groups = _by_document(answer.citations)
    head = f'<div class="panel-head">{len(groups)} documents · {len(answer.citations)} quotes</div>'
    return head + '<div class="sources">' + "".join(document_card(g, turn, "panel", answer) for g in groups) + "</div>"


def origin_label(deal: Deal) -> str:
    if getattr(deal, "origin", "ledger") == "extracted":
        return (
            '<span class="label machine" title="Read from the text by the extractor, '
            'not from a reviewed ledger entry.">machine-read</span>'
        )
    return ""


def evidence_html(deals: list[Deal]) -> str:
    """The evidence of one deal, or of every deal between one pair of companies."""
    if not deals:
        return '<div class="sources-empty">Select a row or a line of the graph to see its evidence.</div>'
    parts = []
    if len(deals) > 1 and len({(d.supplier, d.customer) for d in deals}) == 1:
        parts.append(
            f'<div class="panel-head">{safe(deals[0].supplier)} → {safe(deals[0].customer)}: {len(deals)} deals</div>'
        )
    for deal in deals:
        items = []
        for i, ev in enumerate(deal.evidence, start=1):
            outlet = (
                f'<a href="{attr(ev.url)}" target="_blank" rel="noopener noreferrer">{safe(ev.publisher)}</a>'
                if ev.url.startswith(("http://", "https://"))
                else safe(ev.publisher)
            )
            items.append(
                f'<div class="quote"><span class="num">[{i}]</span> {outlet} · {safe(ev.published or "undated")} '
                f"{source_labels(ev.publisher, ev.published)}<br><mark>{safe(ev.quote)}</mark>"
                f'<div class="meta">{safe(ev.doc_id)}</div></div>'
            )
        parts.append(
            f'<div class="card"><div class="card-head"><b>{safe(deal.supplier)} → {safe(deal.customer)}</b> '
            f'<span class="label">{safe(getattr(deal, "type", "compute"))}</span> '
            f'<span class="label">{safe(deal.status)}</span> {origin_label(deal)}</div>'
            f'<div class="meta">{safe(deal.resource)}{"; " + safe(deal.scale) if deal.scale else ""} · '
            f"{safe(deal.announced or 'undated')}</div>{''.join(items)}</div>"
        )
    return "".join(parts)


def notice_html(message: str) -> str:
    return f'<div class="notice">{safe(message)}</div>'


def user_words(message: str) -> str:
    """An error message without the names of internal fields ("as_of: '2025-13' ..." -> "The date '2025-13' ...")."""
    message = re.sub(r"^as_of:\s*", "The date ", message)
    message = message.replace("ASSISTANT_ALLOW_PRIVATE_URLS=true", "the server's private-address setting")
    return message[:1].upper() + message[1:]
