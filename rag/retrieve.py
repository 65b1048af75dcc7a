"""Retrieve: rank passages for a question by fusing dense and lexical evidence.

Ranked lists are fused with reciprocal-rank fusion (RRF); for every question:
- dense passage similarity (FAISS, inner product of unit vectors);
- dense best-sentence similarity (a passage is as good as its best sentence);
- BM25 over Kiwi morphemes (Korean particles stripped; English words stemmed).
`mode="dense"` or `"bm25"` keeps one side only (used by the retrieval comparison in bench/).

The lists are weighted (`Fusion`): equally for a question in the corpus's language; for an English
question over Korean text, BM25 (English words meet only the corpus's acronyms) counts less and the
best sentence more, and two lists are added: the words' alignment to each passage's nouns (align.py)
and BM25 over the words' dictionary translations (lexicon.py). The weights were chosen on the
development pool with `bench/fusion.py`.

Across languages dense similarity has *hubs*: passages holding English words or figures resemble
every English question a little (a Korean release's English caption line came first for unrelated
English questions). For an English question over Korean text each passage's
similarity to content-free English probe questions ("How much is it?") is subtracted, scaled by
`Fusion.hubness` (a one-vector form of CSLS hubness reduction). On the development pool's English
questions this raised hit@10 from 76.2 to 95.2 on press releases and from 94.4 to 98.1 on KorQuAD;
Korean questions do not gain from it and keep raw similarities.

The `Question` (question.py) carries earlier turns of a conversation with a lower weight: their
vectors are blended into its vector and their morphemes added to the BM25 query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .index import Index
from .ingest import Chunk
from .text import normalize

if TYPE_CHECKING:  # question.py imports this module's neighbours; the type is only annotated here
    from .question import Question


@dataclass(frozen=True)
class Fusion:
    """Weights of the ranked lists in reciprocal-rank fusion."""

    dense: float = 1.0
    sentence: float = 1.0
    bm25: float = 1.0
    alignment: float = 1.0
    gloss: float = 0.0  # BM25 over the dictionary translations of an English question's words
    hubness: float = 0.0  # share of the similarity to content-free probe questions subtracted


SAME_LANGUAGE = Fusion()
# Chosen on the development pool's English questions with `python bench/fusion.py` (press releases
# and KorQuAD): first hit@5 59.5 -> 69.0 on press releases and 88.1 -> 90.6 on KorQuAD over equal
# weights; then hubness 0.75, and gloss 0.75 of 0.5-2.0 (best hit@5 and hit@10 together).
CROSS_LANGUAGE = Fusion(dense=1.0, sentence=1.5, bm25=0.5, alignment=0.5, gloss=0.75, hubness=0.75)

# Questions with no content: what a passage's similarity to them measures is how much it resembles
# any question of the language (linguistic data, not document data).
HUB_PROBES = (
    "What is it?", "How much is it?", "How many are there?", "When will it happen?", "Who is responsible?",
    "Where is it?", "Which one is it?", "What does the document say?", "Why was it done?",
    "How long does it take?", "What is the amount?", "What did they announce?",
)


@dataclass(frozen=True)
class Hit:
    pos: int  # position of the passage in index.chunks
    chunk: Chunk
    score: float  # fused score (higher is better)
    dense: float  # cosine of the query and the passage
    sentence: float  # best cosine of the query and one of the passage's sentences
    bm25: float


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of every item."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(len(scores))
    return ranks


def rrf(scores: np.ndarray, weight: float, rrf_k: int, votes: np.ndarray | None = None) -> np.ndarray:
    """Each item's reciprocal-rank-fusion term, `weight / (rrf_k + rank + 1)`; 0 where `votes` is False."""
    contrib = weight / (rrf_k + _ranks(scores) + 1)
    return contrib if votes is None else np.where(votes, contrib, 0.0)


