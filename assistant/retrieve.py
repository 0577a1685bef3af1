"""question -> ranked Passages: dense (Chroma) + BM25 fused by reciprocal rank.

The only place llama-index nodes become the project's own `Passage` values. When the store's
ingest stamp changes, the lexical index, document table and sentence vectors are updated for the
documents that ingest changed (read from the store's change log), so several processes that share
one store all see the same corpus without reloading all of it.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import snapshot
from assistant.errors import AssistantError, NotIndexedError, StoreError
from assistant.store import Store
from assistant.types import Passage

log = logging.getLogger(__name__)
CACHE_EVERY = 30.0  # seconds between cache writes while following ingests
# A watcher writes its cache only this many seconds after the last change: writing holds the interpreter
# for seconds at scale, and the moment after an ingest is when the new document is asked about.
SAVE_QUIET = 5.0


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


@dataclass
class _Doc:
    """What the retriever holds for one document: BM25 rows and tokens, sentence vectors, searchable text."""

    meta: dict
    entries: list = field(default_factory=list)  # one BM25 corpus row (a llama-index node dict) per chunk
    tokens: list = field(default_factory=list)  # one list of stemmed words per chunk
    sentence_texts: list = field(default_factory=list)
    sentence_matrix: Any = None  # unit vectors, one row per sentence text
    text: str = ""  # lower-cased words of chunks, title and publisher

    def words(self) -> set[str]:
        return set(re.findall(r"[a-z0-9]+", self.text))


class Retriever:
    """Hybrid retriever over the store's active collection."""

    def __init__(self, store: Store, embedder, top_k: int = 6, cache: Path | None = None) -> None:
        """`cache`: a file where the loaded indexes are kept with their store stamp, so a restart reads
        that file and the store's changes since, instead of every record."""
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.cache = cache
        self._lock = threading.RLock()  # a full load saves the cache while holding it
        self._stamp: tuple = (None, None)
        self._loaded = False
        self._client: object = None
        self._docs: dict[str, _Doc] = {}
        self._word_counts: Counter = Counter()
        self._lexical = Lexical()
        self._saved_at = 0.0
        self._watched = False  # a watcher thread writes the cache when things are quiet
        self.documents: dict[str, dict] = {}
        self.vocabulary: frozenset[str] = frozenset()
        self.sentence_vectors: dict = {}
        self.text = ""
        self.version = ""
        self.last_refresh: dict = {}  # what the latest update loaded and how long it took
        self.ready = threading.Event()  # set once the indexes are loaded

    @property
    def loaded(self) -> bool:
        """True once the indexes were read (a process that only ingests never needs them)."""
        return self._loaded

    @property
    def nodes(self) -> list:
        """Every chunk as a llama-index node (built on demand; retrieval itself does not need them)."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        return [metadata_dict_to_node(e) for d in self._docs.values() for e in d.entries]

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
        stamp = (state.get("collection"), state.get("ingest_id") or state.get("ingested_at"))
        if self._loaded and stamp == self._stamp and self._client is self.store.client:
            return False
        with self._lock:
            if self._loaded and stamp == self._stamp and self._client is self.store.client:
                return False
            began = time.perf_counter()
            if not self._loaded:
                self._restore()
            collection = self.store.collection()
            changed = None
            if self._stamp[0] is not None:
                changed = self.store.changed_since(self._stamp[0], self._stamp[1], state)
            if changed is None:
                self._clear()
                self._update(collection, None)
            elif changed:
                self._update(collection, sorted(changed))
            if changed is not None and state.get("chunks") is not None and self._lexical.live != int(state["chunks"]):
                # A write the log does not cover (two writers on a server at once): read everything.
                self._clear()
                self._update(collection, None)
                changed = None
            self._attach(collection)
            self._stamp = stamp
            self._loaded = True
            self.last_refresh = {
                "documents": len(self._docs) if changed is None else len(changed),
                "full": changed is None,
                "seconds": round(time.perf_counter() - began, 3),
            }
            if changed is None and not self._watched:
                self.save()
        return True

    def _clear(self) -> None:
        self._docs, self._word_counts, self._lexical = {}, Counter(), Lexical()

    def _update(self, collection, doc_ids: list[str] | None) -> None:
        """Replace the named documents (all when None) with what the store holds now."""
        records = self.store.records(collection, doc_ids)
        present = sorted({m["doc_id"] for m in records["metadatas"]})
        vectors = self.store.sentence_vectors(collection.name, present)
        fresh = _documents(records, vectors)
        for doc_id in fresh.keys() | set(doc_ids or ()):
            old = self._docs.pop(doc_id, None)
            if old is not None:
                self._word_counts.subtract(old.words())
                self._lexical.remove(doc_id)
        for doc_id, doc in fresh.items():
            self._docs[doc_id] = doc
            self._word_counts.update(doc.words())
            self._lexical.add(doc_id, doc.entries, doc.tokens)
        self._word_counts = +self._word_counts  # drop words no document has any more
        if self._lexical.dead_share > 0.25:  # many replaced chunks: index the live ones afresh
            self._lexical = Lexical()
            for doc_id, doc in self._docs.items():
                self._lexical.add(doc_id, doc.entries, doc.tokens)
        self._assemble()

    def _assemble(self) -> None:
        """The whole-corpus views, rebuilt from the per-document parts (no store reads, no tokenising)."""
        docs = list(self._docs.values())
        documents = {d.meta["doc_id"]: d.meta for d in docs}
        sentence_vectors: dict[str, Any] = {}
        for d in docs:
            if d.sentence_matrix is not None:
                sentence_vectors.update(zip(d.sentence_texts, d.sentence_matrix, strict=True))
        # Every indexed word, and the whole text with spaces collapsed, for "is this name in the corpus?" checks.
        text = " ".join(d.text for d in docs)
        version = ""
        if documents:
            # The deals read from a text belong in it: a new reading of the same text (an upgrade's
            # extraction, a rebuild) is a new version, or the deal graph would keep the old one.
            read = ("content_hash", "deals", "new_companies")
            parts = sorted("".join(m.get(k, "") for k in read) for m in documents.values())
            version = hashlib.sha256("".join(parts).encode()).hexdigest()[:12]
        self.documents, self.sentence_vectors, self.text, self.version = documents, sentence_vectors, text, version
        self.vocabulary = frozenset(self._word_counts)

    # -- the on-disk copy ------------------------------------------------------------------

    def save(self) -> None:
        """Write the loaded indexes and their stamp to the cache file (atomically; errors only logged)."""
        if self.cache is None or self._stamp[0] is None:
            return
        with self._lock:  # no update may change the indexes mid-write
            state = {"stamp": self._stamp, "docs": self._docs, "words": self._word_counts, "lexical": self._lexical}
            try:
                snapshot.write(self.cache, self.cache_key(), state)
            except OSError as exc:
                log.warning("could not save the index cache %s: %s", self.cache, exc)
                return
        self._saved_at = time.monotonic()

    def _restore(self) -> None:
        """Take the indexes from the cache file when it was written for this store."""
        state = snapshot.read(self.cache, self.cache_key()) if self.cache is not None else None
        if not isinstance(state, dict):
            return
        self._docs, self._word_counts, self._lexical = state["docs"], state["words"], state["lexical"]
        self._stamp = tuple(state["stamp"])
        self._assemble()

    def cache_key(self) -> dict:
        """What a saved copy must have been built from to be read here (besides this code): this store."""
        return {"store": self._store_key()}

    def _store_key(self) -> str:
        settings = self.store.settings
        return settings.chroma_url or str(Path(settings.data_dir).resolve())

    def _attach(self, collection) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self._vector_store = ChromaVectorStore(chroma_collection=collection)
        self._index = None
        self._client = self.store.client

    @property
    def index(self):
        """A llama-index VectorStoreIndex over the active collection (made on first use; answering
        searches the vector store directly and never needs it)."""
        from llama_index.core import VectorStoreIndex

        self.refresh()
        if self._index is None:
            self._index = VectorStoreIndex.from_vector_store(self._vector_store, embed_model=self.embedder)
        return self._index

    def watch(self, interval: float = 1.0, on_change=None, save=None) -> threading.Thread:
        """Load the indexes now in the background, then keep them current; `ready` is set after the first load.

        `on_change()` runs after each update (to rebuild what depends on the documents, e.g. the deal graph);
        `save()` writes what was built once things are quiet (by default the index cache alone).
        """
        save = save or self.save

        stop = threading.Event()
        self._watched = True

        def loop() -> None:
            problem = ""
            unsaved_since: float | None = None  # when the indexes first differed from the cache file
            while not stop.is_set():
                try:
                    if self.refresh() or not self.ready.is_set():
                        if on_change is not None:
                            on_change()
                        self.ready.set()
                        if self.last_refresh.get("full") or self.last_refresh.get("documents"):
                            unsaved_since = time.monotonic()
                    now = time.monotonic()
                    if (
                        unsaved_since is not None
                        and now - unsaved_since >= SAVE_QUIET
                        and now - self._saved_at > CACHE_EVERY
                    ):
                        save()
                        unsaved_since = None
                    problem = ""
                except AssistantError as exc:
                    if str(exc) != problem:  # say it once, not every second
                        log.warning("keeping the index current failed: %s", exc)
                    problem = str(exc)
                stop.wait(interval)

        def finish() -> None:
            # Stop between two refreshes before the interpreter shuts down: a thread left inside the
            # vector store's native code while Python tears down can crash the process on exit.
            stop.set()
            thread.join(timeout=10)

        thread = threading.Thread(target=loop, name="index-watch", daemon=True)
        thread.start()
        atexit.register(finish)
        return thread

    def retrieve(
        self, question: str, filters: Filters | None = None, top_k: int | None = None, embedding=None
    ) -> list[Passage]:
        """The `top_k` best passages for `question` among documents `filters` admits."""
        from llama_index.core.schema import QueryBundle

        self.refresh()
        if not self._docs:
            raise NotIndexedError("the index is empty: run `assistant ingest` (or add files to the corpus folder)")
        k = top_k or self.top_k
        meta_filters, allowed = None, None
        if filters:
            allowed = [d for d, meta in self.documents.items() if filters.admits(meta)]
            if not allowed:
                return []
            meta_filters = _doc_filter(allowed)
        bundle = QueryBundle(query_str=question, embedding=None if embedding is None else [float(x) for x in embedding])

        def search():
            self._refresh()
            return self.store._guard(lambda: self._fusion(k, meta_filters, allowed).retrieve(bundle))

        hits = self._reopening(search)
        if filters:
            hits = [h for h in hits if filters.admits(h.node.metadata)]
        return [_passage(hit) for hit in hits[:k]]

    def lexical_retriever(self, k: int, allowed: list[str] | None = None):
        """A llama-index retriever over the BM25 half alone (the `k` best chunks among `allowed` documents)."""
        self.refresh()
        return _lexical_retriever_class()(self._lexical, k, allowed)

    def _fusion(self, k: int, meta_filters, allowed: list[str] | None):
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.core.retrievers.fusion_retriever import FUSION_MODES

        return QueryFusionRetriever(
            [
                _dense_retriever_class()(self._vector_store, self.embedder, k * 2, meta_filters),
                _lexical_retriever_class()(self._lexical, k * 2, allowed),
            ],
            mode=FUSION_MODES.RECIPROCAL_RANK,
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
    import numpy as np
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

    from assistant import sentences

    docs: dict[str, _Doc] = {}
    nodes = [metadata_dict_to_node(m, text=t) for m, t in zip(records["metadatas"], records["documents"], strict=True)]
    # One tokenising call for all chunks (as llama-index's BM25 retriever does it, title and publisher included).
    tokens = tokenize([n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes], stopwords="en")
    rows: dict[str, list] = {}
    for node, meta, text, words in zip(nodes, records["metadatas"], records["documents"], tokens, strict=True):
        doc = docs.get(meta["doc_id"])
        if doc is None:
            doc = docs[meta["doc_id"]] = _Doc(meta={"chunks": 0})
        doc.meta.update(
            {k: v for k, v in meta.items() if not k.startswith("_") and k not in ("start", "end", "chunk_index")}
        )
        doc.meta["chunks"] += 1
        doc.entries.append(node_to_metadata_dict(node) | {"node_id": node.node_id})
        doc.tokens.append(words)
        doc.text += " " + text
        for start, end in sentences.spans(text):
            vector = vectors.get((node.node_id, start))
            if vector is not None:
                doc.sentence_texts.append(text[start:end])
                rows.setdefault(meta["doc_id"], []).append(vector)
    for doc_id, doc in docs.items():
        doc.text = " ".join(f"{doc.text} {doc.meta.get('title', '')} {doc.meta.get('publisher', '')}".lower().split())
        if doc_id in rows:
            doc.sentence_matrix = np.asarray(rows[doc_id], dtype=np.float32)
    return docs


def tokenize(texts: list[str], stopwords: str = "english") -> list[list[str]]:
    """Stemmed BM25 terms per text, exactly as llama-index's BM25 retriever makes them."""
    import bm25s

    if not texts:
        return []
    return bm25s.tokenize(texts, stopwords=stopwords, stemmer=_stemmer(), return_ids=False, show_progress=False)


