"""Text -> sentence spans with exact offsets, so every quote can point back into its source.

>>> text = "AWS built Rainier. It holds 500,000 chips."
>>> [text[s:e] for s, e in spans(text)]
['AWS built Rainier.', 'It holds 500,000 chips.']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

# A sentence ends at . ! or ? (optionally followed by a closing quote or bracket) and whitespace,
# unless the word before the stop is a known abbreviation or a single capital ("U.S.", "Inc.").
_END = re.compile(r"[.!?][\"'’”)\]]*(?=\s+[\"'‘“(\[]?[A-Z0-9$£€])")
_ABBREV = {
    "inc",
    "corp",
    "co",
    "ltd",
    "mr",
    "ms",
    "mrs",
    "dr",
    "st",
    "vs",
    "no",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "approx",
    "est",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
}


def spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; headings, list items and blank-line paragraphs end sentences too."""
    return list(_spans(text))


@lru_cache(maxsize=1 << 14)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text):
        start = block_start
        for match in _END.finditer(text, block_start, block_end):
            end = match.end()
            if _is_abbreviation(text, start, match.start()):
                continue
            _add(text, start, end, out)
            start = end
        _add(text, start, block_end, out)
    return tuple(out)


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Lines grouped into paragraphs; a heading or list item is a block of its own."""
    start = None
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        line_start, pos = pos, pos + len(line)
        standalone = stripped.startswith(("#", "- ", "* ", "> ")) or bool(re.match(r"\d+\.\s", stripped))
        if not stripped or standalone:
            if start is not None:
                yield start, line_start
                start = None
            if stripped:
                yield line_start, pos
            continue
        if start is None:
            start = line_start
    if start is not None:
        yield start, len(text)


def _is_abbreviation(text: str, start: int, stop: int) -> bool:
    word = re.search(r"([\w.]+)$", text[start:stop])
    if not word:
        return False
    token = word.group(1).lower().rstrip(".")
    return token in _ABBREV or (len(token) == 1 and token.isalpha())


def _add(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    # Trim whitespace and markdown markers but keep offsets exact.
    while start < end and (text[start].isspace() or text[start] in "#>*-"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start >= 3:
        out.append((start, end))