def hub_similarities(index: Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each passage's, sentence's and titled sentence's similarity to the mean of the (English)
    HUB_PROBES (cached on the index). Every passage is corrected, whatever its language, so that all similarities to an
    English question are on one scale: a Latin-script fragment of a Korean release (a file name, an
    attachment's size) resembles any English question as much as an English passage does."""
    got = index.derived.get("hubs")
    if got is None:
        probe = index.embedder.embed_batch(list(HUB_PROBES), query=True).mean(axis=0)
        probe = probe / max(float(np.linalg.norm(probe)), 1e-12)
        got = index.derived["hubs"] = (
            index.chunk_vecs @ probe,
            index.sent_vecs @ probe if len(index.sent_vecs) else np.zeros(0),
            index.sent_title_vecs @ probe if len(index.sent_title_vecs) else np.zeros(0),
        )
    return got


def fusion_for(query: "Question") -> Fusion:
    """The weights for this question: CROSS_LANGUAGE for an English question over Korean text."""
    return CROSS_LANGUAGE if query.lang == "en" and query.alignment is not None else SAME_LANGUAGE


def sentence_similarities(index: Index, query: "Question", sids: list[int], vec: np.ndarray | None = None,
                          *, titled: bool = False) -> np.ndarray:
    """Similarity of the sentences `sids` (their vectors after the document's title when `titled`) to
    the question's vector (or `vec`), hubness-corrected as retrieval corrects it, so that the answerer
    compares sentences as retrieval ranked them."""
    vecs = index.sent_title_vecs if titled else index.sent_vecs
    sims = vecs[sids] @ (query.vec if vec is None else vec)
    hubness = fusion_for(query).hubness
    return sims - hubness * hub_similarities(index)[2 if titled else 1][sids] if hubness else sims


def scores(index: Index, query: "Question", hubness: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense passage, best-sentence and BM25 scores of every passage (dense ones less `hubness` times
    their similarity to the content-free probes)."""
    n = len(index.chunks)
    dense = index.chunk_vecs @ query.vec
    sent_sim = index.sent_vecs @ query.vec if len(index.sent_vecs) else np.zeros(0)
    if hubness:
        hub_passage, hub_sentence, _ = hub_similarities(index)
        dense = dense - hubness * hub_passage
        sent_sim = sent_sim - hubness * hub_sentence
    best_sent = np.full(n, -1.0)
    np.maximum.at(best_sent, index.sent_chunk, sent_sim)
    bm25 = bm25_scores(index, query.terms) + 0.5 * bm25_scores(index, query.context_terms)
    return dense, best_sent, bm25


def bm25_scores(index: Index, terms: list[str]) -> np.ndarray:
    """BM25 of every passage for `terms` (zeros for none): the question's morphemes, its earlier turns',
    or the Korean translations of an English question's words (lexicon.py)."""
    return np.asarray(index.bm25.get_scores(terms), dtype=np.float64) if terms else np.zeros(len(index.chunks))


RERANK_DEPTH = 50  # passages whose alignment is scored (the rest keep their fused rank)


def search(index: Index, query: "Question", k: int = 5, mode: str = "hybrid", rrf_k: int = 60,
           fusion: Fusion | None = None) -> list[Hit]:
    """The k best passages. Example: `search(index, analyze(index, "AI펀드 규모는?"), k=5)`"""
    w = fusion or fusion_for(query)
    dense, best_sent, bm25 = scores(index, query, w.hubness)
    lists = {
        "dense": [(dense, w.dense), (best_sent, w.sentence)],
        "bm25": [(bm25, w.bm25)],
        "hybrid": [(dense, w.dense), (best_sent, w.sentence), (bm25, w.bm25)],
    }[mode]
    fused = np.zeros(len(index.chunks))
    for s, weight in lists:
        fused += rrf(s, weight, rrf_k, bm25 > 0 if s is bm25 else None)  # no lexical match, no vote
    if query.alignment is not None and query.alignment.glosses and w.gloss and mode != "dense":
        glossed = bm25_scores(index, query.alignment.gloss_terms)
        fused += rrf(glossed, w.gloss, rrf_k, glossed > 0)
    if query.alignment is not None and mode != "bm25":
        # across languages BM25 barely votes; the words' alignment to each passage's nouns does
        shortlist = np.argsort(-fused, kind="stable")[:RERANK_DEPTH]
        aligned = np.full(len(index.chunks), -1.0)
        for i in shortlist:
            c = index.chunks[i]
            aligned[i] = query.alignment.coverage(index.chunk_vocab[i], normalize(f"{c.section} {c.text}").lower())
        fused += rrf(aligned, w.alignment, rrf_k, aligned >= 0)
    order = np.argsort(-fused, kind="stable")[:k]
    return [
        Hit(int(i), index.chunks[i], float(fused[i]), float(dense[i]), float(best_sent[i]), float(bm25[i]))
        for i in order
    ]
