import pytest

from rag.guard import check, cited, quantities, streamable, strip_citations


def values(text: str) -> list[list[float]]:
    return [sorted(q.values) for q in quantities(text)]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("900억원", 9e10),
        ("900억 원", 9e10),
        ("90 billion won", 9e10),
        ("9백억", 9e10),
        ("구백억 원", 9e10),
        ("KRW 90bn", 9e10),
        ("1조 2,000억원", 1.2e12),
        ("1억 5천만원", 1.5e8),
        ("10만 명", 1e5),
        ("2,000개", 2000),
        ("2000", 2000),
        ("$3m", 3e6),
        ("two hundred thousand", 2e5),
        ("twenty-five", 25),
        ("삼십오", 35),
        ("다섯 개", 5),
        ("27.9년", 27.9),
    ],
)
def test_one_figure_and_its_value(text, expected):
    found = quantities(text)
    assert len(found) == 1 and expected in found[0].values


@pytest.mark.parametrize("text", ["20%", "20 퍼센트", "20 percent", "20프로", "이십 퍼센트"])
def test_percentages(text):
    (q,) = quantities(text)
    assert q.percent and q.values == {20}


@pytest.mark.parametrize("text", ["'26", "'26년", "2026년", "2026", "26년"])
def test_years_read_as_2026(text):
    (q,) = quantities(text)
    assert 2026 in q.values


def test_a_date_is_its_parts():
    assert values("2025. 8. 28.") == [[2025], [8], [28]]
    assert values("August 28, 2025") == [[8], [28], [2025]]


@pytest.mark.parametrize("text", ["조사 결과", "일정과 이유", "one of the programmes", "수백조원 규모", "", "AI 펀드"])
def test_no_figure(text):
    assert quantities(text) == []


def test_two_numbers_in_a_row_stay_two():
    assert values("50%('24년 28%)") == [[50], [24, 1924, 2024], [28]]
    assert values("rooms 300 500") == [[300], [500]]


@pytest.mark.parametrize(
    "answer",
    [
        "The fund is 90 billion won [1].",
        "펀드 규모는 9백억 원입니다 [1].",
        "구백억 원 규모입니다 [1].",
        "It runs until 2026 [1].",
        "It runs until '26 [1].",
        "The target AI adoption rate is 50 percent by 2027 [1].",
        "목표는 50 퍼센트입니다 [1].",
        "There are 2000 firms [1].",
    ],
)
def test_grounded_forms_pass(answer):
    passage = "AI혁신펀드(900억원, ~'26), 2,000개 기업 지원. '27년까지 AI활용률을 50%로 높인다."
    assert check(answer, {1: passage}) == ""


@pytest.mark.parametrize(
    "answer,reason",
    [
        ("The fund is 95 billion won [1].", "95 billion"),
        ("The fund is 900 billion won [1].", "900 billion"),
        ("It runs until 2027 [1].", "2027"),
        ("The rate is 900 percent [1].", "900 percent"),  # 900 occurs, but not as a percentage
        ("About 2,001 firms [1].", "2,001"),
    ],
)
def test_invented_figures_are_caught(answer, reason):
    passage = "AI혁신펀드(900억원, ~'26), 2,000개 기업 지원."
    assert reason in check(answer, {1: passage})


def test_list_numbering_and_markers_are_not_figures():
    passage = "AI혁신펀드(900억원, ~'26)"
    assert check("1. The fund is 900억원 [1].\n2) It runs until 2026 [1].", {1: passage}) == ""
    assert "3" in check("The fund has 3 parts [1].", {1: passage})


def test_figures_must_be_in_a_cited_passage():
    passages = {1: "펀드 규모는 900억원이다.", 2: "공원 12곳을 연다."}
    assert check("The fund is 90 billion won [1] and 12 parks open [2].", passages) == ""
    assert "12" in check("The fund is 90 billion won and 12 parks open [1].", passages)


@pytest.mark.parametrize(
    "answer,reason",
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("[1]", "empty"),
        ("The fund is large.", "no citation"),
        ("The fund is large [3].", "[3]"),
        ("The fund is large [1][0].", "[0]"),
    ],
)
def test_structural_failures(answer, reason):
    assert reason in check(answer, {1: "The fund is large.", 2: "Other text."})


def test_cited_markers():
    assert cited("a [2], b [1, 3] and [2][4]") == [2, 1, 3, 4]
    assert cited("no markers") == []
    assert "[" not in strip_citations("x [1] y [2, 3]")


GIVEN = "The parks budget is 40 million dollars. The city opens 12 new parks in 2026."


@pytest.mark.parametrize(
    "partial,shown",
    [
        ("The budget", "The budget"),
        ("The budget is 4", "The budget is "),  # a figure being written is held back ...
        ("The budget is 40 mil", "The budget is "),
        ("The budget is 40 million dollars [1", "The budget is "),
        ("The budget is 40 million dollars [1].", "The budget is 40 million dollars [1]."),  # ... until complete
        ("It opens 12 parks in 2026 [1]. Then", "It opens 12 parks in 2026 [1]. Then"),
        ("See [1", "See [1"),  # a marker is no figure
        ("The fund is 4,6", "The fund is "),  # "4" and "6" so far: one figure being written
        ("12, 4", "12, "),
    ],
)
def test_streamable_shows_checked_text_only(partial, shown):
    assert streamable(partial, quantities(GIVEN)) == (shown, "")


@pytest.mark.parametrize("partial,figure", [("The budget is 45 million dollars [1].", "45 million"),
                                            ("It opens 13 parks, more soon", "13")])
def test_streamable_stops_at_a_figure_no_passage_holds(partial, figure):
    shown, why = streamable(partial, quantities(GIVEN))
    assert figure in why and figure not in shown
