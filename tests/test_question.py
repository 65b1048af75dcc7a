import numpy as np
import pytest

from rag.question import analyze, answer_type, constraints_of, counted_phrase, key_nouns, strip_markup, wh_particle
from rag.text import kiwi, normalize


def toks(text):
    return kiwi().tokenize(normalize(text))


@pytest.mark.parametrize(
    "question,wants,counter",
    [
        ("AI혁신펀드는 얼마 규모인가요?", "amount", None),
        ("How much is the AI innovation fund?", "amount", None),
        ("활용률을 몇 퍼센트로 높이나요?", "percent", None),
        ("What percentage of the budget goes to AI?", "percent", None),
        ("몇 명이 참여했나요?", "count", "명"),
        ("사업 면적은 얼마나 돼요?", "amount", None),
        ("선임까지 보통 며칠 걸려요?", "time", "일"),
        ("2030년까지 몇 개 기업을 지정하나요?", "count", "개"),
        ("How many companies will be designated?", "count", None),
        ("언제 개최되나요?", "time", None),
        ("When was the meeting held?", "time", None),
        ("누가 회의를 주재했나요?", "person", None),
        ("Who chaired the meeting?", "person", None),
        ("어디에서 열렸나요?", "place", None),
        ("Where is the centre?", "place", None),
        ("단장을 맡은 부이사장 이름이 뭐예요?", "name", None),  # a noun that asks for a name
        ("그 청장님 성함이 어떻게 되나요?", "person", None),
        ("What is the name of the dataset?", "name", None),
        ("금감원장 이름으로 몇 건 보냈나요?", "count", "건"),  # 몇 + counter comes first
        ("AI혁신펀드 규모가 how much인가요?", "amount", None),  # an English wh-phrase run into Korean
        ("글로벌 AI펀드는 when부터예요?", "time", None),
        ("WHO가 권고한 기준은 무엇인가요?", None, None),  # an acronym, not "who"
        ("WHEN DOES THE FUND CLOSE?", "time", None),  # a question in capitals keeps its wh-word
        ("What is the Data Generation LAB for?", None, None),
        ("이 제도의 목적은 무엇인가요?", None, None),
    ],
)
def test_answer_type_from_wh_words_and_counters(question, wants, counter):
    assert answer_type(question, toks(question)) == (wants, counter)


def test_constraints_years_numbers_names_and_attribute():
    c = constraints_of(toks("쿠팡이 2030년까지 100개 매장에서 받을 신청 자격은?"), "ko", "")
    assert c.years == ("2030",)
    assert c.numbers == ("100",)
    assert c.quantities == ("100개",)
    assert "쿠팡" in c.names
    assert c.attribute == "자격"


def test_a_noun_asking_for_a_name_is_neither_attribute_nor_key_noun():
    text = "상장폐지 집중관리단 단장 이름이 뭐예요?"
    assert constraints_of(toks(text), "ko", text).attribute == "단장"
    assert "이름" not in key_nouns(toks(text))[0]


def test_a_number_keeps_its_unit_but_not_a_noun_of_its_own_word():
    assert constraints_of(toks("6월 가계부채 점검회의"), "ko", "").quantities == ("6월",)
    assert constraints_of(toks("5 개 보험사"), "ko", "").quantities == ("5개",)
    assert constraints_of(toks("IFRS 18 시행 초기"), "ko", "").quantities == ("18",)


def test_constraints_of_an_english_question_keep_names_not_wh_words():
    text = "How much did Coupang pay in 2025 under the PIPC ruling?"
    c = constraints_of(toks(text), "en", text)
    assert "coupang" in c.names and "pipc" in c.names
    assert "how" not in c.names
    assert c.years == ("2025",)


def test_key_nouns_drop_wh_words_and_the_category_after_a_determiner():
    nouns, compounds = key_nouns(toks("딥시크는 어느 나라 스타트업인가요?"))
    assert "딥시크" in nouns and "나라" not in nouns
    nouns, compounds = key_nouns(toks("AI혁신펀드는 얼마인가요?"))
    assert "얼마" not in nouns and "혁신펀드" in compounds


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("<b>펀드</b>는 얼마?", "펀드 는 얼마?"),
        ("<script>alert(1)</script>How much?", "How much?"),
        ("![x](http://evil.example/a.png) 예산은?", "예산은?"),
        ("plain question", "plain question"),
    ],
)
def test_strip_markup(raw, clean):
    assert strip_markup(raw) == clean


