import dataclasses
import json

import numpy as np
import pytest

from rag.answer import (
    ANSWERABILITY_ONLY,
    FEATURES,
    QUESTION_FEATURES,
    SELECT_FEATURES,
    COUNTER_SEED,
    Candidate,
    Linear,
    Mean,
    Perceptron,
    Scorer,
    anchor_terms,
    answer_spans,
    candidates,
    clause_similarities,
    clause,
    clause_coverage,
    corpus_counters,
    counter_fits,
    coverage,
    document_weights,
    decide,
    features,
    missing_weight,
    novelty,
    numbers_grounded,
    pick_span,
    quoted,
    quantity_found,
    question_row,
    rerank,
    span_binding,
    span_clause,
    taking,
    term_match,
    threshold_group,
    type_agrees,
    year_found,
)
from rag.config import Settings
from rag.index import ensure
from rag.question import analyze
from rag.retrieve import search, sentence_similarities
from rag.text import Signals, lang_of

from .conftest import write_corpus


def sig(types=(), counters=()):
    return Signals(frozenset(types), frozenset(counters), frozenset(), frozenset())


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


def test_clause_keeps_the_span_and_fits_the_limit():
    s = ", ".join(f"조항 {i}은 관련이 없다" for i in range(30)) + ", 펀드 규모는 900억원이다"
    start = s.index("900억원")
    out = clause(s, (start, start + 5), ["펀드"], 80)
    assert "900억원" in out and len(out) <= 80 and out.startswith("…")
    assert clause("짧은 문장", None, [], 80) == "짧은 문장"


def test_clause_is_not_a_lone_connective_before_a_clause_too_long_to_fit():
    s = "특히, " + "금융회사 직원들 간 전화나 FAX 등을 통해 정보를 주고받아 대응이 늦었고 " * 4 + "개선이 필요하다."
    out = clause(s, None, ["금융회사", "fax"], 80)
    assert len(out) <= 80 and "FAX" in out and out != "특히,…"


@pytest.mark.parametrize(
    "wants,counter,signals,expected",
    [
        ("amount", None, sig({"number", "amount"}), True),
        ("amount", None, sig({"number"}), False),
        ("count", "명", sig({"number", "count"}, {"인"}), True),
        ("count", "개", sig({"number", "count"}, {"년"}), False),
        ("person", None, sig({"name"}), True),
        ("name", None, Signals(frozenset(), frozenset(), frozenset(), frozenset({"mimic"})), True),  # Latin script too
        ("name", None, sig({"number", "amount"}), False),
        ("time", None, sig({"number", "time"}), True),
        (None, None, sig({"number", "amount"}), False),
    ],
)
def test_type_agrees(wants, counter, signals, expected):
    assert type_agrees(wants, counter, signals) is expected


def test_term_match_and_coverage():
    idf = {"펀드": 1.0, "혁신": 3.0, "__unknown__": 4.0}
    assert term_match("펀드", {"펀드"}, "") == 1.0
    assert term_match("2027", set(), "'27년까지") == 1.0
    assert term_match("바우처", set(), "보증 융자") == 0.0
    assert coverage(["펀드", "혁신"], {"펀드"}, "펀드", idf) == pytest.approx(0.25)
    assert missing_weight(["펀드", "혁신"], {"펀드"}, "펀드", idf) == pytest.approx(0.75)
    assert missing_weight(["펀드"], {"펀드"}, "펀드", idf) == 0.0


def test_document_weights_favour_the_words_one_passage_of_the_document_uses():
    idf = {"펀드": 2.0, "보증": 2.0, "__unknown__": 4.0}
    passages = [({"펀드", "보증"}, "펀드 보증 한도"), ({"펀드"}, "펀드 조성 계획"), ({"펀드"}, "펀드 운용사 선정")]
    w = document_weights(["펀드", "보증"], passages, idf)
    assert w["보증"] > w["펀드"] > 0  # 펀드 is in every passage: it locates nothing inside the document
    assert coverage(["펀드", "보증"], {"펀드", "보증"}, "펀드 보증", w) == 1.0
    assert coverage(["펀드", "보증"], {"펀드"}, "펀드 조성", w) < coverage(["펀드", "보증"], {"펀드"}, "펀드 조성", idf)
    assert document_weights(["신탁"], passages, idf)["신탁"] == max(w.values())  # an unseen term weighs most


