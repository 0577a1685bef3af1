"""Many processes at scale: first answer after start, a new document on a second replica, memory per process.

    python bench/scale.py --docs 10000 --work /tmp/scale            # our code
    python bench/scale.py --docs 10000 --work /tmp/scale --code DIR  # another checkout, same store

Builds (once) a generated corpus of N notes and its store, serves that store with `chroma run`,
starts two `assistant serve` replicas on it, and measures:
- start to first answer: a question sent the moment a replica accepts connections, timed from
  process start, on a fresh replica and on a restart (which may reuse what it saved);
- a one-document `assistant ingest FILE` by a third process, then the time until each replica
  answers from the new document (it is cited), counted from the end of that ingest;
- resident memory of each replica and of the Chroma server.
Prints a markdown table and the JSON record. Only loopback is used; every process is stopped at the end.

The store is filled with the project's own ingest; repeated sentences across generated notes are
embedded once (the vectors are the model's, only the build is quicker), so the ingest time of
that step is not a figure of this bench (bench/run.py --scale measures ingest).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
QUESTION = "How many Trainium2 chips does Project Rainier run?"
NEW_NOTE = """---
title: Quokka Compute signs a rack lease with Anthropic
publisher: Bench Wire
url: https://bench.example/quokka-{stamp}
published: 2026-06-01
kind: report
companies: [Anthropic]
---
# Quokka Compute signs a rack lease with Anthropic

Quokka Compute will lease Anthropic 640 Blackwell racks at its Wollongong campus from next spring.
The lease, reported on {stamp}, runs for four years.
"""
NEW_QUESTION = "How many Blackwell racks will Quokka Compute lease to Anthropic?"
# The Python API in a new process on a data folder a replica saved its indexes in: each step timed.
IN_PROCESS = """
import json, sys, time
began = time.perf_counter()
from assistant.api import Assistant
imported = time.perf_counter()
assistant = Assistant()
made = time.perf_counter()
answer = assistant.ask(sys.argv[1])
done = time.perf_counter()
print(json.dumps({
    "import_s": round(imported - began, 2),
    "assistant_s": round(made - imported, 2),
    "first_answer_s": round(done - made, 2),
    "total_s": round(done - began, 2),
    "cited": bool(answer.citations),
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def build(docs: int, work: Path) -> Path:
    """The generated corpus and its embedded store (kept between runs; only what is missing is added)."""
    from bench.synth import generate

    corpus = work / "corpus"
    if len(list((corpus / "notes").glob("*.md"))) != docs:
        generate(docs, corpus)
    from assistant.embedding import load_embedder
    from assistant.ingest import ingest
    from assistant.settings import Settings
    from assistant.store import Store

    settings = Settings(data_dir=work / "store", corpus_dir=corpus)
    began = time.perf_counter()
    report = ingest(Store(settings), corpus, _Remembering(load_embedder("local")), progress=True)
    print(f"store: {report.chunks} chunks ({report.embedded} embedded now) in {time.perf_counter() - began:.0f}s")
    return corpus


class _Remembering:
    """The embedding model, with each distinct text embedded once across the whole build."""

    def __init__(self, embedder) -> None:
        self.embedder, self.known = embedder, {}

    def get_text_embedding_batch(self, texts: list[str]):
        todo = [t for t in dict.fromkeys(texts) if t not in self.known]
        if todo:
            self.known.update(zip(todo, self.embedder.get_text_embedding_batch(todo), strict=True))
        return [self.known[t] for t in texts]


class Process:
    def __init__(self, args: list[str], env: dict, log: Path) -> None:
        self.began = time.perf_counter()
        self.log = open(log, "w")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=log.parent)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def post(port: int, route: str, payload: dict | None = None, timeout: float = 300) -> tuple[int, dict]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{route}", data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}


class Replica(Process):
    def __init__(self, env: dict, log: Path) -> None:
        self.port = free_port()
        super().__init__([sys.executable, "-m", "assistant", "serve", "--port", str(self.port)], env, log)

    def first_answer(self) -> dict:
        """Ask the moment the port accepts connections; seconds from process start to listening and to the answer."""
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"replica exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        listening = time.perf_counter() - self.began
        status, body = post(self.port, "/api/ask", {"question": QUESTION})
        answered = time.perf_counter() - self.began
        ready = None
        while ready is None and time.perf_counter() - self.began < 900:
            models = post(self.port, "/v1/models")[1]
            if models.get("ready", True):
                ready = time.perf_counter() - self.began
            else:
                time.sleep(0.1)
        return {
            "listening_s": round(listening, 2),
            "first_answer_s": round(answered, 2),
            "first_answer_latency_s": round(answered - listening, 2),
            "ready_s": round(ready or 0, 2),
            "status": status,
            "cited": bool(body.get("citations")),
        }

    def cites(self, fragment: str) -> bool:
        status, body = post(self.port, "/api/ask", {"question": NEW_QUESTION})
        return status == 200 and any(fragment in c["doc_id"] for c in body.get("citations", []))


def in_process(env: dict) -> dict:
    """`Assistant()` and its first answer in a new Python process (the interpreter's own start included in total)."""
    began = time.perf_counter()
    done = subprocess.run(  # run from the data folder: `-c` puts the working directory first on sys.path
        [sys.executable, "-c", IN_PROCESS, QUESTION],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=env["ASSISTANT_DATA_DIR"],
    )
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"process_s": round(time.perf_counter() - began, 2)}


def run(docs: int, work: Path, code: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    # In a process of its own, so the embedded client has let go of the folder before Chroma serves it.
    subprocess.run([sys.executable, __file__, "--docs", str(docs), "--work", str(work), "--build-only"], check=True)
    corpus = work / "corpus"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(PYTHONPATH=str(code), ASSISTANT_CORPUS_DIR=str(corpus), HF_HUB_OFFLINE="1")
    chroma_port = free_port()
    chroma = Process(
        [
            str(Path(sys.executable).with_name("chroma")),
            "run",
            "--path",
            str(work / "store" / "chroma"),
            "--port",
            str(chroma_port),
        ],
        env,
        work / "chroma.log",
    )
    env["ASSISTANT_CHROMA_URL"] = f"http://127.0.0.1:{chroma_port}"
    replicas: list[Replica] = []
    result: dict = {"docs": docs, "code": str(code)}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{env['ASSISTANT_CHROMA_URL']}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("chroma run did not start") from None
                time.sleep(0.3)
        for folder in ("replica1", "replica2"):
            shutil.rmtree(work / folder, ignore_errors=True)
            (work / folder).mkdir()
        # Fresh replicas, one after the other (each measured alone), then a restart of the first.
        for i, folder in enumerate(("replica1", "replica2")):
            replica = Replica(env | {"ASSISTANT_DATA_DIR": str(work / folder)}, work / folder / "serve.log")
            result[f"fresh_{i + 1}"] = replica.first_answer()
            replicas.append(replica)
        replicas[0].stop()
        replicas[0] = Replica(env | {"ASSISTANT_DATA_DIR": str(work / "replica1")}, work / "replica1" / "restart.log")
        result["restart"] = replicas[0].first_answer()
        result["in_process"] = [in_process(env | {"ASSISTANT_DATA_DIR": str(work / "replica1")}) for _ in range(3)]

        # A third process ingests one new document (no server on its port, so it writes to Chroma itself).
        stamp = time.strftime("%Y%m%d%H%M%S")
        note = work / f"quokka-{stamp}.md"
        note.write_text(NEW_NOTE.format(stamp=stamp), encoding="utf-8")
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "assistant", "ingest", str(note)],
            env=env | {"ASSISTANT_DATA_DIR": str(work / "writer"), "ASSISTANT_PORT": str(free_port())},
            capture_output=True,
            text=True,
            cwd=work,
        )
        ingested = time.perf_counter()
        if done.returncode:
            raise SystemExit(f"ingest failed: {done.stderr}")
        result["ingest_one_s"] = round(ingested - began, 2)

        def answerable(replica: Replica) -> float:
            while not replica.cites(f"quokka-{stamp}"):
                if time.perf_counter() - ingested > 600:
                    raise SystemExit("the new document never became answerable")
                time.sleep(0.1)
            return round(time.perf_counter() - ingested, 2)

        # Both replicas are asked at once, each timed from the end of the ingest.
        with ThreadPoolExecutor(len(replicas)) as pool:
            for i, seconds in enumerate(pool.map(answerable, replicas)):
                result[f"answerable_{i + 1}_s"] = seconds
        updates = [post(r.port, "/v1/models")[1].get("index", {}) for r in replicas]
        result["documents"] = [u.get("documents") for u in updates]
        result["update"] = [u.get("last_update") for u in updates]
        cache = work / "replica1" / "index-cache.pickle"
        result["saved_index_mb"] = round(cache.stat().st_size / 2**20, 1) if cache.exists() else None
        result["rss_mb"] = [rss_mb(r.proc.pid) for r in replicas]
        result["chroma_rss_mb"] = rss_mb(chroma.proc.pid)
        (corpus / "added" / note.name).unlink(missing_ok=True)  # the next run adds it afresh
    finally:
        for replica in replicas:
            replica.stop()
        chroma.stop()
    return result


