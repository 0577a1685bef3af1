"""New sources -> files inside the corpus folder (corpus/added/): local files, uploads, fetched web pages.

Every new file is checked the way ingest will read it before it is written, so a file that cannot be
indexed never lands in the corpus; Markdown whose front matter lacks fields gets defaults, with a warning.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from pathlib import Path
from urllib.parse import urlparse

import yaml

from assistant.corpus import ENTITIES_FILE, REQUIRED, parse_document
from assistant.entities import EntityTable
from assistant.errors import AccessError, CorpusError
from assistant.readers import MAX_FILE_BYTES, SUFFIXES, article_text, split_front_matter, title_of


def add_files(paths: list[Path], corpus_dir: Path, warn=None) -> list[Path]:
    """Copy each file into `corpus_dir/added/` (files already inside the corpus are left where they are).

    `warn` receives one line per default filled into a file's front matter.
    """
    checked = []
    root = corpus_dir.resolve()
    for path in paths:
        if not path.is_file():
            raise CorpusError(f"{path}: no such file")
        if path.suffix.lower() not in SUFFIXES:
            raise CorpusError(f"{path}: unsupported type {path.suffix or '(none)'}; use one of {', '.join(SUFFIXES)}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CorpusError(f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        if not path.resolve().is_relative_to(root):
            checked.append((path, *prepare(path.name, path.read_bytes(), corpus_dir)))
    added = []
    for path, data, warnings in checked:  # nothing is copied unless every file can be indexed
        added.append(_write(corpus_dir / "added" / _safe_name(path.name), data))
        for line in warnings:
            if warn:
                warn(line)
    return added


def confine(path: str, import_dir: Path | None) -> Path:
    """A server-side path given over HTTP -> the file inside the import folder it names; anything else,
    through `..` or a symlink included, is refused."""
    if import_dir is None:
        raise AccessError("adding server files by path is off; set ASSISTANT_IMPORT_DIR to the one folder it may read")
    root = Path(import_dir).resolve()
    given = Path(path)
    resolved = (given if given.is_absolute() else root / given).resolve()
    if not resolved.is_relative_to(root):
        raise AccessError(f"{path}: outside the import folder {import_dir}; refused")
    return resolved


def save_upload(name: str, data: bytes, corpus_dir: Path, limit: int = MAX_FILE_BYTES) -> Path:
    """An uploaded file -> corpus/added/<safe name>; refuses unknown types, oversized and unreadable files."""
    return add_upload(name, data, corpus_dir, limit)[0]


def add_upload(name: str, data: bytes, corpus_dir: Path, limit: int = MAX_FILE_BYTES) -> tuple[Path, list[str]]:
    """Like `save_upload`, also returning the warnings about defaults filled into the front matter."""
    safe = _safe_name(name)
    if Path(safe).suffix.lower() not in SUFFIXES:
        raise CorpusError(f"{name}: unsupported type; upload one of {', '.join(SUFFIXES)}")
    if len(data) > limit:
        raise CorpusError(f"{name}: {len(data) // 1024 // 1024} MB is over the {limit // 1024 // 1024} MB upload limit")
    if not data.strip():
        raise CorpusError(f"{name}: the file is empty")
    data, warnings = prepare(safe, data, corpus_dir)
    return _write(corpus_dir / "added" / safe, data), warnings


def prepare(name: str, data: bytes, corpus_dir: Path) -> tuple[bytes, list[str]]:
    """A new file's bytes with front matter defaults filled in, checked as ingest will read it.

    Raises CorpusError (naming the file and the field) when it still cannot be indexed.
    """
    entities = EntityTable.load(corpus_dir / ENTITIES_FILE)
    warnings: list[str] = []
    if Path(name).suffix.lower() in (".md", ".markdown", ".txt"):
        data, warnings = _with_defaults(name, data, entities)
    parse_document(data, Path(name).suffix, f"added/{name}", entities)
    return data, warnings


def _with_defaults(name: str, data: bytes, entities: EntityTable) -> tuple[bytes, list[str]]:
    """Front matter missing required fields -> those fields with defaults (kind: report, title from the first
    heading, companies named in the text, publisher unknown, no url or date)."""
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return data, []  # the check that follows names the problem
    if not text.startswith("---\n"):
        return data, []
    meta, body = split_front_matter(text, f"added/{name}")
    if meta is None:
        return data, []
    title = str(meta.get("title") or "").strip() or title_of(body, Path(name).stem)
    defaults = {
        "title": title,
        "publisher": "unknown",
        "url": "",
        "published": "",
        "kind": "report",
        "companies": entities.mentions(f"{title}\n{body}"),
    }
    missing = [key for key in REQUIRED if key not in meta or (key in ("title", "publisher") and not meta[key])]
    if not missing:
        return data, []
    for key in missing:
        meta[key] = defaults[key]
    warnings = [f"added/{name}: {key}: missing; set to {defaults[key]!r}" for key in missing]
    front = yaml.safe_dump(
        {k: meta[k] for k in [*REQUIRED, *(k for k in meta if k not in REQUIRED)]}, sort_keys=False, allow_unicode=True
    )
    return ("---\n" + front + "---\n" + body).encode("utf-8"), warnings


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip("-.") or "upload"


def _write(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)  # never a half-written file in the corpus
    return target


def check_url(url: str, allow_private: bool = False) -> str:
    """Refuse anything but http(s) to public addresses (unless private ones are allowed by settings)."""
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CorpusError(f"{url}: only http:// and https:// URLs can be added")
    try:
        addresses = [ipaddress.ip_address(parts.hostname)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        except OSError as exc:
            raise CorpusError(f"{url}: cannot resolve {parts.hostname}: {exc.strerror or exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if not allow_private and (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            raise CorpusError(
                f"{url}: {parts.hostname} is a private or local address; refused "
                "(set ASSISTANT_ALLOW_PRIVATE_URLS=true to allow it)"
            )
    return url


def fetch_url(
    url: str, corpus_dir: Path, entities: EntityTable, allow_private: bool = False, timeout: float = 20.0
) -> Path:
    """Fetch a news page, extract its article text and metadata, and save it as a corpus note.

    The note has no `deals:` ledger: ingest reads its deals from the text (`origin: extracted`).
    """
    import httpx
    import trafilatura

    check_url(url, allow_private)
    try:
        response = httpx.get(
            url, timeout=timeout, follow_redirects=False, headers={"User-Agent": "compute-deals-assistant/0.1"}
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise CorpusError(f"{url}: fetch failed: {exc}") from exc
    if len(response.content) > MAX_FILE_BYTES:
        raise CorpusError(f"{url}: the page is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    html_text = response.text
    body = trafilatura.extract(html_text, include_comments=False, include_tables=False, favor_precision=True)
    if not body or len(body.split()) < 20:
        raise CorpusError(f"{url}: no article text could be extracted")
    meta = trafilatura.extract_metadata(html_text)
    title = (meta.title if meta and meta.title else body.split("\n", 1)[0])[:200]
    body = article_text(body, title)  # the headline and byline apart from the first sentence
    publisher = (meta.sitename if meta and meta.sitename else urlparse(url).hostname) or "unknown"
    published = meta.date if meta and meta.date and re.match(r"^\d{4}-\d{2}-\d{2}$", meta.date) else ""
    companies = [c for c in entities.mentions(f"{title}\n{body}")]
    front = {
        "title": title,
        "publisher": publisher,
        "url": url,
        "published": published,
        "kind": "article",
        "companies": companies,
    }
    text = (
        "---\n"
        + yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
        + "---\n# "
        + title
        + "\n\n"
        + body.strip()
        + "\n"
    )
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "page"
    return save_upload(f"{slug}.md", text.encode("utf-8"), corpus_dir)