def test_clause_coverage_wants_the_words_in_one_clause():
    idf = {"은행": 1.0, "건수": 1.0, "__unknown__": 4.0}
    scattered = "은행은 점검을 마쳤고, 위반 건수는 10건이다"
    together = "은행의 위반 건수는 10건이다"
    assert coverage(["은행", "건수"], set(), scattered, idf) == 1.0
    assert clause_coverage(["은행", "건수"], scattered, idf) == pytest.approx(0.5)
    assert clause_coverage(["은행", "건수"], together, idf) == 1.0


def test_span_clause_is_bounded_by_commas_and_semicolons():
    text = "A사는 5억원, B사는 3억원; C사는 1억원"
    assert span_clause(text, (text.index("3억원"), text.index("3억원") + 3)) == " B사는 3억원"
    assert span_clause(text, (0, 2)) == "A사는 5억원"


def test_span_binding_finds_the_subject_beside_the_figure():
    idf = {"인터넷은행": 3.0, "건수": 1.0, "__unknown__": 4.0}
    text = "인터넷은행은 점검했고, 은행권 위반 건수는 1,174건"
    span = (text.index("1,174건"), len(text))
    bound, unbound = span_binding(["인터넷은행", "건수"], text, [span], idf)
    # the subject is in another clause: only 은행 of its bigrams is beside the figure
    assert bound == pytest.approx((3.0 * 0.25 + 1.0) / 4.0) and unbound == pytest.approx(0.75)
    assert span_binding(["인터넷은행", "건수"], text, [], idf) == (0.0, 0.0)
    near = "인터넷은행 위반 건수는 1,174건"
    assert span_binding(["인터넷은행", "건수"], near, [(near.index("1,174건"), len(near))], idf) == (1.0, 0.0)


def test_year_found_accepts_short_forms():
    assert year_found("2027", "~'27까지") and year_found("2027", "27년 말") and year_found("2027", "2027년")
    assert not year_found("2030", "2027년까지")


def test_year_found_wants_a_whole_number():
    assert not year_found("2030", "120304명") and not year_found("2030", "'305")
    assert year_found("2026", "'26.5월 중")


def test_quantity_found_reads_the_number_with_its_unit_as_a_whole_number():
    assert quantity_found("6월", "6월 중") and quantity_found("6월", "6 월") and quantity_found("6월", "'26.6월")
    assert not quantity_found("6월", "16월") and not quantity_found("6월", "6개월간") and not quantity_found("6월", "2026년")
    assert quantity_found("1000명", "1,000명") and not quantity_found("1.5%", "11.5%")
    assert quantity_found("5", "5개") and not quantity_found("5", "1.5배") and not quantity_found("5", "2025")


def test_novelty_is_the_share_of_the_evidence_the_question_does_not_use():
    idf = {"펀드": 1.0, "규모": 1.0, "900억원": 2.0, "__unknown__": 3.0}
    asked = "ai혁신펀드 규모는?"
    assert novelty({"펀드", "규모"}, asked, idf) == 0.0  # restates the question
    assert novelty({"펀드", "규모", "900억원"}, asked, idf) == pytest.approx(0.5)
    assert novelty(set(), asked, idf) == 0.0


def test_numbers_grounded():
    assert numbers_grounded("**900억원** — AI혁신펀드(900억원) [1]", ["AI혁신펀드(900억원, ~'26)"])
    assert not numbers_grounded("펀드는 950억원 [1]", ["AI혁신펀드(900억원)"])


def _linear(names, weight_on, weight):
    coef = np.zeros(len(names))
    coef[names.index(weight_on)] = weight
    return Linear(names, np.zeros(len(names)), np.ones(len(names)), coef, -2.5)


def _scorer(thresholds=None):
    return Scorer(_linear(SELECT_FEATURES, "sim", 5.0), _linear(QUESTION_FEATURES, "p_best", 5.0),
                  thresholds or {"same": 0.5, "cross": 0.3})


def test_select_probabilities_are_monotone_in_a_positive_feature():
    rows = np.zeros((3, len(FEATURES)))
    rows[:, FEATURES.index("sim")] = [0.2, 0.5, 0.9]
    p = _scorer().probabilities(rows)
    assert np.all(np.diff(p) > 0) and np.all((0 < p) & (p < 1))


