"""standalone question + Plan -> streamed, verified Answer: each Drafter drafts or declines, one verify step.

Drafters are tried in order (unknown companies, language model, deal graph, extractive quotes); the
first that drafts wins, a decline either passes to the next or ends in an abstention. Every draft,
whoever wrote it, has [n] markers over numbered passages and goes through the same verifier.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Protocol

from assistant import citations, compose, extractive, relations, slots
from assistant.compose import Composed
from assistant.embedding import Vectors, common_words
from assistant.entities import EntityTable
from assistant.graph import DealGraph
from assistant.retrieve import Filters, Retriever
from assistant.types import Answer, Conflict, Evidence, Passage, Plan, TextDelta

_ARTICLE = re.compile(r"\b(the|this|that) (article|piece|story)\b|\bthe information\b|\bcybercorsairs\b", re.I)
_CAPITALISED = re.compile(r"(?<![\w.])([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)")
_COMPANY_SUFFIXES = set(
    "ai labs lab systems technologies inc corp cloud computing networks energy capital group holdings robotics "
    "compute data".split()
)
_QUESTION_WORDS = set(
    "who whom whose what which when where why how does did do is are please explain describe should would will if "
    "besides apart other than was were can could has have and i as list tell show give name compare summarize "
    "summarise according in since between".split()
)
DETAILS = "\n\n---\n\n"  # between the shown text and the details while both are verified as one draft
ASKED_DETAILS = frozenset(compose._LABEL)  # attributes whose absence an answer reports


class Model(Protocol):
    """A language model drafter (assistant.llm.LLMDrafter)."""

    max_unsupported: float  # above this share of rejected sentences, the next drafter's answer is shown

    def stream_draft(
        self, question: str, passages: list[Passage], facts: str = "", plan: Plan | None = None
    ) -> Generator[TextDelta, None, tuple[str | None, str]]: ...


@dataclass(frozen=True)
class Draft:
    """Answer text with [n] markers over `passages`, before verification."""

    text: str
    passages: tuple[Passage, ...]
    route: str
    backend: str = "extractive"
    streamed: bool = False  # the text already went out as deltas
    notice: str = ""
    details: str = ""
    conflicts: tuple[Conflict, ...] = ()
    coverage: str = ""
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decline:
    """No draft: `final` ends the answer as an abstention (with `text`), otherwise the next drafter tries."""

    final: bool = False
    text: str = ""
    route: str = "retrieval"
    backend: str = "extractive"
    notice: str = ""


Drafting = Generator[TextDelta, None, "Draft | Decline"]


class Drafter(Protocol):
    """Plan and evidence in, a draft or a decline out (text deltas on the way for streaming drafters)."""

    def draft(self, request: Request) -> Drafting: ...


@dataclass(frozen=True)
class Request:
    """Everything a drafter may use; retrieval and graph facts are computed once, on first use."""

    question: str
    standalone: str
    plan: Plan
    ctx: Context
    filters: Filters | None = None

    @cached_property
    def passages(self) -> tuple[Passage, ...]:
        return tuple(_retrieve(self.standalone, self.ctx, self.filters, self.article))

    @cached_property
    def facts(self) -> Composed | None:
        """The graph's computed answer, None when the plan is not one the graph answers."""
        if self.ctx.graph is None or self.article:
            return None
        return computed(self.plan, self.ctx.graph, self.standalone)

    @cached_property
    def detail(self) -> str:
        """The detail a fact question names ("penalty"), if it is not one the plan's attribute covers."""
        if self.plan.intent not in ("facts", "status", "reason"):
            return ""
        return slots.asked_detail(self.standalone, self.ctx.entities)

    @property
    def article(self) -> bool:
        return self.plan.intent == "article" or bool(_ARTICLE.search(self.standalone))


@dataclass
class Context:
    """What one answer needs, built by the Assistant and passed down."""

    retriever: Retriever
    vectors: Vectors
    entities: EntityTable
    top_k: int
    llm: Model | None = None
    graph: DealGraph | None = None
    read_plan: Callable[[str], Plan] | None = None
    drafters: tuple[Drafter, ...] = field(default=())


