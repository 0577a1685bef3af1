"""An OpenAI-compatible HTTP server on 127.0.0.1 serving scripted completions: the one test double.

A test sets `server.script` to a function of the request body that returns a Reply; the real
openai SDK and the assistant's whole LLM path run above it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    delay: float = 0.0
    malformed: bool = False
    cut_after: int | None = None  # stop the stream after this many chunks, without finishing
    gap: float = 0.0  # seconds between streamed chunks (delay is before the first)
    finish: str = "stop"  # the finish_reason sent at the end ("length" when a token limit stopped it)
    keepalive: bool = False  # stream: send headers at once, then SSE comments every 0.2 s through the delay


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (the timeout tests) is expected, not news


class ScriptedServer:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script = lambda body: Reply("The sources do not say.")
        self.httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> ScriptedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "test"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                reply = server.script(body)
                if reply.keepalive and body.get("stream"):
                    return self._stream(body, reply)
                time.sleep(reply.delay)
                if reply.status != 200:
                    return self._json(reply.status, {"error": {"message": "scripted failure", "type": "server_error"}})
                if body.get("stream"):
                    return self._stream(body, reply)
                if reply.malformed:
                    return self._raw(200, b"{not json", "application/json")
                self._json(
                    200,
                    {
                        "id": "c1",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model"),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": reply.finish,
                                "message": {"role": "assistant", "content": reply.content},
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _stream(self, body: dict, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                waited = 0.0
                while reply.keepalive and waited < reply.delay:
                    # Like llama.cpp's server while it reads the prompt: bytes, but no tokens.
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    time.sleep(0.2)
                    waited += 0.2
                words = reply.content.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                for i, piece in enumerate(pieces):
                    if reply.cut_after is not None and i >= reply.cut_after:
                        self.wfile.flush()
                        return
                    if i and reply.gap:
                        time.sleep(reply.gap)
                    if reply.malformed and i == 1:
                        self.wfile.write(b"data: {broken json\n\n")
                        continue
                    self._event(
                        {
                            "id": "c1",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": body.get("model"),
                            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                        }
                    )
                self._event(
                    {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body.get("model"),
                        "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish}],
                    }
                )
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

            def _json(self, status: int, payload: dict) -> None:
                self._raw(status, json.dumps(payload).encode(), "application/json")

            def _raw(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def source_number(body: dict, needle: str) -> int:
    """The [n] of the first numbered source whose text contains `needle` (as the model would see it)."""
    import re

    user = body["messages"][-1]["content"]
    for match in re.finditer(r"^\[(\d+)\] (.*?)(?=^\[\d+\] |</sources>)", user, re.M | re.S):
        if needle in match.group(2):
            return int(match.group(1))
    raise AssertionError(f"no source contains {needle!r}")
