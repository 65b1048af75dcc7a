import pytest

from rag.text import clause_spans, kiwi, lang_of, morphemes, question_lang, signals, unmarked


@pytest.mark.parametrize("text,lang", [("AI혁신펀드는 얼마인가요?", "ko"), ("How much is the fund?", "en"), ("", "en"), ("AI 펀드", "ko")])
def test_lang_of(text, lang):
    assert lang_of(text) == lang


@pytest.mark.parametrize(
    "question,lang",
    [
        ("Who chaired the 가계부채 점검회의 in June?", "en"),  # English frame, Korean terms
        ("How much is 글로벌 AI펀드?", "en"),
        ("AI innovation fund 규모는 얼마예요?", "ko"),  # as many Korean words: Korean
        ("SKT 과징금은?", "ko"),  # acronyms belong to no language
        ("What is AI?", "en"),
        ("", "en"),
    ],
)
def test_question_lang_is_the_frame_of_the_question(question, lang):
    assert question_lang(question) == lang


def test_particles_do_not_break_matching():
    assert "펀드" in morphemes("펀드는") and "펀드" in morphemes("펀드를")
    assert morphemes("펀드는") == morphemes("펀드를")


def test_english_stop_words_dropped_and_plurals_trimmed():
    assert morphemes("How many parks are there?") == ["park"]


@pytest.mark.parametrize(
    "text,types,counters",
    [
        ("과징금 1,347억 원을 2025년에", {"number", "amount", "time", "count"}, {"원", "년"}),
        ("활용률 50%", {"number", "percent"}, set()),
        ("국유림 약 600ha를 대상으로", {"number", "measure", "count"}, {"ha"}),  # a Latin unit on the number
        ("ASIA 2026 Cruise", {"number", "time"}, set()),  # a year, and a word that is not its unit
        ("제13회 포럼에서 미팅을 80회 진행", {"number", "count"}, {"회"}),  # 80회 counts; 제13회 is an ordinal
        ("제13회 제주 국제크루즈포럼", {"number"}, set()),
    ],
)
def test_signals_read_answer_types_off_kiwi_tags(text, types, counters):
    got = signals(kiwi().tokenize(text))
    assert types <= got.types
    assert ("measure" in got.types) == ("measure" in types)
    assert counters == set(got.counters)


def test_a_year_written_short_is_a_time():
    assert "time" in signals(kiwi().tokenize("AI혁신펀드(900억원, ~'26) 등")).types
    assert "time" in signals(kiwi().tokenize("(’25) 40억원 → (‘26) 150억원")).types
    assert "time" not in signals(kiwi().tokenize("'20명'이 참석")).types  # a quoted count
    assert "time" not in signals(kiwi().tokenize("'20만 명'이 참석")).types  # a number written on
    assert "time" not in signals(kiwi().tokenize("'20여 곳'을 지정")).types


def test_an_english_number_counts_the_word_after_it():
    got = signals(kiwi().tokenize("The city will open 12 new parks in 2026."))
    assert {"count", "time"} <= got.types and not got.counters  # English writes no counter
    assert "count" not in signals(kiwi().tokenize("The fund opened on 3 July.")).types  # a month, capitalised
    assert "count" not in signals(kiwi().tokenize("The 2026 budget was set.")).types  # a year


@pytest.mark.parametrize(
    "sentence, kind",
    [
        ("It costs 40 million dollars.", "amount"),  # Kiwi cuts "dollars." into "do" + "llars."
        ("The fund is 900 billion won.", "amount"),
        ("The rate rose 20 percent this year.", "percent"),
        ("Applications open at 10 am on Monday.", "time"),
        ("The programme runs 3 years.", "time"),
    ],
)
def test_english_unit_words_give_their_type_not_a_count(sentence, kind):
    got = signals(kiwi().tokenize(sentence)).types
    assert kind in got and "count" not in got


def test_ordinal_numbers_are_not_counts():
    got = signals(kiwi().tokenize("은행ㆍ제2금융권 등이 참여하는 제13회 포럼"))
    assert "number" in got.types and not {"count", "amount"} & got.types and not got.counters


def test_clause_spans_split_at_commas_and_join_short_fragments_to_the_next_clause():
    text = "지원 대상은 만 19~34세 청년, 기간은 2년, 금리는 연 2%"
    assert [text[a:b] for a, b in clause_spans(text)] == ["지원 대상은 만 19~34세 청년", " 기간은 2년, 금리는 연 2%"]
    assert clause_spans("쉼표 없는 한 문장") == [(0, 10)]
    assert clause_spans("") == [(0, 0)]


def test_unmarked_removes_footnote_marks_and_joins_lines():
    assert unmarked("펀드를 조성한다.\n* 2조원 규모\n※ 잠정") == "펀드를 조성한다. 2조원 규모 잠정"