RELATIONS = frozenset({"suppliers_of", "customers_of", "between"})  # where "no such deal" is the answer
LISTS = frozenset({"suppliers_of", "customers_of", "intersection", "excluding", "count"})
DETAIL_OF_ONE_DEAL = frozenset({"duration", "price", "reason", "date"})  # no list or verdict gives these


def computed(plan: Plan, graph: DealGraph, question: str) -> Composed | None:
    """The answer the deal graph computes for `plan`; empty text when it records no such relation.

    None leaves the question to the quoting drafters: a detail of one deal ("how long does it run"), a
    total over a pair's deals rather than one company's, or a comparison without two distinct deals."""
    if plan.attribute in DETAIL_OF_ONE_DEAL and plan.intent not in ("compare", "timeline"):
        return None
    if plan.intent == "total" and (plan.attribute not in ("power", "chips", "amount") or len(plan.companies) != 1):
        return None
    if plan.intent in ("between", "status") and plan.attribute and plan.attribute != "status":
        return None
    if plan.intent in LISTS and plan.suppliers and plan.customers:
        return None  # both sides named: a question about one relationship, not a list
    selection = relations.select(plan, graph)
    if selection is None:
        return None
    if plan.deal_types and not selection.deals:
        return None  # nothing of the kind asked for ("equity backers"): the sources' own words may say more
    if not selection.deals and not selection.others and plan.intent == "changed_since" and plan.since:
        # "Anything new for OpenAI since April?": no, and what came last before then.
        earlier = relations.select(replace(plan, since=None), graph)
        return compose.nothing_since(plan, earlier, graph) if earlier else None
    if not selection.deals and not selection.others:
        # "No such deal" answers a relation question; anything else is left to the quoting drafters.
        return Composed(text="", passages=()) if plan.intent in RELATIONS else None
    if plan.intent == "total":
        return compose.total_answer(plan, selection, graph)
    if plan.intent == "compare":
        return compose.compare_answer(plan, selection, graph, question)
    if plan.intent == "status":
        return compose.status_answer(plan, selection, graph, question)
    if plan.intent == "timeline":
        return compose.timeline_answer(plan, selection, graph)
    listed = compose.list_answer(plan, selection, graph)
    if _YES_NO.match(question) and listed.text and plan.intent != "between":  # a pair's lead has its verdict
        # "Is any company supplying both?" is answered yes or no before the list that shows it.
        verdict = "Yes" if selection.deals else "No"
        first = listed.text[0].lower() + listed.text[1:] if listed.text.startswith("The ") else listed.text
        listed = replace(listed, text=f"{verdict}: {first}")
    return listed


_YES_NO = re.compile(r"^\W*(?:is|are|was|were|does|do|did|has|have|had|can|could|will)\b", re.I)


# -- the drafters ----------------------------------------------------------------------------------------


class UnknownCompanies:
    """Declines for good when the question names a company no source mentions ("Zorblax")."""

    def draft(self, request: Request) -> Drafting:
        ctx = request.ctx
        unknown = unknown_names(request.standalone, ctx.retriever.vocabulary, ctx.entities, ctx.retriever.text)
        if unknown:
            text = f"The sources do not mention {', '.join(unknown)}, so they cannot answer this question."
            return Decline(final=True, text=text, route="unknown-company")
        return Decline()
        yield  # a generator like every drafter


