"""rag/features.py: the candidate sentences and their features."""

import dataclasses

import numpy as np
import pytest

from rag.config import Settings
from rag.features import (COUNTER_SEED, FEATURES, Candidate, anchor_terms, candidates, clause_coverage, clause_similarities,
                          corpus_counters, counter_fits, coverage, document_weights, features, missing_weight, novelty,
                          quantity_found, quoted, span_binding, span_clause, span_support, term_match, threshold_group,
                          type_agrees, year_found)
from rag.index import ensure
from rag.question import analyze
from rag.retrieve import search, sentence_similarities
from rag.text import Signals, lang_of

from .conftest import QuestionIn, bare_candidate, signals_of, write_corpus


@pytest.mark.parametrize(
    "wants,counter,signals,expected",
    [
        ("amount", None, signals_of({"number", "amount"}), True),
        ("amount", None, signals_of({"number"}), False),
        ("count", "명", signals_of({"number", "count"}, {"인"}), True),
        ("count", "개", signals_of({"number", "count"}, {"년"}), False),
        ("person", None, signals_of({"name"}), True),
        ("name", None, Signals(frozenset(), frozenset(), frozenset(), frozenset({"mimic"})), True),  # Latin script too
        ("name", None, signals_of({"number", "amount"}), False),
        ("time", None, signals_of({"number", "time"}), True),
        (None, None, signals_of({"number", "amount"}), False),
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


def test_the_threshold_group_is_the_language_pair_of_question_and_sentence():
    assert threshold_group(QuestionIn("ko"), bare_candidate("펀드 규모는 900억원이다")) == "same"
    assert threshold_group(QuestionIn("ko"), bare_candidate("The parks budget is 40 million dollars.")) == "same"
    assert threshold_group(QuestionIn("en"), bare_candidate("펀드 규모는 900억원이다")) == "cross"
    assert threshold_group(QuestionIn("en"), bare_candidate("The parks budget is 40 million dollars.")) == "english"


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

    q = analyze(tiny_index, "보증 한도는 얼마인가요?")
    near = Candidate(rank=0, hit=None, sid=0, text="보증 한도 : 기업당 최대 30억원")
    far = Candidate(rank=0, hit=None, sid=0, text="보증 프로그램을 운영하며 관련 부처와 협의해 나갈 계획이고 예산은 30억원")
    none = Candidate(rank=0, hit=None, sid=0, text="보증 한도는 추후 정한다")
    assert 0 < span_support(q, tiny_index, far) < span_support(q, tiny_index, near) <= 1
    assert span_support(q, tiny_index, none) == 0.0


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