def test_the_selector_does_not_read_the_answerability_only_features():
    rows = np.random.default_rng(1).random((3, len(FEATURES)))
    answerable = _linear(QUESTION_FEATURES, "cov_local", 5.0)
    s = Scorer(_linear(SELECT_FEATURES, "sim", 5.0), answerable, {"same": 0.5, "cross": 0.3})
    changed = rows.copy()
    changed[:, [FEATURES.index(f) for f in ANSWERABILITY_ONLY]] += 1.0
    assert "cov_local" in FEATURES and "cov_local" not in SELECT_FEATURES
    assert np.array_equal(s.probabilities(rows), s.probabilities(changed))
    p = s.probabilities(rows)
    assert s.confidence(changed, p) > s.confidence(rows, p)


def test_question_row_is_the_best_row_plus_how_clearly_it_won():
    rows = np.arange(2 * len(FEATURES), dtype=float).reshape(2, -1)
    q = question_row(rows, np.array([0.2, 0.8]))
    assert len(q) == len(QUESTION_FEATURES)
    assert np.array_equal(q[: len(FEATURES)], rows[1])
    assert q[len(FEATURES):len(FEATURES) + 3].tolist() == pytest.approx([0.8, 0.6, 0.1])


def test_question_row_keeps_name_constraints_checked_verbatim_apart():
    rows = np.zeros((1, len(FEATURES)))
    rows[0, FEATURES.index("name_missing")] = 1.0
    verbatim = QUESTION_FEATURES.index("name_missing_verbatim")
    assert question_row(rows, np.array([0.9]))[verbatim] == 1.0
    rows[0, FEATURES.index("cross_language")] = 1.0  # checked through the alignment: not verbatim
    q = question_row(rows, np.array([0.9]))
    assert q[verbatim] == 0.0 and q[FEATURES.index("name_missing")] == 1.0


def test_scorer_save_load_round_trip(tmp_path):
    s = _scorer()
    s.save(tmp_path / "m.json")
    back = Scorer.load(tmp_path / "m.json")
    rows = np.random.default_rng(0).random((4, len(FEATURES)))
    assert np.allclose(back.probabilities(rows), s.probabilities(rows))
    p = s.probabilities(rows)
    assert back.confidence(rows, p) == pytest.approx(s.confidence(rows, p))
    assert back.thresholds == s.thresholds


def _perceptron(names, seed=0, units=4):
    rng = np.random.default_rng(seed)
    n = len(names)
    return Perceptron(names, rng.random(n), 1 + rng.random(n), rng.normal(size=(n, units)), rng.normal(size=units),
                      rng.normal(size=units), -0.5)


