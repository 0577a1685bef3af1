"""Scale-out and failure: a real `chroma run` server shared by two processes, restarts, killed ingests."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

from assistant.api import Assistant
from assistant.errors import StoreError
from assistant.settings import Settings

CHROMA = Path(sys.executable).with_name("chroma")


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path, self.port, self.proc = path, free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ChromaServer":
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1)
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("chroma run did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def chroma(tmp_path):
    if not CHROMA.exists():
        pytest.skip("the chroma command is not installed beside this Python")
    server = ChromaServer(tmp_path / "chroma-data").start()
    yield server
    if server.proc.poll() is None:
        server.stop()


def _cli(*args: str, env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.chroma_server
def test_two_processes_share_a_chroma_server_and_survive_its_restart(chroma, small_corpus, tmp_path):
    settings = Settings(chroma_url=chroma.url, corpus_dir=small_corpus, data_dir=tmp_path / "unused")
    first = Assistant(settings)
    assert {d["doc_id"] for d in first.sources()} == {"notes/amazon.md", "notes/google.md", "notes/nvidia.md"}
    assert not (tmp_path / "unused" / "chroma").exists()  # nothing was stored locally

    # A second process answers from the same server.
    done = _cli(
        "ask",
        "What will Nvidia supply to OpenAI?",
        env_extra={"ASSISTANT_CHROMA_URL": chroma.url, "ASSISTANT_CORPUS_DIR": str(small_corpus)},
    )
    assert done.returncode == 0, done.stderr
    assert "10 GW" in done.stdout and "[1]" in done.stdout

    # A document ingested by one process is seen by the other without a restart.
    (small_corpus / "notes" / "extra.md").write_text(
        (small_corpus / "notes" / "google.md")
        .read_text()
        .replace("one million TPUs", "two million TPUs")
        .replace("https://example.com/notes/google.md", "https://example.com/extra"),
        encoding="utf-8",
    )
    second = Assistant(settings)
    assert second.ingest().added == 1
    assert "notes/extra.md" in {d["doc_id"] for d in first.sources()}

    # Server down: a clear error, not a traceback; back up: answers again, same data, no restart.
    chroma.stop()
    with pytest.raises(StoreError, match="Chroma server"):
        first.ask("What will Nvidia supply to OpenAI?")
    chroma.start()
    answer = first.ask("What will Nvidia supply to OpenAI?")
    assert "10 GW" in answer.text
    assert len(first.sources()) == 4


@pytest.mark.chroma_server
def test_cli_reports_an_unreachable_chroma_server_in_one_line(small_corpus):
    done = _cli(
        "ask",
        "Who supplies Anthropic?",
        env_extra={
            "ASSISTANT_CHROMA_URL": f"http://127.0.0.1:{free_port()}",
            "ASSISTANT_CORPUS_DIR": str(small_corpus),
        },
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot reach the Chroma server") and "Traceback" not in done.stderr


def test_killed_ingest_recovers_to_the_same_index_as_a_clean_build(tmp_path, copy_corpus, assistant):
    data = tmp_path / "data"
    env = {"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_CORPUS_DIR": str(copy_corpus)}
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")} | env
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--verbose"],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    stored = 0
    for line in proc.stdout:
        stored += line.startswith("stored ")
        if stored == 15:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    resumed = Assistant(Settings(data_dir=data, corpus_dir=copy_corpus), build=False)
    report = resumed.ingest()
    assert report.unchanged >= 15 and report.added == len(assistant.sources()) - report.unchanged
    ids = resumed.store.records()["ids"]
    clean = assistant.store.records()["ids"]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(clean)


def test_rebuild_keeps_answering_until_the_new_index_is_complete(tmp_path, small_corpus):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    reader = Assistant(settings)
    writer = Assistant(settings)
    before = reader.store.state()["collection"]
    seen_during: list[int] = []
    writer.ingest(
        rebuild=True,
        on_document=lambda doc_id: seen_during.append(len(reader.ask("Who gives Anthropic TPUs?").citations)),
    )
    assert seen_during and all(n > 0 for n in seen_during)  # the old index served every question meanwhile
    assert reader.store.state()["collection"] != before
    names = [c.name for c in reader.store.client.list_collections()]
    assert before not in names
