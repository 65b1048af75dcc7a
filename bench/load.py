"""Bounded loopback load on the `ask` API: N concurrent clients ask questions for a fixed time;
reports requests, errors (by kind), "busy" answers, p50/p95 latency and the server's RSS at the
start and the end of the run.

Usage: python bench/load.py                      # starts `python app.py` itself on a free port
       python bench/load.py --url http://127.0.0.1:7860/ --pid PID   # an app already running
Options: --clients 50 --seconds 60 (bounded: at most 200 clients, 300 s, 60 s per request).

The started app runs with the per-client rate limit off (RAG_RATE_LIMIT=""): every client here
comes from 127.0.0.1, so the limit would otherwise refuse most of them by design. Questions come
from the corpus's own `examples.json` (else generic ones); answers are not graded here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FALLBACK = ["What is this document about?", "이 문서의 주요 내용은 무엇인가요?"]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def questions() -> list[str]:
    from rag.config import get_settings

    try:
        data = json.loads((get_settings().corpus_dir / "examples.json").read_text(encoding="utf-8"))
        found = [q for q in data if isinstance(q, str) and q.strip()]
    except (OSError, ValueError):
        found = []
    return found or FALLBACK


async def one_call(http: httpx.AsyncClient, base: str, question: str) -> str:
    """One `ask` call over Gradio's HTTP API; returns "ok", "busy" or an error kind."""
    r = await http.post(f"{base}gradio_api/call/ask", json={"data": [question, []]})
    if r.status_code == 503:
        return "busy"
    if r.status_code != 200:
        return f"http {r.status_code}"
    event_id = r.json()["event_id"]
    event = None
    async with http.stream("GET", f"{base}gradio_api/call/ask/{event_id}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                if event in ("complete", "error"):
                    break
    return "ok" if event == "complete" else f"event {event}"


async def client(i: int, base: str, qs: list[str], until: float, out: list[tuple[float, str]]) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        n = i
        while time.monotonic() < until:
            t0 = time.perf_counter()
            try:
                kind = await one_call(http, base, qs[n % len(qs)])
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                kind = type(exc).__name__
            out.append((time.perf_counter() - t0, kind))
            n += 1


def start_app() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAG_PORT": str(port), "RAG_HOST": "127.0.0.1", "RAG_RATE_LIMIT": ""}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited with {proc.returncode}; run `python app.py` to see why")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("the app did not start within 600 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running app on loopback (default: start one)")
    ap.add_argument("--pid", type=int, help="the running app's process id, for its RSS")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    clients, seconds = min(max(args.clients, 1), 200), min(max(args.seconds, 1), 300)
    proc = None
    if args.url:
        if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("this benchmark only targets a server on loopback")
        url, pid = args.url.rstrip("/") + "/", args.pid
    else:
        proc, url = start_app()
        pid = proc.pid
    try:
        qs = questions()
        asyncio.run(one_call_once(url, qs[0]))  # warm: the first answer loads lazy parts
        rss_start = rss_mb(pid) if pid else None
        results: list[tuple[float, str]] = []
        t0 = time.monotonic()

        async def run() -> None:
            await asyncio.gather(*(client(i, url, qs, t0 + seconds, results) for i in range(clients)))

        asyncio.run(run())
        wall = time.monotonic() - t0
        rss_end = rss_mb(pid) if pid else None
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=20)
    ok = sorted(t * 1000 for t, k in results if k == "ok")
    kinds: dict[str, int] = {}
    for _, k in results:
        kinds[k] = kinds.get(k, 0) + 1
    errors = {k: n for k, n in kinds.items() if k not in ("ok", "busy")}
    p95 = ok[max(0, int(len(ok) * 0.95) - 1)] if ok else float("nan")
    print(f"{clients} clients x {wall:.0f} s: {len(results)} requests ({len(results) / wall:.1f}/s), "
          f"{kinds.get('ok', 0)} answered, {kinds.get('busy', 0)} busy, {sum(errors.values())} errors {errors or ''}")
    if ok:
        print(f"latency of answered requests: p50 {statistics.median(ok):.0f} ms, p95 {p95:.0f} ms, max {ok[-1]:.0f} ms")
    if rss_start is not None and rss_end is not None:
        print(f"server RSS: {rss_start:.0f} MB at the start, {rss_end:.0f} MB at the end ({rss_end - rss_start:+.0f} MB)")


async def one_call_once(url: str, question: str) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        await one_call(http, url, question)


if __name__ == "__main__":
    main()
