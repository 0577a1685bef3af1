"""The web app: a Gradio chat with source cards, a deal explorer and the corpus list.

It renders what the Assistant returns and decides nothing itself. Plain API endpoints
(`/ask`, `/converse`, `/deals`, `/sources`) serve `gradio_client` and scripts.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import tempfile
import textwrap
import threading
import time
from collections import OrderedDict
from pathlib import Path

import gradio as gr

from assistant import render, ui_html
from assistant.errors import AssistantError, ConfigError
from assistant.graph_plot import deals_svg, pair_key
from assistant.settings import Settings
from assistant.suggest import follow_ups
from assistant.types import DEAL_TYPES, STATUSES, Answer, Deal, TextDelta, Turn
from assistant.ui_assets import CSS, GRAPH_JS, JS

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who supplies compute to Anthropic?",
    "What did AMD agree to supply to OpenAI?",
    "How many Trainium2 chips does Project Rainier run?",
    "What does the article say about why xAI sells compute to Anthropic?",
    "Which neoclouds serve Microsoft?",
]
MAX_CONVERSATIONS = 20  # kept in each browser's storage, newest first
MAX_STORED_CHARS = 2_000_000  # well inside a browser's ~5 MB local storage


class Conversations:
    """Chats for API callers, by conversation id; the oldest are dropped past `limit`."""

    def __init__(self, assistant, limit: int = 500) -> None:
        self.assistant = assistant
        self.limit = limit
        self._chats: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conversation_id: str):
        with self._lock:
            chat = self._chats.pop(conversation_id, None) or self.assistant.chat()
            self._chats[conversation_id] = chat
            while len(self._chats) > self.limit:
                self._chats.popitem(last=False)
            return chat


def build_app(assistant) -> gr.Blocks:
    """The page: one function per tab, plus the plain API endpoints."""
    with gr.Blocks(title="Compute deals assistant", analytics_enabled=False) as app:
        gr.Markdown(
            "## AI compute deals: cited answers\nEvery claim links to the report it comes from. "
            "When the sources are silent, the assistant says so.",
            elem_classes=["app-intro"],
        )
        with gr.Tab("Chat"):
            _chat_tab(assistant, app)
        with gr.Tab("Deals") as deals_tab:
            _deals_tab(assistant, app, deals_tab)
        with gr.Tab("Sources"):
            _sources_tab(assistant, app)
        _api(assistant)
    return app


# -- chat ------------------------------------------------------------------------------------


def _new_conversation() -> dict:
    return {"id": secrets.token_hex(6), "title": "", "turns": []}


def _answers(conversation: dict | None) -> list[Answer]:
    """A stored conversation's answers; records this version cannot read are skipped."""
    out = []
    for record in (conversation or {}).get("turns", []):
        try:
            out.append(Answer.from_dict(record))
        except (KeyError, TypeError, ValueError):
            log.warning("skipping a stored answer this version cannot read")
    return out


def _browser_secret(settings: Settings) -> str:
    """The key the browser's copy of the conversations is sealed with; kept so restarts can read it."""
    path = Path(settings.data_dir) / "browser-state.key"
    try:
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        path.write_text(secret, encoding="utf-8")
        return secret
    except OSError:
        return secrets.token_urlsafe(24)


def _exports(conversation: dict) -> tuple[str, str]:
    """The conversation as Markdown and as JSON (`to_dict()` records), in files to download."""
    folder = Path(tempfile.mkdtemp(prefix="conversation-"))
    answers = _answers(conversation)
    title = conversation.get("title") or "Conversation"
    md, js = folder / "conversation.md", folder / "conversation.json"
    md.write_text(render.conversation_markdown(answers, title), encoding="utf-8")
    js.write_text(json.dumps([a.to_dict() for a in answers], indent=2, ensure_ascii=False), encoding="utf-8")
    return str(md), str(js)