def test_perceptron_probabilities_are_a_relu_layer_then_a_logistic_output():
    p = Perceptron(("a", "b"), np.array([1.0, 0.0]), np.array([2.0, 1.0]),
                   np.array([[1.0, -1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([2.0, 3.0]), -1.0)
    rows = np.array([[3.0, 1.0], [1.0, 0.0]])
    # row 1: standardised (1, 1) -> hidden (2, -1) -> relu (2, 0) -> 2*2 - 1 = 3; row 2: (0, 0) -> (0, 0) -> -1
    assert p.probabilities(rows) == pytest.approx(1 / (1 + np.exp(-np.array([3.0, -1.0]))))
    assert p.probabilities(np.zeros((0, 2))).shape == (0,)


def test_a_perceptron_matches_the_sklearn_model_it_was_read_from():
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 2, 200)
    model = MLPClassifier(hidden_layer_sizes=(6,), max_iter=800, random_state=0).fit(X, y)
    (hidden, out), (hidden_bias, out_bias) = model.coefs_, model.intercepts_
    p = Perceptron(tuple("abcde"), np.zeros(5), np.ones(5), hidden, hidden_bias, out[:, 0], float(out_bias[0]))
    assert np.allclose(p.probabilities(X), model.predict_proba(X)[:, 1])


def test_a_mean_selector_averages_its_members_and_round_trips(tmp_path):
    lin, mlp = _linear(SELECT_FEATURES, "sim", 5.0), _perceptron(SELECT_FEATURES)
    s = Scorer(Mean((lin, mlp)), _linear(QUESTION_FEATURES, "p_best", 5.0), {"same": 0.5, "cross": 0.3})
    rows = np.random.default_rng(0).random((4, len(FEATURES)))
    cols = rows[:, [FEATURES.index(f) for f in SELECT_FEATURES]]
    assert np.allclose(s.probabilities(rows), (lin.probabilities(cols) + mlp.probabilities(cols)) / 2)
    s.save(tmp_path / "m.json")
    back = Scorer.load(tmp_path / "m.json")
    assert isinstance(back.select, Mean) and np.allclose(back.probabilities(rows), s.probabilities(rows))


def test_scorer_refuses_a_file_of_an_earlier_format(tmp_path):
    d = _scorer().to_dict()
    d["format"] = "rag-answerer v2"
    (tmp_path / "m.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match="another version.*rag.train"):
        Scorer.load(tmp_path / "m.json")


def test_scorer_refuses_a_file_for_other_features(tmp_path):
    d = _scorer().to_dict()
    d["select"]["features"] = d["select"]["features"][:-1]
    (tmp_path / "m.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match="rag.train"):
        Scorer.load(tmp_path / "m.json")


class _Q:
    def __init__(self, lang):
        self.lang = lang


def _cand(text):
    return Candidate(rank=0, hit=None, sid=0, text=text)


def test_decide_uses_the_threshold_of_the_language_pair():
    scorer = _scorer(thresholds={"same": 0.6, "cross": 0.3})
    cands = [_cand("펀드 규모는 900억원이다"), _cand("다른 문장")]
    rows = np.zeros((2, len(FEATURES)))
    probs = np.array([0.7, 0.1])
    conf = scorer.confidence(rows, probs)  # sigmoid(5 * 0.7 - 2.5) = 0.73
    assert 0.6 < conf < 0.8
    strict = _scorer(thresholds={"same": 0.9, "cross": 0.3})
    assert decide(_Q("ko"), cands, rows, probs, strict)[0] is None  # Korean over Korean: 0.73 < 0.9
    assert decide(_Q("en"), cands, rows, probs, strict)[0] == 0  # English over Korean: 0.73 >= 0.3
    assert decide(_Q("ko"), cands, rows, probs, scorer)[0] == 0
    assert decide(_Q("ko"), [], np.zeros((0, len(FEATURES))), np.zeros(0), scorer)[0] is None
    # English over English text has its own threshold; a scorer without one uses the same-language one
    english = [_cand("The parks budget is 40 million dollars."), _cand("Another sentence.")]
    assert decide(_Q("en"), english, rows, probs, strict)[0] is None  # 0.73 < 0.9 ("same")
    lenient = _scorer(thresholds={"same": 0.9, "cross": 0.9, "english": 0.5})
    assert decide(_Q("en"), english, rows, probs, lenient)[0] == 0


def test_the_threshold_group_is_the_language_pair_of_question_and_sentence():
    assert threshold_group(_Q("ko"), _cand("펀드 규모는 900억원이다")) == "same"
    assert threshold_group(_Q("ko"), _cand("The parks budget is 40 million dollars.")) == "same"
    assert threshold_group(_Q("en"), _cand("펀드 규모는 900억원이다")) == "cross"
    assert threshold_group(_Q("en"), _cand("The parks budget is 40 million dollars.")) == "english"


def test_an_english_question_is_read_in_its_own_words_over_an_english_sentence(tiny_index):
    cross, cov, align = (FEATURES.index(f) for f in ("cross_language", "cov_sentence", "align_sentence"))
    q = analyze(tiny_index, "How big is the parks budget and the fund?")
    assert q.asked_nouns and "budget" in q.asked_nouns
    cands = candidates(tiny_index, search(tiny_index, q, k=10))
    rows = features(tiny_index, q, cands)
    for c, row in zip(cands, rows):
        if lang_of(c.text) == "ko":
            assert row[cross] == 1.0
        else:  # no translation, no alignment: the English words themselves
            assert row[cross] == 0.0 and row[align] == 0.0
    budget = next(row for c, row in zip(cands, rows) if "parks budget" in c.text)
    assert budget[cov] > 0.0  # "parks", "budget" are found as asked
    # a translation into the corpus's Korean words is for Korean sentences only
    translated = dataclasses.replace(q, nouns=["펀드"], compounds=["혁신펀드"])
    again = features(tiny_index, translated, cands)
    for c, row, row2 in zip(cands, rows, again):
        if lang_of(c.text) != "ko":
            assert row2[cov] == row[cov]
    assert (again[:, cov] != rows[:, cov]).any()


def test_rerank_orders_passages_by_their_best_sentence():
    hits = ["first", "second", "third", "no sentences"]  # stand-ins: rerank only reorders them
    cands = [Candidate(rank=r, hit=None, sid=i, text=str(i)) for i, r in enumerate((0, 0, 1, 2, 2))]
    probs = np.array([0.2, 0.3, 0.9, 0.3, 0.1])
    assert rerank(hits, cands, probs) == ["second", "first", "third", "no sentences"]  # 0.3 ties: fused order
    assert rerank(hits, [], np.zeros(0)) == hits


def test_a_figure_question_marks_the_sentences_without_a_figure(tiny_index):
    col = FEATURES.index("number_needed_missing")
    for text, wants_figure in (("펀드 규모는 얼마인가요?", True), ("펀드는 누가 조성하나요?", False)):
        q = analyze(tiny_index, text)
        cands = candidates(tiny_index, search(tiny_index, q, k=3))
        rows = features(tiny_index, q, cands)
        has_figure = [any(ch.isdigit() for ch in c.text) for c in cands]
        assert any(has_figure) and not all(has_figure)
        expected = [float(wants_figure and not f) for f in has_figure]
        assert rows[:, col].tolist() == expected


def test_sentences_are_compared_with_the_question_in_the_corpus_words(tiny_index):
    sim, translated = FEATURES.index("sim"), FEATURES.index("sim_translated")
    q = analyze(tiny_index, "펀드 규모는 얼마인가요?")
    cands = candidates(tiny_index, search(tiny_index, q, k=3))
    assert q.translated_vec is None  # a question in the corpus's language is its own translation
    assert features(tiny_index, q, cands)[:, translated].tolist() == features(tiny_index, q, cands)[:, sim].tolist()


def test_an_english_question_reads_only_korean_sentences_through_its_translation(tiny_index):
    # the tiny corpus is mixed: a Korean release and an English page
    sim, translated = FEATURES.index("sim"), FEATURES.index("sim_translated")
    clause_sim = FEATURES.index("clause_sim")
    q = analyze(tiny_index, "How big is the fund, and how many parks will the city open?")
    cands = candidates(tiny_index, search(tiny_index, q, k=10))
    korean = [lang_of(c.text) == "ko" for c in cands]
    assert any(korean) and not all(korean)
    last_korean = max(i for i, k in enumerate(korean) if k)
    other = tiny_index.sent_vecs[cands[last_korean].sid]  # a "translation" as near as can be to a Korean sentence
    rows = features(tiny_index, dataclasses.replace(q, translated_vec=other), cands)
    again = features(tiny_index, dataclasses.replace(q, translated_vec=-other), cands)
    for c, k, row, row2 in zip(cands, korean, rows, again):
        if k:
            assert row[translated] == pytest.approx(float(sentence_similarities(tiny_index, q, list(c.parts), other).max()))
            assert row[clause_sim] != pytest.approx(row2[clause_sim])
        else:  # an English sentence is compared with the English question itself
            assert row[translated] == row[sim] == row2[translated]
            assert row[clause_sim] == row2[clause_sim]
    assert int(np.argmax(rows[:, translated])) == last_korean


def test_clause_similarities_read_the_best_clause_and_the_clause_holding_a_span(tmp_path, fake_embedder):
    text = "중기부는 창업 지원 사업을 올해 확대하고, 청년 창업 보증 한도는 기업당 30억원으로 늘린다.\n* 벤처펀드 운용 규모는 2조원\n"
    corpus = write_corpus(tmp_path, {"fund.txt": text})
    index = ensure(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), fake_embedder, progress=False)
    q = analyze(index, "청년 창업 보증 한도는 얼마인가요?")
    cand = next(c for c in candidates(index, search(index, q, k=1)) if len(c.parts) == 2)  # the sentence and its footnote
    said = quoted(cand)
    clauses = ["중기부는 창업 지원 사업을 올해 확대하고", "청년 창업 보증 한도는 기업당 30억원으로 늘린다.", "벤처펀드 운용 규모는 2조원"]
    sims = [float(fake_embedder.embed_documents([c])[0] @ q.vec) for c in clauses]
    assert sims[1] == max(sims)  # the clause stating the limit is the question's nearest
    at = said.index("30억원")
    best, bound = clause_similarities(index, q, cand, [(at, at + 5)])
    assert best == pytest.approx(sims[1]) and bound == pytest.approx(sims[1])
    at = said.index("2조원")  # a span in the footnote: its clause, after the sentence's
    assert clause_similarities(index, q, cand, [(at, at + 3)]) == pytest.approx((sims[1], sims[2]))
    assert clause_similarities(index, q, cand, []) == pytest.approx((sims[1], 0.0))


def test_span_support_is_higher_when_the_question_words_stand_next_to_the_figure(tiny_index):
    from rag.answer import span_support
    from rag.question import analyze

    q = analyze(tiny_index, "보증 한도는 얼마인가요?")
    near = Candidate(rank=0, hit=None, sid=0, text="보증 한도 : 기업당 최대 30억원")
    far = Candidate(rank=0, hit=None, sid=0, text="보증 프로그램을 운영하며 관련 부처와 협의해 나갈 계획이고 예산은 30억원")
    none = Candidate(rank=0, hit=None, sid=0, text="보증 한도는 추후 정한다")
    assert 0 < span_support(q, tiny_index, far) < span_support(q, tiny_index, near) <= 1
    assert span_support(q, tiny_index, none) == 0.0


@pytest.mark.parametrize(
    "sentence,expected",
    [
        ("이 기기는 《금·은》과 호환된다.", True),
        ("또한, 이 제도는 내년에 시행된다.", True),
        ("그는 1951년에 태어났다.", True),
        ("이러한 주장은 근거가 없다.", True),
        ("이번 사업은 600ha를 대상으로 한다.", False),  # 이번 (this time) names no earlier thing
        ("모든 기업은 신청할 수 있다.", False),
        ("중기부는 이 펀드를 조성한다.", False),  # the demonstrative is not where the sentence opens
    ],
)
def test_leans_back_reads_an_opening_demonstrative(sentence, expected):
    from rag.answer import leans_back

    assert leans_back(sentence) is expected


@pytest.mark.parametrize(
    "sentence,expected",
    [
        ("15세에 태학에 들어가게 되었다.", True),  # who did is the sentence before's subject
        ("2017년에는 남우조연상을 수상하였다.", True),  # 는 after 에 marks a time, not a subject
        ("1880년 여름 그는 일본으로 건너갔다.", True),  # a pronoun subject, not at the opening
        ("정성공은 15세에 태학에 들어가게 되었다.", False),
        ("이 번거로움을 해결해주는 제도가 있다.", False),
        ("① 사고 발생 건당 최대 -20점", False),  # a bullet, not a sentence
    ],
)
def test_has_no_subject_reads_particles(sentence, expected):
    from rag.answer import has_no_subject

    assert has_no_subject(sentence) is expected


def test_a_sentence_that_points_back_is_quoted_with_the_one_before(tmp_path, fake_embedder):
    from rag.answer import AnswerConfig, Scorer, antecedent, candidates, compose
    from rag.config import Settings
    from rag.index import ensure
    from rag.question import analyze
    from rag.retrieve import search

    from .conftest import write_corpus

    corpus = write_corpus(tmp_path, {"device.txt": "닌텐도는 휴대용 기기 포켓 피카츄를 발표했다. 이 기기는 게임과 호환된다.\n"})
    index = ensure(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), fake_embedder, progress=False)
    q = analyze(index, "게임과 호환되는 기기는?")
    hits = search(index, q, k=1)
    cands = candidates(index, hits)
    pointing = next(c for c in cands if c.text.startswith("이 기기는"))
    assert antecedent(index, pointing) == "닌텐도는 휴대용 기기 포켓 피카츄를 발표했다."
    assert antecedent(index, next(c for c in cands if c is not pointing)) == ""
    # a scorer that always answers with the sentence holding the question's words
    n = len(SELECT_FEATURES)
    select = Linear(SELECT_FEATURES, np.zeros(n), np.ones(n), np.eye(n)[SELECT_FEATURES.index("cov_sentence")] * 10, -5.0)
    m = len(QUESTION_FEATURES)
    always = Linear(QUESTION_FEATURES, np.zeros(m), np.ones(m), np.zeros(m), 5.0)
    answer = compose(index, q, hits, AnswerConfig(Scorer(select, always, {"same": 0.5, "cross": 0.5})))
    assert not answer.abstained and "포켓 피카츄" in answer.text and "이 기기는" in answer.text


@pytest.mark.parametrize(
    "text,asked",
    [
        ("공시위반 상장폐지 요건은 기존 공시벌점 15점 누적을 벌점 10점 누적으로 하향조정합니다.\n",
         (("공시위반 상장폐지 벌점은 몇 점으로 낮아지나요?", "**10점**"), ("공시위반 상장폐지 벌점은 기존에 몇 점이었나요?", "**15점**"))),
        ("애플은 2019년 8월까지 음성 녹음을 동의 없이 수집하였고, 2019년 10월부터는 별도 동의를 받았다.\n",
         (("애플은 음성 녹음 별도 동의를 언제부터 받았나요?", "**2019년 10월**"), ("애플은 음성 녹음을 언제까지 동의 없이 수집했나요?", "**2019년 8월**"))),
    ],
    ids=["ro: new value", "buteo / kkaji: start / end"],
)
def test_the_wh_words_particle_picks_the_figure_of_a_change(tmp_path, fake_embedder, text, asked):
    from rag.answer import AnswerConfig, Scorer, compose
    from rag.config import Settings
    from rag.index import ensure
    from rag.question import analyze
    from rag.retrieve import search

    from .conftest import write_corpus

    corpus = write_corpus(tmp_path, {"rule.txt": text})
    index = ensure(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), fake_embedder, progress=False)
    n, m = len(SELECT_FEATURES), len(QUESTION_FEATURES)
    select = Linear(SELECT_FEATURES, np.zeros(n), np.ones(n), np.eye(n)[SELECT_FEATURES.index("cov_sentence")] * 10, -5.0)
    always = Linear(QUESTION_FEATURES, np.zeros(m), np.ones(m), np.zeros(m), 5.0)
    config = AnswerConfig(Scorer(select, always, {"same": 0.5, "cross": 0.5}))
    for question, lead in asked:
        q = analyze(index, question)
        answer = compose(index, q, search(index, q, k=1), config)
        assert answer.text.startswith(lead), (question, answer.text)


def test_new_spans_drop_what_the_question_already_states(tiny_index):
    from rag.answer import new_spans
    from rag.question import analyze

    q = analyze(tiny_index, "300승 이상 올린 투수는 몇 명인가?")
    sentence = "300승 클럽에는 지금까지 24명의 투수가 가입했다"
    spans = answer_spans(sentence, "count", None)
    kept = [sentence[a:b] for a, b in new_spans(q, sentence, spans)]
    assert "24명" in kept and not any(k.startswith("300") for k in kept)
    named = analyze(tiny_index, "퀘벡은 캐나다의 어느 도시인가?")
    s2 = "캐나다의 퀘벡과 밴쿠버"
    assert [s2[a:b] for a, b in new_spans(named, s2, answer_spans(s2, "place", None))] == ["밴쿠버"]


def test_a_sentence_without_a_subject_is_quoted_with_the_one_naming_it(tmp_path, fake_embedder):
    from rag.answer import antecedent, candidates
    from rag.config import Settings
    from rag.index import ensure
    from rag.question import analyze
    from rag.retrieve import search

    from .conftest import write_corpus

    corpus = write_corpus(tmp_path, {"bio.txt": "정성공은 명나라로 들어왔다. 15세에 태학에 들어가게 되었다.\n"})
    index = ensure(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), fake_embedder, progress=False)
    cands = candidates(index, search(index, analyze(index, "태학에 들어간 사람은?"), k=1))
    by_text = {c.text: c for c in cands}
    assert antecedent(index, by_text["15세에 태학에 들어가게 되었다."]) == "정성공은 명나라로 들어왔다."
    assert antecedent(index, by_text["15세에 태학에 들어가게 되었다."], room=30) == ""  # both do not fit whole
    assert antecedent(index, by_text["정성공은 명나라로 들어왔다."]) == ""