class ModelDrafter:
    """The language model, given the retrieved passages and the graph's computed facts as numbered sources."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def draft(self, request: Request) -> Drafting:
        facts = request.facts
        if facts is not None and not facts.text:
            return Decline()  # no recorded deal: the graph drafter says so
        sources = compose.Sources()
        for p in (facts.passages if facts else ()) + request.passages:
            sources.number(p)
        passages = list(sources.passages())
        if not passages:
            return Decline()
        shown = "\n\n".join(x for x in (facts.text, facts.details) if x) if facts else ""
        text, notice = yield from self.model.stream_draft(request.standalone, passages, facts=shown, plan=request.plan)
        if text is None:
            return Decline(notice=notice)
        if text == "":
            return Decline(final=True, text=_abstention(request.standalone), backend="openai")
        route = "graph" if facts else "retrieval"
        return Draft(text, tuple(passages), route=route, backend="openai", streamed=True, notice=notice)


class GraphDrafter:
    """The deal graph's computed answer: lists, counts, totals, comparisons, status."""

    def draft(self, request: Request) -> Drafting:
        facts = request.facts
        if facts is None:
            return Decline()
        if not facts.text:
            plan = request.plan
            if plan.intent == "between" and len(plan.companies) == 2:
                a, b = plan.companies
                text = f"No: the sources record no deal between {a} and {b}."
            else:
                text = f"The sources record no deal that answers “{request.standalone}”."
            return Decline(final=True, text=text, route="graph")
        return Draft(
            facts.text,
            facts.passages,
            route="graph",
            details=facts.details,
            conflicts=facts.conflicts,
            coverage=facts.coverage,
        )
        yield


class ExtractiveDrafter:
    """The best source sentences, quoted and cited; says so when the detail asked for is missing."""

    def draft(self, request: Request) -> Drafting:
        ctx = request.ctx
        passages = list(request.passages)
        if not passages:
            return Decline(final=True, text=_abstention(request.standalone))
        min_score = extractive.MIN_SCORE_ARTICLE if request.article else extractive.MIN_SCORE
        drafted = extractive.draft(
            request.standalone,
            passages,
            ctx.vectors,
            ctx.entities,
            min_score=min_score,
            attribute=request.plan.attribute,
            detail=request.detail,
        )
        if not drafted:
            return Decline(final=True, text=_unlinked(request) or _abstention(request.standalone))
        text, quoted = drafted
        text, sources = compose.merge_by_document(text, quoted)
        missing = self._missing(request, quoted, sources)
        if missing is not None:
            return Draft(missing.text, missing.passages, route="retrieval", missing=missing.missing)
        if ctx.graph is not None:
            named = set(ctx.entities.mentions(request.standalone))
            notes = compose.graph_notes(named, ctx.graph, sources, {p.doc_id for p in quoted})
            text = "\n\n".join([text, "\n".join(notes)]) if notes else text
        return Draft(text, sources.passages(), route="retrieval")
        yield

    def _missing(self, request: Request, quoted: list[Passage], sources: compose.Sources) -> Composed | None:
        """A 'gives no <detail>' answer when neither the chosen sentences nor the deal quotes state it."""
        plan = request.plan
        detail = request.detail
        if (plan.attribute not in ASKED_DETAILS or plan.intent not in ("facts", "status", "reason")) and not detail:
            return None
        graph = request.ctx.graph
        named = plan.companies or tuple(request.ctx.entities.mentions(request.standalone))
        deals = []
        if graph is not None and len(named) >= 2:
            deals = [d for d in graph.deals(as_of=plan.as_of) if {d.supplier, d.customer} <= set(named[:2])]
        said = " ".join([*(p.text for p in quoted), *(e.quote for d in deals for e in d.evidence)])
        if detail:
            if compose.names_detail(detail, said):
                return None
            plan = replace(plan, attribute=detail)
        elif compose.states(plan.attribute, said, request.standalone):
            return None
        if deals:
            deal = deals[-1]
            subject = f"{deal.supplier}'s agreement with {deal.customer}"
            evidence: list[Evidence | Passage] = [compose.consensus(list(deal.evidence)), *quoted]
        else:
            subject = f"what {compose._join(named)} did" if named else "the matter asked about"
            evidence = [*quoted]
        return compose.missing_answer(plan, subject, evidence, compose.Sources())


def drafters_for(ctx: Context) -> tuple[Drafter, ...]:
    """The drafters in the order they are tried."""
    if ctx.drafters:
        return ctx.drafters
    chain: list[Drafter] = [UnknownCompanies()]
    if ctx.llm is not None:
        chain.append(ModelDrafter(ctx.llm))
    return (*chain, GraphDrafter(), ExtractiveDrafter())