def test_analyze_follow_up_leans_on_history(tiny_index):
    alone = analyze(tiny_index, "and when?")
    follow = analyze(tiny_index, "and when?", ["city parks budget"])
    assert follow.wants == "time"  # the current turn decides the answer type
    assert follow.context_terms and not alone.context_terms
    assert not np.allclose(alone.vec, follow.vec)
    assert np.isclose(np.linalg.norm(follow.vec), 1.0)


def test_analyze_language_is_the_current_turns(tiny_index):
    q = analyze(tiny_index, "그럼 보증은요?", ["How much is the fund?"])
    assert q.lang == "ko"
    q = analyze(tiny_index, "And the guarantee?", ["펀드는 얼마인가요?"])
    assert q.lang == "en"


@pytest.mark.parametrize(
    "question,expected",
    [
        ("공시위반 상장폐지 기준 벌점은 몇 점으로 낮아지나요?", "로"),
        ("시가총액 기준은 2027년 1월에 얼마로 바뀌나요?", "로"),
        ("자기부담률은 몇 %로 올라가요?", "로"),
        ("5세대 실손보험은 언제부터 판매돼요?", "부터"),
        ("서면평가는 몇 월부터 시작하나요?", "부터"),
        ("과징금은 언제까지 내야 해요?", "까지"),
        ("발달장애 의료비는 몇 살까지 보장돼요?", "까지"),
        ("정부는 그 기간을 언제까지 얼마로 줄이려고 해요?", "로"),
        ("과태료는 언제까지 얼마를 내야 해요?", None),
        ("공시벌점은 몇 점이에요?", None),
        ("펀드 규모는 얼마인가요?", None),
        ("포럼은 언제 열려요?", None),
        ("어디로 가나요?", None),
    ],
)
def test_wh_particle_is_the_particle_the_wh_word_takes(question, expected):
    assert wh_particle(kiwi().tokenize(question)) == expected


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Until when will the AI innovation fund be raised?", "까지"),
        ("When does the fund run until?", "까지"),
        ("By when must the fine be paid?", "까지"),
        ("Since when has LG U+ encrypted its keys?", "부터"),
        ("When was the fund raised?", None),
        ("How much funding is available until 2027?", None),  # "until" not on the wh-word
        ("펀드는 until when 운용돼요?", "까지"),  # in a mixed question
        ("펀드는 언제부터 until 조성돼요?", "부터"),  # the Korean particle first
    ],
)
def test_wh_particle_of_an_english_question_is_its_preposition(question, expected):
    assert wh_particle(kiwi().tokenize(question), question) == expected


@pytest.mark.integration
def test_an_english_question_is_also_put_in_the_corpus_words(real_pipeline):
    from rag.align import translation

    idx = real_pipeline.index
    q = analyze(idx, "How much is the AI innovation fund?")
    assert translation(idx, q.text, q.alignment) == "AI 혁신 펀드"
    assert q.translated_vec is not None and float(np.linalg.norm(q.translated_vec)) == pytest.approx(1.0)
    assert not np.allclose(q.translated_vec, q.vec)
    # its evidence is looked for in the corpus's words: the coverage features read the translation's nouns
    assert {"혁신", "펀드"} <= set(q.nouns) and "fund" not in q.nouns and "혁신펀드" in q.compounds
    assert analyze(idx, "AI혁신펀드는 얼마인가요?").translated_vec is None


@pytest.mark.parametrize(
    "question,phrase",
    [
        ("How many insurance companies joined the scheme?", "how many insurance companies"),
        ("how many people were there?", "how many people"),
        ("In 2024, how many cases were reported?", "how many cases"),
        ("How many 5G base stations are there?", "how many 5g base"),
        ("How many of the companies joined?", "how many companies joined"),  # a partitive is skipped
        ("How many staff, in total?", "how many staff"),  # punctuation ends the phrase
        ("Do you know how many? And how many trees?", "how many trees"),
        ("How many of them are there?", None),  # no noun of its own
        ("What is the budget?", None),
        ("몇 명이 참석했나요?", None),
    ],
)
def test_counted_phrase_is_what_an_english_how_many_question_counts(question, phrase):
    assert counted_phrase(question) == phrase
