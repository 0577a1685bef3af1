"""question -> ranked Passages: dense (Chroma) + BM25 fused by reciprocal rank.

The only place llama-index nodes become the project's own `Passage` values. When the store's
ingest stamp changes, the lexical index, document table and sentence vectors are updated for the
documents that ingest changed (read from the store's change log), so several processes that share
one store all see the same corpus without reloading all of it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from assistant.errors import AssistantError, NotIndexedError, StoreError
from assistant.store import Store
from assistant.types import Passage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents. Undated documents pass date filters (shown as undated)."""

    companies: tuple[str, ...] = ()
    publisher: str | None = None
    after: str | None = None
    before: str | None = None
    kinds: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()

    def admits(self, meta: dict) -> bool:
        published = meta.get("published") or ""
        if self.companies and not set(self.companies) & set((meta.get("companies") or "").split("|")):
            return False
        if self.publisher and self.publisher.lower() not in (meta.get("publisher") or "").lower():
            return False
        if published and self.after and published < self.after:
            return False
        if published and self.before and published[: len(self.before)] > self.before:
            return False
        if self.kinds and meta.get("kind") not in self.kinds:
            return False
        return not self.doc_ids or meta.get("doc_id") in self.doc_ids

    def __bool__(self) -> bool:
        return any((self.companies, self.publisher, self.after, self.before, self.kinds, self.doc_ids))


@dataclass
class _Doc:
    """What the retriever holds for one document: its chunks as nodes, BM25 tokens, sentence vectors."""

    meta: dict
    nodes: list = field(default_factory=list)
    entries: list = field(default_factory=list)  # the BM25 corpus rows, one per node
    tokens: list = field(default_factory=list)  # stemmed words, one list per node
    sentences: list = field(default_factory=list)  # (sentence text, unit vector)
    text: str = ""  # lower-cased words of chunks, title and publisher
    words: frozenset = frozenset()


