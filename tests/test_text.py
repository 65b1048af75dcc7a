import pytest

from rag.text import lang_of, morphemes


@pytest.mark.parametrize("text,lang", [("AI혁신펀드는 얼마인가요?", "ko"), ("How much is the fund?", "en"), ("", "en"), ("AI 펀드", "ko")])
def test_lang_of(text, lang):
    assert lang_of(text) == lang


def test_particles_do_not_break_matching():
    assert "펀드" in morphemes("펀드는") and "펀드" in morphemes("펀드를")
    assert morphemes("펀드는") == morphemes("펀드를")


def test_english_stop_words_dropped_and_plurals_trimmed():
    assert morphemes("How many parks are there?") == ["park"]