def test_counter_fits_rank_every_counter_by_the_counted_phrase(tmp_path, fake_embedder):
    text = "조림지는 600ha이다. 참석자는 40명이다. 점수는 15 → 10으로 바뀐다. 산불은 3건 발생했다.\n"
    corpus = write_corpus(tmp_path, {"counts.txt": text})
    index = ensure(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), fake_embedder, progress=False)
    names, vecs = corpus_counters(index)
    # Kiwi's counters, which the corpus need not use, and every unit in letters the corpus writes
    assert COUNTER_SEED[0] in names and "ha" in names and "→" not in names
    assert len(names) == len(vecs) > 10
    assert corpus_counters(index)[0] is names  # computed once per index
    vec = fake_embedder.embed_batch(["how many people"], query=True)[0]
    fits = counter_fits(index, vec)
    assert set(fits) == set(names)
    sims = {n: float(v @ vec) for n, v in zip(names, vecs)}
    best, worst = max(fits, key=fits.get), min(fits, key=fits.get)
    assert fits[best] == 1.0 and sims[best] == max(sims.values())
    assert fits[worst] == 0.0 and sims[worst] == min(sims.values())
    # the fit falls with the similarity of "몇 <counter>" to the phrase
    assert all(fits[a] > fits[b] for a in names for b in names if sims[a] > sims[b])


