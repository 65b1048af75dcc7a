"""Cross-language alignment on synthetic similarity rows (no model needed)."""

import numpy as np
import pytest


def _alignment(rows: dict[str, dict[int, float]]):
    """An Alignment over a 20-term vocabulary: cosine 0.80 everywhere but at the given terms."""
    from rag.align import Alignment

    sims = {}
    for text, peaks in rows.items():
        v = np.full(20, 0.80) + np.linspace(0, 0.01, 20)  # a little spread, as real cosines have
        for i, value in peaks.items():
            v[i] = value
        sims[text] = v
    words = [t for t in rows if " " not in t]
    pairs = [tuple(t.split()) for t in rows if " " in t]
    return Alignment(words, pairs, sims.__getitem__)


def test_alignment_flags_a_compound_nothing_in_the_evidence_expresses():
    al = _alignment({"interest": {}, "rate": {}, "interest rate": {}, "fund": {5: 0.95}})
    assert al.missing_pair([0, 1, 2], "융자 보증") == "interest rate"
    assert al.missing_pair([0, 1], "lexically: interest") is None  # a word present verbatim counts
    assert al.coverage([5], "") == pytest.approx(1 / 3)  # only "fund" aligns (to term 5)
    assert al.coverage([], "") == 0.0


def test_alignment_accepts_a_compound_that_aligns():
    al = _alignment({"innovation": {1: 0.95}, "fund": {5: 0.95}, "innovation fund": {1: 0.93}})
    assert al.missing_pair([1, 5], "") is None
    assert al.coverage([1, 5], "") == 1.0
    assert al.missing_pair([7, 8], "") == "innovation fund"


def test_alignment_does_not_judge_names():
    al = _alignment({"Yi": {}, "Sun-sin": {}, "Yi Sun-sin": {}})
    assert al.missing_pair([0, 1], "") is None


@pytest.mark.integration
def test_real_alignment_prefers_the_passage_that_names_the_fund(real_pipeline):
    from rag.align import align
    from rag.ingest import normalize

    idx = real_pipeline.index
    al = align(idx, "How much is the AI innovation fund?")
    assert al is not None and al.words == ["AI", "innovation", "fund"]
    assert al.pairs == [("AI", "innovation"), ("innovation", "fund")]

    def pos(needle):
        return next(i for i, c in enumerate(idx.chunks) if needle in c.text)

    def cov(i):
        return al.coverage(idx.chunk_vocab[i], normalize(idx.chunks[i].text).lower())

    fund, district = pos("AI혁신펀드(900억원"), pos("은평구, 민원서비스")
    assert cov(fund) > cov(district)
    assert al.missing_pair(idx.chunk_vocab[fund], normalize(idx.chunks[fund].text).lower()) is None
    assert al.missing_pair(idx.chunk_vocab[district], normalize(idx.chunks[district].text).lower()) == "innovation fund"


def test_weakest_word_decides_how_well_the_evidence_covers_the_question():
    al = _alignment({"fund": {5: 0.95}, "deadline": {}})
    al.words = ["fund", "deadline"]
    assert al.weakest([5], "") == 0.0  # "deadline" is expressed nowhere
    assert al.weakest([5], "the deadline") == 1.0  # literally present


def test_a_dictionary_translation_in_the_evidence_states_the_word():
    from rag.align import Alignment

    flat = {t: np.full(20, 0.80) for t in ("penalty", "interest", "rate", "interest rate")}
    al = Alignment(["penalty", "interest", "rate"], [("interest", "rate")], flat.__getitem__,
                   {"penalty": ("과징금", "벌금"), "interest rate": ("금리",)})
    assert al.gloss_terms == ["과징금", "벌금", "금리"]
    assert al.coverage([], "과징금 50억원") == pytest.approx(1 / 3)  # no cosine stands out: only the translation
    assert al.coverage([], "벌금 부과") == pytest.approx(1 / 3)
    assert al.missing_pair([], "융자 보증") == "interest rate"
    assert al.missing_pair([], "기준금리 인하") is None  # the pair's translation is there
    assert al.glossed("과징금 50억원") == 1.0  # of the words the dictionary knows (penalty), all stated
    assert al.glossed("융자 보증") == 0.0
    assert Alignment(["Jeonju"], [], flat.get, {}).glossed("전주") == 0.0  # no translation known: no share to count


