"""The web app for real: server processes on 127.0.0.1, called over HTTP and through gradio_client,
and driven in Debian's Chromium with Playwright. Screenshots go to a tmp path (the README's images
are refreshed by `python -m tests.screenshots`)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import httpx
import pytest

from rag.config import PROJECT_ROOT

from .live import ANSWER, ask_in_page, chromium, free_port, live_app, shared_base, static_site

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def app_base(tmp_path_factory):
    return shared_base(tmp_path_factory)


@pytest.fixture(scope="module")
def portal_port():
    with static_site(PROJECT_ROOT / "examples") as port:
        yield port


@pytest.fixture(scope="module")
def live(app_base, portal_port):
    """The app as deployed for a portal: rate limit off (the tests all come from one address)."""
    env = {"RAG_RATE_LIMIT": "", "RAG_FRAME_ANCESTORS": f"http://127.0.0.1:{portal_port}"}
    with live_app(app_base, env) as app:
        yield app


@pytest.fixture(scope="module")
def server(live):
    return live.url


@pytest.fixture(scope="module")
def strict(app_base, live):
    """A second app with tight limits, English UI, the question log on, and its port from Gradio's
    own GRADIO_SERVER_PORT (as Hugging Face Spaces sets it)."""
    port = free_port()
    env = {"GRADIO_SERVER_PORT": str(port), "RAG_PORT": None, "RAG_RATE_LIMIT": "4/minute", "RAG_UI_LANG": "en",
           "RAG_QUESTION_LOG": str(app_base / "logs" / "questions.log"), "RAG_MAX_QUEUE_SIZE": "1",
           "RAG_CONCURRENCY_LIMIT": "1", "RAG_FRAME_ANCESTORS": "https://portal.example.go.kr"}
    with live_app(app_base, env, port=port) as app:
        yield app


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


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_widget_without_slash_redirects(server, method):
    r = httpx.request(method, server + "/widget?x=1", follow_redirects=False)
    assert r.status_code in (301, 302, 307, 308)
    assert httpx.URL(server + "/widget").join(r.headers["location"]) == httpx.URL(server + "/widget/?x=1")
    assert httpx.get(server + "/widget", follow_redirects=True).status_code == 200


def test_pages_carry_lang_and_frame_ancestors(server, portal_port):
    for path in ("/", "/widget/"):
        r = httpx.get(server + path)
        assert '<html\n\tlang="ko"' in r.text
        assert r.headers["content-security-policy"] == f"frame-ancestors 'self' http://127.0.0.1:{portal_port}"


SECRET = "top-secret-outside-the-corpus"


@pytest.mark.parametrize(
    "path",
    [
        "/gradio_api/file={outside}",
        "/gradio_api/file={corpus}/../secret.txt",
        "/gradio_api/file=../secret.txt",
        "/gradio_api/file=..%2Fsecret.txt",
        "/gradio_api/file={corpus}/notice.html",
        "/widget/gradio_api/file=corpus/notice.html",
        "/file={outside}",
        "/widget/gradio_api/file={outside}",
        "/../secret.txt",
        "/widget/..%2F..%2Fsecret.txt",
        "/gradio_api/file=/etc/passwd",
    ],
)
def test_no_file_from_outside_the_app_is_served(live, app_base, path):
    """The app serves no file of the corpus or its surroundings: traversal attempts get no content."""
    corpus = app_base / "corpus"
    outside = app_base / "secret.txt"
    outside.write_text(SECRET, encoding="utf-8")
    url = live.url + path.format(outside=outside, corpus=corpus)
    with httpx.Client() as http:  # raw path: httpx would normalise "/../"
        r = http.send(http.build_request("GET", url))
    assert SECRET not in r.text and "root:" not in r.text
    assert "evening office" not in r.text  # the test's own corpus document (tests/live.py)


def test_refused_questions_log_one_line_each_and_no_question_text(live, client):
    before = live.log_text()
    marker = "zzqqx-unique-question-text"
    for q in ["", "   ", "x" * 5000 + marker]:
        with pytest.raises(Exception):  # noqa: B017 -- the message is checked in test_abuse
            client.predict(q, [], api_name="/ask")
    client.predict(f"How much is the AI innovation fund? {marker}", [], api_name="/ask")
    time.sleep(0.5)
    new = live.log_text()[len(before):]
    refused = [line for line in new.splitlines() if "refused question" in line]
    assert len(refused) == 3, new
    assert "Traceback" not in new and marker not in new and "127.0.0.1" not in new.replace(live.url, "")


# ---------------------------------------------------------------- limits, logging, settings (second app)


def test_gradio_server_port_is_honoured_and_ui_language_is_english(strict):
    r = httpx.get(strict.url + "/")
    assert r.status_code == 200 and '<html\n\tlang="en"' in r.text
    assert r.headers["content-security-policy"] == "frame-ancestors 'self' https://portal.example.go.kr"


def test_question_log_has_the_question_but_no_address(strict, app_base):
    from gradio_client import Client

    Client(strict.url + "/", verbose=False).predict("How much is the AI innovation fund?", [], api_name="/ask")
    lines = (app_base / "logs" / "questions.log").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1])
    assert record["question"] == "How much is the AI innovation fund?"
    assert "127.0.0.1" not in "\n".join(lines) and "localhost" not in "\n".join(lines)


def test_rate_limit_answers_with_a_clear_message(strict):
    from gradio_client import Client

    client = Client(strict.url + "/", verbose=False)
    with pytest.raises(Exception, match="too many questions"):
        for _ in range(6):
            client.predict("How much is the AI innovation fund?", [], api_name="/ask")
    assert "refused question: rate limited" in strict.log_text()


def test_full_queue_answers_busy_at_once(strict):
    """Queue of 1 and one worker: of 12 simultaneous calls, the ones that find the queue full are
    told "busy, try again" straight away (503 + Retry-After), not left waiting."""
    results: list[httpx.Response] = []

    def call():
        results.append(httpx.post(strict.url + "/gradio_api/call/ask", json={"data": ["AI혁신펀드는 얼마인가요?", []]},
                                  timeout=30))

    threads = [threading.Thread(target=call) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    busy = [r for r in results if r.status_code == 503]
    assert busy, [r.status_code for r in results]
    assert all(r.json()["detail"].startswith("Busy") and r.headers["retry-after"] for r in busy)
    assert all(r.status_code in (200, 503) for r in results)
    assert httpx.get(strict.url + "/").status_code == 200


# ---------------------------------------------------------------- start-up failures


def _start(env: dict[str, str | None], timeout: float = 120) -> subprocess.CompletedProcess:
    import os

    full_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    return subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("env", "expect"),
    [
        ({"RAG_PORT": "abc"}, "RAG_PORT"),
        ({"GRADIO_SERVER_PORT": "abc", "RAG_PORT": None}, "GRADIO_SERVER_PORT"),
        ({"RAG_TOP_K": "0"}, "RAG_TOP_K"),
        ({"RAG_CORPUS_DIR": "/nonexistent/corpus"}, "/nonexistent/corpus"),
        ({"RAG_FRAME_ANCESTORS": "javascript:alert(1)"}, "RAG_FRAME_ANCESTORS"),
    ],
)
def test_bad_start_ends_with_one_clear_line(env, expect, tmp_path):
    env = {"RAG_INDEX_DIR": str(tmp_path / "index"), "RAG_PORT": str(free_port()), **env}
    out = _start(env)
    assert out.returncode != 0
    errors = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error:") and expect in errors[0], out.stderr
    assert "Traceback" not in out.stdout + out.stderr and "http://" not in out.stdout


def test_busy_port_is_reported_before_any_url(live):
    out = _start({"RAG_PORT": str(live.port)})
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "http://" not in out.stdout and "loading" not in out.stdout
    assert out.stderr.startswith("error: cannot listen on") and str(live.port) in out.stderr


def test_trash_icon_clears_the_history_too(tiny_pipeline):
    """The chat's own clear (trash) event is wired to the hidden history, like "New chat"."""
    import gradio as gr

    from app import build_ui

    demo = build_ui(tiny_pipeline)
    chatbot = next(b for b in demo.blocks.values() if isinstance(b, gr.Chatbot))
    state = next(b for b in demo.blocks.values() if isinstance(b, gr.State))
    clears = [f for f in demo.fns.values() if (chatbot._id, "clear") in f.targets]
    assert clears and any(state in f.outputs for f in clears)
    fn = next(f for f in clears if state in f.outputs)
    values = fn.fn()
    assert values[fn.outputs.index(state)] == []


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _messages(page) -> int:
    return page.locator(ANSWER).count()