def test_only_an_english_how_many_question_reads_the_counter_fit(tmp_path, fake_embedder):
    text = "행사에는 40명이 참석했다. 행사 예산은 3억원이다. 행사는 5월에 열렸다.\n"
    corpus = write_corpus(tmp_path, {"event.txt": text})
    index = ensure(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), fake_embedder, progress=False)
    asked, fit, gap = (FEATURES.index(f) for f in ("counter_asked", "counter_fit", "counter_fit_gap"))
    q = analyze(index, "How many people attended the event?")
    assert q.counted_vec is not None
    names, vecs = corpus_counters(index)
    q.counted_vec = vecs[names.index("명")]  # a phrase that 몇 명 fits best
    cands = candidates(index, search(index, q, k=3))
    rows = features(index, q, cands)
    assert rows[:, asked].tolist() == [1.0] * len(cands)
    by_text = {c.text: row for c, row in zip(cands, rows)}
    people = next(v for t, v in by_text.items() if "40명" in t)
    month = next(v for t, v in by_text.items() if "5월" in t)
    assert people[fit] == 1.0 and people[gap] == 0.0
    assert month[fit] < 1.0 and month[gap] < 0.0
    for other in ("행사에는 몇 명이 참석했나요?", "How much is the budget?"):
        q = analyze(index, other)
        assert q.counted_vec is None
        rows = features(index, q, candidates(index, search(index, q, k=3)))
        assert not rows[:, [asked, fit, gap]].any()


