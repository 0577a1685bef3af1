"""Several processes on one store: ingest while the app serves, replicas on a Chroma server, one writer at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import write_note
from harness import free_port, run_cli, subprocess_env, wait_for
from test_reliability import chroma  # noqa: F401  (the `chroma run` fixture)

from assistant.api import Assistant
from assistant.settings import Settings
from assistant.store import Store

QUESTION = "What will Nvidia lease to Anthropic?"


def _note(folder: Path, name: str, site: str) -> Path:
    """A note only this test knows: Nvidia leasing Anthropic racks at a named site."""
    return write_note(
        folder,
        name,
        title=f"Racks at {site}",
        supplier="Nvidia",
        resource="Blackwell racks",
        quote=f"Nvidia will lease Anthropic 7 GW of Blackwell racks at the {site} campus.",
    )


class App:
    """`assistant serve` in a process of its own, on a free loopback port."""

    def __init__(self, env: dict, log: Path) -> None:
        self.port = free_port()
        self.log = log
        handle = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(self.port)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=log.parent,
        )
        self.statuses: list[int] = []

    def call(self, route: str, payload: dict | None = None) -> tuple[int, dict]:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{route}", data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def ready(self) -> bool:
        try:
            status, body = self.call("/v1/models")
        except OSError:
            return False
        return status == 200 and bool(body.get("ready"))

    def wait_ready(self, seconds: float = 180) -> None:
        wait_for(f"the app on port {self.port} (assistant serve)", self.ready, seconds, self.proc, self.log)

    def cited(self, question: str = QUESTION) -> set[str]:
        status, body = self.call("/api/ask", {"question": question})
        self.statuses.append(status)
        assert status == 200, body
        return {c["doc_id"] for c in body["citations"]}

    def knows(self, doc_id: str) -> bool:
        """The document is cited for the question, listed among the sources, and its deal is in the graph."""
        if doc_id not in self.cited():
            return False
        listed = self.call("/api/sources")[1]
        deals = self.call("/api/deals?supplier=Nvidia&customer=Anthropic")[1]
        return doc_id in {d["doc_id"] for d in listed} and doc_id in json.dumps(deals)

    def wait_until_known(self, doc_id: str, seconds: float = 30) -> float:
        began = time.monotonic()
        wait_for(f"{doc_id} answerable on port {self.port}", lambda: self.knows(doc_id), seconds, interval=0.2)
        return time.monotonic() - began

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def apps():
    started: list[App] = []
    yield started
    for app in started:
        if app.proc.poll() is None:
            app.stop()


def test_app_on_an_embedded_store_answers_from_files_ingested_by_other_processes(small_corpus, tmp_path, apps):
    data = tmp_path / "data"
    env = subprocess_env(
        ASSISTANT_DATA_DIR=str(data), ASSISTANT_CORPUS_DIR=str(small_corpus), ASSISTANT_WATCH_INTERVAL="0.3"
    )
    app = App(env, tmp_path / "app.log")
    apps.append(app)
    app.wait_ready()
    assert "added/quokka.md" not in app.cited()

    # `assistant ingest FILE` from a second terminal: handed to the running app, its store keeps one writer.
    done = run_cli(
        "ingest",
        str(_note(tmp_path / "inbox", "quokka.md", "Quokka Park")),
        env=env | {"ASSISTANT_PORT": str(app.port)},
    )
    assert done.returncode == 0, done.stderr
    assert "added 1," in done.stdout and "through the running app" in done.stdout
    assert app.knows("added/quokka.md")

    # A process that writes the folder itself (no server on its configured port): the app reopens its client.
    done = run_cli("ingest", "--local", str(_note(tmp_path / "inbox", "wombat.md", "Wombat Flats")), env=env)
    assert done.returncode == 0, done.stderr
    assert "through the running app" not in done.stdout
    app.wait_until_known("added/wombat.md", seconds=20)
    for _ in range(3):
        assert app.cited("Who supplies compute to Anthropic?")
    assert set(app.statuses) == {200}


@pytest.mark.chroma_server
def test_two_apps_on_a_chroma_server_answer_from_a_document_a_third_process_ingested(
    chroma,  # noqa: F811
    small_corpus,
    tmp_path,
    apps,
):
    base = subprocess_env(
        ASSISTANT_CHROMA_URL=chroma.origin, ASSISTANT_CORPUS_DIR=str(small_corpus), ASSISTANT_WATCH_INTERVAL="0.3"
    )
    done = run_cli("ingest", env=base | {"ASSISTANT_DATA_DIR": str(tmp_path / "writer")})
    assert done.returncode == 0, done.stderr
    replicas = [
        App(base | {"ASSISTANT_DATA_DIR": str(tmp_path / f"replica{i}")}, tmp_path / f"app{i}.log") for i in (1, 2)
    ]
    apps.extend(replicas)
    for app in replicas:
        app.wait_ready()
        assert "added/quokka.md" not in app.cited()

    note = _note(tmp_path / "inbox", "quokka.md", "Quokka Park")
    done = run_cli(
        "ingest",
        str(note),
        env=base | {"ASSISTANT_DATA_DIR": str(tmp_path / "writer"), "ASSISTANT_PORT": str(free_port())},
    )
    assert done.returncode == 0, done.stderr
    assert "added 1," in done.stdout
    for app in replicas:
        app.wait_until_known("added/quokka.md", seconds=20)
        assert set(app.statuses) == {200}
        # The replica read the one new document, not the whole store again.
        update = app.call("/v1/models")[1]["index"]["last_update"]
        assert update["full"] is False and update["documents"] == 1


def test_a_second_writer_on_an_embedded_store_stops_with_one_clear_line(small_corpus, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    env = subprocess_env(
        ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_CORPUS_DIR=str(small_corpus), ASSISTANT_LOCK_WAIT="1"
    )
    with Store(settings).writing():  # an ingest in progress
        done = run_cli("ingest", "--local", env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the store at ") and f"process {os.getpid()}" in lines[0]
    # Once the first writer is done, the same command goes through.
    done = run_cli("ingest", "--local", env=env)
    assert done.returncode == 0, done.stderr
    assert "added 3," in done.stdout


def test_a_replica_reloads_only_the_documents_an_ingest_changed(small_corpus, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    writer = Assistant(settings)
    reader = Assistant(settings)
    assert len(reader.sources()) == 3 and reader.retriever.last_refresh["full"]

    _note(small_corpus, "notes/quokka.md", "Quokka Park")
    (small_corpus / "notes" / "amazon.md").unlink()
    report = writer.ingest()
    assert (report.added, report.removed) == (1, 1)

    answer = reader.ask(QUESTION)
    assert reader.retriever.last_refresh == {**reader.retriever.last_refresh, "documents": 2, "full": False}
    assert "notes/quokka.md" in {c.doc_id for c in answer.citations}
    # What the difference produced equals what a fresh process loads from scratch.
    fresh = Assistant(settings).retriever
    fresh.refresh()
    mine = reader.retriever
    assert sorted(n.node_id for n in mine.nodes) == sorted(n.node_id for n in fresh.nodes)
    assert mine.documents == fresh.documents and mine.version == fresh.version
    assert mine.vocabulary == fresh.vocabulary and sorted(mine.text.split()) == sorted(fresh.text.split())
    assert mine.sentence_vectors.keys() == fresh.sentence_vectors.keys()
    assert "notes/amazon.md" not in mine.documents