def _chat_tab(assistant, app: gr.Blocks) -> None:
    settings: Settings = assistant.settings
    limit = settings.max_question_chars
    store = gr.BrowserState(
        {"conversations": []}, storage_key="compute-deals-conversations", secret=_browser_secret(settings)
    )
    chat_state = gr.State(None)
    conv_state = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                height="62vh",
                show_label=False,
                elem_id="chatbot",
                autoscroll=False,
                buttons=[],
                feedback_options=None,
                placeholder="Ask who supplies compute to whom. Try an example below.",
            )
            searched = gr.Markdown("", elem_id="searched")
            ask_msg = gr.HTML("", elem_id="ask-msg", js_on_load=None)
            with gr.Row(equal_height=True):
                box = gr.Textbox(
                    placeholder="Who supplies compute to Anthropic?",
                    show_label=False,
                    scale=5,
                    elem_id="question",
                    lines=1,
                    max_lines=6,
                )
                send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
            gr.HTML(f'<div id="char-count" data-limit="{limit}">0 / {limit:,} characters</div>', js_on_load=None)
            with gr.Row():
                nexts = [gr.Button(visible=False, size="sm", elem_classes=["follow-up"]) for _ in range(3)]
            gr.Examples(EXAMPLES, inputs=box, label="Examples")
            with gr.Row(equal_height=True):
                clear = gr.Button("New conversation", size="sm", elem_id="new-conversation")
                past = gr.Dropdown(
                    choices=[], value=None, label="Past conversations", elem_id="past", scale=2, interactive=True
                )
                export_md = gr.DownloadButton("Export Markdown", size="sm", elem_id="export-md", interactive=False)
                export_json = gr.DownloadButton("Export JSON", size="sm", elem_id="export-json", interactive=False)
        with gr.Column(scale=2, elem_id="sources-col"):
            gr.Markdown("### Sources")
            panel = gr.HTML(ui_html.sources_html(None, 0), elem_id="sources", js_on_load=None)
    with gr.Accordion("Settings", open=False):
        gr.Markdown(
            f"Backend: **{settings.backend}**" + (f" ({settings.llm_model})" if settings.backend == "openai" else "")
        )
        top_k = gr.Slider(2, 12, value=settings.top_k, step=1, label="Passages retrieved (top-k)")
        as_of = gr.Textbox(label="As of (YYYY-MM-DD): only sources published by then", value="")

    def suggestions(answer: Answer | None) -> list:
        qs = follow_ups(answer, assistant.entities, assistant.graph) if answer else []
        return [gr.update(value=q, visible=True) for q in qs] + [gr.update(visible=False)] * (3 - len(qs))

    def respond(message: str, history: list, chat, conv: dict | None, as_of: str, top_k: float):
        text = (message or "").strip()
        history = list(history or [])
        keep = [gr.update()] * 3
        if not text:
            yield history, gr.update(), gr.update(), chat, conv, gr.update(), "Type a question first.", *keep
            return
        if len(text) > limit:
            too_long = (
                f"Your question is {len(text):,} characters long; the limit is {limit:,}. "
                "Shorten it and ask again: your text is still in the box."
            )
            yield history, gr.update(), gr.update(), chat, conv, gr.update(), ui_html.notice_html(too_long), *keep
            return
        conv = conv or _new_conversation()
        chat = chat or assistant.chat()
        turn = len(conv["turns"])
        key = f"{conv['id']}:{turn}"
        history.append({"role": "user", "content": ui_html.user_html(text)})
        history.append({"role": "assistant", "content": ui_html.streaming_html("", turn, key)})
        yield history, gr.update(), "", chat, conv, "", "", *keep
        streamed = ""
        try:
            for event in chat.stream(text, as_of=(as_of or "").strip() or None, top_k=int(top_k)):
                if isinstance(event, TextDelta):
                    streamed += event.text
                    history[-1] = {"role": "assistant", "content": ui_html.streaming_html(streamed, turn, key)}
                    yield history, gr.update(), gr.update(), chat, conv, gr.update(), gr.update(), *keep
                else:
                    history[-1] = {"role": "assistant", "content": ui_html.message_html(event, turn, key)}
                    conv = {
                        **conv,
                        "title": conv["title"] or textwrap.shorten(text, 80, placeholder="…"),
                        "turns": [*conv["turns"], event.to_dict()],
                    }
                    searched_for = f"Searched for: {event.standalone_question}"
                    panel_html = ui_html.sources_html(event, turn)
                    yield history, panel_html, searched_for, chat, conv, gr.update(), "", *suggestions(event)
        except AssistantError as exc:
            history[-1] = {"role": "assistant", "content": ui_html.notice_html(ui_html.user_words(str(exc)))}
            yield history, gr.update(), gr.update(), chat, conv, gr.update(), gr.update(), *keep

    def save(conv: dict | None, stored: dict | None):
        """Keep the conversation in this browser's storage; newest first, within a size budget."""
        if not conv or not conv["turns"]:
            return gr.update(), gr.update(), gr.update(), gr.update()
        kept = [c for c in (stored or {}).get("conversations", []) if c.get("id") != conv["id"]]
        kept.insert(0, conv)
        del kept[MAX_CONVERSATIONS:]
        while len(kept) > 1 and len(json.dumps(kept)) > MAX_STORED_CHARS:
            kept.pop()
        md, js = _exports(conv)
        choices = [(c.get("title") or "Untitled", c["id"]) for c in kept]
        return (
            {"conversations": kept},
            gr.update(choices=choices, value=conv["id"]),
            gr.update(value=md, interactive=True),
            gr.update(value=js, interactive=True),
        )

    def show(conv: dict | None, stored: dict | None):
        """Put one conversation on screen, its context back in the chat, its exports ready."""
        answers = _answers(conv)
        choices = [(c.get("title") or "Untitled", c["id"]) for c in (stored or {}).get("conversations", [])]
        if not conv or not answers:
            return reset() + (gr.update(choices=choices, value=None),)
        history = []
        for turn, answer in enumerate(answers):
            history.append({"role": "user", "content": ui_html.user_html(answer.question)})
            history.append({"role": "assistant", "content": ui_html.message_html(answer, turn, f"{conv['id']}:{turn}")})
        chat = assistant.chat()
        chat.turns = [Turn(a.question, a) for a in answers]
        md, js = _exports(conv)
        last = answers[-1]
        return (
            history,
            ui_html.sources_html(last, len(answers) - 1),
            f"Searched for: {last.standalone_question}",
            chat,
            conv,
            "",
            *suggestions(last),
            gr.update(value=md, interactive=True),
            gr.update(value=js, interactive=True),
            gr.update(choices=choices, value=conv["id"]),
        )

    def restore(stored: dict | None):
        convs = (stored or {}).get("conversations") or []
        return show(convs[0] if convs else None, stored)

    def pick(conv_id: str | None, stored: dict | None):
        conv = next((c for c in (stored or {}).get("conversations", []) if c.get("id") == conv_id), None)
        return show(conv, stored)

    def reset():
        """A clean slate: no messages, no hidden context, no suggestions."""
        hidden = [gr.update(visible=False, value="")] * 3
        off = gr.update(value=None, interactive=False)
        return [], ui_html.sources_html(None, 0), "", None, None, "", *hidden, off, off

    outputs = [chatbot, panel, searched, chat_state, conv_state, box, ask_msg, *nexts]
    inputs = [box, chatbot, chat_state, conv_state, as_of, top_k]
    saved = [store, past, export_md, export_json]
    screen = [chatbot, panel, searched, chat_state, conv_state, ask_msg, *nexts, export_md, export_json]
    box.submit(respond, inputs, outputs, api_visibility="private").then(
        save, [conv_state, store], saved, api_visibility="private"
    )
    send.click(respond, inputs, outputs, api_visibility="private").then(
        save, [conv_state, store], saved, api_visibility="private"
    )
    for button in nexts:
        button.click(
            respond, [button, chatbot, chat_state, conv_state, as_of, top_k], outputs, api_visibility="private"
        ).then(save, [conv_state, store], saved, api_visibility="private")
    clear.click(lambda: (*reset(), gr.update(value=None)), None, [*screen, past], api_visibility="private")
    chatbot.clear(lambda: (*reset(), gr.update(value=None)), None, [*screen, past], api_visibility="private")
    past.input(pick, [past, store], [*screen, past], api_visibility="private")
    app.load(restore, [store], [*screen, past], api_visibility="private")


