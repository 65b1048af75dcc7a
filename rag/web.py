"""What the web app needs besides Gradio: page strings (ko/en), notices for refused questions, the
per-client rate limit, the optional question log, and an ASGI guard that sets `<html lang>`, the CSP
`frame-ancestors` header and a "busy, try again" answer when the queue is full.

No gradio import here (app.py places these pieces); nothing about a particular document or question.
Deliberately left out: authentication, and trusting `X-Forwarded-For` (a proxy in front of the app
makes every client one address: put the rate limit in the proxy then, or turn it off here).
"""

from __future__ import annotations

import html
import json
import logging
import logging.handlers
import re
import time
from dataclasses import dataclass

from .config import Settings
from .errors import BadQuestion, RagError, RateLimited

TEXT = {
    "ko": {
        "title": "정책 문서 Q&A",
        "heading": "## 정책 문서 Q&A\n문서에 근거해 답하고 번호가 붙은 출처를 보여 드립니다.",
        "placeholder": "문서에 대해 질문하세요",
        "ask": "질문",
        "new_chat": "새 대화",
        "left": "{n}자 남음",
        "over": "{n}자 초과: 질문을 줄여 주세요",
        "empty": "질문을 입력해 주세요.",
        "too_long": "질문이 너무 깁니다 ({n}자). {limit}자 이내로 줄여 주세요.",
        "markup": "질문에 글자가 없습니다. 문서에 대해 질문해 주세요.",
        "rate": "질문이 너무 잦습니다. 잠시 후 다시 시도해 주세요.",
        "busy": "지금 질문이 많습니다. 잠시 후 다시 시도해 주세요.",
        "failed": "지금은 답할 수 없습니다: {error}",
    },
    "en": {
        "title": "Policy document Q&A",
        "heading": "## Policy document Q&A\nAnswers come only from the documents, with numbered sources.",
        "placeholder": "Ask a question about the documents",
        "ask": "Ask",
        "new_chat": "New chat",
        "left": "{n} characters left",
        "over": "{n} characters too many: please shorten the question",
        "empty": "Please type a question.",
        "too_long": "The question is too long ({n} characters). Please keep it under {limit}.",
        "markup": "The question has no words in it. Please ask about the documents.",
        "rate": "Too many questions in a short time. Please wait a moment and try again.",
        "busy": "Busy right now: please try again in a moment.",
        "failed": "Cannot answer right now: {error}",
    },
}

BUSY = {lang: TEXT[lang]["busy"] for lang in TEXT}


def notice(exc: RagError, question: object, limit: int, lang: str) -> str:
    """The short message shown next to the input when a question is refused, in the page's language."""
    t = TEXT[lang]
    text = question.strip() if isinstance(question, str) else ""
    if isinstance(exc, RateLimited):
        return t["rate"]
    if isinstance(exc, BadQuestion):
        if not text:
            return t["empty"]
        if len(text) > limit:
            return t["too_long"].format(n=f"{len(text):,}", limit=f"{limit:,}")
        return t["markup"]
    return t["failed"].format(error=exc)


# Characters that make markdown (images, links, emphasis, code, tables) out of text; as numeric
# entities they display the same and the chat's markdown renderer leaves them alone.
_MD_ACTIVE = str.maketrans({c: f"&#{ord(c)};" for c in "![]()*_`~|\\"})
_TAG = re.compile(r"(<[^>]*>)")


def inert_markdown(html_text: str) -> str:
    """Escaped HTML (from rag/render.py) made inert for the chat's markdown renderer: a question or a
    document holding `![x](https://remote/img.png)` is shown as that text, never as a remote image.
    Tags are left as they are (their attribute values are decoded by the browser anyway)."""
    parts = _TAG.split(html_text)
    return "".join(p if i % 2 else p.translate(_MD_ACTIVE) for i, p in enumerate(parts))


def notice_html(message: str) -> str:
    return f"<div class='rag-notice' role='alert'>{html.escape(message)}</div>" if message else ""


