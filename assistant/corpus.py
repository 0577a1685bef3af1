"""corpus/ folder -> validated Documents; also `python -m assistant.corpus [DIR]`, the note validator.

A note's errors name the file and the field, e.g.
`notes/anthropic/x.md: deals[0].quote: not found in the body`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from assistant.entities import EntityTable
from assistant.errors import CorpusError
from assistant.readers import SUFFIXES, read_file, title_of
from assistant.types import DEAL_TYPES, KINDS_OF_SOURCE, STATUSES, DealEntry, Document

REQUIRED = ("title", "publisher", "url", "published", "kind", "companies")
DEAL_REQUIRED = ("supplier", "customer", "resource", "status", "quote")
_ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
ENTITIES_FILE = "entities.yaml"


def corpus_files(root: Path) -> Iterator[Path]:
    """Every ingestible file under `root`, sorted; hidden folders and README files skipped."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.name.lower() == "readme.md":
            continue
        if path.suffix.lower() in SUFFIXES and (path.is_file() or path.is_symlink()):
            yield path


def load_document(path: Path, root: Path, entities: EntityTable) -> Document:
    """Parse and validate one file; raises CorpusError naming the file and field."""
    doc_id = path.relative_to(root).as_posix()
    _refuse_escape(path, root, doc_id)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{doc_id}: cannot read: {exc.strerror or exc}") from exc
    return parse_document(data, path.suffix, doc_id, entities)


def parse_document(data: bytes, suffix: str, doc_id: str, entities: EntityTable) -> Document:
    """One file's bytes -> a validated Document (no file needed: uploads are checked before they are saved)."""
    meta, body = read_file(data, suffix, doc_id)
    digest = hashlib.sha256(data).hexdigest()
    if meta is None:
        stem = Path(doc_id).stem
        return Document(doc_id, title_of(body, stem), "", "", None, "document", (), (), body, digest)
    return _note(doc_id, meta, body, digest, entities)


def _note(doc_id: str, meta: dict, body: str, digest: str, entities: EntityTable) -> Document:
    missing = [key for key in REQUIRED if key not in meta]
    if missing:
        raise CorpusError(f"{doc_id}: {missing[0]}: required field is missing")
    for key in ("title", "publisher"):
        if not _text(meta[key]):
            raise CorpusError(f"{doc_id}: {key}: must not be empty")
    url = _text(meta["url"])
    if url and not re.match(r"^https?://", url):
        raise CorpusError(f"{doc_id}: url: {url!r} must start with http:// or https://")
    kind = _text(meta["kind"])
    if kind not in KINDS_OF_SOURCE:
        raise CorpusError(f"{doc_id}: kind: {kind!r} is not one of {', '.join(KINDS_OF_SOURCE)}")
    companies = meta["companies"] or []
    if not isinstance(companies, list):
        raise CorpusError(f"{doc_id}: companies: must be a list like [Amazon, Anthropic]")
    for name in companies:
        if not entities.resolve(str(name)):
            raise CorpusError(f"{doc_id}: companies: {name!r} is not in {ENTITIES_FILE}")
    published = iso_date(meta["published"], f"{doc_id}: published")
    deals = tuple(_deal(doc_id, i, raw, body, entities) for i, raw in enumerate(meta.get("deals") or []))
    return Document(
        doc_id=doc_id,
        title=_text(meta["title"]),
        publisher=_text(meta["publisher"]),
        url=url,
        published=published,
        kind=kind,
        companies=tuple(entities.resolve(str(c)) or str(c) for c in companies),
        deals=deals,
        body=body,
        content_hash=digest,
    )


def _deal(doc_id: str, i: int, raw: object, body: str, entities: EntityTable) -> DealEntry:
    where = f"{doc_id}: deals[{i}]"
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: must be a mapping with supplier, customer, resource, status, quote")
    for key in DEAL_REQUIRED:
        if not _text(raw.get(key)):
            raise CorpusError(f"{where}.{key}: required field is missing")
    for key in ("supplier", "customer"):
        if not entities.resolve(_text(raw[key])):
            raise CorpusError(f"{where}.{key}: {raw[key]!r} is not in {ENTITIES_FILE}")
    status = _text(raw["status"])
    if status not in STATUSES:
        raise CorpusError(f"{where}.status: {status!r} is not one of {', '.join(STATUSES)}")
    kind = _text(raw.get("type")) or "compute"
    if kind not in DEAL_TYPES:
        raise CorpusError(f"{where}.type: {kind!r} is not one of {', '.join(DEAL_TYPES)}")
    quote = _text(raw["quote"])
    if quote not in body:
        raise CorpusError(f"{where}.quote: not found word for word in the body: {quote[:60]!r}")
    return DealEntry(
        supplier=_text(raw["supplier"]),
        customer=_text(raw["customer"]),
        resource=_text(raw["resource"]),
        scale=_text(raw.get("scale")),
        announced=iso_date(raw.get("announced"), f"{where}.announced"),
        status=status,
        quote=quote,
        type=kind,
    )


def iso_date(value: object, where: str) -> str | None:
    """YAML date or 'YYYY[-MM[-DD]]' -> ISO text; empty -> None; anything else is an error."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not _ISO.match(text):
        raise CorpusError(f"{where}: {text!r} is not an ISO date (YYYY-MM-DD, or YYYY-MM)")
    try:
        dt.date.fromisoformat((text + "-01-01")[:10] if len(text) < 10 else text)
    except ValueError as exc:
        raise CorpusError(f"{where}: {text!r} is not a real date") from exc
    return text


def load_corpus(root: Path, entities: EntityTable | None = None) -> tuple[list[Document], list[str]]:
    """All documents that validate, and one error line for each file that does not."""
    if not root.is_dir():
        raise CorpusError(f"corpus folder {root} does not exist; set ASSISTANT_CORPUS_DIR")
    entities = entities or EntityTable.load(root / ENTITIES_FILE)
    docs: list[Document] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    contents: dict[str, str] = {}
    for path in corpus_files(root):
        try:
            doc = load_document(path, root, entities)
        except CorpusError as exc:
            errors.append(str(exc))
            continue
        key = (doc.url, doc.title)
        if doc.url and key in seen:
            errors.append(f"{doc.doc_id}: url: same url and title as {seen[key]}")
            continue
        if doc.content_hash in contents:
            errors.append(f"{doc.doc_id}: same content as {contents[doc.content_hash]}; duplicate not indexed")
            continue
        seen[key] = doc.doc_id
        contents[doc.content_hash] = doc.doc_id
        docs.append(doc)
    return docs, errors


def _refuse_escape(path: Path, root: Path, doc_id: str) -> None:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise CorpusError(f"{doc_id}: links outside the corpus folder; refused") from None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "corpus")
    try:
        docs, errors = load_corpus(root)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in errors:
        print(line)
    deals = sum(len(d.deals) for d in docs)
    print(f"{len(docs)} documents valid, {deals} deals, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
