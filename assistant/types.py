"""The project's own values: everything after retrieval speaks these frozen dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES: tuple[str, ...] = ("rumored", "reported", "announced", "operational", "stalled", "ended", "denied")
KINDS_OF_SOURCE: tuple[str, ...] = ("report", "press-release", "filing", "analysis", "article", "document")
DEAL_TYPES: tuple[str, ...] = ("compute", "investment", "financing", "backstop")
ORIGINS: tuple[str, ...] = ("ledger", "extracted")


@dataclass(frozen=True)
class DealEntry:
    """One `deals:` item of a note's front matter, names as written in the note."""

    supplier: str
    customer: str
    resource: str
    scale: str
    announced: str | None
    status: str
    quote: str
    type: str = "compute"  # one of DEAL_TYPES
    origin: str = "ledger"  # "ledger" (written in front matter) or "extracted" (read from the text)


@dataclass(frozen=True)
class Document:
    """One corpus file, parsed. `doc_id` is its corpus-relative POSIX path."""

    doc_id: str
    title: str
    publisher: str
    url: str
    published: str | None
    kind: str
    companies: tuple[str, ...]
    deals: tuple[DealEntry, ...]
    body: str
    content_hash: str
    new_companies: tuple[tuple[str, str], ...] = ()  # (name, guessed kind) of parties not in entities.yaml


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk of a document; `start` is the chunk's offset in the document body."""

    chunk_id: str
    doc_id: str
    text: str
    score: float
    title: str
    publisher: str
    url: str
    published: str | None
    start: int = 0


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer; `quote` is exact text of the source."""

    number: int
    doc_id: str
    title: str
    publisher: str
    url: str
    published: str | None
    quote: str
    verified: bool = True
    quotes: tuple[str, ...] = ()  # every exact sentence of this source the answer relies on (`quote` is the best)


@dataclass(frozen=True)
class Verdict:
    """Whether one answer sentence is supported by the passages it cites."""

    sentence: str
    citations: tuple[int, ...]
    supported: bool
    reason: str
    similarity: float = 0.0


@dataclass(frozen=True)
class Evidence:
    """Where a deal is stated: a note, its outlet and date, and the exact quote with its offsets."""

    doc_id: str
    title: str
    publisher: str
    url: str
    published: str | None
    quote: str
    start: int
    end: int
    origin: str = "ledger"  # "extracted" when the quote was read from the text, not written in a ledger


@dataclass(frozen=True)
class Deal:
    """A supplier -> customer edge of the deal graph, with every note that reports it."""

    supplier: str
    customer: str
    resource: str
    scale: str
    announced: str | None
    status: str
    evidence: tuple[Evidence, ...]
    type: str = "compute"  # one of DEAL_TYPES
    origin: str = "ledger"  # "extracted" when no reviewed ledger entry states it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Conflict:
    """Two or more sources that disagree about the same deal."""

    supplier: str
    customer: str
    attribute: str
    claims: tuple[tuple[str, int], ...]  # (claim, citation number)


@dataclass(frozen=True)
class Plan:
    """The typed reading of a standalone question: what is asked, about whom, within which limits.

    `intent` is one of INTENTS; `attribute` one of ATTRIBUTES ("" when the question asks for no single detail).
    """

    intent: str = "facts"
    companies: tuple[str, ...] = ()  # canonical names in question order
    suppliers: tuple[str, ...] = ()  # companies asked about in the supplier role
    customers: tuple[str, ...] = ()  # companies asked about in the customer role
    excluded: tuple[str, ...] = ()  # companies left out ("apart from Google")
    resources: tuple[str, ...] = ()  # products or resources asked about ("TPU", "GPU", "data center")
    excluded_resources: tuple[str, ...] = ()  # "excluding GPUs"
    kinds: tuple[str, ...] = ()  # company kinds ("lab", "cloud", "chipmaker", "neocloud", ...)
    deal_types: tuple[str, ...] = ()  # DEAL_TYPES asked about; empty = the intent's default
    as_of: str | None = None  # only sources published by then
    since: str | None = None  # only deals announced on or after
    until: str | None = None  # only deals announced on or before
    attribute: str = ""  # the detail asked for
    threshold: tuple[str, float] | None = None  # ("GW", 1.0) for "deals over 1 GW"
    confidence: float = 0.0  # how sure the intent reading is (0..1)
    reader: str = "rules"  # what produced the intent: "examples" (meaning) or "rules" (fallback)
    excluded_kinds: tuple[str, ...] = ()  # company kinds left out ("besides the hyperscalers")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Plan:
        fields: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in record.items() if k in cls.__dataclass_fields__
        }
        return cls(**fields)


INTENTS: tuple[str, ...] = (
    "facts",
    "suppliers_of",
    "customers_of",
    "between",
    "intersection",
    "excluding",
    "count",
    "total",
    "compare",
    "timeline",
    "changed_since",
    "status",
    "reason",
    "article",
    "out_of_scope",
)
ATTRIBUTES: tuple[str, ...] = (
    "",
    "amount",
    "power",
    "chips",
    "date",
    "duration",
    "price",
    "status",
    "reason",
    "size",  # the headline scale in whatever unit the sources give ("How big is it?")
)


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns. `text` has inline [n] markers numbered by first use."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    standalone_question: str
    passages: tuple[Passage, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    backend: str = "extractive"
    notice: str = ""
    corpus_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    route: str = "retrieval"
    plan: Plan | None = None
    missing: tuple[str, ...] = ()  # what the question asked that no source gives
    details: str = ""  # the complete list behind a budgeted answer (Markdown), when the text is shortened
    model_draft: str = ""  # a language model's answer the verifier rejected, as checked (marks included)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Answer:
        """The inverse of `to_dict` (used by clients of the HTTP API)."""
        return cls(
            question=record["question"],
            text=record["text"],
            abstained=record["abstained"],
            standalone_question=record["standalone_question"],
            citations=tuple(
                Citation(**{**c, "quotes": tuple(c.get("quotes", ()))}) for c in record.get("citations", [])
            ),
            passages=tuple(Passage(**p) for p in record.get("passages", [])),
            verdicts=tuple(Verdict(**{**v, "citations": tuple(v["citations"])}) for v in record.get("verdicts", [])),
            conflicts=tuple(
                Conflict(c["supplier"], c["customer"], c["attribute"], tuple(tuple(x) for x in c["claims"]))
                for c in record.get("conflicts", [])
            ),
            backend=record.get("backend", ""),
            notice=record.get("notice", ""),
            corpus_version=record.get("corpus_version", ""),
            timings=dict(record.get("timings", {})),
            route=record.get("route", "retrieval"),
            plan=Plan.from_dict(record["plan"]) if record.get("plan") else None,
            missing=tuple(record.get("missing", ())),
            details=record.get("details", ""),
            model_draft=record.get("model_draft", ""),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record of everything needed to replay or audit the answer."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "text": self.text,
            "abstained": self.abstained,
            "backend": self.backend,
            "route": self.route,
            "notice": self.notice,
            "corpus_version": self.corpus_version,
            "citations": [asdict(c) for c in self.citations],
            "verdicts": [asdict(v) for v in self.verdicts],
            "conflicts": [asdict(c) for c in self.conflicts],
            "passages": [asdict(p) for p in self.passages],
            "timings": dict(self.timings),
            "plan": self.plan.to_dict() if self.plan else None,
            "missing": list(self.missing),
            "details": self.details,
            "model_draft": self.model_draft,
        }


@dataclass(frozen=True)
class TextDelta:
    """A piece of answer text as it is produced; `Assistant.stream` ends with the final Answer."""

    text: str


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation."""

    question: str
    answer: Answer
    plan: Plan | None = None  # the merged reading of this turn, when the answer carries none


@dataclass(frozen=True)
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    embedded: int = 0
    errors: tuple[str, ...] = ()
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
