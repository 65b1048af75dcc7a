"""The chat with a generator, for real: app.py in a server process configured for an OpenAI-compatible
endpoint (a fake one on 127.0.0.1, started here), driven in Chromium. The text streams in, then the
answer renders with its sources and a discreet note; a reply the guard rejects is never shown."""

from __future__ import annotations

import re

import pytest

from .conftest import write_corpus
from .fake_openai import FakeOpenAI, question_of
from .live import chromium, live_app

pytestmark = [pytest.mark.integration, pytest.mark.browser]

REPLIES = {  # the fake model: faithful about the budget, an invented year for the parks
    "What is the parks budget?": ("budget", "The city's parks budget is 40 million dollars [{n}]."),
    "When will the parks open?": ("new parks", "The new parks will open in 2027 [{n}]."),
}


def _reply(messages: list[dict]) -> str:
    user = messages[-1]["content"]
    word, template = REPLIES[question_of(messages)]
    passages = re.findall(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', user, re.DOTALL)
    return template.format(n=next(n for n, text in passages if word in text))


@pytest.fixture(scope="module")
def app_with_generator(tmp_path_factory):
    root = tmp_path_factory.mktemp("app-gen")
    write_corpus(root)  # live_app serves root/corpus as it is
    with FakeOpenAI(_reply, pause=0.25) as llm:
        env = {"RAG_CHUNK_SIZE": "200", "RAG_GENERATOR": "openai", "RAG_LLM_BASE_URL": llm.url,
               "RAG_LLM_MODEL": "fake", "RAG_LLM_RETRIES": "0"}
        with live_app(root, env) as app:
            yield app.url, llm


@pytest.fixture(scope="module")
def page(app_with_generator):
    with chromium() as browser:
        pg = browser.new_page(viewport={"width": 1100, "height": 900})
        pg.goto(app_with_generator[0] + "/")
        pg.locator("#question textarea").wait_for(timeout=30000)
        yield pg


def _send(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def test_generated_text_streams_then_the_sources_render(page, tmp_path):
    _send(page, "What is the parks budget?")
    streaming = page.locator(".rag-streaming").first
    streaming.wait_for(timeout=30000)  # partial text, before the answer is complete
    partial = streaming.inner_text()
    assert partial and "rag-cites" not in page.locator(".message").last.inner_html()
    note = page.locator(".rag-note").first
    note.wait_for(timeout=30000)
    assert "Written by a language model" in note.inner_text()
    answer = page.locator(".rag-answer").last.inner_text()
    assert "40 million dollars" in answer and len(answer) > len(partial)
    assert page.locator(".rag-streaming").count() == 0 and page.locator(".rag-cite").count() >= 1
    page.screenshot(path=str(tmp_path / "generated.png"), full_page=True)


def test_a_reply_the_guard_rejects_is_replaced_by_the_documents_sentence(page, app_with_generator):
    _send(page, "When will the parks open?")
    page.locator(".rag-note").nth(1).wait_for(timeout=30000)
    assert "did not pass the source check" in page.locator(".rag-note").nth(1).inner_text()
    answer = page.locator(".rag-answer").last.inner_text()
    assert "12 new parks in 2026" in answer and "2027" not in answer
    assert len(app_with_generator[1].requests) == 2
