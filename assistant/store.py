"""Chroma (embedded or a server) -> the chunk collection, its llama-index vector store and node list.

The active collection's name lives in a small pointer collection, so a rebuild fills a fresh
collection and then switches the pointer: readers never see a half-built index. Each ingest also
records which documents it changed, so other processes can catch up by difference.

An embedded store has one writer at a time (a lock file in the data folder), and a stamp file
beside it tells every process sharing the folder that another one wrote, so it reopens its client.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError

from assistant.errors import ConfigError, StoreError
from assistant.settings import Settings

POINTER = "assistant_pointer"
CHANGES_KEPT = 32  # ingests remembered in the change log
CHANGED_DOCS_KEPT = 2_000  # a bigger ingest is logged as "everything changed"
STAMP_FILE = "stamp.json"
LOCK_FILE = "write.lock"


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
        self._seen_stamp = self._disk_stamp()

    @property
    def embedded(self) -> bool:
        return not self.settings.chroma_url

    # -- several processes on one embedded folder -------------------------------------------

    def _disk_stamp(self) -> str:
        """What the stamp file beside an embedded store says (empty for a server or no file)."""
        if not self.embedded:
            return ""
        try:
            return (self.settings.data_dir / STAMP_FILE).read_text(encoding="utf-8")
        except OSError:
            return ""

    def _write_stamp(self, ingest_id: str) -> None:
        if not self.embedded:
            return
        path = self.settings.data_dir / STAMP_FILE
        text = json.dumps({"ingest_id": ingest_id, "pid": os.getpid()})
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
        self._seen_stamp = text

    def catch_up(self) -> bool:
        """Reopen the embedded client when another process wrote the store since we last looked.

        An embedded Chroma client keeps part of the index in memory and does not notice another
        process's writes; querying it then fails. A fresh client reads the folder as it is now.
        """
        stamp = self._disk_stamp()
        if stamp == self._seen_stamp:
            return False
        self._seen_stamp = stamp
        try:
            writer = json.loads(stamp).get("pid")
        except (ValueError, AttributeError):
            writer = None
        if writer == os.getpid():
            return False  # written through a client of this process, which already sees it
        self.reopen()
        return True

    def reopen(self) -> None:
        """A fresh client. Collections taken from the old one keep working until they are dropped."""
        if self.embedded:
            from chromadb.api.shared_system_client import SharedSystemClient

            # Chroma shares one in-memory system per folder within a process; forget it so the next
            # client loads the folder from disk (objects still holding the old system keep it).
            identifier = str(getattr(self.client, "_identifier", ""))
            SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)
        self.client = open_client(self.settings)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store's write lock (embedded stores only): wait up to `lock_wait` seconds, then stop."""
        if not self.embedded:
            yield
            return
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.settings.data_dir / LOCK_FILE
        with open(path, "a+", encoding="utf-8") as handle:
            deadline = time.monotonic() + self.settings.lock_wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        handle.seek(0)
                        holder = handle.read().strip() or "another process"
                        raise StoreError(
                            f"the store at {self.settings.data_dir} is being written by {holder}; "
                            "run the ingest again when it finishes (or ingest through the running app)"
                        ) from None
                    time.sleep(0.2)
            try:
                handle.seek(0)
                handle.truncate()
                handle.write(f"process {os.getpid()}")
                handle.flush()
                self.catch_up()
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                handle.flush()
                fcntl.flock(handle, fcntl.LOCK_UN)

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
        # One handle per client: every answer reads the stamp through it, and asking Chroma for the
        # collection each time cost as much as reading it. A reopened client gets its own handle.
        held = getattr(self, "_held_pointer", None)
        if held is None or held[0] is not self.client:
            held = (self.client, self.client.get_or_create_collection(POINTER, embedding_function=None))
            self._held_pointer = held
        return held[1]

    def state(self) -> dict:
        """{'collection': name, 'ingested_at': epoch seconds, 'ingest_id', 'changes', ...} of the active collection."""
        if self.embedded:
            self.catch_up()

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

    def activate(self, name: str, changed: list[str] | None = None, **extra: object) -> None:
        """Point readers at `name`, then drop the collection it replaces and any a crashed rebuild left.

        `changed` names the documents this write added, replaced or removed (None: possibly all);
        it joins a short log next to the stamp, from which readers update only what changed.
        """
        before = self.state()
        # An exact identifier for this write: float stamps lose digits on their way through a server.
        ingest_id = uuid.uuid4().hex
        meta = {"collection": name, "ingested_at": time.time(), "ingest_id": ingest_id, **extra}
        meta["changes"] = json.dumps(_log_change(before, name, ingest_id, changed))
        self._guard(
            lambda: self._pointer().upsert(ids=["active"], documents=[""], metadatas=[meta], embeddings=[[0.0]])
        )
        self._write_stamp(ingest_id)
        prefix = self.settings.collection
        keep = {name, sentences_name(name)}
        for other in self._guard(self.client.list_collections):
            other_name = other.name if hasattr(other, "name") else str(other)
            if other_name not in keep and (other_name == prefix or other_name.startswith(prefix + "_")):
                self._guard(lambda name=other_name: self.client.delete_collection(name))

    def touch(self, changed: list[str] | None = None, **extra: object) -> None:
        """Record an ingest on the active collection."""
        self.activate(self.state().get("collection") or self.settings.collection, changed, **extra)

    def changed_since(self, collection: str, ingest_id: object, state: dict) -> set[str] | None:
        """Documents changed between a reader's stamp (an `ingest_id`) and `state`; None when the log cannot tell."""
        if state.get("collection") != collection:
            return None
        try:
            log = json.loads(state.get("changes") or "[]")
        except ValueError:
            return None
        changed: set[str] = set()
        at = ingest_id
        for entry in log:
            if entry["after"] != at or entry["collection"] != collection:
                continue
            if entry["docs"] is None:
                return None
            changed.update(entry["docs"])
            at = entry["at"]
        return changed if at is not None and at == state.get("ingest_id") else None

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

    def sentence_vectors(
        self, chunk_collection: str | None = None, doc_ids: list[str] | None = None
    ) -> dict[tuple[str, int], list[float]]:
        """(chunk id, sentence offset) -> unit vector, for every stored sentence (or those of `doc_ids`)."""
        collection = self.sentences(chunk_collection)
        # A few hundred documents per request: a whole corpus of vectors is too big for one reply from a server.
        batches = [None] if doc_ids is None else [doc_ids[i : i + 500] for i in range(0, len(doc_ids), 500)]
        out: dict[tuple[str, int], list[float]] = {}
        for batch in batches:
            where = None if batch is None else {"doc_id": {"$in": list(batch)}}
            got = self._guard(lambda where=where: collection.get(where=where, include=["embeddings"]))
            if got["embeddings"] is None:
                continue
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

    def records(self, collection=None, doc_ids: list[str] | None = None) -> dict:
        """Every chunk's id, text and metadata (for the lexical index and the sources list), or those of `doc_ids`."""
        col = collection or self.collection()
        where = None if doc_ids is None else {"doc_id": {"$in": list(doc_ids)}}
        if doc_ids is not None and not doc_ids:
            return {"ids": [], "documents": [], "metadatas": []}
        return self._guard(lambda: col.get(where=where, include=["documents", "metadatas"]))

    def count(self) -> int:
        return self._guard(lambda: self.collection().count())


def _log_change(before: dict, collection: str, at: str, changed: list[str] | None) -> list[dict]:
    """The pointer's change log with one more entry: which documents went from ingest `after` to `at`."""
    try:
        log = json.loads(before.get("changes") or "[]")
    except ValueError:
        log = []
    docs = None if changed is None or len(changed) > CHANGED_DOCS_KEPT else sorted(set(changed))
    log.append({"collection": collection, "after": before.get("ingest_id"), "at": at, "docs": docs})
    kept, total = [], 0
    for entry in reversed(log[-CHANGES_KEPT:]):
        total += len(entry["docs"] or ())
        if total > CHANGED_DOCS_KEPT:
            break
        kept.append(entry)
    return kept[::-1]