# -- the pipeline ----------------------------------------------------------------------------------------


def stream_answer(
    question: str, standalone: str, ctx: Context, filters: Filters | None = None, plan: Plan | None = None
) -> Iterator[TextDelta | Answer]:
    """Text deltas, then the final verified Answer."""
    began = time.perf_counter()
    ctx.retriever.refresh()
    plan = plan or (ctx.read_plan(standalone) if ctx.read_plan else relations.rules_plan(standalone, ctx.entities))
    if filters is not None and filters.before:
        plan = replace(plan, as_of=filters.before)
    request = Request(question, standalone, plan, ctx, filters)
    base = Answer(
        question=question,
        text="",
        citations=(),
        abstained=True,
        standalone_question=standalone,
        corpus_version=ctx.retriever.version,
        plan=plan,
    )
    notices = []
    outcome: Draft | Decline = Decline(final=True, text=_abstention(standalone))
    chain = drafters_for(ctx)
    model_draft = ""
    for i, drafter in enumerate(chain):
        outcome = yield from drafter.draft(request)
        if outcome.notice:
            notices.append(outcome.notice)
        if isinstance(outcome, Draft) and outcome.backend == "openai" and ctx.llm is not None:
            rejected = _rejected(outcome, ctx, ctx.llm.max_unsupported)
            if rejected is not None:
                # An answer the verifier rejects is not shown as the answer; the record keeps it.
                model_draft, notice = rejected
                notices.append(notice)
                outcome = Decline(final=True, text=_abstention(standalone))
                for fallback in chain[i + 1 :]:
                    outcome = yield from fallback.draft(request)
                    if isinstance(outcome, Draft) or outcome.final:
                        break
                break
        if isinstance(outcome, Draft) or outcome.final:
            break
    drafted = time.perf_counter()
    retrieved = tuple(request.__dict__.get("passages", ()))
    if isinstance(outcome, Decline):
        text = outcome.text or _abstention(standalone)
        yield TextDelta(text)
        yield replace(
            base,
            text=text,
            passages=retrieved,
            route=outcome.route,
            backend=outcome.backend,
            notice=" ".join(notices),
            model_draft=model_draft,
            timings=_ms(began, draft=drafted - began),
        )
        return
    yield from _verified(replace(base, model_draft=model_draft), outcome, retrieved, ctx, notices, began, drafted)


def _rejected(draft: Draft, ctx: Context, limit: float) -> tuple[str, str] | None:
    """(the checked model text, a notice) when too few of the model's sentences are supported; else None."""
    checked_text, _, verdicts = citations.verify(draft.text, list(draft.passages), ctx.vectors, ctx.entities)
    failed, checked = citations.unsupported(verdicts)
    if checked and failed <= limit * checked:
        return None
    notice = (
        f"The sources support only {checked - failed} of the {checked} sentences of the language model's answer; "
        "this answer comes from the extractive answerer instead."
        if checked
        else "The language model's answer stated nothing the sources could support; "
        "this answer comes from the extractive answerer instead."
    )
    return checked_text, notice


def _verified(
    base: Answer,
    draft: Draft,
    retrieved: tuple[Passage, ...],
    ctx: Context,
    notices: list[str],
    began: float,
    drafted: float,
) -> Iterator[TextDelta | Answer]:
    """The one verify step: every sentence of text and details checked against the passages it cites."""
    whole = draft.text + (DETAILS + draft.details if draft.details else "")
    checked, cites, verdicts = citations.verify(whole, list(draft.passages), ctx.vectors, ctx.entities)
    text, _, details = checked.partition(DETAILS)
    if not draft.streamed:
        for piece in re.split(r"(?<=[.!?\]:])\s+", text):
            yield TextDelta(piece + " ")
    if draft.coverage:
        text = f"{text}\n\n{draft.coverage}"
        yield TextDelta("\n\n" + draft.coverage)
    mapping = citations.renumber(whole, len(draft.passages))[1]
    conflicts = tuple(
        replace(c, claims=tuple((q, mapping[n]) for q, n in c.claims if n in mapping))
        for c in draft.conflicts
        if all(n in mapping for _, n in c.claims)
    )
    seen = {p.chunk_id for p in draft.passages}
    yield replace(
        base,
        text=text,
        details=details,
        citations=tuple(cites),
        abstained=bool(draft.missing),
        missing=draft.missing,
        passages=tuple(draft.passages) + tuple(p for p in retrieved if p.chunk_id not in seen),
        verdicts=tuple(verdicts),
        backend=draft.backend,
        notice=" ".join(notices),
        conflicts=conflicts,
        route=draft.route,
        timings=_ms(began, draft=drafted - began, verify=time.perf_counter() - drafted),
    )


