"""Retrieve: rank passages for a question by fusing dense and lexical evidence.

Three ranked lists are fused with reciprocal-rank fusion (RRF):
- dense passage similarity (FAISS, inner product of unit vectors);
- dense best-sentence similarity (a passage is as good as its best sentence);
- BM25 over Kiwi morphemes (Korean particles stripped; English words stemmed).
`mode="dense"` or `"bm25"` keeps one side only (used by the retrieval comparison in bench/).

The lists are weighted (`Fusion`): equally for a question in the corpus's language; for an English
question over Korean text, BM25 (English words meet only the corpus's acronyms) counts less and the
best sentence more. The weights were chosen on the development pool with `bench/fusion.py`.

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


SAME_LANGUAGE = Fusion()
# Development pool (press_dev + KorQuAD train, 202 English questions): hit@5 59.5 -> 69.0 on press
# releases and 88.1 -> 90.6 on KorQuAD over equal weights (`python bench/fusion.py`).
CROSS_LANGUAGE = Fusion(dense=1.0, sentence=1.5, bm25=0.5, alignment=0.5)


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


def scores(index: Index, query: "Question") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense passage, best-sentence and BM25 scores of every passage."""
    n = len(index.chunks)
    dense = index.chunk_vecs @ query.vec
    sent_sim = index.sent_vecs @ query.vec if len(index.sent_vecs) else np.zeros(0)
    best_sent = np.full(n, -1.0)
    np.maximum.at(best_sent, index.sent_chunk, sent_sim)
    bm25 = np.zeros(n)
    if query.terms:
        bm25 = np.asarray(index.bm25.get_scores(query.terms), dtype=np.float64)
    if query.context_terms:
        bm25 = bm25 + 0.5 * np.asarray(index.bm25.get_scores(query.context_terms), dtype=np.float64)
    return dense, best_sent, bm25


RERANK_DEPTH = 50  # passages whose alignment is scored (the rest keep their fused rank)


def search(index: Index, query: "Question", k: int = 5, mode: str = "hybrid", rrf_k: int = 60,
           fusion: Fusion | None = None) -> list[Hit]:
    """The k best passages. Example: `search(index, analyze(index, "AI펀드 규모는?"), k=5)`"""
    w = fusion or (CROSS_LANGUAGE if query.alignment is not None else SAME_LANGUAGE)
    dense, best_sent, bm25 = scores(index, query)
    lists = {
        "dense": [(dense, w.dense), (best_sent, w.sentence)],
        "bm25": [(bm25, w.bm25)],
        "hybrid": [(dense, w.dense), (best_sent, w.sentence), (bm25, w.bm25)],
    }[mode]
    fused = np.zeros(len(index.chunks))
    for s, weight in lists:
        fused += rrf(s, weight, rrf_k, bm25 > 0 if s is bm25 else None)  # no lexical match, no vote
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
