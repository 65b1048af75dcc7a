"""A real app process for the web tests and the screenshot command: `python app.py` on a free
loopback port over a copy of the bundled corpus (plus a document with markup), and Debian's
Chromium through Playwright. The corpus copy and its index are shared by every server started
under one base directory, so the index is built once."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from rag.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
MARKUP_DOC = (
    "<html><body><article><h1>Notice</h1><p>The evening office is open until 9 pm on Thursdays for all residents "
    "who need help with permits. &lt;img src=x onerror=alert(1)&gt; is how the old site showed a broken image.</p>"
    "</article></body></html>"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_dirs(base: Path, *, markup_doc: bool = True) -> tuple[Path, Path]:
    """corpus and index dirs under `base`: a copy of the bundled corpus (plus a document with markup)."""
    corpus, index = base / "corpus", base / "index"
    if not corpus.exists():
        shutil.copytree(PROJECT_ROOT / "corpus", corpus)
        if markup_doc:
            (corpus / "notice.html").write_text(MARKUP_DOC, encoding="utf-8")
            # its metadata comes from the sidecar: the citation links the title to the URL
            (corpus / "metadata.jsonl").write_text('{"file": "notice.html", "source": "City Hall", "date": "2026-01-05", '
                                                   '"url": "https://city.example/notice"}\n', encoding="utf-8")
    return corpus, index


def shared_base(tmp_path_factory) -> Path:
    """One directory per test session for the app's corpus copy and index (built once, reused)."""
    base = tmp_path_factory.getbasetemp() / "webapp"
    base.mkdir(exist_ok=True)
    return base


@dataclass
class LiveApp:
    url: str
    port: int
    log: Path
    proc: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def live_app(base: Path, env: dict[str, str | None] | None = None, *, port: int | None = None,
             timeout: float = 300, markup_doc: bool = True) -> Iterator[LiveApp]:
    """Start `python app.py` (RAG_PORT=port; a None value in `env` removes that variable) and wait
    until `/` answers."""
    corpus, index = app_dirs(base, markup_doc=markup_doc)
    port = port or free_port()
    env = {"RAG_PORT": str(port), **(env or {})}
    full_env = {**os.environ, "RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(index), **env}
    full_env = {k: v for k, v in full_env.items() if v is not None}
    log = base / f"server-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=full_env,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
    app = LiveApp(f"http://127.0.0.1:{port}", port, log, proc)
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app exited ({proc.returncode}): {app.log_text()}")
            try:
                if httpx.get(app.url + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"app did not start within {timeout:.0f} s: {app.log_text()}")
            time.sleep(0.5)
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        raise RuntimeError("Debian chromium is not installed: apt-get install -y chromium fonts-nanum")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def static_site(directory: Path, port: int | None = None) -> Iterator[int]:
    """Serve `directory` over HTTP on loopback (the sample portal page, from its own origin)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


ANSWER = ".rag-answer, .rag-abstain"


def ask_in_page(frame, question: str, *, timeout: float = 20000) -> str:
    """Type a question and press Enter; waits for a new bot message or a notice beside the input.
    Returns "answer" or "notice". (The fresh page may not listen yet: the Enter is retried once.)"""
    box = frame.locator("#question textarea")
    box.wait_for(timeout=30000)
    before = frame.locator(ANSWER).count()
    box.fill(question)
    # typing drops an old notice (browser side); wait for that before sending
    frame.locator(".rag-notice").first.wait_for(state="detached", timeout=5000)
    for attempt in range(2):
        box.press("Enter")
        try:
            frame.locator(ANSWER).nth(before).or_(frame.locator(".rag-notice")).first.wait_for(timeout=timeout / 2)
            break
        except Exception:
            if attempt:
                raise
    return "notice" if frame.locator(".rag-notice").count() else "answer"