def test_glosses_are_dictionary_translations_and_for_names_the_corpus_names_they_romanize():
    from types import SimpleNamespace

    from rag.align import glosses

    index = SimpleNamespace(vocab=["전주시청", "홍길동", "예산"], derived={})
    found = glosses(index, ["budget", "Jeonju", "Hong", "Gil-dong"], [("Hong", "Gil-dong")])
    assert "예산" in found["budget"]
    assert found["jeonju"] == ("전주",)
    assert found["hong gil-dong"] == ("홍길동",)  # a two-word name, romanized as one
    assert "hong" not in found  # under NAME_LETTERS: too short to tell one name from many
    assert "romanized" in index.derived  # the corpus's romanizations are computed once

    from rag.align import name_table

    assert name_table(index) is index.derived["romanized"]


def test_prepare_romanizes_the_names_of_a_corpus_large_enough_to_align():
    from types import SimpleNamespace

    from rag.align import MIN_VOCAB, prepare

    small = SimpleNamespace(vocab=["서울"] * (MIN_VOCAB - 1), derived={})
    prepare(small)
    assert "romanized" not in small.derived  # no alignment below MIN_VOCAB: nothing to prepare
    large = SimpleNamespace(vocab=["서울특별시", *(f"용어{i}" for i in range(MIN_VOCAB))], derived={})
    prepare(large)
    assert large.derived["romanized"]["seoul"] == ("서울",)


def _vocab_index(vocab: list[str]):
    from types import SimpleNamespace

    return SimpleNamespace(vocab=vocab, derived={})


def _fund_alignment(fund_row: list[float]):
    from rag.align import Alignment

    rows = {t: np.full(5, 0.80) for t in ("interest rate", "Hong", "fund")}
    rows["fund"] = np.array(fund_row)
    return Alignment(["interest", "rate", "Hong", "fund"], [("interest", "rate"), ("Hong", "fund")], rows.__getitem__,
                     {"interest": ("이자", "관심"), "rate": ("요율",), "interest rate": ("금리",), "fund": ("기금", "자금", "펀드")})


def test_translation_puts_the_question_in_the_corpus_words():
    from rag.align import translation

    vocab = _vocab_index(["금리", "이자", "기금", "펀드", "혁신"])
    near_fund = _fund_alignment([0.80, 0.80, 0.86, 0.91, 0.80])  # 펀드 is nearer to "fund" than 기금
    # a pair's translation before its words', the nearest of the corpus's translations (자금 is not in
    # it), a name as written, function words and punctuation dropped
    assert translation(vocab, "What is the interest rate of the Hong fund?", near_fund) == "금리 Hong 펀드"
    assert translation(vocab, "the fund", _fund_alignment([0.80, 0.80, 0.93, 0.91, 0.80])) == "기금"
    assert translation(_vocab_index(["혁신"]), "the fund rate", near_fund) == "fund rate"  # none in the corpus
    # the Korean words of a mixed question and its numbers are already the corpus's words
    assert translation(vocab, "Is the 혁신펀드 fund bigger in 2023, 1.5 times?", near_fund) == "혁신펀드 펀드 bigger 2023 1.5 times"
    assert translation(vocab, "Why?", near_fund) == ""


def test_term_vectors_survive_the_shared_cache_being_cleared_meanwhile():
    from types import SimpleNamespace

    from rag.align import _term_vectors

    index = SimpleNamespace(derived={"term_vectors": {"fund": np.ones(3)}})

    class ClearingEmbedder:  # as another thread's question would, the cache is cleared while embedding
        def embed_batch(self, texts, query=False):
            index.derived["term_vectors"].clear()
            return np.zeros((len(texts), 3))

    index.embedder = ClearingEmbedder()
    got = _term_vectors(index, ("fund", "loan"))
    assert got.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    assert list(index.derived["term_vectors"]) == ["loan"]
