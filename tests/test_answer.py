import pytest

from rag.answer import _trim, answer_type, has_type, numbers_grounded, term_match


@pytest.mark.parametrize(
    "question,kind",
    [
        ("How much is the AI innovation fund?", "amount"),
        ("AI혁신펀드는 얼마 규모인가요?", "amount"),
        ("활용률을 몇 퍼센트로 높이나요?", "percent"),
        ("What percentage of the budget goes to AI?", "percent"),
        ("How many companies will be designated?", "count"),
        ("How many people live there?", "people"),
        ("언제까지 운용하나요?", "time"),
        ("Who chaired the meeting?", "person"),
        ("Where is the centre?", "place"),
        ("What is the Data Generation LAB for?", None),
    ],
)
def test_answer_type(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    "text,kind,expected",
    [
        ("AI혁신펀드(900억원, ~'26)", "amount", True),
        ("a budget of 40 million dollars", "amount", True),
        ("활용률을 50%로 높인다", "percent", True),
        ("제조 AI전문기업 100개를 지정", "count", True),
        ("성북구, 중랑천서 110년 숨어 있던 땅 9555", "people", False),
        ("오영주 장관은 말했다", "person", True),
        ("AI 스타트업 지원을 강화한다.", "amount", False),
        ("'27년까지", "time", True),
    ],
)
def test_has_type(text, kind, expected):
    assert has_type(text, kind) is expected


def test_numbers_grounded():
    assert numbers_grounded("According to the document: 펀드(900억원) [1]", ["AI혁신펀드(900억원, ~'26)"])
    assert numbers_grounded("R&D 예산(3,301억원) [2]", ["R&D 신규 예산(3,301억원)의 50%"])
    assert not numbers_grounded("펀드는 950억원 [1]", ["AI혁신펀드(900억원)"])


def test_term_match_credits_stems_and_short_years():
    assert term_match("펀드", {"펀드"}, "") == 1.0
    assert term_match("2027", set(), "'27년까지") == 1.0
    assert term_match("성동구", set(), "성동 '고혈압 교육센터'") == 0.5
    assert term_match("바우처", set(), "보증 융자") == 0.0


def test_trim_keeps_the_clauses_with_key_terms():
    sentence = ", ".join(f"clause {i} about nothing" for i in range(20)) + ", the fund is 900 million"
    out = _trim(sentence, ["fund"], 80)
    assert len(out) <= 80 and "fund is 900 million" in out


def test_answer_quotes_the_fact_with_a_citation(tiny_pipeline):
    ans = tiny_pipeline.answer("AI혁신펀드 규모는 얼마인가요?")
    assert not ans.abstained
    assert "900억원" in ans.text and "[1]" in ans.text and ans.text.startswith("문서에 따르면")
    assert ans.citations[0].n == 1 and "900억원" in ans.citations[0].text
    assert numbers_grounded(ans.text, [c.text for c in ans.citations])
    assert len(ans.contexts) == min(5, len(tiny_pipeline.index.chunks))


def test_footnote_answers_with_its_figure(tiny_pipeline):
    ans = tiny_pipeline.answer("보증 한도는 기업당 얼마인가요?")
    assert not ans.abstained and "30억원" in ans.text and not ans.text.split(": ", 1)[1].startswith("*")


def test_english_question_gets_english_framing(tiny_pipeline):
    ans = tiny_pipeline.answer("How many new parks will the city open?")
    assert not ans.abstained and "12 new parks" in ans.text and ans.text.startswith("According to the document")


@pytest.mark.parametrize(
    "question,prefix",
    [("AI 바우처 사업의 신청 자격은 무엇인가요?", "문서에는"), ("How many people live in the parks?", "The document does not say")],
)
def test_abstains_when_the_detail_is_missing(tiny_pipeline, question, prefix):
    ans = tiny_pipeline.answer(question)
    assert ans.abstained and ans.text.startswith(prefix)
    assert ans.citations == [] and ans.contexts  # related passages are still offered
    assert not any(ch.isdigit() for ch in ans.text)


@pytest.mark.parametrize(
    "question,unit",
    [("몇 점을 받았나요?", "점"), ("총 몇 조원 규모인가요?", "조원"), ("몇년인가요?", "년"), ("몇 퍼센트인가요?", None),
     ("몇 가지인가요?", None), ("How many points?", None)],
)
def test_question_unit(question, unit):
    from rag.answer import question_unit

    assert question_unit(question) == unit


def test_has_unit_needs_the_same_counter():
    from rag.answer import has_unit

    assert has_unit("약 3조원 규모의 AI 펀드", "조원")
    assert has_unit("공공임대주택 5만 호를 공급", "호")
    assert not has_unit("민원서비스 종합 평가 3년 연속 '우수'", "점")
    assert has_unit("anything", None)


@pytest.mark.parametrize(
    "text,question,expected",
    [
        ("이순신은 조선 중기의 무신이다. 그는 임진왜란에서 수군을 이끌었다.", "조선 중기의 무신은 누구인가요?", "이순신"),
        ("박물관은 부산에 새로 문을 열었다. 관람은 무료이다.", "박물관은 어디에 문을 열었나요?", "부산"),
    ],
)
def test_who_and_where_accept_names_without_title_or_suffix(tmp_path, fake_embedder, text, question, expected):
    from rag.chat import Pipeline
    from rag.config import Settings
    from rag.index import ensure

    from .conftest import write_corpus

    corpus = write_corpus(tmp_path, {"a.txt": text + "\n"})
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    ans = Pipeline(settings=settings, index=ensure(settings, fake_embedder, progress=False)).answer(question)
    assert not ans.abstained and expected in ans.text
