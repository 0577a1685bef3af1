"""The Python API: `Assistant` composes store, retriever, answerers and chat from one Settings."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant import snapshot
from assistant.answer import Context, stream_answer
from assistant.chat import Chat, final_answer
from assistant.condense import Rewrite, condense, rewrite
from assistant.entities import EntityTable
from assistant.errors import ConfigError, QuestionError
from assistant.retrieve import Filters, Retriever
from assistant.settings import Settings, load_settings
from assistant.store import Store
from assistant.types import Answer, Deal, IngestReport, Plan, TextDelta, Turn

log = logging.getLogger(__name__)


class Assistant:
    """A cited Q&A assistant over the corpus.

    >>> assistant = Assistant()  # ASSISTANT_* env / .env  # doctest: +SKIP
    >>> answer = assistant.ask("Who supplies compute to Anthropic?")  # doctest: +SKIP
    >>> answer.text, [c.url for c in answer.citations]  # doctest: +SKIP
    """

    retriever: Retriever

    def __init__(self, settings: Settings | None = None, *, build: bool = True, **overrides: object) -> None:
        """`build=False` skips building an empty index on first use (the caller will ingest)."""
        if settings is not None and overrides:
            settings = settings.model_copy(update=overrides)
        self.settings = settings or load_settings(**overrides)
        corpus = Path(self.settings.corpus_dir)
        self.entities = EntityTable.load(corpus / "entities.yaml")
        from assistant.embedding import SentenceVectors, load_embedder

        self.embedder = load_embedder(self.settings.embed_model, self.settings.embed_runtime)
        self.vectors = SentenceVectors(self.embedder, known=lambda: self.retriever.sentence_vectors)
        self.store = Store(self.settings)
        self._ingest_lock = threading.Lock()
        self._graph_lock = threading.Lock()
        if build and self.store.count() == 0 and corpus.is_dir():
            self.ingest()
        data = Path(self.settings.data_dir)
        self.retriever = Retriever(self.store, self.embedder, self.settings.top_k, cache=data / "index-cache.pickle")
        self._graph_file = data / "graph-cache.pickle"
        self._graph: Any = None
        self._graph_stamp: str | None = None
        self.llm = self._llm()

    def _llm(self):
        if self.settings.backend != "openai":
            return None
        from assistant.llm import LLMDrafter

        return LLMDrafter(self.settings)

    @property
    def graph(self):
        """The deal graph of the indexed documents, rebuilt (for the changed documents only) when they change.

        The first one in a process comes from the graph the last run saved in the data folder: as it
        is when the documents are the same, else as the start of that rebuild."""
        self.retriever.refresh()
        stamp = self.retriever.version
        if self._graph_stamp != stamp:
            with self._graph_lock:  # a question asked while the start-up thread builds it waits for that build
                if self._graph_stamp != stamp:
                    self._graph = self._graph_for(stamp)
                    self._graph_stamp = stamp
        return self._graph

    def _graph_for(self, stamp: str):
        """The graph of the documents at `stamp`: the saved one when it was built from them, else rebuilt
        from the previous graph (this process's, or the saved one), with its conflicts found."""
        from assistant.graph import DealGraph

        previous, first = self._graph, self._graph is None
        if first:
            saved = snapshot.read(self._graph_file, self._graph_key(), lasting=False)
            if isinstance(saved, tuple):
                saved_stamp, previous = saved
                if saved_stamp == stamp:
                    return previous
        graph = DealGraph.from_documents(self.retriever.documents, self.entities, previous=previous)
        graph.warm()
        if first:  # later rebuilds are saved by `save()`, when the index cache is written
            self._save_graph(stamp, graph)
        return graph

    def _graph_key(self) -> dict:
        return {"entities": self.entities.fingerprint, "store": self.retriever.cache_key()}

    def _save_graph(self, stamp: str | None, graph) -> None:
        try:
            snapshot.write(self._graph_file, self._graph_key(), (stamp, graph))
        except OSError as exc:
            log.warning("could not save the deal graph %s: %s", self._graph_file, exc)

    def save(self) -> None:
        """Write the indexes and the deal graph to the data folder, for the next start to read."""
        self.retriever.save()
        if self._graph is not None:
            with self._graph_lock:
                self._save_graph(self._graph_stamp, self._graph)

    def warm(self) -> None:
        """Build what the next answer needs but does not change per question: the deal graph and its
        conflicts, and the question reader (its example vectors kept in the data folder, so a restart reads them)."""
        from assistant.plan import example_bank

        example_bank(self.vectors, self.graph.entities, Path(self.settings.data_dir))

    # -- answering -------------------------------------------------------------------------

    def stream(
        self,
        question: str,
        *,
        as_of: str | None = None,
        publisher: str | None = None,
        company: str | None = None,
        top_k: int | None = None,
        standalone: str | None = None,
    ) -> Iterator[TextDelta | Answer]:
        """Text deltas as they are produced, then the final Answer with verified citations.

        `standalone` searches for an already-condensed form of the question instead of the question itself.
        """
        question = clean_question(question, self.settings.max_question_chars)
        search = clean_question(standalone, self.settings.max_question_chars) if standalone else question
        return self._stream(question, search, as_of=as_of, publisher=publisher, company=company, top_k=top_k)

    def ask(self, question: str, **filters: Any) -> Answer:
        """The answer to one question, with inline [n] citations; built on `stream`."""
        return final_answer(self.stream(question, **filters))

    def chat(self) -> Chat:
        """A conversation whose follow-ups ("And OpenAI?") are rewritten to stand alone."""
        return Chat(
            lambda q, s, **options: self._stream(clean_question(q, self.settings.max_question_chars), s, **options),
            self.rewrite,
        )

    def condense(self, question: str, turns: list[Turn]) -> str:
        """The standalone form of a follow-up, given the conversation so far."""
        return self.rewrite(question, turns).standalone

    def rewrite(self, question: str, turns: list[Turn]) -> Rewrite:
        """The standalone form of a follow-up and the Plan it was worded from."""
        question = clean_question(question, self.settings.max_question_chars)
        if self.llm is not None and turns:
            rewritten = self.llm.condense(question, turns)
            if rewritten:
                return Rewrite(rewritten)
        if not self.settings.use_plan:
            # Without the question plan, a follow-up is rewritten by the word rules alone.
            previous = [t.answer.standalone_question for t in turns]
            return Rewrite(condense(question, previous, self.entities) if turns else question)
        return rewrite(question, turns, self.entities, self.vectors)

    def _stream(
        self,
        question: str,
        standalone: str,
        *,
        as_of: str | None = None,
        publisher: str | None = None,
        company: str | None = None,
        top_k: int | None = None,
        plan: Plan | None = None,
    ) -> Iterator[TextDelta | Answer]:
        filters = _filters(as_of, publisher, company, self.entities)
        yield from stream_answer(question, standalone, self._context(top_k), filters, plan=plan)

    def _context(self, top_k: int | None = None) -> Context:
        """The one place an answer's parts are put together."""
        return Context(
            retriever=self.retriever,
            vectors=self.vectors,
            entities=self.entities,
            top_k=top_k or self.settings.top_k,
            llm=self.llm,
            graph=self.graph if self.settings.use_graph else None,
            # Without the plan (an evaluation ablation) questions are read by the relation rules alone.
            read_plan=self.plan if self.settings.use_plan else None,
        )

    def plan(self, question: str) -> Plan:
        """The typed reading of a standalone question (intent, companies and roles, filters, attribute).

        Companies known only from new reports (the graph's provisional ones) are read too."""
        from assistant.plan import read_plan

        return read_plan(question, self.graph.entities, self.vectors, cache=Path(self.settings.data_dir))

    # -- the deal ledger and the corpus ----------------------------------------------------

    def deals(
        self,
        supplier: str | None = None,
        customer: str | None = None,
        as_of: str | None = None,
        status: str | None = None,
        origin: str | None = None,
    ) -> list:
        """Deals in the graph, filtered; each carries its evidence (note, outlet, date, quote).

        `origin="extracted"` keeps the deals no reviewed ledger states (read from the text only).
        """
        from assistant.types import ORIGINS, STATUSES

        if status and status not in STATUSES:
            raise ConfigError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        if origin and origin not in ORIGINS:
            raise ConfigError(f"origin {origin!r} is not one of {', '.join(ORIGINS)}")
        cutoff = _filters(as_of, None, None, self.entities)
        deals = self.graph.deals(
            supplier=supplier, customer=customer, as_of=cutoff.before if cutoff else None, status=status
        )
        return [d for d in deals if not origin or d.origin == origin]

    def extracted_deals(self) -> list[dict]:
        """Every machine-read deal awaiting review: id, doc_id, title, supplier, customer, scale, quote..."""
        from assistant.review import extracted_entries

        self.retriever.refresh()
        return extracted_entries(self.retriever.documents)

    def accept_deal(self, deal_id: str) -> str:
        """Mark a machine-read deal as reviewed: it is written to a review file next to its source (which
        survives a rebuild) and the index is brought up to date. Returns the review file's path."""
        from assistant.errors import CorpusError
        from assistant.review import accept

        found = [e for e in self.extracted_deals() if e["id"] == deal_id.strip()]
        if not found:
            raise CorpusError(
                f"no machine-read deal has the id {deal_id!r}; list them with: assistant deals --origin extracted"
            )
        path = accept(found[0], Path(self.settings.corpus_dir))
        self.ingest()
        return str(path)

    def companies(self, new: bool = False) -> list[tuple[str, str, int]]:
        """(name, kind, number of deals) for every company in the graph; `new=True` keeps those read from
        new reports only (provisional: listed, never written into entities.yaml)."""
        graph = self.graph
        names = sorted(graph.entities.provisional) if new else graph.companies()
        return [(n, graph.kind(n) or "unknown", len(graph.deals_of({n}))) for n in names]

    def company_kind(self, name: str) -> str | None:
        """The kind of a company ("lab", "cloud", "chipmaker", ...), None when unknown."""
        graph = self.graph
        return graph.kind(graph.entities.resolve(name) or name)

    def conflicts(self, deal: Deal) -> list[tuple[str, list]]:
        """(what, evidence on each side) where the sources disagree about `deal`."""
        return self.graph.conflicts(deal)

    def index_state(self) -> dict:
        """The store's state record (version, counts) for status displays."""
        return self.store.state()

    def sources(self) -> list[dict]:
        """One record per indexed document: id, title, publisher, url, published, companies, chunks."""
        self.retriever.refresh()
        keys = ("doc_id", "title", "publisher", "url", "published", "kind", "companies", "chunks")
        return sorted(
            ({k: d.get(k) for k in keys} for d in self.retriever.documents.values()), key=lambda d: d["doc_id"]
        )

    def ingest(self, rebuild: bool = False, progress: bool | None = None, on_document=None) -> IngestReport:
        """Bring the index in line with the corpus folder; only changed files are embedded."""
        from assistant.ingest import ingest

        with self._ingest_lock:
            report = ingest(
                self.store,
                Path(self.settings.corpus_dir),
                self.embedder,
                rebuild=rebuild,
                progress=progress,
                on_document=on_document,
            )
        if hasattr(self, "retriever") and self.retriever.loaded:
            self.retriever.refresh()
        return report


def clean_question(question: object, limit: int) -> str:
    """Reject empty or oversized questions; drop control characters, keep every script."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty: type a question about AI compute deals")
    if len(text) > limit:
        raise QuestionError(f"the question is {len(text):,} characters long; the limit is {limit:,}")
    return text


def _filters(as_of: str | None, publisher: str | None, company: str | None, entities: EntityTable) -> Filters | None:
    from assistant.corpus import iso_date
    from assistant.errors import CorpusError

    try:
        before = iso_date(as_of, "as_of") if as_of else None
    except CorpusError as exc:
        raise ConfigError(f"{exc}") from None
    companies = (entities.resolve(company) or company,) if company else ()
    filters = Filters(companies=companies, publisher=publisher, before=before)
    return filters or None
