"""Bounded load test on loopback: N concurrent users ask through the HTTP API for T seconds.

    python bench/load.py --url http://127.0.0.1:7860 --users 50 --seconds 60

Prints requests, errors, latency p50/p95 and the server's memory before and after (when --pid is given).
It only ever sends to the URL given, which must be a loopback address, and stops by itself.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

QUESTIONS = [
    "Who supplies compute to Anthropic?",
    "What did AMD agree to supply to OpenAI?",
    "How many Trainium2 chips does Project Rainier run?",
    "Which neoclouds serve Microsoft?",
    "How much does Google pay SpaceX each month?",
    "What does the article say about sunk cost?",
    "As of March 2025, who supplied compute to Anthropic?",
    "What GPUs does Zorblax rent?",
]


def rss_mb(pid: int | None) -> float | None:
    if not pid:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def run(url: str, users: int, seconds: float, pid: int | None = None, api_key: str | None = None) -> dict:
    host = urlparse(url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit("load tests only target loopback addresses")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    before = rss_mb(pid)

    def user(index: int) -> None:
        with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
            turn = index
            while time.monotonic() < deadline:
                question = QUESTIONS[turn % len(QUESTIONS)]
                turn += 1
                began = time.perf_counter()
                try:
                    reply = client.post("/api/ask", json={"question": question})
                    ok = reply.status_code == 200 and "text" in reply.json()
                    problem = None if ok else f"HTTP {reply.status_code}"
                except httpx.HTTPError as exc:
                    problem = type(exc).__name__
                with lock:
                    latencies.append((time.perf_counter() - began) * 1000)
                    if problem:
                        errors.append(problem)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "users": users,
        "seconds": seconds,
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "throughput_rps": round(len(latencies) / seconds, 2),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1) if latencies else None,
        "rss_before_mb": before,
        "rss_after_mb": rss_mb(pid),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pid", type=int, help="server process id, to report its memory")
    parser.add_argument("--api-key")
    args = parser.parse_args()
    print(json.dumps(run(args.url, args.users, args.seconds, args.pid, args.api_key), indent=2))


if __name__ == "__main__":
    main()