class Retriever:
    """Hybrid retriever over the store's active collection."""

    def __init__(self, store: Store, embedder, top_k: int = 6) -> None:
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self._lock = threading.Lock()
        self._stamp: tuple = (None, None)
        self._client: object = None
        self._docs: dict[str, _Doc] = {}
        self._word_counts: Counter = Counter()
        self.documents: dict[str, dict] = {}
        self.nodes: list = []
        self.vocabulary: frozenset[str] = frozenset()
        self.sentence_vectors: dict = {}
        self.text = ""
        self.version = ""
        self.last_refresh: dict = {}  # what the latest update loaded and how long it took
        self.ready = threading.Event()  # set once the indexes are loaded

    def refresh(self) -> bool:
        """Bring nodes, BM25, sentence vectors and the document table up to the store's stamp.

        Only documents named in the store's change log since our stamp are read again; a new
        collection (a rebuild) or a gap in the log reloads everything. True when anything changed.
        """
        return self._reopening(self._refresh)

    def _reopening(self, call):
        """`call()`; if an embedded store fails, reopen its client once and call again."""
        try:
            return call()
        except StoreError:
            if not self.store.embedded:
                raise
            # The embedded client went stale (another process wrote the folder): a fresh one reads it as it is.
            log.warning("the embedded store changed underneath; reopening it")
            self.store.reopen()
            return call()

    def _refresh(self) -> bool:
        state = self.store.state()
        stamp = (state.get("collection"), state.get("ingested_at"))
        if stamp == self._stamp and self._client is self.store.client:
            return False
        with self._lock:
            if stamp == self._stamp and self._client is self.store.client:
                return False
            began = time.perf_counter()
            collection = self.store.collection()
            changed = None
            if self._stamp[0] is not None:
                changed = self.store.changed_since(self._stamp[0], self._stamp[1], state)
            if changed is None:
                self._docs, self._word_counts = {}, Counter()
                self._update(collection, None)
            else:
                self._update(collection, sorted(changed))
            if changed is not None and state.get("chunks") is not None and len(self.nodes) != int(state["chunks"]):
                # A write the log does not cover (two writers on a server at once): read everything.
                self._docs, self._word_counts = {}, Counter()
                self._update(collection, None)
                changed = None
            self._attach(collection)
            self._stamp = stamp
            self.last_refresh = {
                "documents": len(self._docs) if changed is None else len(changed),
                "full": changed is None,
                "seconds": round(time.perf_counter() - began, 3),
            }
        return True

    def _update(self, collection, doc_ids: list[str] | None) -> None:
        """Replace the named documents (all when None) with what the store holds now."""
        records = self.store.records(collection, doc_ids)
        vectors = self.store.sentence_vectors(collection.name, doc_ids)
        fresh = _documents(records, vectors)
        for doc_id in fresh.keys() | set(doc_ids or ()):
            old = self._docs.pop(doc_id, None)
            if old is not None:
                self._word_counts.subtract(old.words)
        for doc_id, doc in fresh.items():
            self._docs[doc_id] = doc
            self._word_counts.update(doc.words)
        self._word_counts = +self._word_counts  # drop words no document has any more
        self._assemble()

    def _assemble(self) -> None:
        """The whole-corpus views, rebuilt from the per-document parts (no store reads, no tokenising)."""
        import bm25s

        docs = list(self._docs.values())
        nodes = [n for d in docs for n in d.nodes]
        documents = {d.meta["doc_id"]: d.meta for d in docs}
        bm25 = None
        if nodes:
            bm25 = bm25s.BM25()
            bm25.index([t for d in docs for t in d.tokens], show_progress=False)
            # Per-query retrievers reuse this index; they need its corpus to map hits back to nodes.
            bm25.corpus = [e for d in docs for e in d.entries]
        sentence_vectors = {text: vector for d in docs for text, vector in d.sentences}
        # Every indexed word, and the whole text with spaces collapsed, for "is this name in the corpus?" checks.
        text = " ".join(d.text for d in docs)
        version = ""
        if documents:
            version = hashlib.sha256(
                "".join(sorted(d["content_hash"] for d in documents.values())).encode()
            ).hexdigest()[:12]
        self.nodes, self.documents, self._bm25 = nodes, documents, bm25
        self.sentence_vectors, self.text, self.version = sentence_vectors, text, version
        self.vocabulary = frozenset(self._word_counts)

    def _attach(self, collection) -> None:
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self._index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=collection), embed_model=self.embedder
        )
        self._client = self.store.client

    @property
    def index(self):
        """The dense llama-index index over the active collection (loaded on first use)."""
        self.refresh()
        return self._index

    def watch(self, interval: float = 1.0, on_change=None) -> threading.Thread:
        """Load the indexes now in the background, then keep them current; `ready` is set after the first load.

        `on_change()` runs after each update (to rebuild what depends on the documents, e.g. the deal graph).
        """

        def loop() -> None:
            problem = ""
            while True:
                try:
                    if self.refresh() or not self.ready.is_set():
                        if on_change is not None:
                            on_change()
                        self.ready.set()
                    problem = ""
                except AssistantError as exc:
                    if str(exc) != problem:  # say it once, not every second
                        log.warning("keeping the index current failed: %s", exc)
                    problem = str(exc)
                time.sleep(interval)

        thread = threading.Thread(target=loop, name="index-watch", daemon=True)
        thread.start()
        return thread

    def retrieve(
        self, question: str, filters: Filters | None = None, top_k: int | None = None, embedding=None
    ) -> list[Passage]:
        """The `top_k` best passages for `question` among documents `filters` admits."""
        from llama_index.core.schema import QueryBundle

        self.refresh()
        if not self.nodes:
            raise NotIndexedError("the index is empty: run `assistant ingest` (or add files to the corpus folder)")
        k = top_k or self.top_k
        meta_filters = None
        if filters:
            allowed = [d for d, meta in self.documents.items() if filters.admits(meta)]
            if not allowed:
                return []
            meta_filters = _doc_filter(allowed)
        bundle = QueryBundle(query_str=question, embedding=None if embedding is None else [float(x) for x in embedding])

        def search():
            self._refresh()
            return self.store._guard(lambda: self._fusion(k, meta_filters).retrieve(bundle))

        hits = self._reopening(search)
        if filters:
            hits = [h for h in hits if filters.admits(h.node.metadata)]
        return [_passage(hit) for hit in hits[:k]]

    def _fusion(self, k: int, meta_filters):
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.retrievers.bm25 import BM25Retriever

        vector_kwargs: dict = {"similarity_top_k": k * 2}
        if meta_filters is not None:
            vector_kwargs["filters"] = meta_filters
        # A fresh retriever per call over the shared bm25s index: cheap, and safe across threads.
        lexical = BM25Retriever(
            existing_bm25=self._bm25, similarity_top_k=min(k * 2, len(self.nodes)), filters=meta_filters
        )
        return QueryFusionRetriever(
            [self._index.as_retriever(**vector_kwargs), lexical],
            mode="reciprocal_rerank",
            similarity_top_k=k,
            num_queries=1,
            use_async=False,
            llm=MockLLM(),
        )


