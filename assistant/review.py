"""Documents without a ledger -> their reviewed and machine-read deals; `--accept` writes a review file.

A reviewed deal lives next to its source, `notes/x.html` -> `notes/x.html.reviewed.yaml`, so the
source itself is never rewritten and the review survives a rebuild of the index:

    deals:
      - supplier: Zephyr Cloud
        customer: Anthropic
        quote: Zephyr Cloud will host 40,000 GPUs for Anthropic under a five-year lease.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from pathlib import Path

import yaml

from assistant.entities import EntityTable
from assistant.errors import CorpusError
from assistant.extract import read_deals
from assistant.types import DealEntry, Document

REVIEW_SUFFIX = ".reviewed.yaml"
_FIELDS = ("supplier", "customer", "resource", "scale", "announced", "status", "type", "quote")


def review_path(source: Path) -> Path:
    """Where reviewed deals of a source live: `report.html` -> `report.html.reviewed.yaml`."""
    return source.with_name(source.name + REVIEW_SUFFIX)


def complete(docs: list[Document], corpus_dir: Path) -> list[Document]:
    """Documents with a hand-written ledger as they are; every other one with its reviewed and extracted deals."""
    entities = EntityTable.load(corpus_dir / "entities.yaml")
    return [doc if doc.deals else with_extracted(doc, entities, corpus_dir) for doc in docs]


def with_extracted(doc: Document, entities: EntityTable, corpus_dir: Path) -> Document:
    """`doc` with its reviewed deals (origin ledger) and the deals read from its text (origin extracted)."""
    reviewed, raw = _reviewed(review_path(corpus_dir / doc.doc_id), doc)
    extracted, new = read_deals(doc.body, entities, doc.published, doc.publisher, doc.title)
    done = {(e.supplier, e.customer, e.quote) for e in reviewed}
    kept = [e for e in extracted if (e.supplier, e.customer, e.quote) not in done]
    parties = {n for e in reviewed + kept for n in (e.supplier, e.customer)}
    return replace(
        doc,
        deals=tuple(reviewed + kept),
        new_companies=tuple((n, k) for n, k in new.items() if n in parties),
        # A new review changes what the index must hold, so it changes the document's hash too.
        content_hash=hashlib.sha256((doc.content_hash + raw).encode()).hexdigest() if raw else doc.content_hash,
    )


def deal_id(doc_id: str, entry: dict | DealEntry) -> str:
    """A short stable id of one machine-read deal: its document, pair and quote."""
    record = asdict(entry) if isinstance(entry, DealEntry) else entry
    key = "|".join((doc_id, record["supplier"], record["customer"], record["quote"]))
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def extracted_entries(documents: dict[str, dict]) -> list[dict]:
    """Every machine-read deal in the index's document table, with its id, document and quote."""
    out = []
    for doc_id, meta in sorted(documents.items()):
        for entry in json.loads(meta.get("deals") or "[]"):
            if entry.get("origin") == "extracted":
                out.append({"id": deal_id(doc_id, entry), "doc_id": doc_id, "title": meta.get("title", ""), **entry})
    return out


def accept(deal: dict, corpus_dir: Path) -> Path:
    """Write one machine-read deal into its document's review file (created if needed); returns that file."""
    source = corpus_dir / deal["doc_id"]
    if not source.resolve().is_relative_to(corpus_dir.resolve()) or not source.is_file():
        raise CorpusError(f"{deal['doc_id']}: the source of this deal is no longer in the corpus")
    path = review_path(source)
    data: dict = {"deals": []}
    if path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {"deals": []}
    entry = {k: deal[k] for k in _FIELDS if deal.get(k)}
    if entry not in data.setdefault("deals", []):
        data["deals"].append(entry)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    tmp.replace(path)
    return path


def _reviewed(path: Path, doc: Document) -> tuple[list[DealEntry], str]:
    if not path.is_file():
        return [], ""
    try:
        raw = path.read_text(encoding="utf-8")
        data = yaml.safe_load(raw) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CorpusError(f"{doc.doc_id}: cannot read {path.name}: {exc}") from exc
    items = data.get("deals") if isinstance(data, dict) else None
    out = []
    for item in items or []:
        if not isinstance(item, dict) or not item.get("supplier") or not item.get("customer"):
            raise CorpusError(f"{path.name}: each reviewed deal needs a supplier, a customer and a quote")
        if str(item.get("quote", "")) not in doc.body:
            continue  # a review of a sentence the document no longer has
        out.append(
            DealEntry(
                supplier=str(item["supplier"]),
                customer=str(item["customer"]),
                resource=str(item.get("resource") or ""),
                scale=str(item.get("scale") or ""),
                announced=str(item["announced"]) if item.get("announced") else None,
                status=str(item.get("status") or "announced"),
                quote=str(item["quote"]),
                type=str(item.get("type") or "compute"),
                origin="ledger",
            )
        )
    return out, raw
