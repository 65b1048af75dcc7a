"""Retrieve: rank passages for a question by fusing dense and lexical evidence.

Three ranked lists are fused with reciprocal-rank fusion (RRF):
- dense passage similarity (FAISS, inner product of unit vectors);
- dense best-sentence similarity (a passage is as good as its best sentence);
- BM25 over Kiwi morphemes (Korean particles stripped; English words stemmed).
`mode="dense"` or `"bm25"` keeps one side only (used by the retrieval comparison in bench/).

A `Query` can carry earlier turns of a conversation with a lower weight (see chat.py): their
vectors are blended into the query vector and their morphemes added to the BM25 query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .align import Alignment, align, embed_question
from .index import Index
from .ingest import Chunk, normalize


@dataclass
class Query:
    text: str
    vec: np.ndarray  # unit query vector (blended with earlier turns when there are any)
    terms: list[str]  # morphemes of the question itself
    nouns: list[str] = field(default_factory=list)  # its noun-like morphemes (what it is about)
    compounds: list[str] = field(default_factory=list)  # its two-noun compounds (the specific name)
    context_terms: list[str] = field(default_factory=list)  # morphemes of earlier turns
    context_nouns: list[str] = field(default_factory=list)
    own_vec: np.ndarray | None = None  # vector of the question alone
    alignment: Alignment | None = None  # English question over Korean text: word alignment (align.py)


@dataclass(frozen=True)
class Hit:
    pos: int  # position of the passage in index.chunks
    chunk: Chunk
    score: float  # fused score (higher is better)
    dense: float  # cosine of the query and the passage
    sentence: float  # best cosine of the query and one of the passage's sentences
    bm25: float


def make_query(index: Index, text: str, history: list[str] | None = None, history_weight: float = 0.5) -> Query:
    """Embed and tokenise a question; earlier turns (most recent last) are folded in with less weight.

    A turn with no content of its own ("And until when?") leans on the earlier turn fully.
    """
    from .text import lang_of, morphemes, question_terms

    english = lang_of(text) == "en"
    own = embed_question(index, text) if english else index.embedder.embed_batch([text], query=True)[0]
    own_nouns, compounds = question_terms(text)
    if not own_nouns:
        history_weight = 1.0
    vec = own.copy()
    context_terms: list[str] = []
    context_nouns: list[str] = []
    for age, turn in enumerate(reversed(history or [])):
        vec = vec + history_weight ** (age + 1) * index.embedder.embed_batch([turn], query=True)[0]
        context_terms += morphemes(turn)
        turn_nouns, turn_compounds = question_terms(turn)
        context_nouns += turn_nouns
        compounds += [c for c in turn_compounds if c not in compounds]
    vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
    # an English follow-up is aligned together with the turns it leans on
    alignment = align(index, " ".join([*(history or []), text])) if english else None
    return Query(text=text, vec=vec, terms=morphemes(text), nouns=own_nouns, compounds=compounds,
                 context_terms=context_terms, context_nouns=context_nouns, own_vec=own, alignment=alignment)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of every item."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(len(scores))
    return ranks


def scores(index: Index, query: Query) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def search(index: Index, query: Query, k: int = 5, mode: str = "hybrid", rrf_k: int = 60) -> list[Hit]:
    """The k best passages. Example: `search(index, make_query(index, "AI펀드 규모는?"), k=5)`"""
    dense, best_sent, bm25 = scores(index, query)
    lists = {
        "dense": [dense, best_sent],
        "bm25": [bm25],
        "hybrid": [dense, best_sent, bm25],
    }[mode]
    fused = np.zeros(len(index.chunks))
    for s in lists:
        ranks = _ranks(s)
        contrib = 1.0 / (rrf_k + ranks + 1)
        if s is bm25:
            contrib = np.where(bm25 > 0, contrib, 0.0)  # no lexical match, no vote
        fused += contrib
    if query.alignment is not None and mode != "bm25":
        # across languages BM25 barely votes; the words' alignment to each passage's nouns does
        shortlist = np.argsort(-fused, kind="stable")[:RERANK_DEPTH]
        aligned = np.full(len(index.chunks), -1.0)
        for i in shortlist:
            c = index.chunks[i]
            aligned[i] = query.alignment.coverage(index.chunk_vocab[i], normalize(f"{c.section} {c.text}").lower())
        fused += np.where(aligned >= 0, 1.0 / (rrf_k + _ranks(aligned) + 1), 0.0)
    order = np.argsort(-fused, kind="stable")[:k]
    return [
        Hit(int(i), index.chunks[i], float(fused[i]), float(dense[i]), float(best_sent[i]), float(bm25[i]))
        for i in order
    ]