class Lexical:
    """BM25 (the Lucene variant bm25s uses) that takes documents in and out without re-indexing the rest.

    Postings are compact arrays per term; a removed chunk's slot is only marked dead. Scores are
    computed at question time from the postings, so corpus-wide statistics (chunk count, average
    length, document frequencies) are always current.
    """

    K1, B = 1.5, 0.75

    def __init__(self) -> None:
        from array import array

        self.entries: list[dict | None] = []  # slot -> BM25 corpus row (None once removed)
        self.doc_ids: list[str | None] = []
        self.lengths = array("f")
        self.alive = array("b")
        self.postings: dict[str, tuple] = {}  # term -> (array of slots, array of term counts)
        self.slots: dict[str, list[int]] = {}  # doc id -> its slots
        self.live = 0
        self.total_length = 0.0
        # Searches read the arrays while an update may append to them (which a live view forbids).
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def dead_share(self) -> float:
        return 1 - self.live / len(self.entries) if self.entries else 0.0

    def add(self, doc_id: str, entries: list[dict], tokens: list[list[str]]) -> None:
        with self._lock:
            self._add(doc_id, entries, tokens)

    def _add(self, doc_id: str, entries: list[dict], tokens: list[list[str]]) -> None:
        from array import array

        for entry, words in zip(entries, tokens, strict=True):
            slot = len(self.entries)
            for term, count in Counter(words).items():
                posting = self.postings.get(term)
                if posting is None:
                    posting = self.postings[term] = (array("i"), array("f"))
                posting[0].append(slot)
                posting[1].append(count)
            self.entries.append(entry)
            self.doc_ids.append(doc_id)
            self.lengths.append(len(words))
            self.alive.append(1)
            self.slots.setdefault(doc_id, []).append(slot)
            self.live += 1
            self.total_length += len(words)

    def remove(self, doc_id: str) -> None:
        with self._lock:
            self._remove(doc_id)

    def _remove(self, doc_id: str) -> None:
        for slot in self.slots.pop(doc_id, ()):
            self.entries[slot] = None
            self.doc_ids[slot] = None
            self.alive[slot] = 0
            self.total_length -= self.lengths[slot]
            self.live -= 1

    def search(self, words: list[str], k: int, allowed: list[str] | None = None) -> list[tuple[dict, float]]:
        """The `k` best live chunks for the query terms, best first (chunks scoring 0 fill up to `k`)."""
        with self._lock:
            return self._search(words, k, allowed)

    def _search(self, words: list[str], k: int, allowed: list[str] | None) -> list[tuple[dict, float]]:
        import numpy as np

        if not self.live:
            return []
        size = len(self.entries)
        alive = np.frombuffer(self.alive, dtype=np.int8).astype(bool)
        if allowed is not None:
            wanted = set(allowed)
            alive &= np.fromiter((d in wanted for d in self.doc_ids), dtype=bool, count=size)
        lengths = np.frombuffer(self.lengths, dtype=np.float32)
        average = self.total_length / self.live or 1.0
        scores = np.zeros(size, dtype=np.float32)
        for term in words:
            posting = self.postings.get(term)
            if posting is None:
                continue
            slots = np.frombuffer(posting[0], dtype=np.int32)
            counts = np.frombuffer(posting[1], dtype=np.float32)
            live = np.frombuffer(self.alive, dtype=np.int8)[slots].astype(bool)
            df = int(live.sum())
            if not df:
                continue
            idf = np.log(1 + (self.live - df + 0.5) / (df + 0.5))
            slots, counts = slots[live], counts[live]
            norm = self.K1 * ((1 - self.B) + self.B * lengths[slots] / average)
            scores[slots] += idf * counts / (counts + norm)
        candidates = np.flatnonzero(alive)
        order = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
        return [(self.entries[i], float(scores[i])) for i in order]


