"""Running the product as a user does: free ports, clean subprocess environments, servers waited for with a
deadline that names what never came up, and a headless Chromium whose errors are collected for the test."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
# Settings and keys of the person running the tests must never reach a process a test starts.
PRIVATE_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
# Gradio's red toast and the "Error" badge it pins on a component whose event failed.
ERROR_SELECTORS = ".toast-body.error, .wrap .error"
TRACEBACK = re.compile(r"^Traceback \(most recent call last\):", re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_env(**extra: str) -> dict[str, str]:
    """This environment minus the user's `ASSISTANT_*` settings and keys, plus `extra`.

    The checkout under test leads PYTHONPATH, so a child process imports this code and no other copy.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_") and k not in PRIVATE_KEYS}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m assistant ARGS` in a child process, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def wait_for(
    what: str,
    ready: Callable[[], bool],
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    interval: float = 0.3,
) -> None:
    """Poll `ready` until it holds; fail the test naming `what` when the deadline passes or `proc` dies first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what} exited with code {proc.returncode} before it was ready{_tail(log)}")
        if time.monotonic() >= deadline:
            pytest.fail(f"{what} did not come up within {timeout:g} s{_tail(log)}")
        time.sleep(interval)


def answers(url: str) -> Callable[[], bool]:
    """A readiness check: `url` answers an HTTP GET with a success status."""

    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            return False

    return check


class Server:
    """A child process serving on loopback, started and restarted with the same command and log."""

    def __init__(
        self, what: str, command: list[str], ready_url: str, log: Path, env: dict[str, str], timeout: float = 180
    ) -> None:
        self.what, self.command, self.ready_url, self.log, self.env = what, command, ready_url, log, env
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        """'http://127.0.0.1:PORT' of the ready URL."""
        parts = urllib.parse.urlsplit(self.ready_url)
        return f"{parts.scheme}://{parts.netloc}"

    def start(self) -> Server:
        with open(self.log, "ab") as log:  # appended, so a restart keeps the earlier output
            self.proc = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(self.what, answers(self.ready_url), self.timeout, self.proc, self.log)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def start_server(
    what: str, command: list[str], ready_url: str, log: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> Server:
    """Start `command` and return once `ready_url` answers; the test fails naming `what` otherwise."""
    return Server(what, command, ready_url, log, env if env is not None else subprocess_env(), timeout).start()


def chromium() -> tuple[str, ModuleType]:
    """Debian's chromium and playwright's sync API, or a skip that says which is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get when it can)")
    return path, pytest.importorskip("playwright.sync_api")


def launch_chromium(playwright: Any, executable: str) -> Any:
    """A headless Chromium that reaches nothing but the pages it is sent to."""
    return playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))


class PageErrors:
    """Everything that went wrong while a page was driven: console errors, uncaught exceptions, error toasts
    and badges on the page, and tracebacks the server logged meanwhile."""

    def __init__(self, page: Any, server_log: Path | None = None) -> None:
        self.page = page
        self.server_log = server_log
        self._log_offset = server_log.stat().st_size if server_log and server_log.exists() else 0
        self.seen: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.seen.append(f"uncaught page error: {error}"))

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.seen.append(f"console error: {message.text}")

    def found(self) -> list[str]:
        """What went wrong so far, each as one line saying where it was seen."""
        problems = list(self.seen)
        for element in self.page.query_selector_all(ERROR_SELECTORS):
            if element.is_visible():
                problems.append(f"error shown on the page: {' '.join(element.inner_text().split())[:300]}")
        if self.server_log and self.server_log.exists():
            with open(self.server_log, encoding="utf-8", errors="replace") as log:
                log.seek(self._log_offset)
                logged = log.read()
            problems += [
                f"server traceback: {logged[m.start() : m.start() + 2000]}" for m in TRACEBACK.finditer(logged)
            ]
        return problems

    def assert_none(self) -> None:
        problems = self.found()
        assert not problems, "the page or its server reported errors:\n" + "\n".join(problems)


def _tail(log: Path | None, lines: int = 30) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"; last lines of {log.name}:\n" + "\n".join(text)
