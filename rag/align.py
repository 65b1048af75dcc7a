"""Cross-language alignment: which words of an English question the Korean evidence expresses.

An English question about Korean text cannot be checked morpheme by morpheme. Each content word
and each pair of adjacent content words ("interest rate", "phone number") is embedded once and
compared with the corpus's Korean noun vocabulary (built at index time). Raw cosines of short
terms are all alike (0.80-0.90), so a word counts as expressed by some evidence only when its
best match there stands out from its similarity to the whole vocabulary (a z-score).

A word also counts as expressed when the evidence holds one of its dictionary translations
(lexicon.py: *subsidy* -> 보조, 보조금, 장려금): the dictionary is sure where the cosines are not, the cosines
cover the names and new words a learner's dictionary lacks.

Used by retrieval (a fourth ranking, and BM25 over the translations), by the answerer (coverage of a
sentence) and for abstention (a compound that aligns with nothing in the evidence names something
the document lacks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .index import Index
from .lexicon import lexicon, romanization_table, transliterations
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
    glosses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # word or "a b", lower case -> Korean terms
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

    @property
    def gloss_terms(self) -> list[str]:
        """Every translation of the question's words and pairs (a BM25 query over Korean text)."""
        return list(dict.fromkeys(t for ts in self.glosses.values() for t in ts))

    def stated(self, term: str, evidence: str) -> bool:
        """The evidence holds the word itself or one of its translations."""
        return term.lower() in evidence or any(g in evidence for g in self.glosses.get(term.lower(), ()))

    def glossed(self, evidence: str) -> float:
        """Share of the question's translatable words whose translation the evidence holds (0..1)."""
        known = [w for w in self.words if w.lower() in self.glosses]
        return sum(self.stated(w, evidence) for w in known) / len(known) if known else 0.0

    def expressed(self, word: str, vocab_ids: list[int], evidence: str) -> float:
        """1.0 when the evidence states the word, else how far its best match stands out (0..1)."""
        if self.stated(word, evidence):
            return 1.0
        return float(np.clip((self.z(word, vocab_ids) - Z_LOW) / (Z_HIGH - Z_LOW), 0, 1))

    def coverage(self, vocab_ids: list[int], evidence: str) -> float:
        """Share of the question's words that the evidence expresses (0..1)."""
        if not self.words:
            return 0.0
        return sum(self.expressed(w, vocab_ids, evidence) for w in self.words) / len(self.words)

    def weakest(self, vocab_ids: list[int], evidence: str) -> float:
        """How well the evidence expresses the question's least-expressed word (0..1)."""
        if not self.words:
            return 0.0
        return min(self.expressed(w, vocab_ids, evidence) for w in self.words)

    def missing_pair(self, vocab_ids: list[int], evidence: str) -> str | None:
        """The first word pair that nothing in the evidence expresses, nor its words."""
        for a, b in self.pairs:
            if self.stated(a, evidence) or self.stated(b, evidence) or self.stated(f"{a} {b}", evidence):
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
    return Alignment(words, pairs, lambda text: _term_vectors(index, (text,))[0] @ index.vocab_vecs.T,
                     glosses(index, words, pairs))


def _vocab_ids(index: Index) -> dict[str, int]:
    ids = index.derived.get("vocab_ids")
    if ids is None:
        ids = index.derived["vocab_ids"] = {t: i for i, t in enumerate(index.vocab)}
    return ids


# Words of a question to translate: English words, and Korean words and numbers, kept as written.
_TRANSLATION_TOKEN = re.compile(r"[가-힣]+|[A-Za-z][A-Za-z&'-]*|\d+(?:[.,:]\d+)*")


def translation(index: Index, question: str, alignment: Alignment) -> str:
    """The question in the corpus's words, a dictionary translation word by word: each content word
    or word pair whose translations include a term of the corpus is replaced by the one its vector is
    nearest to (a pair before its words: "interest rate" -> 금리); names, acronyms, numbers and the
    Korean words of a mixed question stay as written; function words and punctuation go. The query is
    then compared with the corpus's sentences in their own language (E5's English-to-Korean margins
    are small)."""
    ids = _vocab_ids(index)
    toks = _TRANSLATION_TOKEN.findall(question)

    def english(tok: str) -> bool:
        return tok.isascii() and _content_word(tok)

    out: list[str] = []
    i = 0
    while i < len(toks):
        if not english(toks[i]):
            if not toks[i].isascii() or toks[i][0].isdigit():  # already the corpus's words
                out.append(toks[i])
            i += 1
            continue
        spans = [toks[i : i + 2]] if i + 1 < len(toks) and english(toks[i + 1]) else []
        for span in (*spans, toks[i : i + 1]):
            term = " ".join(span)
            known = [g for g in alignment.glosses.get(term.lower(), ()) if g in ids]
            if known:
                sims = alignment.row(term)[0]
                out.append(max(known, key=lambda g: (float(sims[ids[g]]), g)))
                i += len(span)
                break
        else:
            out.append(toks[i])
            i += 1
    return " ".join(out)


def name_table(index: Index) -> dict[str, tuple[str, ...]]:
    """The corpus's Korean names by their romanization (lexicon.romanization_table), kept on the index:
    about 0.4 s for 9,000 terms (a question that comes while `prepare` is still at it computes its own)."""
    table = index.derived.get("romanized")
    if table is None:
        table = index.derived["romanized"] = romanization_table(index.vocab)
    return table


def prepare(index: Index) -> None:
    """Load what an English question will need (the dictionary, the corpus's romanized names) ahead
    of it; `chat.Pipeline` runs this in the background. Pure Python: safe in a daemon thread."""
    if len(index.vocab) >= MIN_VOCAB:
        lexicon()
        name_table(index)


def _name(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()  # Jeonju, not KTX


def glosses(index: Index, words: list[str], pairs: list[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """The Korean terms each word and pair can stand for: its dictionary translations and, for a
    capitalised word or pair ("Hong Gil-dong"), the corpus's Korean names it romanizes."""
    lex = lexicon()
    out = {}
    for term in (*words, *(f"{a} {b}" for a, b in pairs)):
        found = lex.translate(term)
        if all(_name(w) for w in term.split()):
            found = (*found, *transliterations(term, name_table(index)))
        if found:
            out[term.lower()] = tuple(dict.fromkeys(found))
    return out


def _term_vectors(index: Index, texts: tuple[str, ...]) -> np.ndarray:
    """Query vectors of short terms, memoised on the index (questions reuse the same words)."""
    cache = index.derived.setdefault("term_vectors", {})
    # read once into a local dict: another thread's question may clear the shared cache meanwhile
    got = {t: cache.get(t) for t in texts}
    missing = [t for t, v in got.items() if v is None]
    if missing:
        new = dict(zip(missing, index.embedder.embed_batch(missing, query=True)))
        got.update(new)
        if len(cache) > 20000:
            cache.clear()
        cache.update(new)
    return np.vstack([got[t] for t in texts])