# -- deals -----------------------------------------------------------------------------------


def _deal_row(d: Deal) -> list:
    what = f"{d.resource}; {d.scale}" if d.scale else d.resource
    outlets = ", ".join(dict.fromkeys(e.publisher for e in d.evidence))
    sources = f"{len(d.evidence)}: {outlets}" + (" (machine-read)" if d.origin == "extracted" else "")
    return [f"{d.supplier} → {d.customer}", d.type, what, d.status, d.announced or "undated", sources]


def _company_choices(assistant) -> list[tuple[str, str]]:
    return [("any", "")] + [(name, name) for name, _kind, _count in assistant.companies()]


def _deals_tab(assistant, app: gr.Blocks, tab: gr.Tab) -> None:
    companies = _company_choices(assistant)
    deals_state = gr.State([])
    with gr.Row():
        supplier = gr.Dropdown(companies, value="", label="Supplier", elem_id="deal-supplier")
        customer = gr.Dropdown(companies, value="", label="Customer", elem_id="deal-customer")
        kind = gr.Dropdown([("any", "")] + [(t, t) for t in DEAL_TYPES], value="", label="Type")
        status = gr.Dropdown([("any", "")] + [(s, s) for s in STATUSES], value="", label="Status")
        resource = gr.Textbox(label="Resource contains", placeholder="TPU, GB300, Trainium…")
        deals_as_of = gr.Textbox(label="As of (YYYY-MM-DD)", elem_id="deals-as-of")
    with gr.Row():
        show = gr.Button("Show deals", variant="primary", elem_id="show-deals", scale=0, min_width=170)
        csv_file = gr.DownloadButton("Download CSV", elem_id="deals-csv", scale=0, min_width=170, interactive=False)
    deals_msg = gr.HTML("", elem_id="deals-msg", js_on_load=None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            gr.Markdown(
                "Hover a line for its deals, click it for their evidence; the number on a line counts its deals.",
                elem_id="deal-graph-note",
            )
            graph = gr.HTML("", elem_id="deal-graph-box", js_on_load=GRAPH_JS)
            table = gr.Dataframe(
                headers=["deal", "type", "what", "status", "date", "sources"],
                interactive=False,
                wrap=True,
                elem_id="deals-table",
                max_height=520,
                column_widths=["19%", "11%", "28%", "14%", "12%", "16%"],
                buttons=["fullscreen"],
            )
        with gr.Column(scale=2, elem_id="deals-col-right"):
            evidence = gr.HTML(ui_html.evidence_html([]), elem_id="deals-evidence", js_on_load=None)

    def deals_view(supplier, customer, kind, status, resource, as_of):
        try:
            deals = assistant.deals(
                supplier=supplier or None,
                customer=customer or None,
                as_of=(as_of or "").strip() or None,
                status=status or None,
            )
        except AssistantError as exc:
            message = ui_html.notice_html(ui_html.user_words(str(exc)))
            return gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), message
        wanted = (resource or "").strip().lower()
        deals = [d for d in deals if (not wanted or wanted in d.resource.lower()) and (not kind or d.type == kind)]
        folder = Path(tempfile.mkdtemp(prefix="deals-"))
        path = folder / "deals.csv"
        path.write_text(render.deals_csv(deals), encoding="utf-8")
        return (
            [_deal_row(d) for d in deals],
            deals_svg(deals, assistant.graph.kind),
            deals,
            ui_html.evidence_html([]),
            gr.update(value=str(path), interactive=bool(deals)),
            "",
        )

    def row_evidence(deals: list, event: gr.SelectData):
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        if not deals or row is None or row >= len(deals):
            return ui_html.evidence_html([])
        return ui_html.evidence_html([deals[row]])

    def pair_evidence(deals: list, event: gr.EventData):
        wanted = getattr(event, "pair", "")
        return ui_html.evidence_html([d for d in deals or [] if pair_key(d.supplier, d.customer) == wanted])

    filters = [supplier, customer, kind, status, resource, deals_as_of]
    views = [table, graph, deals_state, evidence, csv_file, deals_msg]
    show.click(deals_view, filters, views, api_visibility="private")
    deals_as_of.submit(deals_view, filters, views, api_visibility="private")
    table.select(row_evidence, [deals_state], evidence, api_visibility="private")
    graph.click(pair_evidence, [deals_state], evidence, api_visibility="private")
    app.load(deals_view, filters, views, api_visibility="private")

    def company_filters():
        """Companies read from reports added since start-up become choices too."""
        choices = _company_choices(assistant)
        return gr.update(choices=choices), gr.update(choices=choices)

    tab.select(company_filters, None, [supplier, customer], api_visibility="private")


