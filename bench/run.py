"""Benchmarks: warm answer latency, cold start, ingest throughput, scale, and ours vs a plain pipeline.

    python bench/run.py                 # everything except the 10,000-document scale run (~3 min)
    python bench/run.py --scale 10000   # adds the scale run on a generated corpus (~30+ min)
    python bench/run.py --scale 10000 --scale-work /tmp/scale --scale-only  # reuse bench/scale.py's store

Prints tables and writes bench/results/results.json and bench/results/results.md. Nothing here is
asserted: figures are measured and reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, max(0, int(round(q * len(values))) - 1))], 1)


def questions(n: int = 50) -> list[str]:
    lines = (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    qs = [json.loads(line)["question"] for line in lines if line.strip() and not json.loads(line).get("turns")]
    return (qs * (n // len(qs) + 1))[:n]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def warm_latency(assistant) -> dict:
    """Answer latency once everything is loaded, against the floor of one query embedding."""
    qs = questions(50)
    for q in qs[:5]:
        assistant.ask(q)
    answer_ms, embed_ms = [], []
    for q in qs:
        began = time.perf_counter()
        assistant.ask(q)
        answer_ms.append((time.perf_counter() - began) * 1000)
    for q in qs:
        began = time.perf_counter()
        assistant.embedder.get_query_embedding(q + " ")  # a fresh string: no cache anywhere
        embed_ms.append((time.perf_counter() - began) * 1000)
    p50, e50 = statistics.median(answer_ms), statistics.median(embed_ms)
    return {
        "questions": len(qs),
        "answer_p50_ms": round(p50, 1),
        "answer_p95_ms": pct(answer_ms, 0.95),
        "query_embedding_p50_ms": round(e50, 1),
        "ratio_to_embedding": round(p50 / e50, 2),
    }


def side_by_side(assistant) -> dict:
    """Our pipeline against a plain llama-index VectorStoreIndex top-k query, same embeddings, same questions."""
    qs = questions(50)
    index = assistant.retriever.index
    plain = []
    for q in qs:
        began = time.perf_counter()
        index.as_retriever(similarity_top_k=assistant.settings.top_k).retrieve(q)
        plain.append((time.perf_counter() - began) * 1000)
    ours = []
    for q in qs:
        began = time.perf_counter()
        assistant.ask(q)
        ours.append((time.perf_counter() - began) * 1000)
    return {
        "plain_vector_query_p50_ms": round(statistics.median(plain), 1),
        "plain_p95_ms": pct(plain, 0.95),
        "ours_answer_p50_ms": round(statistics.median(ours), 1),
        "ours_p95_ms": pct(ours, 0.95),
    }


def ingest_throughput(corpus: Path) -> dict:
    """Full ingest into an empty store vs the raw model on the very same chunk texts; then a re-ingest."""
    from assistant.api import Assistant
    from assistant.corpus import load_corpus
    from assistant.ingest import chunk_document
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(Settings(data_dir=Path(tmp), corpus_dir=corpus), build=False)
        docs, _ = load_corpus(corpus)
        texts = [c.text for d in docs for c in chunk_document(d)]
        assistant.embedder.get_text_embedding_batch(texts[:32])  # warm the model
        began = time.perf_counter()
        assistant.embedder.get_text_embedding_batch(texts)
        raw = len(texts) / (time.perf_counter() - began)
        report = assistant.ingest(progress=False)
        ours = report.chunks / report.seconds
        began = time.perf_counter()
        again = assistant.ingest(progress=False)
        reingest = time.perf_counter() - began
    return {
        "chunks": report.chunks,
        "ingest_s": report.seconds,
        "ingest_chunks_per_s": round(ours, 1),
        "raw_model_chunks_per_s": round(raw, 1),
        "ratio_to_raw": round(ours / raw, 3),
        "reingest_unchanged_s": round(reingest, 2),
        "reingest_embedded": again.embedded,
    }


def cold_start(data_dir: Path) -> dict:
    """Process start to first answer (`assistant ask`) and to the page being served (`app.py`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_CORPUS_DIR=str(REPO / "corpus"))
    ask = []
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assistant", "ask", "What did AMD agree to supply to OpenAI?"],
            env=env,
            capture_output=True,
            check=True,
        )
        ask.append(time.perf_counter() - began)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env["ASSISTANT_PORT"] = str(port)
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    served = None
    while time.perf_counter() - began < 120:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            served = time.perf_counter() - began
            break
        except OSError:
            time.sleep(0.1)
    resident = []
    if served:
        env["ASSISTANT_PORT"] = str(port)
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "assistant", "ask", "What did AMD agree to supply to OpenAI?"],
                env=env,
                capture_output=True,
                check=True,
            )
            resident.append(time.perf_counter() - t0)
    proc.terminate()
    proc.wait(timeout=30)
    return {
        "ask_cold_s": round(statistics.median(ask), 2),
        "app_page_served_s": round(served, 2) if served else None,
        "ask_with_resident_server_s": round(statistics.median(resident), 2) if resident else None,
    }