def refusal_kind(exc: RagError, question: object, limit: int) -> str:
    """A few words naming why a question was refused, for the server log (never the question)."""
    text = question.strip() if isinstance(question, str) else ""
    if isinstance(exc, RateLimited):
        return "rate limited"
    if isinstance(exc, BadQuestion):
        return "empty" if not text else "too long" if len(text) > limit else "no words"
    return type(exc).__name__


def counter_js(limit: int, lang: str) -> str:
    """Browser-side function: the remaining-characters line, and an empty notice (no server round trip)."""
    t = TEXT[lang]
    left = json.dumps(t["left"])
    over = json.dumps(t["over"])
    return (
        "(text) => { const n = [...(text || '').trim()].length; "
        f"const left = {limit} - n; "
        f"return [left >= 0 ? {left}.replace('{{n}}', left.toLocaleString()) "
        f": {over}.replace('{{n}}', (-left).toLocaleString()), '']; }}"
    )


class RateLimiter:
    """Moving-window limit per client key (the `limits` library, in memory); "" means no limit."""

    def __init__(self, spec: str) -> None:
        from limits import parse_many
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self.items = parse_many(spec) if spec else []
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def admit(self, key: str) -> None:
        """Count one question for `key`; raises RateLimited when over any of the limits."""
        for item in self.items:
            if not self.limiter.hit(item, "question", key):
                raise RateLimited(f"too many questions (limit {item}); please wait and try again")


def question_logger(settings: Settings) -> logging.Logger | None:
    """A rotating local log of questions when `settings.question_log` is set; None (no logging) otherwise."""
    if settings.question_log is None:
        return None
    path = settings.question_log
    path.parent.mkdir(parents=True, exist_ok=True)
    log = logging.getLogger(f"rag.questions.{path}")
    log.propagate = False
    log.setLevel(logging.INFO)
    if not log.handlers:
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=settings.question_log_max_bytes, backupCount=settings.question_log_backups, encoding="utf-8")
        log.addHandler(handler)
    return log


def log_question(log: logging.Logger | None, question: str, *, lang: str, abstained: bool) -> None:
    """One JSON line per answered question: time, language, abstained, the question. No address, no session."""
    if log is not None:
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "lang": lang, "abstained": abstained, "question": question}
        log.info(json.dumps(record, ensure_ascii=False))


def frame_ancestors(settings: Settings) -> str:
    """CSP value: the page may be framed by itself and by the configured portal origins only."""
    return " ".join(["frame-ancestors", "'self'", *[o for o in settings.frame_ancestors if o != "'self'"]])


_HTML_LANG = re.compile(rb'<html(\s+)lang="[a-zA-Z-]{2}"')


@dataclass
class Guard:
    """ASGI middleware around the whole app: security headers on every response, `<html lang>` set
    to the page language (same length, so no Content-Length change), and the queue-full 503 answered
    with a short "busy, try again" message (plus Retry-After) instead of Gradio's internal wording."""

    app: object
    settings: Settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        lang = self.settings.ui_lang.encode()
        csp = frame_ancestors(self.settings).encode()
        state = {"html": False, "busy": False}

        async def guarded_send(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                headers += [(b"content-security-policy", csp), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin")]
                ctype = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
                state["html"] = ctype.startswith(b"text/html")
                if message["status"] == 503 and scope["path"].rstrip("/").endswith(("/queue/join", "/call/ask")):
                    state["busy"] = True
                    body = json.dumps({"detail": BUSY[self.settings.ui_lang], "busy": True},
                                      ensure_ascii=False).encode()
                    headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]
                    headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", b"5")]
                    await send({**message, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
                await send({**message, "headers": headers})
                return
            if message["type"] == "http.response.body":
                if state["busy"]:
                    return  # replaced above
                if state["html"] and message.get("body"):
                    body = _HTML_LANG.sub(rb'<html\1lang="' + lang + rb'"', message["body"], count=1)
                    message = {**message, "body": body}
                    state["html"] = False  # only the first chunk holds <html>
            await send(message)

        return await self.app(scope, receive, guarded_send)