@functools.cache
def _lexical_retriever_class():
    from llama_index.core.base.base_retriever import BaseRetriever

    class LexicalRetriever(BaseRetriever):
        """A llama-index retriever over the incremental BM25 index (made per question: cheap)."""

        def __init__(self, lexical: Lexical, k: int, allowed: list[str] | None) -> None:
            super().__init__()
            self.lexical, self.k, self.allowed = lexical, k, allowed

        def _retrieve(self, query_bundle):
            from llama_index.core.schema import NodeWithScore
            from llama_index.core.vector_stores.utils import metadata_dict_to_node

            words = tokenize([query_bundle.query_str])[0]
            return [
                NodeWithScore(node=metadata_dict_to_node(entry), score=score)
                for entry, score in self.lexical.search(words, self.k, self.allowed)
            ]

    return LexicalRetriever


@functools.cache
def _dense_retriever_class():
    from llama_index.core.base.base_retriever import BaseRetriever

    class DenseRetriever(BaseRetriever):
        """A llama-index retriever over the vector store: the `k` nearest chunks to the question's vector."""

        def __init__(self, vector_store, embedder, k: int, filters) -> None:
            super().__init__()
            self.vector_store, self.embedder, self.k, self.filters = vector_store, embedder, k, filters

        def _retrieve(self, query_bundle):
            from llama_index.core.schema import NodeWithScore
            from llama_index.core.vector_stores import VectorStoreQuery

            embedding = query_bundle.embedding or self.embedder.get_query_embedding(query_bundle.query_str)
            found = self.vector_store.query(
                VectorStoreQuery(query_embedding=embedding, similarity_top_k=self.k, filters=self.filters)
            )
            scores = found.similarities or [0.0] * len(found.nodes or [])
            return [NodeWithScore(node=n, score=s) for n, s in zip(found.nodes or [], scores, strict=True)]

    return DenseRetriever


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
