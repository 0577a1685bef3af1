"""Answers, sources and deals -> safe HTML for the web chat. Renders only; decides nothing.

Every piece of corpus or user text is escaped for HTML *and* for markdown, so a note holding
`<script>` or `![x](http://…)` shows as text.
"""

from __future__ import annotations

import html
import re

from assistant.citations import MARKER
from assistant.types import Answer, Citation, Deal

_MD_SPECIAL = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~>"})


def safe(text: str) -> str:
    """Inert text: HTML-escaped, markdown punctuation neutralised, newlines kept."""
    # Escape HTML first (no numeric entities, so no '#' for the markdown pass to break), then markdown.
    escaped = html.escape(text, quote=False).replace('"', "&quot;")
    return escaped.translate(_MD_SPECIAL).replace("\n", "<br>")


def card_id(turn: int, number: int) -> str:
    return f"src-{turn}-{number}"


def answer_html(text: str, turn: int, final: bool = True) -> str:
    """Answer text with each [n] turned into a link to its source card."""
    out, last = [], 0
    for m in MARKER.finditer(text):
        out.append(safe(text[last : m.start()]))
        for n in re.split(r"\s*,\s*", m.group(1)):
            out.append(f' <a class="cite" href="#{card_id(turn, int(n))}" data-cite="{int(n)}">[{int(n)}]</a>')
        last = m.end()
    out.append(safe(text[last:]))
    body = "".join(out).replace(safe(" (unverified)"), ' <span class="unverified">(unverified)</span>')
    return body if final else body + ' <span class="typing">…</span>'


def message_html(answer: Answer, turn: int) -> str:
    """The assistant's message: notice, searched-for line, answer with links."""
    parts = []
    if answer.notice:
        parts.append(f'<div class="notice">{safe(answer.notice)}</div>')
    if answer.abstained:
        parts.append(f'<div class="abstained"><b>No answer in the sources.</b> {safe(answer.text)}</div>')
    else:
        parts.append(f'<div class="answer">{answer_html(answer.text, turn)}</div>')
    if answer.standalone_question != answer.question:
        parts.append(f'<div class="searched">Searched for: {safe(answer.standalone_question)}</div>')
    if answer.citations:
        # Each turn keeps its own sources, folded, so older answers stay checkable.
        cards = "".join(card_html(c, turn) for c in answer.citations)
        parts.append(
            f'<details class="turn-sources"><summary>Sources ({len(answer.citations)})</summary>{cards}</details>'
        )
    return "\n".join(parts)


def card_html(c: Citation, turn: int, prefix: str = "src") -> str:
    badge = '<span class="badge ok">verified</span>' if c.verified else '<span class="badge warn">unverified</span>'
    link = (
        f'<a href="{html.escape(c.url, quote=True)}" target="_blank" rel="noopener noreferrer">{safe(c.url)}</a>'
        if c.url.startswith(("http://", "https://"))
        else safe(c.doc_id)
    )
    return (
        f'<div class="card" id="{prefix}-{turn}-{c.number}">'
        f'<div class="card-head"><span class="num">[{c.number}]</span> <b>{safe(c.title)}</b> {badge}</div>'
        f'<div class="meta">{safe(c.publisher)} · {safe(c.published or "undated")}</div>'
        f"<blockquote><mark>{safe(c.quote.strip())}</mark></blockquote>"
        f'<div class="link">{link}</div></div>'
    )


def sources_html(answer: Answer | None, turn: int) -> str:
    if answer is None:
        return '<div class="sources-empty">Sources for the current answer appear here.</div>'
    if not answer.citations:
        return '<div class="sources-empty">This answer cites no sources.</div>'
    return '<div class="sources">' + "".join(card_html(c, turn, "panel") for c in answer.citations) + "</div>"


def evidence_html(deal: Deal) -> str:
    items = []
    for i, ev in enumerate(deal.evidence, start=1):
        link = html.escape(ev.url, quote=True) if ev.url.startswith(("http://", "https://")) else ""
        anchor = (
            f'<a href="{link}" target="_blank" rel="noopener noreferrer">{safe(ev.publisher)}</a>'
            if link
            else safe(ev.publisher)
        )
        items.append(
            f'<div class="card"><div class="card-head"><span class="num">[{i}]</span> {anchor} · '
            f"{safe(ev.published or 'undated')}</div><blockquote><mark>{safe(ev.quote)}</mark></blockquote>"
            f'<div class="meta">{safe(ev.doc_id)}</div></div>'
        )
    head = (
        f"<h4>{safe(deal.supplier)} → {safe(deal.customer)} ({safe(deal.status)})</h4>"
        f"<p>{safe(deal.resource)}; {safe(deal.scale)}</p>"
    )
    return head + "".join(items)


CSS = """
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 6px 0; }
.card:target, .card.active { border-color: #d97706; box-shadow: 0 0 0 3px #fde68a; }
.card blockquote { margin: 6px 0; padding-left: 8px; border-left: 3px solid #d0d7de; }
.card mark { background: #fef3c7; }
.badge { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; }
.badge.ok { background: #dcfce7; color: #166534; }
.badge.warn { background: #fee2e2; color: #991b1b; }
.unverified { color: #b91c1c; font-size: 0.85em; }
.searched, .turn-sources, .meta { color: #57606a; font-size: 0.85em; margin-top: 4px; }
.notice { background: #fff7ed; border-left: 3px solid #f97316; padding: 4px 8px; margin-bottom: 6px; }
.abstained { background: #f1f5f9; padding: 6px 8px; border-radius: 6px; }
a.cite { text-decoration: none; font-weight: 600; }
"""

# A click on [n] highlights that answer's card: in the side panel for the current answer,
# else inside the turn's own folded source list.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.cite');
    if (!link) return;
    event.preventDefault();
    const id = link.getAttribute('href').slice(1);
    const card = document.getElementById(id.replace(/^src-/, 'panel-')) || document.getElementById(id);
    if (!card) return;
    const fold = card.closest('details');
    if (fold) fold.open = true;
    document.querySelectorAll('.card.active').forEach((el) => el.classList.remove('active'));
    card.classList.add('active');
    card.scrollIntoView({block: 'nearest'});
  }, true);
}
"""
