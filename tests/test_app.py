"""The web app for real: a server process on 127.0.0.1, called through gradio_client and driven
in Debian's Chromium with Playwright. Screenshots go to docs/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rag.config import PROJECT_ROOT

from .conftest import REAL_CORPUS

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")
DOCS = PROJECT_ROOT / "docs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    corpus = root / "corpus"
    shutil.copytree(REAL_CORPUS, corpus)
    # a corpus file with markup: it must be shown as text, never executed
    (corpus / "notice.html").write_text(
        "<html><body><article><h1>Notice</h1><p>The evening office is open until 9 pm on Thursdays for all residents "
        "who need help with permits. &lt;img src=x onerror=alert(1)&gt; is how the old site showed a broken image.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    # its metadata comes from the sidecar: the citation links the title to the URL
    (corpus / "metadata.jsonl").write_text('{"file": "notice.html", "source": "City Hall", "date": "2026-01-05", '
                                           '"url": "https://city.example/notice"}\n', encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(root / "index"), "RAG_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app exited: {proc.stdout.read()}")
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("app did not start within 180 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---------------------------------------------------------------- API


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server + "/", verbose=False)


def test_api_answers_with_the_documents_figure_and_citations(client):
    r = client.predict("How much is the AI innovation fund?", [], api_name="/ask")
    assert r["abstained"] is False and "900억원" in r["answer"]
    assert r["citations"] and {"source", "chunk_id", "text", "score"} <= set(r["citations"][0])
    assert any("900억원" in c["text"] for c in r["citations"])


@pytest.mark.xfail(strict=True, reason="known weakness: near-miss questions that reuse the document's words are "
                   "answered at the 5% false-abstain calibration (README)")
def test_api_abstains_on_an_unanswerable_question(client):
    r = client.predict("AI 바우처 사업의 1개사당 지원 한도는 얼마인가요?", [], api_name="/ask")
    assert r["abstained"] is True and r["citations"] == [] and r["answer"].startswith("문서에는")


def test_api_follow_up_uses_history(client):
    r = client.predict("And how large is the global AI fund?", ["How much is the AI innovation fund?"], api_name="/ask")
    assert not r["abstained"] and "200억원" in r["answer"] and r["lang"] == "en"


def test_api_rejects_an_empty_question_with_a_message(client):
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", [], api_name="/ask")


def test_widget_serves_the_same_api(server):
    from gradio_client import Client

    r = Client(server + "/widget/", verbose=False).predict("AI혁신펀드는 얼마인가요?", [], api_name="/ask")
    assert "900억원" in r["answer"]


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed: apt-get install -y chromium fonts-nanum")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield b
        b.close()


def _ask(frame, question: str, expect: str = ".rag-answer, .rag-abstain"):
    """Type a question, press Enter and wait for a new bot message (once more if the freshly
    loaded page was not listening yet)."""
    frame.locator("#question textarea").wait_for(timeout=30000)
    before = frame.locator(expect).count()
    for attempt in range(2):
        box = frame.locator("#question textarea")
        box.fill(question)
        box.press("Enter")
        try:
            frame.locator(expect).nth(before).wait_for(timeout=15000)
            return frame.locator(expect).nth(before)
        except Exception:
            if attempt:
                raise


def test_chat_in_a_real_browser(server, browser):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(server + "/")
    answer = _ask(page, "AI혁신펀드는 얼마인가요?", ".rag-answer")
    assert "900억원" in answer.inner_text()
    cite = page.locator(".rag-cite summary").first
    # "[1] 제목 · 출처 · 날짜": the document's title as ingest finds it, no file name, chunk id or offsets
    from rag.ingest import load

    doc = load(REAL_CORPUS)[0]
    shown = cite.inner_text()
    assert shown.startswith("[1]") and doc.title[:30] in shown and doc.source_name in shown
    assert doc.name not in shown and "#" not in shown
    cite.click()  # expand: the supporting sentence is highlighted
    assert "900억원" in page.locator(".rag-cite mark").first.inner_text()
    _ask(page, "How many people live in Seongbuk-gu?", ".rag-abstain")
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "chat.png"), full_page=True)
    page.close()


def test_html_in_a_question_or_document_is_shown_as_text(server, browser):
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/")
    _ask(page, "<img src=x onerror=alert(1)> When is the evening office open?")
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.locator(".message img[src='x']").count() == 0
    assert "onerror=alert(1)" in page.locator(".rag-cites, .rag-answer").last.inner_text() or \
        "<img src=x" in page.inner_text("body")
    # the notice's citation: "[n] Notice · City Hall · 2026-01-05", the title a link to its URL
    summary = page.locator(".rag-cite summary", has=page.locator("a[href='https://city.example/notice']")).first
    assert summary.locator("a").inner_text() == "Notice" and "Notice · City Hall · 2026-01-05" in summary.inner_text()
    page.close()


def test_portal_page_embeds_the_widget(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((PROJECT_ROOT / "examples" / "portal.html").as_uri() + f"?server={server}")
    frame = page.frame_locator("#policy-qa")
    frame.locator("#question textarea").wait_for(timeout=30000)
    answer = _ask(frame, "How much is the AI innovation fund?", ".rag-answer")
    assert "900억원" in answer.inner_text()
    page.screenshot(path=str(DOCS / "portal.png"))
    page.close()


def test_eval_command_can_run_against_the_server(server, tmp_path):
    import json

    from typer.testing import CliRunner

    from rag.cli import app

    q = tmp_path / "q.jsonl"
    rows = [
        {"id": "a", "question": "How much is the AI innovation fund?", "answerable": True, "answers": [["900억"]], "evidence": "AI혁신펀드(900억원"},
        {"id": "b", "question": "And how large is the global AI fund?", "answerable": True, "answers": [["200억"]],
         "evidence": "글로벌 AI펀드(200억원", "history": ["How much is the AI innovation fund?"]},
    ]
    q.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["eval", str(q), "--out", str(tmp_path / "r.jsonl"), "--server", server + "/", "--no-progress"])
    assert out.exit_code == 0, out.output
    assert "citation_acc=100.0" in out.output and "errors=0" in out.output
