"""Render answers for the browser: safe HTML with [n] markers and expandable citations.

A citation reads "[1] 제목 · 출처 · 날짜" (the title links to the document when its URL is known) with
the passage folded under it; file names, chunk ids and offsets stay in the API (`Answer.to_dict`).
Every piece of document text, metadata and user input is HTML-escaped here, so markup inside a
corpus file or a question is shown as text and never executed; only absolute http(s) URLs become
links. UI strings follow the question's language. No gradio import: the web layer (app.py) only
places these strings.
"""

from __future__ import annotations

import html
import re

from .answer import Answer, Citation
from .metadata import clean_url

UI = {
    "en": {
        "sources": "Sources",
        "related": "Related passages (not an answer)",
        "related_label": "Related",  # "Related 1", "Related 2": passages that are not cited as an answer
        "not_found": "Not in the document",
        "section": "section",
    },
    "ko": {
        "sources": "출처",
        "related": "관련 구절 (답변 아님)",
        "related_label": "참고",
        "not_found": "문서에 없는 내용",
        "section": "단락",
    },
}


def _highlight(passage: str, sentence: str) -> str:
    """Escaped passage with the supporting sentence wrapped in <mark>."""
    if sentence and sentence in passage:
        i = passage.index(sentence)
        return (
            html.escape(passage[:i])
            + "<mark>" + html.escape(sentence) + "</mark>"
            + html.escape(passage[i + len(sentence):])
        )
    return html.escape(passage)


TITLE_CHARS = 90  # a longer title (often a lead sentence) is cut at a word, the whole one shown on hover


def _shorten(text: str, limit: int = TITLE_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut[limit // 2 :]:  # end at a word when one ends in the second half
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.·-") + "…"


def cite_line(c: Citation) -> str:
    """"제목 · 출처 · 날짜" as safe HTML: the title (else the file name) linked to the document's URL when
    it is an http(s) address, then the agency and the date when known."""
    full = c.title or c.source.rsplit("/", 1)[-1]
    title = html.escape(_shorten(full))
    url = clean_url(c.url)
    if url:
        title = f"<a href=\"{html.escape(url, quote=True)}\" target=\"_blank\" rel=\"noopener noreferrer\">{title}</a>"
    hover = f" title=\"{html.escape(full, quote=True)}\"" if len(full) > TITLE_CHARS else ""
    rest = "".join(f" · {html.escape(part)}" for part in (c.source_name, c.date) if part)
    return f"<span class='rag-doc'{hover}>{title}</span>{rest}"


def citation_html(c: Citation, label: str, lang: str) -> str:
    """One source: "[1] 제목 · 출처 · 날짜" with the passage (its sentence highlighted) folded under it."""
    ui = UI[lang]
    section = f"<div class='rag-section'>{ui['section']}: {html.escape(c.section)}</div>" if c.section else ""
    body = _highlight(c.text, c.highlight).replace("\n", "<br>")
    return (
        f"<details class='rag-cite'><summary><b>{html.escape(label)}</b> {cite_line(c)}</summary>"
        f"{section}<div class='rag-passage'>{body}</div></details>"
    )


def question_html(question: str) -> str:
    """The user's message as shown in the chat: markup is displayed, never interpreted."""
    return html.escape(question).replace("\n", "<br>")


_MARKER = re.compile(r"\[(\d+)\]")
_LEAD = re.compile(r"^\*\*(.+?)\*\* — ")  # the answer itself, before the quoted sentence (answer.compose)


def answer_html(ans: Answer) -> str:
    """The whole bot message: answer text (escaped, markers bold), then the citations folded."""
    lang = ans.lang if ans.lang in UI else "en"
    ui = UI[lang]
    text = _LEAD.sub(r"<strong class='rag-lead'>\1</strong> — ", _MARKER.sub(r"<b>[\1]</b>", html.escape(ans.text)))
    if ans.abstained:
        head = f"<div class='rag-abstain'>⚠️ <b>{ui['not_found']}</b><br>{text}</div>"
        items = [citation_html(c, f"{ui['related_label']} {i}", lang) for i, c in enumerate(ans.contexts[:3], 1)]
        title = ui["related"]
    else:
        head = f"<div class='rag-answer'>{text}</div>"
        items = [citation_html(c, f"[{c.n}]", lang) for c in ans.citations]
        title = ui["sources"]
    if not items:
        return head
    return f"{head}<div class='rag-cites'><div class='rag-cites-title'>{title}</div>{''.join(items)}</div>"


# ---------------------------------------------------------------- generated answers (rag/generate.py)

NOTES = {
    "en": {
        "generated": "Written by a language model from the cited passages.",
        "withheld": "A generated answer did not pass the source check; the document's own sentence is shown.",
        "unavailable": "The language model is unavailable; the document's own sentence is shown.",
    },
    "ko": {
        "generated": "언어 모델이 인용 구절을 바탕으로 작성한 답변입니다.",
        "withheld": "생성된 답변이 출처 확인을 통과하지 못해 문서의 문장을 그대로 보여 드립니다.",
        "unavailable": "언어 모델을 사용할 수 없어 문서의 문장을 그대로 보여 드립니다.",
    },
}


def generation_note_html(ans: Answer) -> str:
    """A discreet line under an answer saying it was generated, or that a generated answer was withheld
    (the reason in the tooltip); "" for a plain extractive answer."""
    notes = NOTES.get(ans.lang, NOTES["en"])
    guard = getattr(ans, "guard", "")
    if getattr(ans, "generated", False):
        key = "generated"
    elif guard:
        key = "unavailable" if guard.startswith("generator unavailable") else "withheld"
    else:
        return ""
    return f"<div class='rag-note' title='{html.escape(guard, quote=True)}'><small>ⓘ {notes[key]}</small></div>"


def partial_html(text: str) -> str:
    """A generated answer while it streams: escaped, markers bold; the sources follow when it is complete."""
    body = _MARKER.sub(r"<b>[\1]</b>", html.escape(text)).replace("\n", "<br>")
    return f"<div class='rag-answer rag-streaming'>{body}</div>"
