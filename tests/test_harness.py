"""The test harness itself: a server that never comes up, or dies, fails the test with its name and its log."""

import sys

import pytest
from harness import free_port, start_server, subprocess_env


def test_a_server_that_never_answers_fails_naming_it_within_the_deadline(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    command = [sys.executable, "-c", "import time; print('warming up', flush=True); time.sleep(60)"]
    with pytest.raises(pytest.fail.Exception, match=r"the silent server did not come up within 1 s(.|\n)*warming up"):
        start_server("the silent server", command, url, tmp_path / "silent.log", timeout=1)


def test_a_server_that_exits_fails_with_its_exit_code_and_output(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    command = [sys.executable, "-c", "import sys; print('bad setting'); sys.exit(3)"]
    with pytest.raises(pytest.fail.Exception, match=r"the broken server exited with code 3(.|\n)*bad setting"):
        start_server("the broken server", command, url, tmp_path / "broken.log", timeout=60)


def test_child_processes_never_see_the_users_settings_or_keys(monkeypatch):
    monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    env = subprocess_env(ASSISTANT_TOP_K="3")
    assert "ASSISTANT_BACKEND" not in env and "OPENAI_API_KEY" not in env
    assert env["ASSISTANT_TOP_K"] == "3"