def unknown_names(question: str, vocabulary: frozenset[str], entities: EntityTable, text: str = "") -> list[str]:
    """Capitalised names in the question that no corpus text contains ("Zorblax", "Together AI").

    Known companies are blanked out first ("Trace Oracle's work" leaves "Trace"), and a common English
    word that is capitalised only because it opens the question ("Overlap between ...") is no name."""
    blanked = question
    for start, end, _ in reversed(entities.spans(question)):
        blanked = blanked[:start] + "x" * (end - start) + blanked[end:]
    unknown = []
    for match in _CAPITALISED.finditer(blanked):
        name = match.group(1)
        words = re.findall(r"[A-Za-z0-9]+", name)
        before = blanked[: match.start(1)].rstrip(" \"'“(")
        opening = not before or before[-1] in ".?!:;"
        while words and (
            words[0].lower() in _QUESTION_WORDS or (opening and len(words) == 1 and words[0].lower() in common_words())
        ):
            words.pop(0)  # "Does Zorblax" -> "Zorblax"; "Overlap" opening a question -> nothing
        name = " ".join(words)
        if not words or entities.resolve(name):
            continue
        strangers = [w for w in words if w.lower() not in vocabulary and w.lower() not in _QUESTION_WORDS]
        # A company name made of common words ("Together AI") must occur as a phrase.
        unseen_phrase = (
            len(words) > 1
            and words[-1].lower() in _COMPANY_SUFFIXES
            and bool(text)
            and f" {name.lower()} " not in f" {text} "
        )
        if strangers or unseen_phrase:
            unknown.append(name)
    return unknown


def _retrieve(question: str, ctx: Context, filters: Filters | None, article: bool) -> list[Passage]:
    # One query embedding serves retrieval and sentence ranking alike.
    vector = ctx.vectors.query(question)
    passages = ctx.retriever.retrieve(question, filters, ctx.top_k, embedding=vector)
    if article:
        # Questions about "the article" must draw on the article's own note first.
        article_filter = replace(filters or Filters(), kinds=("article",))
        first = ctx.retriever.retrieve(question, article_filter, 3, embedding=vector)
        seen = {p.chunk_id for p in first}
        passages = first + [p for p in passages if p.chunk_id not in seen][: max(ctx.top_k - len(first), 0)]
    return passages


def _unlinked(request: Request) -> str:
    """'The sources record no deal between Anthropic and Lambda ...' when the two companies a question
    names have no deal in the graph (so no sentence ties them together either)."""
    ctx, named = request.ctx, request.plan.companies
    if ctx.graph is None or len(named) != 2:
        return ""
    if any({d.supplier, d.customer} == set(named) for d in ctx.graph.deals_of(set(named))):
        return ""
    return (
        f"The sources record no deal between {named[0]} and {named[1]}, and none of them names the two together, "
        f"so they cannot answer “{request.standalone}”."
    )


def _abstention(question: str) -> str:
    return f"The sources do not say. Nothing in the corpus answers “{question.strip()}” closely enough to quote."


def _ms(began: float, **parts: float) -> dict[str, float]:
    timings = {k: round(v * 1000, 1) for k, v in parts.items()}
    timings["total_ms"] = round((time.perf_counter() - began) * 1000, 1)
    return {k if k.endswith("_ms") else f"{k}_ms": v for k, v in timings.items()}
