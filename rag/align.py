"""Cross-language alignment: which words of an English question the Korean evidence expresses.

An English question about Korean text cannot be checked morpheme by morpheme. Each content word
and each pair of adjacent content words ("interest rate", "phone number") is embedded once and
compared with the corpus's Korean noun vocabulary (built at index time). Raw cosines of short
terms are all alike (0.80-0.90), so a word counts as expressed by some evidence only when its
best match there stands out from its similarity to the whole vocabulary (a z-score).

Used by retrieval (a fourth ranking), by the answerer (coverage of a sentence) and for abstention
(a compound that aligns with nothing in the evidence names something the document lacks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .index import Index
from .text import EN_STOP

# Light verbs and number words: they join the words of a question but name no concept.
LIGHT_VERBS = set(
    """go goes went gone give gives given gave find finds found hide hides hidden live lives lived win wins won
    apply applies applied run runs ran say says said quoted stand stands mean means get gets take takes
    took taken come comes came want wants happen happens begin begins become becomes shown make makes made
    called know known see seen provide provides receive receives rated mentioned announced""".split()
)
NUMBER_WORDS = set("one two three four five six seven eight nine ten hundred thousand million billion first second third".split())
_EN_TOKEN = re.compile(r"[A-Za-z][A-Za-z&'-]*|\d+|[^\sA-Za-z\d]")
Z_PAIR, Z_WORD, MIN_VOCAB = 2.8, 3.0, 50


def _content_word(tok: str) -> bool:
    low = tok.lower()
    return tok[0].isalpha() and low not in EN_STOP and low not in LIGHT_VERBS and low not in NUMBER_WORDS


@dataclass
class Alignment:
    """How strongly each content word and word pair of an English question aligns to Korean terms."""

    words: list[str]
    pairs: list[tuple[str, str]]
    similarities: Callable[[str], np.ndarray]  # text -> cosine to every vocabulary term
    _rows: dict[str, tuple[np.ndarray, float, float]] = field(default_factory=dict)

    def row(self, text: str) -> tuple[np.ndarray, float, float]:
        if text not in self._rows:  # pairs are embedded only when a check needs them
            sims = self.similarities(text)
            self._rows[text] = (sims, float(sims.mean()), max(float(sims.std()), 1e-6))
        return self._rows[text]

    def z(self, text: str, vocab_ids: list[int]) -> float:
        """How far the best match of `text` among `vocab_ids` stands out from the whole vocabulary."""
        if not vocab_ids:
            return -np.inf
        sims, mean, std = self.row(text)
        return float((sims[vocab_ids].max() - mean) / std)

    def coverage(self, vocab_ids: list[int], evidence: str) -> float:
        """Share of the question's words that the evidence expresses (0..1)."""
        if not self.words:
            return 0.0
        scores = [
            1.0 if w.lower() in evidence else float(np.clip((self.z(w, vocab_ids) - Z_LOW) / (Z_HIGH - Z_LOW), 0, 1))
            for w in self.words
        ]
        return sum(scores) / len(scores)

    def weakest(self, vocab_ids: list[int], evidence: str) -> float:
        """How well the evidence expresses the question's least-expressed word (0..1)."""
        if not self.words:
            return 0.0
        return min(
            1.0 if w.lower() in evidence else float(np.clip((self.z(w, vocab_ids) - Z_LOW) / (Z_HIGH - Z_LOW), 0, 1))
            for w in self.words
        )

    def missing_pair(self, vocab_ids: list[int], evidence: str) -> str | None:
        """The first word pair that nothing in the evidence expresses, nor its words."""
        for a, b in self.pairs:
            if a.lower() in evidence or b.lower() in evidence:
                continue
            if not (a.islower() and b.islower()):  # names ("Yi Sun-sin") are transliterated, not concepts
                continue
            if max(self.z(a, vocab_ids), self.z(b, vocab_ids)) < Z_WORD and self.z(f"{a} {b}", vocab_ids) < Z_PAIR:
                return f"{a} {b}"
        return None


Z_LOW, Z_HIGH = 1.5, 4.0  # z-scores mapped to no / full alignment of a word


def _question_terms(question: str) -> tuple[list[str], list[tuple[str, str]]]:
    toks = _EN_TOKEN.findall(question)
    words = list(dict.fromkeys(t for t in toks if _content_word(t)))
    pairs = [(a, b) for a, b in zip(toks, toks[1:]) if _content_word(a) and _content_word(b)]
    return words, pairs


def embed_question(index: Index, question: str) -> np.ndarray:
    """The question's query vector; when it will be aligned, its words are embedded in the same batch."""
    if len(index.vocab) < MIN_VOCAB:
        return index.embedder.embed_batch([question], query=True)[0]
    words, pairs = _question_terms(question)
    # the pairs the answerer checks each passage for (`missing_pair`: lower-case words), in the same batch
    return _term_vectors(index, (question, *words, *(f"{a} {b}" for a, b in pairs if a.islower() and b.islower())))[0]


def align(index: Index, question: str) -> Alignment | None:
    """Compare the question's content words (and, when needed, word pairs) with the vocabulary."""
    if len(index.vocab) < MIN_VOCAB:
        return None
    words, pairs = _question_terms(question)
    if not words:
        return None
    return Alignment(words, pairs, lambda text: _term_vectors(index, (text,))[0] @ index.vocab_vecs.T)


def _term_vectors(index: Index, texts: tuple[str, ...]) -> np.ndarray:
    """Query vectors of short terms, memoised on the index (questions reuse the same words)."""
    cache = index.derived.setdefault("term_vectors", {})
    missing = [t for t in texts if t not in cache]
    if missing:
        if len(cache) > 20000:
            cache.clear()
        cache.update(zip(missing, index.embedder.embed_batch(missing, query=True)))
    return np.vstack([cache[t] for t in texts])
