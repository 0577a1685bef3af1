"""A corpus file's bytes -> (front matter, body text); markdown, plain text, HTML and PDF."""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser

import yaml

from assistant.errors import CorpusError

# The safe loader in libyaml when PyYAML was built with it: the same documents, read ten times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MAX_FILE_BYTES = 10 * 1024 * 1024


def read_file(data: bytes, suffix: str, name: str) -> tuple[dict | None, str]:
    """Front matter (None when the file has none) and the body text of one corpus file's bytes."""
    if not data.strip():
        raise CorpusError(f"{name}: the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise CorpusError(
            f"{name}: the file is {len(data) // 1024 // 1024} MB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB"
        )
    suffix = suffix.lower()
    if suffix == ".pdf":
        return None, _pdf_text(data, name)
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{name}: the file is binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    text = text.replace("\r\n", "\n")
    if suffix in (".html", ".htm"):
        return None, html_text(text)
    return split_front_matter(text, name)


def split_front_matter(text: str, name: str) -> tuple[dict | None, str]:
    """`---\\nyaml\\n---\\nbody` -> (dict, body); text without front matter -> (None, text)."""
    if not text.startswith("---\n"):
        return None, text
    end = text.find("\n---", 4)
    if end < 0:
        raise CorpusError(f"{name}: front matter opened with '---' is never closed")
    try:
        meta = yaml.load(text[4:end], Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise CorpusError(f"{name}: front matter is not valid YAML: {str(exc).splitlines()[0]}") from exc
    except ValueError as exc:  # YAML reads 2025-13-01 as a date and fails
        raise CorpusError(f"{name}: front matter has an impossible date: {exc}") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"{name}: front matter must be a mapping of fields")
    body = text[end + 4 :].lstrip("-").lstrip("\n")
    return meta, body


def title_of(body: str, fallback: str) -> str:
    """The first markdown heading, else the first non-empty line, shortened."""
    for line in body.splitlines():
        line = line.strip()
        if line:
            return re.sub(r"^#+\s*", "", line)[:200]
    return fallback


class _TextOfHtml(HTMLParser):
    SKIP = {"script", "style", "nav", "header", "footer", "aside", "noscript", "form", "figure", "template"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "tr"}
    HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr", "col", "area", "base", "embed"}
    # Page furniture marked by class or id: advertisements, promotions, sign-up and cookie boxes.
    FURNITURE = re.compile(
        r"(?:^|[\s_-])(?:ads?|advert\w*|promo\w*|sponsor\w*|newsletter|cookie\w*|banner|share|social)(?:$|[\s_-])", re.I
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skipping: list[str] = []  # open tags inside a skipped element
        self._in_title = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.VOID:
            if tag == "br" and not self._skipping:
                self.parts.append("\n")
            return
        marks = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        if self._skipping or tag in self.SKIP or (marks and self.FURNITURE.search(marks)):
            self._skipping.append(tag)
        elif tag == "title":
            self._in_title = True
        elif tag in self.HEADINGS:
            self.parts.append("\n# ")  # a headline is a line of its own, never part of a body sentence
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag in self._skipping:
                while self._skipping and self._skipping.pop() != tag:
                    pass
        elif tag == "title":
            self._in_title = False
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skipping:
            self.parts.append(" ".join(data.split("\n")))  # line breaks inside a paragraph are spaces


def html_text(markup: str) -> str:
    """Readable text of an HTML page: title first, scripts and navigation dropped, headlines on their own."""
    parser = _TextOfHtml()
    parser.feed(markup)
    title = html.unescape(" ".join(parser.title.split()))
    text = article_text("".join(parser.parts), title)
    return f"# {title}\n\n{text}" if title else text


# A byline or dateline: "By Jane Roe", "Published 4 March 2026", "SAN FRANCISCO, 4 March 2026".
_BYLINE = re.compile(
    r"^(?:by|written by|reporting by|words by|published|updated|posted|last updated)\b.{0,80}$"
    r"|^[A-Z][A-Z .'-]{2,40},\s*(?:\d{1,2}\s+[A-Za-z]+|[A-Za-z]+\s+\d{1,2},?)\s+\d{4}$",
    re.IGNORECASE,
)


def article_text(text: str, title: str = "") -> str:
    """An article's lines -> paragraphs separated by blank lines, so no headline, subhead or byline is
    glued to the sentence after it: bylines and datelines are dropped, a line repeating the title is
    dropped, and short lines without a full stop become headings.

    >>> article_text("Lambda signs deal\\nBy Jo Roe\\nLambda agreed to supply Zephyr.", "Lambda signs deal")
    'Lambda agreed to supply Zephyr.'
    """
    key = " ".join(title.lower().split()).rstrip(" .")
    out = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        bare = line.lstrip("#").strip()
        if not bare or (key and bare.lower().rstrip(" .") == key) or _BYLINE.match(bare):
            continue
        heading = line.startswith("#") or (len(bare.split()) <= 14 and not re.search(r"[.!?:;\"”)]$", bare))
        out.append(f"## {bare}" if heading else line)
    return "\n\n".join(out)


def _pdf_text(data: bytes, name: str) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:
        raise CorpusError(f"{name}: reading PDF needs the 'pdf' extra: pip install 'assistant[pdf]'") from exc
    try:
        pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise CorpusError(f"{name}: cannot read the PDF: {exc}") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise CorpusError(f"{name}: the PDF has no extractable text")
    return text