# -- sources ---------------------------------------------------------------------------------


def _sources_tab(assistant, app: gr.Blocks) -> None:
    settings: Settings = assistant.settings
    summary = gr.Markdown(elem_id="sources-summary")
    with gr.Row():
        upload = gr.File(
            label="Add a file (.md, .txt, .html, .pdf)",
            file_types=[".md", ".txt", ".html", ".htm", ".pdf"],
            type="filepath",
        )
        url = gr.Textbox(label="…or a web page URL", placeholder="https://…", elem_id="source-url")
    with gr.Row():
        add = gr.Button("Add and index", variant="primary", elem_id="add-source")
        refresh = gr.Button("Re-index the corpus folder", elem_id="reindex")
    sources_msg = gr.HTML("", elem_id="sources-msg", js_on_load=None)
    docs = gr.Dataframe(
        headers=["document", "title", "publisher", "published", "companies", "chunks"],
        interactive=False,
        wrap=True,
        elem_id="sources-table",
        column_widths=["24%", "30%", "14%", "10%", "16%", "6%"],
        buttons=["fullscreen"],
    )

    def listing():
        records = assistant.sources()
        state = assistant.store.state()
        stamp = (
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state["ingested_at"]))
            if state.get("ingested_at")
            else "never"
        )
        rows = [
            [
                d["doc_id"],
                d["title"],
                d["publisher"],
                d["published"] or "undated",
                (d["companies"] or "").replace("|", ", "),
                d["chunks"],
            ]
            for d in records
        ]
        return rows, f"{len(records)} documents, {sum(r[5] for r in rows)} chunks; last ingest {stamp}."

    def failed(message: str):
        """Say what went wrong beside the table, and leave the table as it was."""
        return gr.update(), gr.update(), ui_html.notice_html(ui_html.user_words(message))

    def reindex():
        try:
            report = assistant.ingest()
        except AssistantError as exc:
            return failed(str(exc))
        rows, text = listing()
        done = (
            f"Indexed: {report.added} added, {report.updated} updated, {report.removed} removed, "
            f"{report.unchanged} unchanged."
        )
        return rows, text, f'<div class="done">{ui_html.safe(done)}</div>'

    def add_source(upload, url: str):
        from assistant.corpus_add import fetch_url, save_upload

        url = (url or "").strip()
        if upload is None and not url:
            return failed("Choose a file or paste a web page address first.")
        try:
            if upload is not None:
                path = Path(upload)
                save_upload(path.name, path.read_bytes(), settings.corpus_dir, settings.max_upload_mb * 1024 * 1024)
            if url:
                fetch_url(url, settings.corpus_dir, assistant.entities, settings.allow_private_urls)
        except AssistantError as exc:
            return failed(str(exc))
        return reindex()

    add.click(add_source, [upload, url], [docs, summary, sources_msg], api_visibility="private")
    url.submit(add_source, [upload, url], [docs, summary, sources_msg], api_visibility="private")
    refresh.click(reindex, None, [docs, summary, sources_msg], api_visibility="private")
    app.load(listing, None, [docs, summary], api_visibility="private")