def scale(n_docs: int, work: Path | None = None) -> dict:
    """Ingest a generated corpus of n_docs notes; index size, query latency, memory.

    With `work`, the corpus and store that `bench/scale.py --work` keeps there are reused (built first
    if missing) and the ingest is not timed here."""
    from assistant.api import Assistant
    from assistant.settings import Settings
    from bench.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        if work is not None:
            # Built (or found complete) in a process of its own, so this one holds only what serving holds.
            scale_py = REPO / "bench" / "scale.py"
            subprocess.run(
                [sys.executable, str(scale_py), "--docs", str(n_docs), "--work", str(work), "--build-only"], check=True
            )
            corpus, data = work / "corpus", work / "store"
            assistant = Assistant(Settings(data_dir=data, corpus_dir=corpus))
            chunks, ingest_s = assistant.store.count(), None
        else:
            corpus, data = generate(n_docs, Path(tmp) / "corpus"), Path(tmp) / "data"
            assistant = Assistant(Settings(data_dir=data, corpus_dir=corpus), build=False)
            chunks = assistant.ingest(progress=False).chunks
            ingest_s = round(time.perf_counter() - began, 1)
        size = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
        print(
            f"scale: {n_docs} notes, {chunks} chunks, ingest {ingest_s} s; "
            f"index {size / 1024 / 1024:.0f} MB; RSS {rss_mb()} MB",
            file=sys.stderr,
            flush=True,
        )
        qs = questions(50)
        began = time.perf_counter()
        assistant.warm()  # as `assistant serve` does at start-up, in the background
        warm_s = round(time.perf_counter() - began, 2)
        assistant.ask(qs[0])
        lat = []
        for q in qs:
            t0 = time.perf_counter()
            assistant.ask(q)
            lat.append((time.perf_counter() - t0) * 1000)
        return {
            "docs": n_docs,
            "chunks": chunks,
            "ingest_s": ingest_s,
            "index_mb": round(size / 1024 / 1024, 1),
            "query_p50_ms": round(statistics.median(lat), 1),
            "query_p95_ms": pct(lat, 0.95),
            "warm_s": warm_s,
            "rss_mb": rss_mb(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=0, help="also ingest a generated corpus of this many notes")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--scale-work", type=Path, help="reuse the corpus and store bench/scale.py keeps here")
    parser.add_argument("--scale-only", action="store_true", help="only the scale run")
    args = parser.parse_args()
    import assistant  # noqa: F401  (offline defaults)
    from assistant.api import Assistant
    from assistant.settings import Settings

    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    }
    if args.scale_only:
        print(json.dumps(scale(args.scale, args.scale_work), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.rmtree(data, ignore_errors=True)
        results["ingest"] = ingest_throughput(REPO / "corpus")
        live = Assistant(Settings(data_dir=data, corpus_dir=REPO / "corpus"))
        results["warm"] = warm_latency(live)
        results["side_by_side"] = side_by_side(live)
        if not args.skip_cold:
            results["cold"] = cold_start(data)
    if args.scale:
        results["scale"] = scale(args.scale, args.scale_work)
    results["rss_mb"] = rss_mb()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    lines = ["| benchmark | figure | value |", "| --- | --- | --- |"]
    for group, values in results.items():
        if isinstance(values, dict):
            lines += [f"| {group} | {k} | {v} |" for k, v in values.items()]
        else:
            lines.append(f"| {group} | | {values} |")
    (RESULTS / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