def table(result: dict) -> str:
    fresh = [result["fresh_1"], result["fresh_2"]]
    rows = [
        ("notes", f"{result['docs']:,}"),
        (
            "replica start to first answer (asked as soon as it listens), fresh",
            " / ".join(f"{f['first_answer_s']} s" for f in fresh),
        ),
        ("the same, restart of replica 1", f"{result['restart']['first_answer_s']} s"),
        (
            "of which the first answer itself (fresh; restart)",
            f"{fresh[0]['first_answer_latency_s']} s; {result['restart']['first_answer_latency_s']} s",
        ),
        ("start to ready (fresh; restart)", f"{fresh[0]['ready_s']} s; {result['restart']['ready_s']} s"),
        (
            "Python API in a new process on a replica's folder: import; `Assistant()`; first `ask` (3 runs)",
            "; ".join(f"{r['import_s']} + {r['assistant_s']} + {r['first_answer_s']} s" for r in result["in_process"]),
        ),
        (
            "the same, interpreter start to first answer",
            " / ".join(f"{r['process_s']} s" for r in result["in_process"]),
        ),
        ("one-document `assistant ingest FILE` by a third process", f"{result['ingest_one_s']} s"),
        (
            "after it, the new document answerable on replica 1 / 2",
            f"{result['answerable_1_s']} s / {result['answerable_2_s']} s",
        ),
        ("documents each replica holds; its last update", f"{result['documents']}; {result['update']}"),
        ("saved index file of a replica", f"{result['saved_index_mb']} MB"),
        (
            "RSS per replica; Chroma server",
            f"{' / '.join(f'{m:,.0f} MB' for m in result['rss_mb'])}; {result['chroma_rss_mb']:,.0f} MB",
        ),
    ]
    return "\n".join(["| what | measured |", "| --- | --- |", *(f"| {a} | {b} |" for a, b in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/assistant-scale"))
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose `assistant` the processes run")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.docs, args.work)
        return
    result = run(args.docs, args.work, args.code.resolve())
    print(table(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
