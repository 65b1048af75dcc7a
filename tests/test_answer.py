"""rag/answer.py: deciding, quoting and composing the answer."""

import numpy as np
import pytest

from rag.answer import (AnswerConfig, antecedent, clause, compose, decide, has_no_subject, leans_back, numbers_grounded,
                        rerank)
from rag.config import Settings
from rag.features import FEATURES, SELECT_FEATURES, Candidate, candidates
from rag.index import ensure
from rag.question import analyze
from rag.retrieve import search
from rag.scorer import QUESTION_FEATURES, Linear, Scorer

from .conftest import QuestionIn, bare_candidate, toy_scorer, write_corpus


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


def test_numbers_grounded():
    assert numbers_grounded("**900억원** — AI혁신펀드(900억원) [1]", ["AI혁신펀드(900억원, ~'26)"])
    assert not numbers_grounded("펀드는 950억원 [1]", ["AI혁신펀드(900억원)"])


def test_decide_uses_the_threshold_of_the_language_pair():
    scorer = toy_scorer(thresholds={"same": 0.6, "cross": 0.3})
    cands = [bare_candidate("펀드 규모는 900억원이다"), bare_candidate("다른 문장")]
    rows = np.zeros((2, len(FEATURES)))
    probs = np.array([0.7, 0.1])
    conf = scorer.confidence(rows, probs)  # sigmoid(5 * 0.7 - 2.5) = 0.73
    assert 0.6 < conf < 0.8
    strict = toy_scorer(thresholds={"same": 0.9, "cross": 0.3})
    assert decide(QuestionIn("ko"), cands, rows, probs, strict)[0] is None  # Korean over Korean: 0.73 < 0.9
    assert decide(QuestionIn("en"), cands, rows, probs, strict)[0] == 0  # English over Korean: 0.73 >= 0.3
    assert decide(QuestionIn("ko"), cands, rows, probs, scorer)[0] == 0
    assert decide(QuestionIn("ko"), [], np.zeros((0, len(FEATURES))), np.zeros(0), scorer)[0] is None
    # English over English text has its own threshold; a scorer without one uses the same-language one
    english = [bare_candidate("The parks budget is 40 million dollars."), bare_candidate("Another sentence.")]
    assert decide(QuestionIn("en"), english, rows, probs, strict)[0] is None  # 0.73 < 0.9 ("same")
    lenient = toy_scorer(thresholds={"same": 0.9, "cross": 0.9, "english": 0.5})
    assert decide(QuestionIn("en"), english, rows, probs, lenient)[0] == 0


def test_rerank_orders_passages_by_their_best_sentence():
    hits = ["first", "second", "third", "no sentences"]  # stand-ins: rerank only reorders them
    cands = [Candidate(rank=r, hit=None, sid=i, text=str(i)) for i, r in enumerate((0, 0, 1, 2, 2))]
    probs = np.array([0.2, 0.3, 0.9, 0.3, 0.1])
    assert rerank(hits, cands, probs) == ["second", "first", "third", "no sentences"]  # 0.3 ties: fused order
    assert rerank(hits, [], np.zeros(0)) == hits


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

    assert has_no_subject(sentence) is expected


def test_a_sentence_that_points_back_is_quoted_with_the_one_before(tmp_path, fake_embedder):


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


def test_a_sentence_without_a_subject_is_quoted_with_the_one_naming_it(tmp_path, fake_embedder):


    corpus = write_corpus(tmp_path, {"bio.txt": "정성공은 명나라로 들어왔다. 15세에 태학에 들어가게 되었다.\n"})
    index = ensure(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), fake_embedder, progress=False)
    cands = candidates(index, search(index, analyze(index, "태학에 들어간 사람은?"), k=1))
    by_text = {c.text: c for c in cands}
    assert antecedent(index, by_text["15세에 태학에 들어가게 되었다."]) == "정성공은 명나라로 들어왔다."
    assert antecedent(index, by_text["15세에 태학에 들어가게 되었다."], room=30) == ""  # both do not fit whole
    assert antecedent(index, by_text["정성공은 명나라로 들어왔다."]) == ""
