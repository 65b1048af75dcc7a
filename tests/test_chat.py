from concurrent.futures import ThreadPoolExecutor

import pytest

from rag.chat import Conversation, is_follow_up
from rag.errors import BadQuestion


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