# -- plain endpoints for scripts -------------------------------------------------------------


def _api(assistant) -> None:
    conversations = Conversations(assistant)

    @gr.api(api_name="ask")
    def ask(question: str, as_of: str = "") -> dict:
        """One question -> the full answer record (text, citations with verdicts, passages)."""
        try:
            return assistant.ask(question, as_of=as_of or None).to_dict()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    @gr.api(api_name="converse")
    def converse(question: str, conversation_id: str) -> dict:
        """A turn of a conversation: follow-ups are rewritten with the earlier turns in view."""
        try:
            return conversations.get(conversation_id).ask(question).to_dict()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    @gr.api(api_name="deals")
    def deals_api(supplier: str = "", customer: str = "", as_of: str = "", status: str = "") -> list:
        """Deals from the graph with their evidence."""
        try:
            return [
                d.to_dict()
                for d in assistant.deals(
                    supplier=supplier or None, customer=customer or None, as_of=as_of or None, status=status or None
                )
            ]
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    @gr.api(api_name="sources")
    def sources_api() -> list:
        """The indexed documents."""
        return assistant.sources()


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def launch_options(settings: Settings, insecure: bool = False) -> dict:
    """Where and how to listen; a non-loopback address needs ASSISTANT_AUTH (or --insecure)."""
    auth = None
    if settings.auth:
        user, sep, password = settings.auth.partition(":")
        if not sep or not user or not password:
            raise ConfigError("ASSISTANT_AUTH must look like user:password")
        auth = (user, password)
    if not _is_loopback(settings.host) and auth is None:
        if not insecure:
            raise ConfigError(
                f"refusing to listen on {settings.host} without ASSISTANT_AUTH; "
                "set ASSISTANT_AUTH=user:password or pass --insecure"
            )
        log.warning("listening on %s with no authentication (--insecure)", settings.host)
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": auth,
        "share": False,
        "css": CSS,
        "js": JS,
        "footer_links": ["api"],
        "theme": gr.themes.Soft(),
    }


