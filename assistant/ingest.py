"""Documents -> sentence-aligned chunks -> embeddings -> the Chroma collection, incrementally.

A document is re-embedded only when its content hash changed; a rebuild fills a fresh
collection and switches to it at the end, so a crash half-way leaves the old index in use.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from assistant import review, sentences
from assistant.corpus import corpus_files, load_corpus
from assistant.store import Store
from assistant.types import Document, IngestReport

CHUNK_WORDS = 110
EMBED_GROUP = 16  # documents embedded together


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc: Document
    text: str
    start: int
    end: int
    index: int


def chunk_document(doc: Document, max_words: int = CHUNK_WORDS) -> list[Chunk]:
    """Consecutive whole sentences up to ~`max_words`; chunk text is an exact slice of the body."""
    groups: list[tuple[int, int]] = []
    words = 0
    for start, end in sentences.spans(doc.body):
        n = len(doc.body[start:end].split())
        if groups and words + n <= max_words:
            groups[-1] = (groups[-1][0], end)
            words += n
        else:
            groups.append((start, end))
            words = n
    chunks = []
    for i, (start, end) in enumerate(groups):
        text = doc.body[start:end]
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        chunks.append(Chunk(f"{doc.doc_id}#{i}-{digest}", doc, text, start, end, i))
    return chunks


def _metadata(chunk: Chunk) -> dict:
    doc = chunk.doc
    meta = {
        "doc_id": doc.doc_id,
        "content_hash": doc.content_hash,
        "title": doc.title,
        "publisher": doc.publisher,
        "url": doc.url,
        "published": doc.published or "",
        "kind": doc.kind,
        "companies": "|".join(doc.companies),
        "start": chunk.start,
        "end": chunk.end,
        "chunk_index": chunk.index,
    }
    if chunk.index == 0:
        # The deal ledger travels with the document, so every reader of the store can build the graph.
        meta["deals"] = json.dumps([{**d.__dict__, "start": doc.body.find(d.quote)} for d in doc.deals])
        if doc.new_companies:
            meta["new_companies"] = json.dumps(doc.new_companies)
    return meta


def _embed_sorted(embedder, texts: list[str]):
    """Embed in length order (less padding per batch), returned in the original order, unit length."""
    import numpy as np

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = embedder.get_text_embedding_batch([texts[i] for i in order])
    matrix = np.empty((len(texts), len(vectors[0])), dtype=np.float32)
    for slot, i in enumerate(order):
        matrix[i] = vectors[slot]
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-12
    return matrix


def _nodes(chunks: list[Chunk], by_text: dict) -> tuple[list, dict]:
    """llama-index nodes with embeddings, and each sentence's vector by (chunk id, offset in chunk).

    The model embeds each sentence (and the title) once; a chunk's vector is the normalised mean of
    its title and sentence vectors. That costs what embedding the chunks would, and lets answers rank
    sentences without embedding anything at question time.
    """
    import numpy as np
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    nodes = []
    for chunk in chunks:
        meta = _metadata(chunk)
        # The SOURCE relation makes llama-index write our doc id into its own `doc_id` field
        # (it would otherwise overwrite ours with "None").
        node = TextNode(
            id_=chunk.chunk_id,
            text=chunk.text,
            metadata=meta,
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.doc.doc_id)},
        )
        node.excluded_embed_metadata_keys = [k for k in meta if k not in ("title", "publisher")]
        node.excluded_llm_metadata_keys = list(meta)
        nodes.append(node)
    if not chunks:
        return [], {}
    spans = [_spans(c) for c in chunks]
    title = by_text[chunks[0].doc.title]
    sentence_vectors: dict[tuple[str, int], object] = {}
    for node, chunk, ss in zip(nodes, chunks, spans, strict=True):
        own = [by_text[chunk.text[s:e]] for s, e in ss]
        mean = np.mean([title, *own], axis=0)
        node.embedding = (mean / (np.linalg.norm(mean) + 1e-12)).tolist()
        for (s, _), vector in zip(ss, own, strict=True):
            sentence_vectors[(chunk.chunk_id, s)] = vector
    return nodes, sentence_vectors


def _spans(chunk: Chunk) -> list[tuple[int, int]]:
    return sentences.spans(chunk.text) or [(0, len(chunk.text))]


def _texts_to_embed(chunks: list[Chunk]) -> list[str]:
    return [chunks[0].doc.title, *(c.text[s:e] for c in chunks for s, e in _spans(c))] if chunks else []


def ingest(
    store: Store, corpus_dir: Path, embedder, rebuild: bool = False, progress: bool | None = None, on_document=None
) -> IngestReport:
    """Bring the store in line with `corpus_dir`; returns what changed.

    One writer at a time: on an embedded store a second ingest waits briefly for the first, then stops.
    """
    with store.writing():
        return _ingest_locked(store, corpus_dir, embedder, rebuild, progress, on_document)


def _ingest_locked(
    store: Store, corpus_dir: Path, embedder, rebuild: bool, progress: bool | None, on_document
) -> IngestReport:
    from llama_index.vector_stores.chroma import ChromaVectorStore

    began = time.perf_counter()
    docs, errors = load_corpus(corpus_dir)
    docs = review.complete(docs, corpus_dir)  # deals read from the text of documents without a ledger
    present = {p.relative_to(corpus_dir).as_posix() for p in corpus_files(corpus_dir)}
    target_name = f"{store.settings.collection}_{int(time.time() * 1000)}" if rebuild else None
    collection = store.collection(target_name)
    existing = {} if rebuild else store.doc_hashes(collection)
    changed = [d for d in docs if existing.get(d.doc_id) != d.content_hash]
    removed = sorted(set(existing) - present)
    vectors = ChromaVectorStore(chroma_collection=collection)
    sentence_store = store.sentences(collection.name)
    embedded = 0
    bar = _bar(len(changed), progress)
    for group_start in range(0, len(changed), EMBED_GROUP):
        group = [(doc, chunk_document(doc)) for doc in changed[group_start : group_start + EMBED_GROUP]]
        # One embedding call for a group of documents: full batches, sorted by length.
        texts = list(dict.fromkeys(t for _, chunks in group for t in _texts_to_embed(chunks)))
        by_text = dict(zip(texts, _embed_sorted(embedder, texts), strict=True)) if texts else {}
        for doc, chunks in group:
            embedded += _store_document(
                store, collection, vectors, sentence_store, doc, chunks, by_text, doc.doc_id in existing
            )
            if bar:
                bar.update(1)
            if on_document:
                on_document(doc.doc_id)
    if bar:
        bar.close()
    store.delete_docs(removed, collection)
    chunk_count = store._guard(collection.count)
    if rebuild:
        store.activate(collection.name, chunks=chunk_count)
    else:
        store.touch(_changed_ids(changed, removed), chunks=chunk_count)
    return IngestReport(
        added=sum(1 for d in changed if d.doc_id not in existing),
        updated=sum(1 for d in changed if d.doc_id in existing),
        removed=len(removed),
        unchanged=len(docs) - len(changed),
        chunks=chunk_count,
        embedded=embedded,
        errors=tuple(errors),
        seconds=round(time.perf_counter() - began, 3),
    )


def _changed_ids(changed: list[Document], removed: list[str]) -> list[str]:
    """Documents other processes must reload after this ingest (recorded next to its stamp)."""
    return [d.doc_id for d in changed] + list(removed)


def _store_document(
    store: Store, collection, vectors, sentence_store, doc: Document, chunks: list[Chunk], by_text: dict, replace: bool
) -> int:
    nodes, sentence_vectors = _nodes(chunks, by_text)
    if replace:
        store.delete_docs([doc.doc_id], collection)
    # Sentences first: a crash between the two writes leaves the document absent from the
    # chunk collection, so the next ingest redoes it whole.
    store.add_sentences(sentence_store, doc.doc_id, sentence_vectors)
    store._guard(lambda: vectors.add(nodes))
    return len(nodes)


def _bar(total: int, progress: bool | None):
    if progress is False or total < 20 or (progress is None and not sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", desc="ingest", file=sys.stderr)
