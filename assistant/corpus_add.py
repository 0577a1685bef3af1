"""New sources -> files inside the corpus folder (corpus/added/): local files, uploads, fetched web pages."""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

import yaml

from assistant.entities import EntityTable
from assistant.errors import CorpusError
from assistant.readers import MAX_FILE_BYTES, SUFFIXES


def add_files(paths: list[Path], corpus_dir: Path) -> list[Path]:
    """Copy each file into `corpus_dir/added/` (files already inside the corpus are left where they are)."""
    added = []
    root = corpus_dir.resolve()
    for path in paths:
        if not path.is_file():
            raise CorpusError(f"{path}: no such file")
        if path.suffix.lower() not in SUFFIXES:
            raise CorpusError(f"{path}: unsupported type {path.suffix or '(none)'}; use one of {', '.join(SUFFIXES)}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CorpusError(f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        if path.resolve().is_relative_to(root):
            continue
        target = corpus_dir / "added" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        added.append(target)
    return added


def save_upload(name: str, data: bytes, corpus_dir: Path, limit: int = MAX_FILE_BYTES) -> Path:
    """An uploaded file -> corpus/added/<safe name>; refuses unknown types and oversized files."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip("-.") or "upload"
    if Path(safe).suffix.lower() not in SUFFIXES:
        raise CorpusError(f"{name}: unsupported type; upload one of {', '.join(SUFFIXES)}")
    if len(data) > limit:
        raise CorpusError(f"{name}: {len(data) // 1024 // 1024} MB is over the {limit // 1024 // 1024} MB upload limit")
    if not data.strip():
        raise CorpusError(f"{name}: the file is empty")
    target = corpus_dir / "added" / safe
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
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

    The note's `deals:` list is left empty for a person (or `--extract-deals`) to fill in.
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
        "deals": [],
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
