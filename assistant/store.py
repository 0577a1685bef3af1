"""Chroma (embedded or a server) -> the chunk collection, its llama-index vector store and node list.

The active collection's name lives in a small pointer collection, so a rebuild fills a fresh
collection and then switches the pointer: readers never see a half-built index.
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError

from assistant.errors import ConfigError, StoreError
from assistant.settings import Settings

POINTER = "assistant_pointer"


def open_client(settings: Settings):
    """A Chroma client: HttpClient when ASSISTANT_CHROMA_URL is set, else an embedded PersistentClient."""
    chroma = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"ASSISTANT_CHROMA_URL={settings.chroma_url!r} must look like http://host:port")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma,
            )
        except (ValueError, ConnectionError, ChromaError) as exc:
            raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from exc
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma)


def sentences_name(chunk_collection: str) -> str:
    return f"{chunk_collection}_sentences"


class Store:
    """The chunk collection currently in use, plus the pointer that names it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = open_client(settings)

    def _guard(self, call):
        try:
            return call()
        except (ConnectionError, ChromaError, OSError, ValueError) as exc:
            where = self.settings.chroma_url or str(self.settings.data_dir)
            raise StoreError(f"the vector store at {where} failed: {exc}") from exc
        except Exception as exc:  # httpx errors from the Chroma client, whose types chromadb does not export
            if type(exc).__module__.startswith(("httpx", "httpcore")):
                raise StoreError(f"cannot reach the Chroma server at {self.settings.chroma_url}: {exc}") from exc
            raise

    def _pointer(self):
        return self.client.get_or_create_collection(POINTER, embedding_function=None)

    def state(self) -> dict:
        """{'collection': name, 'ingested_at': epoch seconds} of the active collection (empty when none)."""

        def read():
            got = self._pointer().get(ids=["active"], include=["metadatas"])
            return dict(got["metadatas"][0]) if got["ids"] else {}

        return self._guard(read)

    def collection(self, name: str | None = None):
        """The named collection, or the active one (created on first use)."""
        name = name or self.state().get("collection") or self.settings.collection
        return self._guard(
            lambda: self.client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        )

    def activate(self, name: str, **extra: object) -> None:
        """Point readers at `name`, then drop the collection it replaces and any a crashed rebuild left."""
        meta = {"collection": name, "ingested_at": time.time(), **extra}
        self._guard(
            lambda: self._pointer().upsert(ids=["active"], documents=[""], metadatas=[meta], embeddings=[[0.0]])
        )
        prefix = self.settings.collection
        keep = {name, sentences_name(name)}
        for other in self._guard(self.client.list_collections):
            other_name = other.name if hasattr(other, "name") else str(other)
            if other_name not in keep and (other_name == prefix or other_name.startswith(prefix + "_")):
                self._guard(lambda name=other_name: self.client.delete_collection(name))

    def touch(self, **extra: object) -> None:
        """Record an ingest on the active collection."""
        self.activate(self.state().get("collection") or self.settings.collection, **extra)

    def doc_hashes(self, collection=None) -> dict[str, str]:
        """doc_id -> content hash of every document in the collection."""
        col = collection or self.collection()
        got = self._guard(lambda: col.get(include=["metadatas"]))
        return {m["doc_id"]: m["content_hash"] for m in got["metadatas"] if m and "doc_id" in m}

    def sentences(self, chunk_collection: str | None = None):
        """The collection of sentence vectors that goes with a chunk collection."""
        name = sentences_name(chunk_collection or self.collection().name)
        return self._guard(
            lambda: self.client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        )

    def add_sentences(self, collection, doc_id: str, vectors: dict) -> None:
        if not vectors:
            return
        ids = [f"{chunk_id}@{start}" for chunk_id, start in vectors]
        self._guard(
            lambda: collection.upsert(
                ids=ids, embeddings=[v.tolist() for v in vectors.values()], metadatas=[{"doc_id": doc_id} for _ in ids]
            )
        )

    def sentence_vectors(self, chunk_collection: str | None = None) -> dict[tuple[str, int], list[float]]:
        """(chunk id, sentence offset) -> unit vector, for every stored sentence."""
        got = self._guard(lambda: self.sentences(chunk_collection).get(include=["embeddings"]))
        out: dict[tuple[str, int], list[float]] = {}
        if got["embeddings"] is None:
            return out
        for sid, vector in zip(got["ids"], got["embeddings"], strict=True):
            chunk_id, _, start = sid.rpartition("@")
            out[(chunk_id, int(start))] = vector
        return out

    def delete_docs(self, doc_ids: list[str], collection=None) -> None:
        col = collection or self.collection()
        sentences = self.sentences(col.name)
        for doc_id in doc_ids:
            where = {"doc_id": doc_id}
            self._guard(lambda where=where: col.delete(where=where))
            self._guard(lambda where=where: sentences.delete(where=where))

    def records(self, collection=None) -> dict:
        """Every chunk's id, text and metadata (for the lexical index and the sources list)."""
        col = collection or self.collection()
        return self._guard(lambda: col.get(include=["documents", "metadatas"]))

    def count(self) -> int:
        return self._guard(lambda: self.collection().count())