def build_server(assistant, insecure: bool = False):
    """One FastAPI app: the HTTP API routes, with the Gradio UI mounted at `/`."""
    from assistant.api import Assistant
    from assistant.server import build_api

    settings = assistant.settings
    options = launch_options(settings, insecure)
    extractive = assistant if settings.backend == "extractive" else Assistant(settings, backend="extractive")
    api = build_api(assistant, extractive)
    blocks = build_app(assistant)
    # Questions take ~0.1-0.5 s of CPU each on the offline backend; 8 at a time keeps two cores busy
    # without letting one slow LLM call hold everyone up, and 256 waiting is plenty for a team.
    blocks.queue(default_concurrency_limit=8, max_size=256)
    return gr.mount_gradio_app(
        api,
        blocks,
        path="/",
        auth=options["auth"],
        css=options["css"],
        js=options["js"],
        theme=options["theme"],
        footer_links=options["footer_links"],
        server_name=settings.host,
        server_port=settings.port,
    )


def serve(settings: Settings, insecure: bool = False) -> None:
    """Start the app (building the index on first use) and serve until interrupted."""
    import uvicorn

    from assistant.api import Assistant

    launch_options(settings, insecure)  # refuse a bad host/auth combination before loading anything
    app = build_server(Assistant(settings), insecure)
    print(f"Serving on http://{settings.host}:{settings.port}/ (API docs at /docs)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
