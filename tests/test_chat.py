import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from rag import align, chat
from rag.chat import Conversation, Pipeline, is_follow_up
from rag.config import Settings
from rag.errors import BadQuestion
from rag.index import ensure

from .conftest import write_corpus


@pytest.mark.parametrize(
    "question,expected",
    [
        ("And how large is the global AI fund?", True),
        ("What about the guarantees?", True),
        ("그럼 보증은요?", True),
        ("그 사업은 누가 맡나요?", True),
        ("How much is the AI innovation fund?", False),
        ("AI혁신펀드는 얼마인가요?", False),
    ],
)
def test_is_follow_up(question, expected):
    assert is_follow_up(question) is expected


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_a_clear_error(tiny_pipeline, question):
    with pytest.raises(BadQuestion, match="empty"):
        tiny_pipeline.answer(question)


def test_huge_question_is_a_clear_error(tiny_pipeline):
    with pytest.raises(BadQuestion, match="limit is 1000"):
        tiny_pipeline.answer("펀드 " * 2000)


def test_question_just_under_the_limit_is_answered(tiny_pipeline):
    q = ("AI혁신펀드 규모는 얼마인가요? " * 100)[:1000]
    assert tiny_pipeline.answer(q).question == q.strip()


def test_conversation_resolves_a_follow_up(tiny_pipeline):
    convo = Conversation(tiny_pipeline)
    first = convo.ask("How many new parks will the city open?")
    assert "12 new parks" in first.contexts[0].text
    second = convo.ask("And how much is the budget for them?")
    # the follow-up retrieves with the earlier turn: the parks passage, not the fund's
    assert "40 million dollars" in second.contexts[0].text and second.lang == "en"
    assert convo.history == ["How many new parks will the city open?", "And how much is the budget for them?"]
    convo.reset()
    assert convo.history == []


def test_concurrent_users_get_their_own_answers(tiny_pipeline):
    questions = ["AI혁신펀드 규모는 얼마인가요?", "How many new parks will the city open?"] * 10
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(tiny_pipeline.answer, questions))
    for q, a in zip(questions, answers):
        assert a.question == q
        assert ("900억원" in a.contexts[0].text) if "펀드" in q else ("12 new parks" in a.contexts[0].text)


def test_answer_dict_keeps_machine_fields_and_adds_document_metadata(tmp_path, fake_embedder):
    corpus = write_corpus(tmp_path)
    (corpus / "metadata.jsonl").write_text(json.dumps(
        {"file": "fund.txt", "title": "AI 혁신펀드 조성", "source": "중소벤처기업부", "date": "2025.3.12",
         "url": "https://www.korea.kr/briefing/1"}, ensure_ascii=False) + "\n", encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chunk_size=200)
    pipeline = Pipeline(settings=settings, index=ensure(settings, fake_embedder, progress=False))
    d = pipeline.answer("AI혁신펀드 규모는 얼마인가요?").to_dict()
    fund = next(c for c in d["contexts"] if c["chunk_id"].startswith("fund.txt#"))
    assert fund["source"] == "corpus/fund.txt" and isinstance(fund["start"], int) and fund["end"] > fund["start"]
    assert (fund["title"], fund["source_name"], fund["date"], fund["url"]) == (
        "AI 혁신펀드 조성", "중소벤처기업부", "2025-03-12", "https://www.korea.kr/briefing/1")
    parks = next(c for c in d["contexts"] if c["chunk_id"].startswith("parks.md#"))
    assert (parks["title"], parks["source_name"], parks["date"], parks["url"]) == ("City parks", "", "", "")
    assert all(c in d["contexts"] for c in d["citations"])


def test_the_pipeline_prepares_what_english_questions_need_in_the_background(tiny_settings, tiny_index, monkeypatch):
    prepared = threading.Event()
    monkeypatch.setattr(align, "MIN_VOCAB", 1)  # the tiny corpus's vocabulary is below the real floor
    tiny_index.derived.pop("romanized", None)
    real = align.name_table
    monkeypatch.setattr(align, "name_table", lambda index: (real(index), prepared.set()))
    Pipeline(settings=tiny_settings, index=tiny_index)
    assert prepared.wait(timeout=30)
    assert tiny_index.derived["romanized"]  # the corpus's names, ready before the first English question


def test_the_pipeline_embeds_the_counters_in_the_background(tiny_settings, tiny_index, monkeypatch):
    done = threading.Event()
    real = chat.corpus_counters
    monkeypatch.setattr(chat, "corpus_counters", lambda index: (real(index), done.set()))
    tiny_index.derived.pop("counters", None)
    chat.Pipeline(settings=tiny_settings, index=tiny_index)
    assert done.wait(timeout=30)
    names, vecs = tiny_index.derived["counters"]  # ready before the first English how-many question
    assert "명" in names and len(vecs) == len(names)
