"""The web app: a Gradio chat with source cards, a deal explorer and the corpus list.

It renders what the Assistant returns and decides nothing itself. Plain API endpoints
(`/ask`, `/converse`, `/deals`, `/sources`) serve `gradio_client` and scripts.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import OrderedDict

import gradio as gr

from assistant import ui_html
from assistant.errors import AssistantError, ConfigError
from assistant.settings import Settings
from assistant.types import Answer, TextDelta

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who supplies compute to Anthropic?",
    "What did AMD agree to supply to OpenAI?",
    "How many Trainium2 chips does Project Rainier run?",
    "What does the article say about why xAI sells compute to Anthropic?",
    "Which neoclouds serve Microsoft?",
]
STATUSES = ["", "rumored", "reported", "announced", "operational", "stalled", "ended", "denied"]


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


def follow_ups(answer: Answer, entities) -> list[str]:
    """Three next questions built from the companies the answer names, phrased by each one's role."""
    names = entities.mentions(answer.text) or entities.mentions(answer.standalone_question)
    asked = set(entities.mentions(answer.standalone_question))
    out = []
    for name in [n for n in names if n not in asked] + [n for n in names if n in asked]:
        if entities.kind(name) == "lab":
            out.append(f"Who supplies compute to {name}?")
        else:
            out.append(f"Whom does {name} supply?")
        if len(out) == 2:
            break
    if len(names) >= 2:
        out.append(f"Does {names[1]} supply compute to {names[0]}?")
    out.append("How many deals over 1 GW?")
    return list(dict.fromkeys(out))[:3]