def test_an_english_sentence_is_not_read_as_a_counter_misfit(tiny_index):
    asked, fit = FEATURES.index("counter_asked"), FEATURES.index("counter_fit")
    q = analyze(tiny_index, "How many parks will the city open?")
    assert q.counted_vec is not None
    cands = candidates(tiny_index, search(tiny_index, q, k=10))
    rows = features(tiny_index, q, cands)
    korean = [lang_of(c.text) == "ko" for c in cands]
    assert any(korean) and not all(korean)
    # English text writes no counters ("12 new parks"): its sentences are read as for any other question
    assert rows[:, asked].tolist() == [float(k) for k in korean]
    assert not rows[[not k for k in korean]][:, fit].any()


def test_an_english_sentence_is_quoted_around_the_english_questions_own_words(tiny_index):
    q = analyze(tiny_index, "How big is the parks budget and the fund?")
    cands = candidates(tiny_index, search(tiny_index, q, k=10))
    english = next(c for c in cands if "parks budget" in c.text)
    korean = next(c for c in cands if lang_of(c.text) == "ko")
    translated = dataclasses.replace(q, nouns=["펀드"], compounds=["혁신펀드"])  # as if over Korean text
    assert {"park", "budget"} <= set(anchor_terms(translated, tiny_index, english))  # as Kiwi lemmatises them
    assert not {"펀드", "혁신펀드"} & set(anchor_terms(translated, tiny_index, english))
    assert {"펀드", "혁신펀드"} <= set(anchor_terms(translated, tiny_index, korean))  # the translation's words