@pytest.mark.browser
def test_chat_in_a_real_browser(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(server + "/")
    assert ask_in_page(page, "AI혁신펀드는 얼마인가요?") == "answer"
    answer = page.locator(".rag-answer").last
    assert "900억원" in answer.inner_text()
    cite = page.locator(".rag-cite summary").first
    # "[1] 제목 · 출처 · 날짜": the document's title as ingest finds it, no file name, chunk id or offsets
    from rag.ingest import load

    doc = load(PROJECT_ROOT / "corpus")[0]
    shown = cite.inner_text()
    assert shown.startswith("[1]") and doc.title[:30] in shown and doc.source_name in shown
    assert doc.name not in shown and "#" not in shown
    cite.click()  # expand: the supporting sentence is highlighted
    assert "900억원" in page.locator(".rag-cite mark").first.inner_text()
    assert page.evaluate("document.documentElement.lang") == "ko"
    ask_in_page(page, "How many people live in Seongbuk-gu?")
    assert _messages(page) == 2
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_empty_and_over_long_questions_get_a_notice_and_lose_nothing(server, browser):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(server + "/")
    ask_in_page(page, "How much is the AI innovation fund?")
    assert ask_in_page(page, "   ") == "notice"
    assert page.locator(".rag-notice").inner_text() == "질문을 입력해 주세요."
    assert page.locator(".toast-body, .error").count() == 0  # no error overlay
    assert _messages(page) == 1  # the conversation stays
    long_question = "AI혁신펀드 규모는? " * 150  # ~1,800 characters, pasted
    box = page.locator("#question textarea")
    box.fill(long_question)
    page.wait_for_timeout(300)
    assert box.input_value() == long_question  # not cut
    assert "초과" in page.locator("#counter").inner_text()
    assert ask_in_page(page, long_question) == "notice"
    assert "너무 깁니다" in page.locator(".rag-notice").inner_text()
    assert box.input_value() == long_question and box.is_editable()  # kept, to be shortened
    assert ask_in_page(page, "And the global AI fund?") == "answer"  # the input is usable
    assert _messages(page) == 2 and "200억원" in page.locator(ANSWER).last.inner_text()
    page.close()


@pytest.mark.browser
def test_new_chat_and_trash_icon_clear_the_screen(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    ask_in_page(page, "How much is the AI innovation fund?")
    page.locator("#chat button[aria-label='Clear']").click()
    page.locator(ANSWER).first.wait_for(state="detached", timeout=5000)
    ask_in_page(page, "AI혁신펀드는 얼마인가요?")
    page.locator("#new-chat").click()
    page.locator(ANSWER).first.wait_for(state="detached", timeout=5000)
    page.close()


@pytest.mark.browser
def test_html_in_a_question_or_document_is_shown_as_text(server, browser):
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/")
    ask_in_page(page, "<img src=x onerror=alert(1)> When is the evening office open?")
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.locator("#chat img[src='x'], #chat [onerror]").count() == 0
    assert "<img src=x" in page.locator("#chat").inner_text()
    # the notice's citation: "[n] Notice · City Hall · 2026-01-05", the title a link to its URL
    summary = page.locator(".rag-cite summary", has=page.locator("a[href='https://city.example/notice']")).first
    assert summary.locator("a").inner_text() == "Notice" and "Notice · City Hall · 2026-01-05" in summary.inner_text()
    page.close()


@pytest.mark.browser
def test_narrow_widget_is_usable(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 360, "height": 560})
    page.goto(server + "/widget/")
    assert ask_in_page(page, "How much is the AI innovation fund?") == "answer"
    box = page.locator("#question textarea").bounding_box()
    assert box["width"] >= 0.75 * 360  # the textbox takes the width
    overlaps = page.evaluate("""() => {
        const r = e => e.getBoundingClientRect();
        const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const icons = [...document.querySelectorAll('#chat button[aria-label="Clear"]')].map(r);
        const bubbles = [...document.querySelectorAll('#chat .message')].map(r);
        return icons.flatMap(i => bubbles.filter(b => hit(i, b))).length; }""")
    assert overlaps == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    page.screenshot(path=str(tmp_path / "widget-narrow.png"))
    page.close()


@pytest.mark.browser
def test_portal_page_embeds_the_widget(server, browser, portal_port, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"http://127.0.0.1:{portal_port}/portal.html?server={server}")
    frame = page.frame_locator("#policy-qa")
    assert ask_in_page(frame, "How much is the AI innovation fund?") == "answer"
    assert "900억원" in frame.locator(".rag-answer").last.inner_text()
    page.screenshot(path=str(tmp_path / "portal.png"))
    page.close()


@pytest.mark.browser
def test_a_portal_not_in_frame_ancestors_cannot_embed_the_widget(server, browser, portal_port):
    page = browser.new_page()
    page.goto(f"http://localhost:{portal_port}/portal.html?server={server}")  # another origin
    page.wait_for_timeout(3000)
    frame = next(f for f in page.frames if f != page.main_frame)
    assert frame.locator("#question").count() == 0
    page.close()


def test_eval_command_can_run_against_the_server(server, tmp_path):
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
