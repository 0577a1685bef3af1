"""The `assistant` command as a user runs it: a real subprocess, one-line errors, exit codes."""

import subprocess
import sys

from conftest import CORPUS
from harness import free_port, run_cli, subprocess_env


def run(*args: str, data_dir, extra_env: dict | None = None, timeout: int = 240) -> subprocess.CompletedProcess:
    env = subprocess_env(
        **{
            "ASSISTANT_DATA_DIR": str(data_dir),
            "ASSISTANT_CORPUS_DIR": str(CORPUS),
            # No running server on this port: every command answers in its own process.
            "ASSISTANT_PORT": str(free_port()),
            **(extra_env or {}),
        }
    )
    return run_cli(*args, env=env, timeout=timeout)


def test_ask_prints_a_cited_answer(assistant, index_dir):
    done = run("ask", "What did AMD agree to supply to OpenAI?", data_dir=index_dir)
    assert done.returncode == 0, done.stderr
    assert "6 GW" in done.stdout and "[1]" in done.stdout and "Sources:" in done.stdout
    assert "Traceback" not in done.stderr


def test_supplier_question_lists_everyone_with_coverage(assistant, index_dir):
    done = run("ask", "Which companies supply compute to OpenAI?", data_dir=index_dir)
    assert done.returncode == 0, done.stderr
    for name in ("AMD", "Broadcom", "Cerebras", "CoreWeave", "Microsoft", "Nvidia", "Oracle"):
        assert name in done.stdout
    assert "Coverage:" in done.stdout


def test_full_flag_prints_the_rest_of_a_shortened_list(assistant, index_dir):
    short = run("ask", "Which companies supply compute to OpenAI?", data_dir=index_dir)
    full = run("ask", "Which companies supply compute to OpenAI?", "--full", data_dir=index_dir)
    assert short.returncode == full.returncode == 0, full.stderr
    assert "More deals in the sources:" in full.stdout and "More deals" not in short.stdout
    # Without --full only the sources the shown text cites are listed.
    assert full.stdout.count("\n[") > short.stdout.count("\n[")


def test_empty_question_is_one_line_and_exit_1(assistant, index_dir):
    done = run("ask", "   ", data_dir=index_dir)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("error: the question is empty")


def test_bad_setting_is_one_line_and_exit_1(index_dir):
    done = run("ask", "x", data_dir=index_dir, extra_env={"ASSISTANT_TOP_K": "many"})
    assert done.returncode == 1
    assert done.stderr.startswith("error: setting top_k") and "Traceback" not in done.stderr


def test_deals_exports_csv_and_json(assistant, index_dir):
    import csv
    import io
    import json

    done = run("deals", "--customer", "Meta", "--format", "json", data_dir=index_dir)
    deals = json.loads(done.stdout)
    assert deals and {d["customer"] for d in deals} == {"Meta"}
    done = run("deals", "--supplier", "AWS", "--as-of", "2025-06-30", "--format", "csv", data_dir=index_dir)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and {r["supplier"] for r in rows} == {"Amazon"}
    assert all(r["announced"] <= "2025-06-30" for r in rows)


def test_ingest_reports_counts_for_an_unchanged_corpus(assistant, index_dir):
    done = run("ingest", data_dir=index_dir)
    assert done.returncode == 0, done.stderr
    assert "added 0, updated 0, removed 0" in done.stdout and "(0 embedded)" in done.stdout


def test_help_does_not_load_the_model():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from assistant.cli import main;"
            "\ntry: main(['--help'])\nexcept SystemExit: pass\n"
            "print('torch' in sys.modules, 'chromadb' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert done.stdout.strip().endswith("False False")


def test_ask_uses_a_running_server_when_one_is_up(app_url, index_dir):
    port = app_url.rstrip("/").rsplit(":", 1)[1]
    done = run(
        "ask", "Which companies supply compute to OpenAI?", data_dir=index_dir, extra_env={"ASSISTANT_PORT": port}
    )
    assert done.returncode == 0, done.stderr
    assert "Coverage:" in done.stdout and "Sources:" in done.stdout
    local = run("ask", "   ", data_dir=index_dir, extra_env={"ASSISTANT_PORT": port})
    assert local.returncode == 1 and local.stderr.startswith("error: the question is empty")


def test_output_cut_short_by_a_pipe_ends_quietly(assistant, index_dir):
    env = subprocess_env(
        ASSISTANT_DATA_DIR=str(index_dir), ASSISTANT_CORPUS_DIR=str(CORPUS), ASSISTANT_PORT=str(free_port())
    )
    reader = subprocess.Popen(
        [sys.executable, "-m", "assistant", "deals", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert reader.stdout is not None and reader.stdout.readline().startswith(b"supplier")
    reader.stdout.close()  # like `| head -1`
    _, err = reader.communicate(timeout=240)
    assert reader.returncode == 0 and b"Traceback" not in err, err.decode()