def build_app(assistant) -> gr.Blocks:
    settings: Settings = assistant.settings
    conversations = Conversations(assistant)

    def respond(message: str, history: list, chat, turn: int, as_of: str, top_k: float):
        message = (message or "").strip()
        history = list(history or [])
        if not message:
            gr.Warning("Type a question first.")
            yield history, gr.update(), "", chat, turn, *([gr.update()] * 3)
            return
        chat = chat or assistant.chat()
        history.append({"role": "user", "content": ui_html.safe(message)})
        history.append({"role": "assistant", "content": ui_html.answer_html("", turn, final=False)})
        streamed = ""
        try:
            for event in chat.stream(message, as_of=as_of.strip() or None, top_k=int(top_k)):
                if isinstance(event, TextDelta):
                    streamed += event.text
                    history[-1] = {"role": "assistant", "content": ui_html.answer_html(streamed, turn, final=False)}
                    yield history, gr.update(), "", chat, turn, *([gr.update()] * 3)
                else:
                    history[-1] = {"role": "assistant", "content": ui_html.message_html(event, turn)}
                    nexts = follow_ups(event, assistant.entities) if not event.abstained else []
                    buttons = [gr.update(value=q, visible=True) for q in nexts] + [gr.update(visible=False)] * (
                        3 - len(nexts)
                    )
                    searched = f"Searched for: {event.standalone_question}"
                    yield history, ui_html.sources_html(event, turn), searched, chat, turn + 1, *buttons
        except AssistantError as exc:
            history[-1] = {"role": "assistant", "content": f'<div class="notice">{ui_html.safe(str(exc))}</div>'}
            yield history, gr.update(), "", chat, turn, *([gr.update()] * 3)

    def deals_view(supplier: str, customer: str, status: str, resource: str, as_of: str):
        try:
            deals = assistant.deals(
                supplier=supplier or None,
                customer=customer or None,
                as_of=(as_of or "").strip() or None,
                status=status or None,
            )
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        wanted = (resource or "").strip().lower()
        if wanted:
            deals = [d for d in deals if wanted in d.resource.lower()]
        rows = [
            [d.supplier, d.customer, d.resource, d.scale, d.announced or "", d.status, len(d.evidence)] for d in deals
        ]
        from assistant.graph_plot import plot_deals

        png = plot_deals(deals, assistant.graph.kind)
        return rows, _image(png), deals, "Select a row to see its evidence."

    def deal_evidence(deals: list, event: gr.SelectData):
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        if not deals or row is None or row >= len(deals):
            return "Select a row to see its evidence."
        return ui_html.evidence_html(deals[row])

    def sources_view():
        docs = assistant.sources()
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
            for d in docs
        ]
        return rows, f"{len(docs)} documents, {sum(r[5] for r in rows)} chunks; last ingest {stamp}."

    def add_source(upload, url: str):
        from pathlib import Path

        from assistant.corpus_add import fetch_url, save_upload

        try:
            if upload is not None:
                path = Path(upload)
                save_upload(path.name, path.read_bytes(), settings.corpus_dir, settings.max_upload_mb * 1024 * 1024)
            if (url or "").strip():
                fetch_url(url.strip(), settings.corpus_dir, assistant.entities, settings.allow_private_urls)
            if upload is None and not (url or "").strip():
                raise gr.Error("Choose a file or paste a URL first.")
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return reindex()

    def reindex():
        try:
            report = assistant.ingest()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        gr.Info(
            f"added {report.added}, updated {report.updated}, removed {report.removed}, unchanged {report.unchanged}"
        )
        return sources_view()

    companies = [""] + assistant.graph.companies()
    with gr.Blocks(title="Compute deals assistant", analytics_enabled=False) as app:
        gr.Markdown(
            "## AI compute deals: cited answers\nEvery claim links to the report it comes from. "
            "When the sources are silent, the assistant says so."
        )
        with gr.Tab("Chat"):
            chat_state = gr.State(None)
            turn_state = gr.State(0)
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        height=520,
                        label="Conversation",
                        elem_id="chatbot",
                        placeholder="Ask who supplies compute to whom. Try an example below.",
                    )
                    searched = gr.Markdown("", elem_id="searched")
                    with gr.Row():
                        box = gr.Textbox(
                            placeholder="Who supplies compute to Anthropic?",
                            show_label=False,
                            scale=5,
                            elem_id="question",
                            max_length=settings.max_question_chars,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    with gr.Row():
                        nexts = [gr.Button(visible=False, size="sm", elem_classes=["follow-up"]) for _ in range(3)]
                    gr.Examples(EXAMPLES, inputs=box, label="Examples")
                    clear = gr.Button("New conversation", size="sm")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    panel = gr.HTML(ui_html.sources_html(None, 0), elem_id="sources")
            with gr.Accordion("Settings", open=False):
                gr.Markdown(
                    f"Backend: **{settings.backend}**"
                    + (f" ({settings.llm_model})" if settings.backend == "openai" else "")
                )
                top_k = gr.Slider(2, 12, value=settings.top_k, step=1, label="Passages retrieved (top-k)")
                as_of = gr.Textbox(label="As of (YYYY-MM-DD): only sources published by then", value="")
            outputs = [chatbot, panel, searched, chat_state, turn_state, *nexts]
            inputs = [box, chatbot, chat_state, turn_state, as_of, top_k]
            box.submit(respond, inputs, outputs, api_visibility="private").then(lambda: "", None, box)
            send.click(respond, inputs, outputs, api_visibility="private").then(lambda: "", None, box)
            for button in nexts:
                button.click(
                    respond, [button, chatbot, chat_state, turn_state, as_of, top_k], outputs, api_visibility="private"
                )
            clear.click(
                lambda: ([], ui_html.sources_html(None, 0), "", None, 0),
                None,
                [chatbot, panel, searched, chat_state, turn_state],
                api_visibility="private",
            )
        with gr.Tab("Deals"):
            deals_state = gr.State([])
            with gr.Row():
                supplier = gr.Dropdown(companies, value="", label="Supplier")
                customer = gr.Dropdown(companies, value="", label="Customer")
                status = gr.Dropdown(STATUSES, value="", label="Status")
                resource = gr.Textbox(label="Resource contains", placeholder="TPU, GB300, Trainium…")
                deals_as_of = gr.Textbox(label="As of (YYYY-MM-DD)")
            show = gr.Button("Show deals", variant="primary", elem_id="show-deals")
            with gr.Row():
                picture = gr.Image(label="Deal graph", type="pil", elem_id="deal-graph", interactive=False, scale=3)
                evidence = gr.HTML("Select a row to see its evidence.", elem_id="evidence", scale=2)
            table = gr.Dataframe(
                headers=["supplier", "customer", "resource", "scale", "announced", "status", "sources"],
                interactive=False,
                wrap=True,
                elem_id="deals-table",
                max_height=420,
            )
            filters = [supplier, customer, status, resource, deals_as_of]
            show.click(deals_view, filters, [table, picture, deals_state, evidence], api_visibility="private")
            table.select(deal_evidence, [deals_state], evidence, api_visibility="private")
        with gr.Tab("Sources"):
            summary = gr.Markdown()
            docs = gr.Dataframe(
                headers=["document", "title", "publisher", "published", "companies", "chunks"],
                interactive=False,
                wrap=True,
            )
            with gr.Row():
                upload = gr.File(
                    label="Add a file (.md, .txt, .html, .pdf)",
                    file_types=[".md", ".txt", ".html", ".htm", ".pdf"],
                    type="filepath",
                )
                url = gr.Textbox(label="…or a web page URL", placeholder="https://…")
            with gr.Row():
                add = gr.Button("Add and index", variant="primary")
                refresh = gr.Button("Re-index the corpus folder")
            add.click(add_source, [upload, url], [docs, summary], api_visibility="private")
            refresh.click(reindex, None, [docs, summary], api_visibility="private")
            app.load(sources_view, None, [docs, summary], api_visibility="private")
        app.load(deals_view, filters, [table, picture, deals_state, evidence], api_visibility="private")

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

    return app


def _image(png: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png))


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
        "css": ui_html.CSS,
        "js": ui_html.JS,
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
