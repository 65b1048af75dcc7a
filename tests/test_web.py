"""rag/web.py: notices, rate limit, question log, CSP and the ASGI guard (no server, no browser)."""

from __future__ import annotations

import html
import json

import pytest

from rag.config import Settings
from rag.errors import BadQuestion, IndexUnavailable, RateLimited
from rag.web import (
    TEXT,
    Guard,
    RateLimiter,
    frame_ancestors,
    inert_markdown,
    log_question,
    notice,
    question_logger,
    refusal_kind,
)

LIMIT = 20


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize(
    ("exc", "question", "key", "kind"),
    [
        (BadQuestion("empty"), "", "empty", "empty"),
        (BadQuestion("empty"), " \t\n ", "empty", "empty"),
        (BadQuestion("empty"), None, "empty", "empty"),
        (BadQuestion("long"), "x" * (LIMIT + 1), "too_long", "too long"),
        (BadQuestion("markup"), "<b></b>", "markup", "no words"),
        (RateLimited("slow down"), "a question", "rate", "rate limited"),
    ],
)
def test_notice_names_the_problem_in_the_page_language(lang, exc, question, key, kind):
    msg = notice(exc, question, LIMIT, lang)
    assert msg.startswith(TEXT[lang][key].split("{")[0])
    assert refusal_kind(exc, question, LIMIT) == kind


def test_too_long_notice_gives_the_length_and_the_limit():
    msg = notice(BadQuestion("long"), "가" * 1234, 1000, "ko")
    assert "1,234" in msg and "1,000" in msg


def test_other_errors_keep_their_own_message():
    assert "rebuild failed" in notice(IndexUnavailable("rebuild failed"), "q", LIMIT, "en")
    assert refusal_kind(IndexUnavailable("x"), "q", LIMIT) == "IndexUnavailable"


def test_rate_limiter_counts_per_client():
    limiter = RateLimiter("2/minute")
    limiter.admit("a")
    limiter.admit("a")
    limiter.admit("b")  # another client has its own budget
    with pytest.raises(RateLimited, match="too many questions"):
        limiter.admit("a")


def test_empty_rate_limit_means_no_limit():
    limiter = RateLimiter("")
    for _ in range(500):
        limiter.admit("a")


@pytest.mark.parametrize("spec", ["20 per minute please", "abc", "0/"])
def test_bad_rate_limit_setting_is_refused(spec):
    with pytest.raises(ValueError, match="rate limit"):
        Settings(rate_limit=spec)


def test_no_question_log_by_default(tmp_path):
    assert Settings().question_log is None
    assert question_logger(Settings()) is None
    log_question(None, "a question", lang="en", abstained=False)  # a no-op, not an error


def test_question_log_is_local_json_lines_and_rotates(tmp_path):
    path = tmp_path / "logs" / "questions.log"
    s = Settings(question_log=path, question_log_max_bytes=10_000, question_log_backups=2)
    log = question_logger(s)
    log_question(log, "AI혁신펀드는 얼마인가요?", lang="ko", abstained=False)
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["question"] == "AI혁신펀드는 얼마인가요?" and first["lang"] == "ko" and first["abstained"] is False
    assert set(first) == {"time", "lang", "abstained", "question"}  # no address, no session
    for i in range(200):
        log_question(log, f"question number {i} " + "x" * 100, lang="en", abstained=True)
    assert (tmp_path / "logs" / "questions.log.1").exists()
    assert not (tmp_path / "logs" / "questions.log.3").exists()  # backups are bounded
    assert path.stat().st_size <= 10_000


def test_frame_ancestors_default_is_same_origin_only():
    assert frame_ancestors(Settings()) == "frame-ancestors 'self'"


def test_frame_ancestors_lists_the_configured_portals(monkeypatch):
    monkeypatch.setenv("RAG_FRAME_ANCESTORS", "https://www.gov.example, https://portal.example")
    assert frame_ancestors(Settings()) == "frame-ancestors 'self' https://www.gov.example https://portal.example"


@pytest.mark.parametrize("origin", ["javascript:alert(1)", "https://a.example; script-src *", "*"])
def test_unsafe_frame_ancestors_are_refused(origin):
    with pytest.raises(ValueError, match="frame ancestor"):
        Settings(frame_ancestors=[origin])


def test_gradio_host_and_port_are_honoured(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7000")
    s = Settings()
    assert (s.host, s.port) == ("0.0.0.0", 7000)


def test_rag_host_and_port_win_over_gradio_ones(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7000")
    monkeypatch.setenv("RAG_HOST", "127.0.0.2")
    monkeypatch.setenv("RAG_PORT", "7001")
    s = Settings()
    assert (s.host, s.port) == ("127.0.0.2", 7001)


@pytest.mark.parametrize("port", ["abc", "0", "70000"])
def test_bad_port_is_refused(monkeypatch, port):
    monkeypatch.setenv("RAG_PORT", port)
    with pytest.raises(ValueError):
        Settings()


# ---------------------------------------------------------------- the ASGI guard


@pytest.fixture
def guarded():
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def page(request):
        return HTMLResponse('<!doctype html>\n<html\n\tlang="en"\n><body lang="en">hi</body></html>')

    async def full(request):
        return JSONResponse({"detail": "Queue is full. Max size is 1 and size is 1."}, status_code=503)

    inner = Starlette(routes=[Route("/", page), Route("/gradio_api/queue/join", full, methods=["POST"]),
                              Route("/other", full)])
    s = Settings(ui_lang="ko", frame_ancestors=["https://portal.example"])
    return TestClient(Guard(inner, s))


def test_guard_sets_html_lang_and_security_headers(guarded):
    r = guarded.get("/")
    assert '<html\n\tlang="ko"' in r.text and '<body lang="en">' in r.text  # only the <html> tag
    assert r.headers["content-security-policy"] == "frame-ancestors 'self' https://portal.example"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_guard_answers_a_full_queue_with_busy_try_again(guarded):
    r = guarded.post("/gradio_api/queue/join", json={})
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json() == {"detail": TEXT["ko"]["busy"], "busy": True}
    assert "Queue is full" in guarded.get("/other").text  # other 503s are left alone


@pytest.mark.parametrize(
    ("text", "hostile"),
    [
        ("![x](https://evil.example/t.png)", "!["),
        ("[![a](http://evil.example/a.gif)](http://evil.example)", "]("),
        ("**bold** _it_ `code` ~~gone~~ | a | b |", "`"),
        ("\\[escaped\\]", "\\"),
    ],
)
def test_inert_markdown_leaves_no_markdown_syntax_but_keeps_tags(text, hostile):
    out = inert_markdown(f"<div class='rag_x'>{text}</div>")
    assert out.startswith("<div class='rag_x'>") and out.endswith("</div>")
    body = out[len("<div class='rag_x'>"):-len("</div>")]
    assert hostile not in body and not any(c in body for c in "![]()*_`~|\\")
    assert html.unescape(body) == text  # shown as typed
