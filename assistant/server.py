"""HTTP edge: an OpenAI-compatible `/v1/chat/completions` that keeps citations, REST routes for
answers, deals, sources and ingest, and the Gradio UI mounted at `/` in the same process.

Errors are JSON `{"error": {"message", "type"}}` with the matching status code.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from assistant import render
from assistant.errors import (
    AccessError,
    AssistantError,
    ConfigError,
    CorpusError,
    NotIndexedError,
    QuestionError,
    StoreError,
)
from assistant.types import Answer, TextDelta

MODELS = ("assistant", "assistant-extractive")
_STATUS = {
    QuestionError: 400,
    ConfigError: 400,
    AccessError: 403,
    CorpusError: 422,
    NotIndexedError: 503,
    StoreError: 503,
}


class Message(BaseModel):
    role: str
    content: str | list | None = None


class ChatRequest(BaseModel):
    model: str = "assistant"
    messages: list[Message] = Field(min_length=1)
    stream: bool = False


class AskRequest(BaseModel):
    question: str
    as_of: str | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)


class IngestRequest(BaseModel):
    paths: list[str] = []
    urls: list[str] = []
    rebuild: bool = False


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def citations_json(answer: Answer) -> list[dict]:
    return [
        {
            "number": c.number,
            "doc_id": c.doc_id,
            "title": c.title,
            "publisher": c.publisher,
            "url": c.url,
            "published": c.published,
            "quote": c.quote,
            "verified": c.verified,
        }
        for c in answer.citations
    ]


def content_with_sources(answer: Answer) -> str:
    """The reply text: the answer with its [n] markers, then a numbered sources list."""
    if not answer.citations:
        return answer.text
    lines = [
        f"[{c.number}] {c.publisher}, {render.date_label(c.published)}: {c.title} {c.url}".rstrip()
        + ("" if c.verified else " (unverified)")
        for c in answer.citations
    ]
    return answer.text + "\n\nSources:\n" + "\n".join(lines)


def build_api(assistant, extractive=None) -> FastAPI:
    """The FastAPI app. `extractive` is an Assistant forced to the offline backend (model `assistant-extractive`)."""
    settings = assistant.settings
    api_key = settings.auth.partition(":")[2] if settings.auth else None
    app = FastAPI(
        title="Compute deals assistant API", version="0.1.0", description="Cited answers about AI compute supply deals."
    )

    def authorised(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get("authorization", "")
        if not (given.startswith("Bearer ") and secrets.compare_digest(given[7:].strip(), api_key)):
            raise HTTPException(401, "missing or wrong API key: send 'Authorization: Bearer <key>'")

    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError):
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)
        return JSONResponse({"error": {"message": str(exc), "type": type(exc).__name__}}, status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": {"message": str(exc.detail), "type": "http_error"}}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse(
            {"error": {"message": f"{where}: {first.get('msg')}".strip(": "), "type": "invalid_request"}},
            status_code=422,
        )

    guard = [Depends(authorised)]
    _keep_current(assistant, extractive)

    @app.get("/v1/models", dependencies=guard)
    def models() -> dict:
        """The two models, and `ready`: false while the indexes are still loading after start-up."""
        ready = assistant.retriever.ready.is_set()
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "assistant", "ready": ready} for m in MODELS
            ],
            "ready": ready,
            "index": {"documents": len(assistant.retriever.documents), "last_update": assistant.retriever.last_refresh},
        }

    @app.post("/v1/chat/completions", dependencies=guard)
    def chat_completions(body: ChatRequest):
        if body.model not in MODELS:
            raise HTTPException(404, f"model {body.model!r} not found; use one of {', '.join(MODELS)}")
        users = [_text(m.content) for m in body.messages if m.role == "user"]
        if not users or not users[-1].strip():
            raise QuestionError("the last message must be a user question")
        target = extractive if body.model == "assistant-extractive" and extractive is not None else assistant
        standalone = _condense_chain(target, users)
        reply_id = f"chatcmpl-{uuid.uuid4().hex[:20]}"
        if body.stream:
            events = target.stream(users[-1], standalone=standalone)
            return StreamingResponse(_sse(events, reply_id, body.model), media_type="text/event-stream")
        answer = target.ask(users[-1], standalone=standalone)
        return {
            "id": reply_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content_with_sources(answer)},
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": citations_json(answer),
            "answer": answer.to_dict(),
        }

    @app.post("/api/ask", dependencies=guard)
    def ask(body: AskRequest) -> dict:
        """The full answer record: text, citations with verdicts, passages, timings."""
        return assistant.ask(body.question, as_of=body.as_of, top_k=body.top_k).to_dict()

    @app.get("/api/deals", dependencies=guard)
    def deals(
        supplier: str | None = None,
        customer: str | None = None,
        as_of: str | None = Query(None),
        status: str | None = None,
        origin: str | None = None,
    ) -> list[dict]:
        found = assistant.deals(supplier=supplier, customer=customer, as_of=as_of, status=status, origin=origin)
        return [d.to_dict() for d in found]

    @app.get("/api/deals/extracted", dependencies=guard)
    def extracted_deals() -> list[dict]:
        """Machine-read deals awaiting review, each with its id and quote."""
        return assistant.extracted_deals()

    @app.post("/api/deals/{deal_id}/accept", dependencies=guard)
    def accept_deal(deal_id: str) -> dict:
        """Mark a machine-read deal as reviewed (written next to its source, kept across rebuilds)."""
        return {"accepted": deal_id, "review_file": assistant.accept_deal(deal_id)}

    @app.get("/api/sources", dependencies=guard)
    def sources() -> list[dict]:
        return assistant.sources()

    @app.post("/api/ingest", dependencies=guard)
    def ingest(body: IngestRequest) -> dict:
        """Add server paths and web pages to the corpus, then index what changed."""
        from assistant.corpus_add import add_files, confine, fetch_url

        # Paths are read on the server: only inside the configured import folder (none when unset).
        paths = [confine(p, settings.import_dir) for p in body.paths]
        warnings: list[str] = []
        added = [str(p) for p in add_files(paths, settings.corpus_dir, warnings.append)]
        for url in body.urls:
            added.append(str(fetch_url(url, settings.corpus_dir, assistant.entities, settings.allow_private_urls)))
        report = assistant.ingest(rebuild=body.rebuild)
        _refuse_unindexed(assistant, [Path(p) for p in added], report, settings.corpus_dir)
        return {"added_files": added, "warnings": warnings, **report.to_dict()}

    @app.post("/api/upload", dependencies=guard)
    async def upload(file: UploadFile = File(...)) -> dict:
        """Upload a .md, .txt, .html or .pdf file; it is saved into the corpus and indexed."""
        from assistant.corpus_add import add_upload

        limit = settings.max_upload_mb * 1024 * 1024
        data = await file.read(limit + 1)
        # A file that cannot be indexed is refused (422 with the reason) before anything is written.
        path, warnings = add_upload(file.filename or "upload", data, settings.corpus_dir, limit)
        report = assistant.ingest()
        _refuse_unindexed(assistant, [path], report, settings.corpus_dir)
        return {"added_files": [str(path)], "warnings": warnings, **report.to_dict()}

    return app


def _refuse_unindexed(assistant, paths: list[Path], report, corpus_dir: Path) -> None:
    """A newly added file the ingest could not index, or that displaced a source it duplicates, is removed
    (and the index brought back), and the request fails with the reason (422): it must not haunt every
    later ingest."""
    root = Path(corpus_dir).resolve()
    ids = [path.resolve().relative_to(root).as_posix() for path in paths]
    reasons = [line for line in report.errors if any(doc_id in line for doc_id in ids)]
    if reasons:
        for path in paths:
            path.unlink(missing_ok=True)
        assistant.ingest()
        raise CorpusError(f"{', '.join(ids)}: not indexed, and not kept: {reasons[0]}")


def _keep_current(assistant, extractive) -> None:
    """Load indexes and the deal graph in the background at start-up, then follow new ingests.

    The first question no longer pays for loading, and a document ingested by another process
    is answerable here within about `watch_interval` seconds.
    """
    for target in dict.fromkeys(t for t in (assistant, extractive) if t is not None):
        target.retriever.watch(target.settings.watch_interval, on_change=target.warm, save=target.save)


def _condense_chain(target, users: list[str]) -> str:
    """Condense the last user message against the earlier ones, oldest first (no earlier answers needed)."""
    from assistant.condense import condense

    previous: list[str] = []
    for text in users[:-1]:
        previous.append(condense(text, previous, target.entities))
    return condense(users[-1], previous, target.entities)


def _sse(events: Iterator, reply_id: str, model: str) -> Iterator[bytes]:
    """OpenAI-style chunks; the last one carries the finished content's citations."""

    def chunk(delta: dict, finish: str | None = None, **extra) -> bytes:
        payload = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        for event in events:
            if isinstance(event, TextDelta):
                yield chunk({"content": event.text})
            elif isinstance(event, Answer):
                sources = content_with_sources(event)[len(event.text) :]
                if sources:
                    yield chunk({"content": sources})
                yield chunk({}, "stop", citations=citations_json(event), answer=event.to_dict())
    except AssistantError as exc:
        yield b"data: " + json.dumps({"error": {"message": str(exc), "type": type(exc).__name__}}).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"
