import pytest

from rag.text import lang_of, morphemes, nouns


@pytest.mark.parametrize("text,lang", [("AI혁신펀드는 얼마인가요?", "ko"), ("How much is the fund?", "en"), ("", "en"), ("AI 펀드", "ko")])
def test_lang_of(text, lang):
    assert lang_of(text) == lang


def test_particles_do_not_break_matching():
    assert "펀드" in morphemes("펀드는") and "펀드" in morphemes("펀드를")
    assert morphemes("펀드는") == morphemes("펀드를")


def test_english_stop_words_dropped_and_plurals_trimmed():
    assert morphemes("How many parks are there?") == ["park"]


def test_nouns_skip_verbs_and_endings():
    assert nouns("성동구가 운영하는 교육센터") == ["성동구", "운영", "교육", "센터"]


@pytest.mark.parametrize(
    "question,nouns_,compounds",
    [
        ("딥시크는 어느 나라 스타트업인가요?", ["딥시크", "스타트업"], []),  # 나라: the answer's category
        ("AI혁신펀드는 언제까지 조성되나요?", ["ai", "혁신", "펀드", "조성"], ["ai혁신", "혁신펀드"]),
        ("How many parks?", ["park"], []),
    ],
)
def test_question_terms(question, nouns_, compounds):
    from rag.text import question_terms

    assert question_terms(question) == (nouns_, compounds)
