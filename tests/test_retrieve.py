from dataclasses import replace

import numpy as np
import pytest

from rag.question import analyze
from rag.retrieve import CROSS_LANGUAGE, SAME_LANGUAGE, Fusion, _ranks, search


def test_ranks_are_zero_based_and_stable():
    assert _ranks(np.array([0.1, 0.9, 0.5, 0.9])).tolist() == [3, 0, 2, 1]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_finds_the_passage_with_the_fact(tiny_index, mode):
    hits = search(tiny_index, analyze(tiny_index, "AI혁신펀드 규모는 얼마인가요?"), k=3, mode=mode)
    assert "900억원" in hits[0].chunk.text
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_fusion_weights_decide_which_lists_vote(tiny_index):
    q = analyze(tiny_index, "보증은?")
    lexical_only = search(tiny_index, q, k=len(tiny_index.chunks), fusion=Fusion(dense=0, sentence=0, bm25=1, alignment=0))
    assert [h.pos for h in lexical_only] == [h.pos for h in search(tiny_index, q, k=len(tiny_index.chunks), mode="bm25")]
    assert all(h.score == 0 for h in lexical_only if h.bm25 == 0)  # no lexical match: no vote, no score
    doubled = search(tiny_index, q, k=3, fusion=Fusion(2, 2, 2, 2))
    assert [h.pos for h in doubled] == [h.pos for h in search(tiny_index, q, k=3, fusion=SAME_LANGUAGE)]
    assert doubled[0].score == pytest.approx(2 * search(tiny_index, q, k=1)[0].score)


def test_english_questions_over_korean_text_use_the_cross_language_weights(tiny_index):
    from dataclasses import replace

    class Aligned:  # stands for the question's alignment to the corpus's Korean nouns
        glosses: dict = {}

        def coverage(self, vocab, text):
            return 1.0 if "900억원" in text else 0.0

    ko = analyze(tiny_index, "AI혁신펀드 규모는?")
    assert ko.alignment is None
    assert [h.score for h in search(tiny_index, ko, k=3)] == [h.score for h in search(tiny_index, ko, k=3, fusion=SAME_LANGUAGE)]
    mixed = replace(ko, alignment=Aligned())  # a Korean question's English words, aligned: Korean weights
    assert [h.score for h in search(tiny_index, mixed, k=3)] == [h.score for h in search(tiny_index, mixed, k=3, fusion=SAME_LANGUAGE)]
    cross = replace(ko, lang="en", alignment=Aligned())
    assert CROSS_LANGUAGE != SAME_LANGUAGE
    assert [h.score for h in search(tiny_index, cross, k=3)] == [h.score for h in search(tiny_index, cross, k=3, fusion=CROSS_LANGUAGE)]
    assert [h.score for h in search(tiny_index, cross, k=3)] != [h.score for h in search(tiny_index, cross, k=3, fusion=SAME_LANGUAGE)]


def test_the_dictionary_translations_of_an_english_question_vote_through_bm25(tiny_index):
    from dataclasses import replace

    class Aligned:  # "guarantee" translated (lexicon.py), no word aligned by cosine
        glosses = {"guarantee": ("보증",)}
        gloss_terms = ["보증"]

        def coverage(self, vocab, text):
            return 0.0

    q = replace(analyze(tiny_index, "Is there a guarantee?"), lang="en", alignment=Aligned())
    n = len(tiny_index.chunks)
    glossed = {h.pos: h for h in search(tiny_index, q, k=n)}
    plain = {h.pos: h for h in search(tiny_index, q, k=n, fusion=replace(CROSS_LANGUAGE, gloss=0.0))}
    for pos, hit in glossed.items():
        if "보증" in hit.chunk.text:  # the one passage with the translation: one more vote, at rank 0
            assert hit.score == pytest.approx(plain[pos].score + CROSS_LANGUAGE.gloss / 61)
        else:
            assert hit.score == pytest.approx(plain[pos].score)
    assert sum("보증" in h.chunk.text for h in glossed.values()) == 1


def test_bm25_matches_through_particles(tiny_index):
    q = analyze(tiny_index, "보증은?")
    assert q.terms == ["보증"]
    hits = search(tiny_index, q, k=1, mode="bm25")
    assert "보증" in hits[0].chunk.text and hits[0].bm25 > 0


def test_k_bounds_the_number_of_hits(tiny_index):
    assert len(search(tiny_index, analyze(tiny_index, "parks"), k=2)) == 2
    assert len(search(tiny_index, analyze(tiny_index, "parks"), k=50)) == len(tiny_index.chunks)


def test_history_is_blended_with_less_weight(tiny_index):
    plain = analyze(tiny_index, "how much is the budget?")
    follow = analyze(tiny_index, "how much is the budget?", history=["city parks"])
    assert follow.context_terms == ["city", "park"]
    own = float(follow.vec @ plain.vec)
    assert 0 < own < 1 and abs(float(np.linalg.norm(follow.vec)) - 1) < 1e-5
    hist_vec = tiny_index.embedder.embed_batch(["city parks"], query=True)[0]
    assert own > float(follow.vec @ hist_vec)  # the new turn weighs more than the old one


def test_a_turn_without_content_leans_fully_on_history(tiny_index):
    follow = analyze(tiny_index, "and when?", history=["city parks budget"])
    own = tiny_index.embedder.embed_batch(["and when?"], query=True)[0]
    hist = tiny_index.embedder.embed_batch(["city parks budget"], query=True)[0]
    expected = (own + hist) / np.linalg.norm(own + hist)
    assert np.allclose(follow.vec, expected, atol=1e-6)


def test_hubness_correction_lowers_passages_by_their_likeness_to_any_english_question(tiny_index):
    from rag.retrieve import HUB_PROBES, hub_similarities, scores, sentence_similarities

    hub_passage, hub_sentence, hub_titled = hub_similarities(tiny_index)
    probe = tiny_index.embedder.embed_batch(list(HUB_PROBES), query=True).mean(axis=0)
    probe /= np.linalg.norm(probe)
    # every passage and sentence, whatever its language: one scale for all of them
    assert np.allclose(hub_passage, tiny_index.chunk_vecs @ probe) and np.allclose(hub_sentence, tiny_index.sent_vecs @ probe)
    assert np.allclose(hub_titled, tiny_index.sent_title_vecs @ probe)
    q = analyze(tiny_index, "AI혁신펀드 규모는?")
    raw, raw_sent, bm25 = scores(tiny_index, q)
    corrected, _, bm25_again = scores(tiny_index, q, hubness=0.5)
    assert np.allclose(corrected, raw - 0.5 * hub_passage) and np.array_equal(bm25, bm25_again)
    # the answerer compares sentences as retrieval ranked them: raw for a Korean question
    sids = list(range(len(tiny_index.sentences)))
    assert np.allclose(sentence_similarities(tiny_index, q, sids), tiny_index.sent_vecs @ q.vec)
    assert np.allclose(sentence_similarities(tiny_index, q, sids, titled=True), tiny_index.sent_title_vecs @ q.vec)
    # an English question over Korean text: the titled similarities are corrected by their own likeness
    en = replace(analyze(tiny_index, "How large is the fund?"), lang="en", alignment=object())
    assert CROSS_LANGUAGE.hubness > 0
    assert np.allclose(sentence_similarities(tiny_index, en, sids, titled=True),
                       tiny_index.sent_title_vecs @ en.vec - CROSS_LANGUAGE.hubness * hub_titled)
