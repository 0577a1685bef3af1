"""Scale-out and failure: a real `chroma run` server shared by two processes, restarts, killed ingests."""

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Server, free_port, run_cli, start_server, subprocess_env

from assistant.api import Assistant
from assistant.errors import StoreError
from assistant.settings import Settings

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture
def chroma(tmp_path) -> Iterator[Server]:
    """A real `chroma run` on a free loopback port; the test may stop and restart it."""
    if not CHROMA.exists():
        pytest.skip("the chroma command is not installed beside this Python")
    port = free_port()
    command = [str(CHROMA), "run", "--path", str(tmp_path / "chroma-data"), "--port", str(port)]
    server = start_server(
        "the Chroma server (chroma run)",
        command,
        f"http://127.0.0.1:{port}/api/v2/heartbeat",
        tmp_path / "chroma.log",
        timeout=60,
    )
    yield server
    server.stop()


def _cli(*args: str, env_extra: dict) -> subprocess.CompletedProcess:
    return run_cli(*args, env=subprocess_env(**env_extra))


@pytest.mark.chroma_server
def test_two_processes_share_a_chroma_server_and_survive_its_restart(chroma, small_corpus, tmp_path):
    settings = Settings(chroma_url=chroma.origin, corpus_dir=small_corpus, data_dir=tmp_path / "unused")
    first = Assistant(settings)
    assert {d["doc_id"] for d in first.sources()} == {"notes/amazon.md", "notes/google.md", "notes/nvidia.md"}
    assert not (tmp_path / "unused" / "chroma").exists()  # nothing was stored locally

    # A second process answers from the same server.
    done = _cli(
        "ask",
        "What will Nvidia supply to OpenAI?",
        env_extra={"ASSISTANT_CHROMA_URL": chroma.origin, "ASSISTANT_CORPUS_DIR": str(small_corpus)},
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--verbose"],
        env=subprocess_env(ASSISTANT_DATA_DIR=str(data), ASSISTANT_CORPUS_DIR=str(copy_corpus)),
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
