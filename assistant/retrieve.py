"""question -> ranked Passages: dense (Chroma) + BM25 fused by reciprocal rank.

The only place llama-index nodes become the project's own `Passage` values. The lexical index
is rebuilt from the store whenever the store's ingest stamp changes, so several processes that
share one Chroma server all see the same corpus.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass

from assistant.errors import NotIndexedError
from assistant.store import Store
from assistant.types import Passage


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents. Undated documents pass date filters (shown as undated)."""

    companies: tuple[str, ...] = ()
    publisher: str | None = None
    before: str | None = None
    kinds: tuple[str, ...] = ()

    def admits(self, meta: dict) -> bool:
        published = meta.get("published") or ""
        if self.companies and not set(self.companies) & set((meta.get("companies") or "").split("|")):
            return False
        if self.publisher and self.publisher.lower() not in (meta.get("publisher") or "").lower():
            return False
        if published and self.before and published[: len(self.before)] > self.before:
            return False
        return not self.kinds or meta.get("kind") in self.kinds

    def __bool__(self) -> bool:
        return any((self.companies, self.publisher, self.before, self.kinds))


class Retriever:
    """Hybrid retriever over the store's active collection."""

    def __init__(self, store: Store, embedder, top_k: int = 6) -> None:
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self._lock = threading.Lock()
        self._stamp: object = None
        self.documents: dict[str, dict] = {}
        self.nodes: list = []
        self.vocabulary: frozenset[str] = frozenset()
        self.sentence_vectors: dict = {}
        self.text = ""
        self.version = ""

    def refresh(self) -> None:
        """Reload nodes, the BM25 index and the document table if the store changed since last time."""
        state = self.store.state()
        stamp = (state.get("collection"), state.get("ingested_at"))
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            self._load(state)
            self._stamp = stamp

    def _load(self, state: dict) -> None:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.vector_stores.utils import metadata_dict_to_node
        from llama_index.retrievers.bm25 import BM25Retriever
        from llama_index.vector_stores.chroma import ChromaVectorStore

        collection = self.store.collection()
        records = self.store.records(collection)
        if not records["ids"]:
            self.nodes, self.documents, self.vocabulary, self.text, self.version = [], {}, frozenset(), "", ""
            self.sentence_vectors = {}
            return
        pairs = zip(records["metadatas"], records["documents"], strict=True)
        nodes = [metadata_dict_to_node(m, text=t) for m, t in pairs]
        documents: dict[str, dict] = {}
        for meta in records["metadatas"]:
            doc = documents.setdefault(meta["doc_id"], {"chunks": 0})
            doc.update(
                {k: v for k, v in meta.items() if not k.startswith("_") and k not in ("start", "end", "chunk_index")}
            )
            doc["chunks"] += 1
        self.nodes = nodes
        self.documents = documents
        self.sentence_vectors = self._sentence_vectors(collection.name, nodes)
        # Every indexed word, and the whole text with spaces collapsed, for "is this name in the corpus?" checks.
        self.text = " ".join(
            " ".join(
                [*records["documents"], *(f"{d.get('title', '')} {d.get('publisher', '')}" for d in documents.values())]
            )
            .lower()
            .split()
        )
        self.vocabulary = frozenset(re.findall(r"[a-z0-9]+", self.text))
        self.version = hashlib.sha256(
            "".join(sorted(d["content_hash"] for d in documents.values())).encode()
        ).hexdigest()[:12]
        self.bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(len(nodes), 50))
        # Per-query retrievers reuse this bm25s index; they need its corpus to map hits back to nodes.
        self.bm25.bm25.corpus = self.bm25.corpus
        self.index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=collection), embed_model=self.embedder
        )

    def _sentence_vectors(self, collection: str, nodes: list) -> dict:
        """Sentence text -> unit vector, as embedded at ingest (empty for stores built without them)."""
        import numpy as np

        from assistant import sentences

        table = self.store.sentence_vectors(collection)
        out = {}
        for node in nodes:
            text = node.get_content()
            for start, end in sentences.spans(text):
                vector = table.get((node.node_id, start))
                if vector is not None:
                    out[text[start:end]] = np.asarray(vector, dtype=np.float32)
        return out

    def retrieve(
        self, question: str, filters: Filters | None = None, top_k: int | None = None, embedding=None
    ) -> list[Passage]:
        """The `top_k` best passages for `question` among documents `filters` admits."""
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
        from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
        from llama_index.retrievers.bm25 import BM25Retriever

        self.refresh()
        if not self.nodes:
            raise NotIndexedError("the index is empty: run `assistant ingest` (or add files to the corpus folder)")
        k = top_k or self.top_k
        vector_kwargs: dict = {"similarity_top_k": k * 2}
        meta_filters = None
        if filters:
            allowed = [d for d, meta in self.documents.items() if filters.admits(meta)]
            if not allowed:
                return []
            meta_filters = MetadataFilters(
                filters=[MetadataFilter(key="doc_id", value=allowed, operator=FilterOperator.IN)]
            )
            vector_kwargs["filters"] = meta_filters
        # A fresh retriever per call over the shared bm25s index: cheap, and safe across threads.
        lexical = BM25Retriever(
            existing_bm25=self.bm25.bm25, similarity_top_k=min(k * 2, len(self.nodes)), filters=meta_filters
        )
        fusion = QueryFusionRetriever(
            [self.index.as_retriever(**vector_kwargs), lexical],
            mode=FUSION_MODES.RECIPROCAL_RANK,
            similarity_top_k=k,
            num_queries=1,
            use_async=False,
            llm=MockLLM(),
        )
        from llama_index.core.schema import QueryBundle

        bundle = QueryBundle(query_str=question, embedding=None if embedding is None else [float(x) for x in embedding])
        hits = self.store._guard(lambda: fusion.retrieve(bundle))
        if filters:
            hits = [h for h in hits if filters.admits(h.node.metadata)]
        return [_passage(hit) for hit in hits[:k]]


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