def _doc_filter(allowed: list[str]):
    from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

    return MetadataFilters(filters=[MetadataFilter(key="doc_id", value=allowed, operator=FilterOperator.IN)])


def _documents(records: dict, vectors: dict) -> dict[str, _Doc]:
    """Chunk records and their sentence vectors grouped into per-document parts, in store order."""
    import bm25s
    import numpy as np
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

    from assistant import sentences

    docs: dict[str, _Doc] = {}
    nodes = [metadata_dict_to_node(m, text=t) for m, t in zip(records["metadatas"], records["documents"], strict=True)]
    # One tokenising call for all chunks (as llama-index's BM25 retriever does it, title and publisher included).
    tokens = (
        bm25s.tokenize(
            [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes],
            stopwords="en",
            stemmer=_stemmer(),
            return_ids=False,
            show_progress=False,
        )
        if nodes
        else []
    )
    for node, meta, text, words in zip(nodes, records["metadatas"], records["documents"], tokens, strict=True):
        doc = docs.get(meta["doc_id"])
        if doc is None:
            doc = docs[meta["doc_id"]] = _Doc(meta={"chunks": 0})
        doc.meta.update(
            {k: v for k, v in meta.items() if not k.startswith("_") and k not in ("start", "end", "chunk_index")}
        )
        doc.meta["chunks"] += 1
        doc.nodes.append(node)
        doc.entries.append(node_to_metadata_dict(node) | {"node_id": node.node_id})
        doc.tokens.append(words)
        doc.text += " " + text
        for start, end in sentences.spans(text):
            vector = vectors.get((node.node_id, start))
            if vector is not None:
                doc.sentences.append((text[start:end], np.asarray(vector, dtype=np.float32)))
    for doc in docs.values():
        doc.text = " ".join(f"{doc.text} {doc.meta.get('title', '')} {doc.meta.get('publisher', '')}".lower().split())
        doc.words = frozenset(re.findall(r"[a-z0-9]+", doc.text))
    return docs


_STEMMER: list = []


def _stemmer():
    """The English stemmer llama-index's BM25 retriever uses for queries (made once)."""
    if not _STEMMER:
        import Stemmer

        _STEMMER.append(Stemmer.Stemmer("english"))
    return _STEMMER[0]


def _passage(hit) -> Passage:
    meta = hit.node.metadata
    return Passage(
        chunk_id=hit.node.node_id,
        doc_id=meta["doc_id"],
        text=hit.node.get_content(),
        score=float(hit.score or 0.0),
        title=meta.get("title", ""),
        publisher=meta.get("publisher", ""),
        url=meta.get("url", ""),
        published=meta.get("published") or None,
        start=int(meta.get("start", 0)),
    )
