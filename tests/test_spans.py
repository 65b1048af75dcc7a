"""rag/spans.py: the answer inside a sentence, read off Kiwi tags."""

import pytest

from rag.question import analyze
from rag.spans import answer_spans, new_spans, pick_span, taking


def span_texts(sentence, wants, counter=None):
    return [sentence[a:b] for a, b in answer_spans(sentence, wants, counter)]


@pytest.mark.parametrize(
    "sentence,wants,counter,expected",
    [
        ("AI혁신펀드(900억원, ~'26) 등을 조성한다", "amount", None, ["900억원"]),
        ("과징금 1,347억 9,100만 원과 과태료 960만 원을 부과", "amount", None, ["1,347억 9,100만 원", "960만 원"]),
        ("활용률을 50%로 높인다", "percent", None, ["50%"]),
        ("제조 AI전문기업 100개를 지정하고 3년간 지원", "count", "개", ["100개"]),
        ("2,300여만 명의 정보가 유출", "count", "명", ["2,300여만 명"]),
        ("7월 23일(목)부터 2026년 7월 25일까지", "time", None, ["7월 23일", "2026년 7월 25일"]),
        ("해양수산부 장관 황종우는 말했다", "person", None, ["황종우"]),
        ("AI 스타트업 지원을 강화한다.", "amount", None, []),
        ("펀드 규모는 900억원이다", None, None, []),
        ("국유림 약 600ha를 대상으로 풀베기", "amount", None, ["600ha"]),  # a Latin unit on the number
        ("총 50km 구간을 점검", "count", "km", ["50km"]),
        ("데이터셋 K-MIMIC을 구축한 서울대병원", "name", None, ["MIMIC", "서울대병원"]),  # a name in either script
        ("제13회 포럼에서 미팅을 80회 이상 진행", "count", None, ["80회"]),
        ("AI혁신펀드(900억원, ~'26) 등을 조성한다", "time", None, ["'26"]),  # a year written short
        ("'27년까지 조성하고 ’26.2월 시작", "time", None, ["'27년", "’26.2월"]),
        ("'20명'이 참석했다", "time", None, []),  # a quoted count is no year
        ("'26~'27 추진", "time", None, ["'26", "'27"]),  # the noun after a short year is not its unit
        ("'10월 넷째 주 개최", "time", None, ["10월"]),  # a quote mark, not a short year
        ("The city will open 12 new parks in 2026.", "count", None, ["12"]),  # English: the counted word follows
        ("The city will open 12 new parks in 2026.", "time", None, ["2026"]),  # the full stop is not the year's
        ("The 2026 budget was set.", "count", None, []),
        ("It costs 40 million dollars.", "amount", None, ["40 million dollars"]),  # unit words, not the full stop
        ("It costs 40 million dollars.", "count", None, []),
        ("The rate rose 20 percent this year.", "percent", None, ["20 percent"]),
        ("Applications open at 10 am on Monday.", "time", None, ["10 am"]),
    ],
)
def test_answer_spans_read_off_kiwi_tags(sentence, wants, counter, expected):
    got = span_texts(sentence, wants, counter)
    for e in expected:
        assert e in got
    if not expected:
        assert got == []


def test_an_ordinal_is_not_a_count_or_an_amount():
    assert span_texts("제13회 제주 국제크루즈포럼 개최", "count", None) == []
    assert span_texts("제2금융권 등 금융분야", "count", "금융") == []
    assert span_texts("제13회 포럼에서 미팅을 80회 진행", "count", "회") == ["80회"]


@pytest.mark.parametrize(
    "sentence,wants,counter,expected",
    [
        ("공시벌점 15 점 누적을 벌점 10 점 누적으로 하향조정합니다", "count", "점", ["10 점"]),
        ("감점 최대치를 기존 10점에서 20점으로 올리고", "count", "점", ["20점"]),
        ("[시총] (’25) 40억원 → (‘26) 150억원", "amount", None, ["150억원"]),
        ("보장한도 축소(5천만원→ 1천만원)", "amount", None, ["1천만원"]),
        ("과징금 1,347억 원을 부과", "amount", None, []),  # no change stated
    ],
)
def test_taking_ro_keeps_the_new_value_of_a_change(sentence, wants, counter, expected):
    spans = taking(sentence, answer_spans(sentence, wants, counter), "로")
    assert [sentence[a:b] for a, b in spans] == expected


@pytest.mark.parametrize(
    "particle,expected",
    [("부터", ["2019년 10월", "10월"]), ("까지", ["2019년 8월", "8월"])],
)
def test_taking_buteo_or_kkaji_keeps_the_start_or_the_end(particle, expected):
    sentence = "애플은 2019년 8월까지 동의 없이 수집하였고, 2019년 10월부터는 별도 동의를 받았다."
    spans = taking(sentence, answer_spans(sentence, "time", None), particle)
    assert [sentence[a:b] for a, b in spans] == expected


@pytest.mark.parametrize(
    "particle,expected",
    [("부터", ["’26.2월"]), ("까지", ["’27.6월", "'26"])],
)
def test_taking_reads_a_range_sign_as_a_start_and_an_end(particle, expected):
    sentence = "’26.2월~’27.6월 집중관리기간을 운영하고 AI혁신펀드(900억원, ~'26)를 조성"
    spans = taking(sentence, answer_spans(sentence, "time", None), particle)
    assert [sentence[a:b] for a, b in spans] == expected


def test_taking_reads_a_range_past_a_weekday_in_brackets():
    sentence = "신청은 3.2.(월)∼3.20.(금) 온라인으로 받는다"
    spans = answer_spans(sentence, "time", None)
    assert [sentence[a:b] for a, b in taking(sentence, spans, "부터")] == ["3.2."]
    assert [sentence[a:b] for a, b in taking(sentence, spans, "까지")] == ["3.20."]


def test_pick_span_prefers_the_figure_next_to_the_question_terms():
    s = "스타트업 코리아 펀드(2조원, ~'27), AI혁신펀드(900억원, ~'26) 등"
    spans = answer_spans(s, "amount", None)
    a, b = pick_span(s, spans, ["혁신펀드", "ai"])
    assert s[a:b] == "900억원"
    assert pick_span(s, spans, []) == spans[0]
    assert pick_span(s, [], ["펀드"]) is None


def test_new_spans_drop_what_the_question_already_states(tiny_index):

    q = analyze(tiny_index, "300승 이상 올린 투수는 몇 명인가?")
    sentence = "300승 클럽에는 지금까지 24명의 투수가 가입했다"
    spans = answer_spans(sentence, "count", None)
    kept = [sentence[a:b] for a, b in new_spans(q, sentence, spans)]
    assert "24명" in kept and not any(k.startswith("300") for k in kept)
    named = analyze(tiny_index, "퀘벡은 캐나다의 어느 도시인가?")
    s2 = "캐나다의 퀘벡과 밴쿠버"
    assert [s2[a:b] for a, b in new_spans(named, s2, answer_spans(s2, "place", None))] == ["밴쿠버"]
