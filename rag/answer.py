"""Answer: pick the sentence that answers the question, or abstain — a learned, calibrated choice.

Small pure steps, each testable with hand-built inputs:

    candidates(index, hits)             the sentences of the retrieved passages
    features(index, question, cands)    one row of general signals per sentence (FEATURES)
    Scorer.probabilities(rows)          sentence selection: small learned models (`python -m rag.train`)
    decide(question, cands, ...)        the best sentence, or None when the answerability model's
                                        calibrated probability is below the threshold chosen on the
                                        development pool for a target false-abstain rate
    compose(...)                        the answer itself (amount, date, name ... picked from the
                                        sentence by Kiwi tags), then the quoted sentence or clause
                                        with [n]; both verbatim from the document

Nothing is generated: every number in an answer is copied from a cited passage (`numbers_grounded`
checks it). No feature knows about a particular document or question; the weights are learned.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .align import Alignment
from .index import Index
from .question import Question
from .retrieve import Hit, sentence_similarities
from .text import (APOSTROPHES, CLAUSE_BREAK, CURRENCY, PERCENT_UNITS, TIME_UNITS, clause_spans, is_ordinal, is_short_year,
                   kiwi, lang_of, normalize, signals, unmarked)

DEFAULT_MODEL = Path(__file__).with_name("answerer.json")

# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Citation:
    n: int  # the [n] marker in the answer text (0 for contexts that are not cited)
    source: str
    chunk_id: str
    text: str  # the passage as shown to the user
    score: float
    section: str = ""
    start: int = 0
    end: int = 0
    highlight: str = ""  # the sentence of the passage that supports the answer
    title: str = ""  # the document's title
    source_name: str = ""  # the agency that published it (source is the file)
    date: str = ""  # the document's date, ISO
    url: str = ""  # the document's http(s) address

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "chunk_id": self.chunk_id,
            "text": self.text,
            "score": round(self.score, 4),
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "highlight": self.highlight,
            "title": self.title,
            "source_name": self.source_name,
            "date": self.date,
            "url": self.url,
        }


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    lang: str
    citations: list[Citation] = field(default_factory=list)  # what the answer cites
    contexts: list[Citation] = field(default_factory=list)  # every retrieved passage, best first (reranked)
    support: float = 0.0  # calibrated probability that the chosen sentence answers the question
    reason: str = ""  # why it abstained ("" when it answered)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "lang": self.lang,
            "support": round(self.support, 4),
            "reason": self.reason,
            "citations": [c.to_dict() for c in self.citations],
            "contexts": [c.to_dict() for c in self.contexts],
        }


FRAMES = {
    "en": {
        "answer": "According to the document: {body}",
        "abstain": "The document does not say. {why}",
        "related": "The closest passages are listed below as related, not as an answer.",
    },
    "ko": {
        "answer": "문서에 따르면: {body}",
        "abstain": "문서에는 이에 대한 내용이 없습니다. {why}",
        "related": "가장 가까운 구절을 참고용으로 아래에 보여 드립니다.",
    },
}

# ---------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    rank: int  # rank of its passage among the hits
    hit: Hit
    sid: int  # position in index.sentences
    text: str  # the sentence, followed by the footnotes that annotate it
    context: str = ""  # the sentence a standalone footnote annotates, or the sentence before
    sids: tuple[int, ...] = ()  # every sentence the candidate is made of (the sentence and its footnotes)

    @property
    def parts(self) -> tuple[int, ...]:
        return self.sids or (self.sid,)


def candidates(index: Index, hits: list[Hit]) -> list[Candidate]:
    """The sentences of the retrieved passages; a footnote (`*`, `**`, `※`) joins the sentence it
    annotates, since the figures of policy text often sit in the footnote and its subject in the sentence."""
    rank_of = {h.pos: r for r, h in enumerate(hits)}
    out: list[Candidate] = []
    anchor_of: dict[tuple[int, str], int] = {}  # (passage, sentence text) -> position in out
    for sid in np.flatnonzero(np.isin(index.sent_chunk, list(rank_of))):
        sid = int(sid)
        sent = index.sentences[sid]
        pos = int(index.sent_chunk[sid])
        rank = rank_of[pos]
        at = anchor_of.get((pos, sent.context)) if sent.is_footnote else None
        if at is not None:
            c = out[at]
            out[at] = Candidate(c.rank, c.hit, c.sid, f"{c.text}\n{sent.text}", c.context, (*c.parts, sid))
            continue
        out.append(Candidate(rank, hits[rank], sid, sent.text, sent.context or _previous_sentence(index, sid)))
        if not sent.is_footnote:
            anchor_of[(pos, sent.text)] = len(out) - 1
    return out


def _previous_sentence(index: Index, sid: int) -> str:
    """The sentence before `sid` in the same document ("" at a document's start or for footnotes)."""
    if sid == 0 or index.sentences[sid].is_footnote:
        return ""
    this, before = index.chunks[index.sent_chunk[sid]], index.chunks[index.sent_chunk[sid - 1]]
    return index.sentences[sid - 1].text if this.source == before.source else ""


# ---------------------------------------------------------------- lexical helpers


def idf_table(index: Index) -> dict[str, float]:
    """Inverse passage frequency of every morpheme (cached on the index)."""
    table = index.derived.get("idf")
    if table is None:
        n = len(index.chunk_terms)
        df: dict[str, int] = {}
        for terms in index.chunk_terms:
            for t in set(terms):
                df[t] = df.get(t, 0) + 1
        table = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        table["__unknown__"] = math.log(1 + (n + 0.5) / 0.5)
        index.derived["idf"] = table
    return table


def document_weights(terms: list[str], passages: list[tuple[set[str], str]], idf: dict[str, float]) -> dict[str, float]:
    """The question's terms weighted for telling one passage of a document from the document's other
    passages (`passages`: each one's morphemes and normalised text): the corpus idf times the term's
    inverse frequency among them. A word every passage of the document uses (its programme, its
    agency) says which document, not where in it; a word one passage uses says where."""
    unknown = idf["__unknown__"]
    n = len(passages)
    out = {"__unknown__": unknown * math.log(1 + (n + 0.5) / 0.5)}
    for t in terms:
        df = sum(term_match(t, bag, text) >= 1.0 for bag, text in passages)
        out[t] = idf.get(t, unknown) * math.log(1 + (n - df + 0.5) / (df + 0.5))
    return out


def document_passages(index: Index, source: str) -> list[tuple[set[str], str]]:
    """Each passage of one document as (its morphemes, its normalised text), kept on the index."""
    docs = index.derived.get("document_passages")
    if docs is None:
        docs = {}
        for pos, chunk in enumerate(index.chunks):
            docs.setdefault(chunk.source, []).append((set(index.chunk_terms[pos]), normalize(chunk.text).lower()))
        index.derived["document_passages"] = docs
    return docs.get(source, [])


def term_match(term: str, bag: set[str], text: str) -> float:
    """1.0 when the evidence has the term; partial credit for a longer form sharing its stem."""
    if term in bag or (len(term) >= 2 and (term in text or term in text.replace(" ", ""))):
        return 1.0  # compounds are written with or without spaces (AI펀드 / AI 펀드)
    if term.isdigit():  # 2027 matches '27, 27년
        return 1.0 if len(term) == 4 and f"'{term[2:]}" in text else 0.0
    if len(term) >= 3 and not term.isascii():  # 성동구 ~ 성동: share of character bigrams present
        grams = [term[i : i + 2] for i in range(len(term) - 1)]
        return sum(g in text for g in grams) / len(grams)
    return 0.0


def coverage(terms: list[str], bag: set[str], text: str, idf: dict[str, float]) -> float:
    """idf-weighted share of `terms` that the evidence mentions (0..1)."""
    if not terms:
        return 0.0
    unknown = idf["__unknown__"]
    total = sum(idf.get(t, unknown) for t in terms)
    found = sum(idf.get(t, unknown) * term_match(t, bag, text) for t in terms)
    return found / total if total else 0.0


def novelty(bag: set[str], asked: str, idf: dict[str, float]) -> float:
    """idf-weighted share of the evidence's terms that the question does not use (0..1): a sentence
    that restates the question says little new, the answer is in what it adds."""
    unknown = idf["__unknown__"]
    terms = sorted(bag)  # one order of summation whatever the process's string hashing
    total = sum(idf.get(t, unknown) for t in terms)
    new = sum(idf.get(t, unknown) for t in terms if t not in asked)
    return new / total if total else 0.0


def missing_weight(terms: list[str], bag: set[str], text: str, idf: dict[str, float]) -> float:
    """The idf (relative to an unseen term's) of the most specific term the evidence lacks (0..1)."""
    unknown = idf["__unknown__"]
    return max((idf.get(t, unknown) / unknown for t in terms if term_match(t, bag, text) < 0.5), default=0.0)


def clause_coverage(terms: list[str], text: str, idf: dict[str, float]) -> float:
    """The best idf-weighted coverage of `terms` by one clause of `text` (the words asked about
    stated together, not scattered over a long sentence)."""
    parts = [part for part in CLAUSE_BREAK.split(text) if part.strip()] or [text]
    return max(coverage(terms, set(), part, idf) for part in parts)


def span_clause(text: str, span: tuple[int, int]) -> str:
    """The clause of `text` holding the character span."""
    start, end = span
    before = [m.end() for m in CLAUSE_BREAK.finditer(text, 0, start)]
    after = CLAUSE_BREAK.search(text, end)
    return text[before[-1] if before else 0 : after.start() if after else len(text)]


def span_binding(terms: list[str], text: str, spans: list[tuple[int, int]], idf: dict[str, float]) -> tuple[float, float]:
    """How well a typed span is bound to what the question asks about: the best coverage of `terms` by
    the clause holding a span, and the smallest `missing_weight` over those clauses (a figure of the
    right type stated of another subject or period leaves the question's specific word outside its
    clause). (0, 0) without spans."""
    if not spans:
        return 0.0, 0.0
    clauses = [normalize(span_clause(text, span)).lower() for span in spans]
    return (max(coverage(terms, set(), c, idf) for c in clauses),
            min(missing_weight(terms, set(), c, idf) for c in clauses))


def year_found(year: str, text: str) -> bool:
    """2030 is stated as 2030, '30 or 30년, each as a whole number (2030 is not in 12030, nor 30년 in 2030년)."""
    short = re.escape(year[2:])
    return re.search(rf"(?<!\d){re.escape(year)}(?!\d)|'{short}(?!\d)|(?<![\d.']){short}\s?년", text) is not None


def quantity_found(quantity: str, text: str) -> bool:
    """A number of the question, with the unit it was written with, stands in the text as a whole
    number: "6월" is in "6월 중", "6 월" and "'26.6월", not in "16월", "2026" or "6개월"; "1.5%" not in "11.5%",
    "5" not in "1.5".
    Commas are ignored ("1,000명" ~ "1000명")."""
    digits = re.match(r"\d+(?:\.\d+)?", quantity)
    if digits is None:
        return quantity in text
    unit = quantity[digits.end():]
    # without a unit, 5 is not the 5 of 1.5; with one, '26.5월 states 5월
    before = r"(?<!\d)" if unit else r"(?<![\d.])"
    pattern = before + rf"{re.escape(digits.group())}(?!\d|\.\d)" + (rf"\s?{re.escape(unit)}" if unit else "")
    return re.search(pattern, text.replace(",", "")) is not None


# ---------------------------------------------------------------- features

FEATURES = (
    "sim", "sim_gap", "passage_sim", "passage_gap", "own_sim", "bm25",
    "cov_sentence", "cov_context", "cov_passage", "cov_title", "cov_all", "missing_idf", "missing_idf_sentence",
    "compound_sentence", "compound_passage",
    "wants_type", "type_sentence", "span_support", "type_missing", "type_context", "type_passage",
    "year_asked", "year_missing", "number_asked", "number_missing", "name_asked", "name_missing",
    "year_missing_sentence", "number_missing_sentence", "name_missing_sentence",
    "attribute_asked", "attribute_sentence", "attribute_missing",
    "passage_rank", "sentence_rank", "log_length", "footnote", "has_number", "number_needed_missing",
    "cross_language", "foreign_sentence", "align_sentence", "align_weakest", "align_passage", "align_missing", "cross_sim_gap",
    "gloss_sentence", "gloss_passage",
    "follow_up", "sim_titled", "novelty", "new_span", "sim_translated",
    "cov_clause", "cov_terms", "span_clause", "span_clause_missing",
    "cov_local", "cov_local_context",
    "clause_sim", "span_clause_sim",
    "counter_asked", "counter_fit",
)
# Answer types stated with a figure: a sentence without one cannot give them (on the development pool
# the evidence of such a question holds a number 247 times in 250).
NUMERIC_TYPES = ("amount", "count", "percent", "time")
# Listwise signals: how a sentence compares with the best other candidate of the same question.
GAP_FEATURES = ("own_sim", "sim_titled", "sim_translated", "bm25", "cov_sentence", "cov_context", "compound_sentence", "type_sentence", "span_support",
                "attribute_sentence", "missing_idf_sentence", "align_sentence", "align_weakest",
                "name_missing_sentence", "gloss_sentence", "novelty",
                "cov_clause", "cov_terms", "span_clause", "span_clause_missing", "cov_local",
                "clause_sim", "span_clause_sim", "counter_fit")
FEATURES = FEATURES + tuple(f"{f}_gap" for f in GAP_FEATURES)
_GAP_COLUMNS = [FEATURES.index(f) for f in GAP_FEATURES]
# `clause_sim` and `span_clause_sim`: the question's E5 similarity to the sentence's best clause and to
# the clause holding a typed span (`clause_similarities`, vectors from the index; an English question
# over Korean text in the document's words, `Question.translated_vec`). A long sentence that
# names the question's words in other clauses than the one stating the answer is told apart by its
# clauses; unlike the clause-level coverage they are dense, so English questions over Korean text read
# them too. Out of fold on the development pool, six dealings, without -> with them: right sentences
# KorQuAD / KorQuAD in English / press / press in English 87.0 / 66.1 / 79.1 / 57.1 -> 86.7 / 66.6 /
# 79.1 / 57.9 %, answerability AUC press 0.839 -> 0.844, press in English 0.629 -> 0.640;
# unanswerables refused at the 5 % target 39.3 -> 41.0 % (same language), 7.1 -> 8.4 % (English).
# `counter_asked` and `counter_fit`: for an English how-many question (English has no counters), how
# well a Korean sentence's counters fit what it counts (`counter_fits`: "how many people" is nearer 몇 명
# than 몇 월 in E5; an English sentence gives 0 for both, as for any other question). With them, the
# clause similarities read an English question over a Korean sentence through its translation into the
# document's words (`reads_translated`). Out of fold on the development pool, English questions over
# Korean text chose the right sentence more often, the rest unchanged (docs/history.md, 2026-12-07).
# Features the answerability model reads and the selector does not. The coverage weighted by a term's
# rarity inside its document (`document_weights`): out of fold on the development pool, six dealings,
# it separated same-language near-misses better (press AUC 0.830 -> 0.840, refused at the 5 % target
# 36.9 -> 40.3 %) but, as a selector feature too, chose fewer right sentences (press 79.0 -> 78.4 %).
# Like the clause-level signals it compares words verbatim, so it is 0 for an English question over
# Korean text.
ANSWERABILITY_ONLY = ("cov_local", "cov_local_context", "cov_local_gap")
SELECT_FEATURES = tuple(f for f in FEATURES if f not in ANSWERABILITY_ONLY)
_SELECT_COLUMNS = [FEATURES.index(f) for f in SELECT_FEATURES]


def selector_columns(rows: np.ndarray) -> np.ndarray:
    """The columns of FEATURES rows the selector reads (SELECT_FEATURES)."""
    return rows[:, _SELECT_COLUMNS]


def with_gaps(rows: np.ndarray) -> np.ndarray:
    """Append, for each GAP_FEATURES column, the value minus the column's best among the candidates."""
    part = rows[:, _GAP_COLUMNS]
    return np.hstack([rows, part - part.max(axis=0)])


def type_agrees(wants: str | None, counter: str | None, sig) -> bool:
    """The evidence (its Kiwi-tag signals) holds what the question asks for."""
    if wants is None:
        return False
    if counter:
        return counter in sig.counters or (counter in ("명", "인") and bool({"명", "인"} & sig.counters))
    if wants in ("person", "place"):
        return "name" in sig.types
    if wants == "name":  # a person's, an agency's or a product's: NNP or Latin script
        return bool(sig.names)
    if wants == "amount":
        return "amount" in sig.types or "percent" in sig.types
    return wants in sig.types


def features(index: Index, question: Question, cands: list[Candidate]) -> np.ndarray:
    """One row of FEATURES per candidate sentence (all in comparable 0..1-ish ranges)."""
    if not cands:
        return np.zeros((0, len(FEATURES)))
    idf = idf_table(index)
    terms = list(dict.fromkeys(question.nouns + question.context_nouns))
    cons = question.constraints
    asked = normalize(" ".join([question.text, *question.context_terms])).lower()
    # a candidate with footnotes is as similar as its most similar part
    sims = np.array([float(sentence_similarities(index, question, list(c.parts)).max()) for c in cands])
    own_sims = np.array([float(sentence_similarities(index, question, list(c.parts), question.own_vec).max()) for c in cands])
    titled_sims = np.array([float(sentence_similarities(index, question, list(c.parts), titled=True).max()) for c in cands])
    # the question in the sentence's words: its translation for an English question over a Korean
    # sentence, the question itself for a sentence in its own language (an English document in a mixed corpus)
    translated_sims = np.array([
        float(sentence_similarities(index, question, list(c.parts), question.translated_vec).max()) if reads_translated(question, c)
        else sims[i] for i, c in enumerate(cands)])
    passage_sims = np.array([c.hit.dense for c in cands])
    bm25_max = max((c.hit.bm25 for c in cands), default=0.0)
    sent_order = np.argsort(np.argsort(-sims, kind="stable"), kind="stable")
    # Each candidate is read in its own language pair: an English question over a Korean sentence
    # *crosses* (its words are the translation's, the alignment speaks, `cross_language` is 1); over an
    # English sentence (an English document in a mixed corpus) it is read as a Korean question over
    # Korean text is, with its own words. The development pool has English questions over both (the
    # English translations of development releases in press_dev_mixed). A sentence in another language
    # than its passage (an English caption in a Korean release) is marked by `foreign_sentence`.
    english = question.lang == "en"
    own_nouns, own_compounds = own_words(question)
    own_terms = list(dict.fromkeys(own_nouns + question.context_nouns))

    def view(crossing: bool) -> tuple[list[str], list[str], Alignment | None]:
        """(key nouns, compounds, alignment) the evidence is looked for with."""
        if english and not crossing:
            return own_terms, own_compounds, None
        return terms, question.compounds, question.alignment

    all_terms = list(dict.fromkeys(question.terms))
    fits = counter_fits(index, question.counted_vec) if question.counted_vec is not None else None

    passage_cache: dict[tuple[int, bool], dict] = {}
    local_weights: dict[tuple[str, bool], dict[str, float]] = {}  # by document and view

    def passage_facts(c: Candidate, crossing: bool) -> dict:
        pos = c.hit.pos
        if (pos, crossing) not in passage_cache:
            terms, compounds, alignment = view(crossing)
            chunk = c.hit.chunk
            text = normalize(f"{chunk.title} {chunk.section} {chunk.text}").lower()
            title = normalize(chunk.title).lower()
            bag = set(index.chunk_terms[pos])
            sids = np.flatnonzero(index.sent_chunk == pos)
            if (chunk.source, crossing) not in local_weights:
                local_weights[chunk.source, crossing] = document_weights(terms, document_passages(index, chunk.source), idf)
            passage_cache[pos, crossing] = {
                "text": text, "title": title, "bag": bag, "local": local_weights[chunk.source, crossing],
                "cov": coverage(terms, bag, text, idf),
                "cov_title": coverage(terms, set(), title, idf),
                "missing": missing_weight(terms, bag, text, idf),
                "compound": _share(compounds, text.replace(" ", "")),
                "typed": any(type_agrees(question.wants, question.counter, index.sent_signals[s]) for s in sids),
                "align": alignment.coverage(index.chunk_vocab[pos], text) if alignment else 0.0,
                "align_missing": float(bool(alignment.missing_pair(index.chunk_vocab[pos], text))) if alignment else 0.0,
                "gloss": alignment.glossed(text) if alignment else 0.0,
            }
        return passage_cache[pos, crossing]

    rows = []
    for i, c in enumerate(cands):
        crossing = threshold_group(question, c) == "cross"
        q_terms, q_compounds, q_alignment = view(crossing)
        cross = float(crossing)
        # the clause-level signals compare words verbatim; an English question's words over Korean text
        # are dictionary translations, too loose for it (out of fold on the development pool, with them
        # English near-misses were refused less: 10.4 -> 6.9 %), so they are 0 there
        literal = 1.0 - cross
        p = passage_facts(c, crossing)
        own = normalize(c.text).lower()
        both = normalize(f"{c.context} {c.text}").lower() if c.context else own
        bag = set().union(*(index.sent_terms[i] for i in c.parts))
        sigs = [index.sent_signals[i] for i in c.parts]
        vocab = sorted(set().union(*(index.sent_vocab[i] for i in c.parts)))
        cov_sent = coverage(q_terms, bag, own, idf)
        everywhere = f"{both} {p['text']}"
        found_names = [n for n in cons.names if _name_found(q_alignment, n, everywhere, index.chunk_vocab[c.hit.pos])]
        near_names = [n for n in found_names if _name_found(q_alignment, n, both, vocab)]
        attr_in = cons.attribute and cons.attribute in own.replace(" ", "")
        typed = any(type_agrees(question.wants, question.counter, sig) for sig in sigs)
        # counters are Korean: an English sentence ("12 new parks") is not read as a misfit
        counts_in_korean = fits is not None and crossing
        said = quoted(c)
        spans = answer_spans(said, question.wants, question.counter) if typed else []
        bound, unbound = span_binding(q_terms, said, spans, idf)
        rows.append([
            sims[i],
            sims[i] - sims.max(),
            passage_sims[i],
            passage_sims[i] - passage_sims.max(),
            own_sims[i],
            c.hit.bm25 / bm25_max if bm25_max > 0 else 0.0,
            cov_sent,
            coverage(q_terms, bag, both, idf),
            p["cov"],
            p["cov_title"],
            max(cov_sent, p["cov"]),
            p["missing"],
            missing_weight(q_terms, bag, both, idf),
            _share(q_compounds, own.replace(" ", "")),
            p["compound"],
            float(question.wants is not None),
            float(typed),
            span_support(question, index, c, spans),
            float(question.wants is not None and not typed),
            float(bool(c.context) and question.wants is not None and _context_typed(index, question, c)),
            float(p["typed"]),
            float(bool(cons.years)),
            float(bool(cons.years) and not any(year_found(y, everywhere) for y in cons.years)),
            float(bool(cons.quantities)),
            float(bool(cons.quantities) and not all(quantity_found(n, everywhere) for n in cons.quantities)),
            float(bool(cons.names)),
            1.0 - len(found_names) / len(cons.names) if cons.names else 0.0,
            float(bool(cons.years) and not any(year_found(y, both) for y in cons.years)),
            float(bool(cons.quantities) and not all(quantity_found(n, both) for n in cons.quantities)),
            1.0 - len(near_names) / len(cons.names) if cons.names else 0.0,
            float(bool(cons.attribute)),
            float(bool(attr_in)),
            float(bool(cons.attribute) and cons.attribute not in everywhere.replace(" ", "")),
            c.rank / 10.0,
            min(int(sent_order[i]), 10) / 10.0,
            math.log1p(len(c.text)) / 6.0,
            float(index.sentences[c.sid].is_footnote or len(c.parts) > 1),
            float(any("number" in sig.types for sig in sigs)),
            float(question.wants in NUMERIC_TYPES and not any("number" in sig.types for sig in sigs)),
            cross,
            float(lang_of(c.text) != lang_of(c.hit.chunk.text)),
            q_alignment.coverage(vocab, both) if q_alignment else 0.0,
            q_alignment.weakest(vocab, both) if q_alignment else 0.0,
            p["align"],
            p["align_missing"],
            cross * (sims[i] - sims.max()),
            q_alignment.glossed(both) if q_alignment else 0.0,
            p["gloss"],
            float(bool(question.context_terms)),
            titled_sims[i],
            novelty(bag, asked, idf),
            float(bool(new_spans(question, said, spans))),
            translated_sims[i],
            literal * clause_coverage(q_terms, own, idf),
            literal * coverage(all_terms, bag, own, idf),
            literal * bound,
            literal * unbound,
            literal * coverage(q_terms, bag, own, p["local"]),
            literal * coverage(q_terms, bag, both, p["local"]),
            *clause_similarities(index, question, c, spans),
            float(counts_in_korean),
            max((fits.get(k, 0.0) for sig in sigs for k in sig.counters), default=0.0) if counts_in_korean else 0.0,
        ])
    return with_gaps(np.asarray(rows, dtype=np.float64))


# Korean counters are a closed class of bound nouns: Kiwi's language model lists them as the nearest
# morphemes of the prototypical one, 명/NNB (개, 번, 건, 회, 개국, 그루; 곳 and 가구 it tags NNG).
COUNTER_SEED, COUNTER_NEIGHBOURS, COUNTER_TAGS = ("명", "NNB"), 80, ("NNB", "NNG")
_WORD_UNIT = re.compile(r"[가-힣A-Za-z]")  # a unit in letters (명, ha), not a sign read as one (→, +)


def corpus_counters(index: Index) -> tuple[tuple[str, ...], np.ndarray]:
    """Counters: Kiwi's, and every unit the corpus writes after a number (Kiwi's signals: 곳, 가구, ha),
    each with the E5 passage vector of "몇 <counter>"; computed once per index."""
    got = index.derived.get("counters")
    if got is None:
        written = {unit for sig in index.sent_signals for unit in sig.counters if _WORD_UNIT.search(unit)}
        general = {m.form for m in kiwi().most_similar_morphemes(COUNTER_SEED, COUNTER_NEIGHBOURS) if m.tag in COUNTER_TAGS}
        names = tuple(sorted({COUNTER_SEED[0], *general, *written}))
        got = index.derived["counters"] = (names, index.embedder.embed_batch([f"몇 {u}" for u in names]))
    return got


def counter_fits(index: Index, counted_vec: np.ndarray) -> dict[str, float]:
    """How well each of the corpus's counters fits what an English how-many question counts: 1 for the
    counter whose "몇 <counter>" is nearest the question's counted phrase in E5, falling linearly to 0
    for the farthest. English has no counters, so "how many people" says 명 only through the embedding.
    On the development pool's 99 answerable English how-many questions whose answer has a counter,
    the gold answer's counter fitted 0.89 on average (over Kiwi's bound nouns and the corpus's Hangul
    units written twice or more: the nearest for 21 %, among the ten nearest for 73 %); subtracting
    each counter's similarity to a bare "how many" (hubness) ranked it lower."""
    names, vecs = corpus_counters(index)
    order = np.argsort(-(vecs @ counted_vec), kind="stable")
    return {names[j]: 1.0 - rank / max(len(names) - 1, 1) for rank, j in enumerate(order)}


def clause_similarities(index: Index, question: Question, cand: Candidate, spans: list[tuple[int, int]]) -> tuple[float, float]:
    """The question's similarity to the candidate's best clause, and to the best clause holding one
    of `spans` (character spans of `quoted(cand)`; 0 without spans). The clauses are each part's
    (the sentence's, each footnote's) `text.clause_spans`, embedded at indexing (`Index.clause_vecs`).
    An English question over a Korean sentence is compared in the document's words (`reads_translated`)."""
    sims, held = [], []
    offset = 0
    qvec = question.translated_vec if reads_translated(question, cand) else question.vec
    for sid in cand.parts:
        said = unmarked(index.sentences[sid].text)
        vecs = index.clause_vecs[index.clause_start[sid]:index.clause_start[sid + 1]]
        for (a, b), vec in zip(clause_spans(said), vecs):
            sims.append(float(vec @ qvec))
            held.append(any(offset + a <= s < offset + b for s, _ in spans))
        offset += len(said) + 1  # quoted() joins the parts with a space
    # every sentence has at least one clause (the index checks it on loading), so `sims` is not empty
    bound = [s for s, h in zip(sims, held) if h]
    return max(sims), max(bound, default=0.0)


def _name_found(alignment: Alignment | None, name: str, evidence: str, vocab_ids: list[int]) -> bool:
    """A question's name is in the evidence: verbatim or, for an English question, through a
    translation, a romanized Korean name or an embedding match that stands out."""
    if alignment is None:
        return name in evidence
    return alignment.stated(name, evidence) or alignment.z(name, vocab_ids) >= 3.0


def _share(compounds: list[str], squeezed: str) -> float:
    return sum(c in squeezed for c in compounds) / len(compounds) if compounds else 0.0


def _context_typed(index: Index, question: Question, cand: Candidate) -> bool:
    """The candidate's context holds the asked-for type (the previous sentence's signals are in the index)."""
    before = cand.sid - 1
    if before >= 0 and index.sentences[before].text == cand.context:
        sig = index.sent_signals[before]
    else:
        sig = signals(kiwi().tokenize(normalize(cand.context)))
    return type_agrees(question.wants, question.counter, sig)


# ---------------------------------------------------------------- the learned scorer


@dataclass(frozen=True)
class Linear:
    """A logistic regression over named, standardised features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        return {
            "kind": "linear",
            "features": list(self.features),
            "mean": self.mean.round(8).tolist(),
            "scale": self.scale.round(8).tolist(),
            "coef": self.coef.round(8).tolist(),
            "intercept": round(float(self.intercept), 8),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Linear":
        return cls(tuple(d["features"]), np.array(d["mean"]), np.array(d["scale"]), np.array(d["coef"]), float(d["intercept"]))


@dataclass(frozen=True)
class Perceptron:
    """One hidden layer of rectified units over named, standardised features, and a logistic output."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    hidden: np.ndarray  # (features, units)
    hidden_bias: np.ndarray  # (units,)
    out: np.ndarray  # (units,)
    out_bias: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        h = np.maximum(((rows - self.mean) / self.scale) @ self.hidden + self.hidden_bias, 0.0)
        return 1.0 / (1.0 + np.exp(-(h @ self.out + self.out_bias)))

    def to_dict(self) -> dict:
        return {
            "kind": "perceptron",
            "features": list(self.features),
            "mean": self.mean.round(8).tolist(),
            "scale": self.scale.round(8).tolist(),
            "hidden": self.hidden.round(8).tolist(),
            "hidden_bias": self.hidden_bias.round(8).tolist(),
            "out": self.out.round(8).tolist(),
            "out_bias": round(float(self.out_bias), 8),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Perceptron":
        return cls(tuple(d["features"]), np.array(d["mean"]), np.array(d["scale"]), np.array(d["hidden"]),
                   np.array(d["hidden_bias"]), np.array(d["out"]), float(d["out_bias"]))


@dataclass(frozen=True)
class Mean:
    """The mean of several models' probabilities (all over the same features)."""

    members: tuple[Linear | Perceptron, ...]

    @property
    def features(self) -> tuple[str, ...]:
        return self.members[0].features

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return np.mean([m.probabilities(rows) for m in self.members], axis=0)

    def to_dict(self) -> dict:
        return {"kind": "mean", "members": [m.to_dict() for m in self.members]}

    @classmethod
    def from_dict(cls, d: dict) -> "Mean":
        return cls(tuple(model_from_dict(m) for m in d["members"]))


def model_from_dict(d: dict) -> Linear | Perceptron | Mean:
    kinds = {"linear": Linear, "perceptron": Perceptron, "mean": Mean}
    return kinds[d["kind"]].from_dict(d)


# The answerability model sees the chosen sentence's row, how clearly the selector preferred it, and
# the name constraints split by how they were checked. A Korean question's names are looked up verbatim,
# an English question's over Korean text through the word alignment: out of fold on the development
# pool a name of a Korean question is missing from the best sentence's passages for 5-6 % of answerable
# questions and 15-41 % of unanswerable ones, an aligned name for 41-53 % of answerable questions
# (names transliterated or translated). Mixed in one column, the alignment's misses hid the verbatim
# ones' signal.
VERBATIM = ("name_missing", "name_missing_sentence")
QUESTION_FEATURES = FEATURES + ("p_best", "p_margin", "n_likely") + tuple(f"{f}_verbatim" for f in VERBATIM)
_VERBATIM_COLUMNS = [FEATURES.index(f) for f in VERBATIM]
_CROSS_COLUMN = FEATURES.index("cross_language")


def question_row(rows: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """One row for the question: the best candidate's features, its probability, its margin over the
    runner-up, how many candidates look likely (several near-equal ones mean doubt), and its name
    constraints when they were checked verbatim (not across languages)."""
    order = np.argsort(-probs, kind="stable")
    best = int(order[0])
    second = float(probs[order[1]]) if len(order) > 1 else 0.0
    extra = [float(probs[best]), float(probs[best]) - second, float(np.sum(probs >= 0.5 * probs[best])) / 10.0]
    verbatim = rows[best, _VERBATIM_COLUMNS] * (1.0 - rows[best, _CROSS_COLUMN])
    return np.concatenate([rows[best], extra, verbatim])


@dataclass(frozen=True)
class Scorer:
    """Two small learned models and the abstention thresholds (written by rag/train.py):

    - `select` scores each candidate sentence (is it the one holding the answer?): the mean of a
      logistic regression and a perceptron with one small hidden layer (`Mean`);
    - `answerable` scores the question given its best sentence (do the candidates hold the answer?).
    The answer is withheld when `answerable` falls below the threshold of the language pair of the
    question and its best sentence (`threshold_group`): `thresholds["same"]` (a Korean question),
    `thresholds["cross"]` (an English question over Korean text) or `thresholds["english"]` (over English
    text), each chosen on the development pool for a target false-abstain rate.
    """

    select: Linear | Mean
    answerable: Linear
    thresholds: dict[str, float]
    meta: dict = field(default_factory=dict)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return self.select.probabilities(selector_columns(rows))

    def confidence(self, rows: np.ndarray, probs: np.ndarray) -> float:
        if len(rows) == 0:
            return 0.0
        return float(self.answerable.probabilities(question_row(rows, probs)[None, :])[0])

    def to_dict(self) -> dict:
        return {
            "format": "rag-answerer v3",
            "select": self.select.to_dict(),
            "answerable": self.answerable.to_dict(),
            "thresholds": {k: round(float(v), 6) for k, v in self.thresholds.items()},
            "meta": self.meta,
        }

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> "Scorer":
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        if d.get("format") != "rag-answerer v3":
            raise ValueError(f"{path} was written by another version of the answerer: run `python -m rag.train`")
        select, answerable = model_from_dict(d["select"]), Linear.from_dict(d["answerable"])
        if select.features != SELECT_FEATURES or answerable.features != QUESTION_FEATURES:
            raise ValueError(f"{path} was trained for other features: run `python -m rag.train`")
        return cls(select, answerable, dict(d["thresholds"]), d.get("meta", {}))


# ---------------------------------------------------------------- decide


def rerank(hits: list[Hit], cands: list[Candidate], probs: np.ndarray) -> list[Hit]:
    """The hits ordered by their best sentence's selector probability (fused rank breaks ties; a
    passage without sentences keeps its place after the others). The selector reads more of the
    question than retrieval does: on the development pool, out of fold, the passage of its best
    sentence holds the evidence more often than the first fused passage does."""
    best = np.full(len(hits), -1.0)
    for c, p in zip(cands, probs):
        best[c.rank] = max(best[c.rank], float(p))
    return [hits[i] for i in sorted(range(len(hits)), key=lambda i: (-best[i], i))]


def threshold_group(question: Question, cand: Candidate) -> str:
    """"cross" for an English question over a Korean sentence, "english" over an English one (an English
    document in a mixed corpus), "same" for a Korean question."""
    if question.lang != "en":
        return "same"
    return "cross" if lang_of(cand.text) == "ko" else "english"


def own_words(question: Question) -> tuple[list[str], list[str]]:
    """The question's own nouns and compounds (an English question's `nouns` are its translation's)."""
    nouns = question.nouns if question.asked_nouns is None else question.asked_nouns
    compounds = question.compounds if question.asked_compounds is None else question.asked_compounds
    return nouns, compounds


def reads_translated(question: Question, cand: Candidate) -> bool:
    """The candidate is compared with the question's translation into the corpus's words: an English
    question over a Korean sentence. A sentence in the question's own language (an English document in a
    mixed corpus) is compared with the question itself."""
    return question.translated_vec is not None and threshold_group(question, cand) == "cross"


def decide(question: Question, cands: list[Candidate], rows: np.ndarray, probs: np.ndarray,
           scorer: Scorer) -> tuple[int | None, float, str]:
    """(index of the chosen candidate, confidence, "") or (None, confidence, why it abstains)."""
    if not cands:
        return None, 0.0, "nothing retrieved"
    best = int(np.argmax(probs))
    conf = scorer.confidence(rows, probs)
    limit = scorer.thresholds.get(threshold_group(question, cands[best]), scorer.thresholds.get("same", 0.5))
    if conf < limit:
        return None, conf, f"confidence {conf:.2f} below {limit:.2f}"
    return best, conf, ""


# ---------------------------------------------------------------- compose

_MARK = re.compile(r"\[\d+\]")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_grounded(answer: str, passages: list[str]) -> bool:
    """Every number in the answer (citation markers aside) occurs in one of the cited passages."""
    haystack = normalize(" ".join(passages)).replace(",", "")
    return all(num.replace(",", "") in haystack for num in _DIGITS.findall(normalize(_MARK.sub("", answer))))


def answer_spans(sentence: str, wants: str | None, counter: str | None) -> list[tuple[int, int]]:
    """Character spans of `sentence` holding the asked-for kind of thing, read off Kiwi tags.

    Example: answer_spans("AI혁신펀드(900억원, ~'26)", "amount", None) -> [(7, 12)]  ("900억원")
    """
    if wants is None:
        return []
    toks = kiwi().tokenize(sentence)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if (wants in ("person", "place") and t.tag == "NNP") or (wants == "name" and t.tag in ("NNP", "SL")):
            j = i
            # a name runs on through the nouns of its word (Kiwi may split 황종우 into 황/NNP 종 우)
            while j + 1 < len(toks) and (
                (toks[j + 1].tag == "NNP" and toks[j + 1].start <= toks[j].end + 1)
                or (toks[j + 1].tag == "NNG" and toks[j + 1].start == toks[j].end)
            ):
                j += 1
            spans.append((t.start, toks[j].end))
            i = j + 1
            continue
        if t.tag == "W_SERIAL" and wants == "time":
            spans.append((t.start, t.end))
        elif t.tag == "SN" and is_ordinal(toks, i):  # 제13회: which forum, not how many
            i += 1
            continue
        elif t.tag == "SN":
            j = i
            while j + 1 < len(toks) and toks[j + 1].tag in ("SN", "NR", "XSN") and toks[j + 1].start <= toks[j].end + 1:
                j += 1
            unit = toks[j + 1] if j + 1 < len(toks) and (
                (toks[j + 1].tag in ("NNB", "SW", "NNG") and toks[j + 1].start <= toks[j].end + 1)
                or (toks[j + 1].tag == "SL" and toks[j + 1].start == toks[j].end)  # 600ha, 50km
            ) else None
            if unit is not None and unit.form != "년" and is_short_year(toks, i):
                unit = None  # '26 추진: a year, and the noun after it is not its unit
            u = (unit.form.lower() if unit.tag == "SL" else unit.form) if unit is not None else None
            measure = unit is not None and unit.tag == "SL"
            ok = (
                (counter is not None and u == counter)
                or (counter is None and wants == "amount" and (u in CURRENCY or u in PERCENT_UNITS or toks[j].tag == "NR" or measure))
                or (wants == "percent" and u in PERCENT_UNITS)
                or (counter is None and wants == "count" and u is not None and u not in TIME_UNITS)
                or (wants == "time" and (u in TIME_UNITS or re.fullmatch(r"(19|20)\d\d", t.form) is not None
                                         or is_short_year(toks, i)))
            )
            if ok:
                end = unit.end if unit is not None else toks[j].end
                # a year written short keeps its apostrophe: '27년 and ’26.2월 are 2027 and 2026, not 27 years
                short = wants == "time" and (is_short_year(toks, i) or re.fullmatch(r"\d\d\.\d{1,2}", t.form) is not None)
                start = toks[i - 1].start if short and i > 0 and toks[i - 1].form in APOSTROPHES and toks[i - 1].end == t.start else t.start
                if wants == "time":  # 2026년 7월 23일: one date
                    while True:
                        k = next((k for k in range(len(toks)) if toks[k].start >= end), None)
                        if k is None or k + 1 >= len(toks) or toks[k].tag != "SN" or toks[k].start > end + 1:
                            break
                        if toks[k + 1].form not in TIME_UNITS:
                            break
                        end = toks[k + 1].end
                spans.append((start, end))
            i = j + 1
            continue
        i += 1
    return spans


def pick_span(sentence: str, spans: list[tuple[int, int]], terms: list[str]) -> tuple[int, int] | None:
    """The span the question's terms point at: each term votes for the spans it stands close to,
    more when it is longer (more specific: 혁신펀드 over 펀드) and when it comes first (Korean
    and English both name the subject before the figure: "AI혁신펀드(900억원", "fund of $3m").
    The first span when no term occurs.

    Example: pick_span("코리아 펀드(2조원), AI혁신펀드(900억원)", spans, ["혁신펀드", "펀드"]) -> the 900억원 span
    """
    if not spans:
        return None
    votes = span_votes(sentence, spans, terms)
    return max(zip(spans, votes), key=lambda sv: (sv[1], -sv[0][0]))[0]


def span_votes(sentence: str, spans: list[tuple[int, int]], terms: list[str]) -> list[float]:
    """How strongly the question's terms point at each span (see `pick_span`)."""
    low = sentence.lower()
    hits = [(m.start(), m.end(), len(t)) for t in sorted(set(terms)) if len(t) > 1 for m in re.finditer(re.escape(t), low)]

    def vote(span: tuple[int, int]) -> float:
        total = 0.0
        for start, end, weight in hits:
            if end <= span[0]:
                total += weight * math.exp(-(span[0] - end) / 8)
            elif start >= span[1]:
                total += 0.5 * weight * math.exp(-(start - span[1]) / 8)
        return total

    return [vote(sp) for sp in spans]


def new_spans(question: Question, sentence: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans that are not already in the question: a figure whose numbers the question states
    ("How many pitchers have won 300 games?" is not answered by "300승"), a name it names. A
    sentence that restates the question holds only these; the answer is something new."""
    given = set(question.constraints.years) | set(question.constraints.numbers)
    asked = question.text.lower()

    def new(span: tuple[int, int]) -> bool:
        piece = sentence[span[0]:span[1]]
        digits = [d.replace(",", "") for d in _DIGITS.findall(piece)]
        if digits:
            return not set(digits) <= given
        return piece.lower() not in asked

    return [sp for sp in spans if new(sp)]


# an arrow, then perhaps a bracketed date: "40억원 → 150억원", "(’25) 40억원 → (‘26) 150억원"
_RANGE = ("~", "∼", "〜", "～")  # a range's sign: what follows it is an end, what precedes it a start
_RANGE_AFTER = re.compile(r"\s*(\([^()]{1,4}\)\s*)?[~∼〜～]")  # "3.2.(월)∼": a weekday may come between
_AFTER_ARROW = re.compile(r"(→|⇒|->|➜|▶)\s*(\([^()]{0,10}\)\s*)?$")


def taking(sentence: str, spans: list[tuple[int, int]], particle: str) -> list[tuple[int, int]]:
    """The spans that take the particle the question's wh-word takes (`question.wh_particle`), directly
    or through one noun: for 로 the new value of a change, after an arrow ("40억원 → 150억원") or
    taking 로/으로 ("10점으로", "10 점 누적으로"); for 부터 a start ("10월부터는", "’26.2월~"); for 까지
    an end ("'27년까지", "~'26", "’26.2월~’27.6월")."""
    toks = kiwi().tokenize(sentence)
    forms = {"로": ("로", "으로"), "부터": ("부터",), "까지": ("까지",)}[particle]

    def takes(span: tuple[int, int]) -> bool:
        if particle == "로" and _AFTER_ARROW.search(sentence[max(0, span[0] - 16):span[0]]):
            return True
        if particle == "까지" and sentence[:span[0]].rstrip(" " + "".join(APOSTROPHES)).endswith(_RANGE):
            return True
        if particle == "부터" and _RANGE_AFTER.match(sentence, span[1]):
            return True
        after = [t for t in toks if t.start >= span[1]][:2]
        if after and after[0].tag in ("NNG", "NNB"):
            after = after[1:]
        return bool(after) and after[0].tag in ("JKB", "JX") and after[0].form in forms

    return [sp for sp in spans if takes(sp)]


def span_support(question: Question, index: Index, cand: Candidate, spans: list[tuple[int, int]] | None = None) -> float:
    """How closely the question's terms surround the best span of the asked-for type in the
    candidate (0..1): "AI혁신펀드(900억원" answers a fund question, a figure far from its words less so.
    `spans`: the candidate's `answer_spans`, when the caller has them already."""
    sentence = quoted(cand)
    if spans is None:
        spans = answer_spans(sentence, question.wants, question.counter)
    if not spans:
        return 0.0
    terms = anchor_terms(question, index, cand)
    total = sum(len(t) for t in set(terms) if len(t) > 1)
    return min(1.0, max(span_votes(sentence, spans, terms)) / total) if total else 0.0


def quoted(cand: Candidate) -> str:
    """The candidate as quoted in an answer: its sentence and footnotes, footnote marks removed."""
    return unmarked(cand.text)


def anchor_terms(question: Question, index: Index, cand: Candidate) -> list[str]:
    """What to look for near the answer: the question's nouns and compounds and, for an English
    question over Korean text, the Korean terms of the candidate its words align to best (over an
    English sentence, the English question's own words, as `features` reads it)."""
    english = threshold_group(question, cand) == "english"
    nouns, compounds = own_words(question) if english else (question.nouns, question.compounds)
    terms = [t.lower() for t in nouns + compounds + question.context_nouns]
    if question.alignment is not None and not english:
        vocab = sorted(set().union(*(index.sent_vocab[i] for i in cand.parts)))
        if vocab:
            for word in question.alignment.words:
                if question.alignment.z(word, vocab) >= 2.0:
                    sims = question.alignment.row(word)[0][vocab]
                    terms.append(index.vocab[vocab[int(np.argmax(sims))]].lower())
    return terms


def clause(sentence: str, keep: tuple[int, int] | None, terms: list[str], limit: int) -> str:
    """The sentence, or when longer than `limit` the run of clauses that holds `keep` and most key terms
    (or a window around `keep` when that holds more of them)."""
    if len(sentence) <= limit:
        return sentence
    bounds = [0] + [m.end() for m in re.finditer(r"(?<=[,;·])\s+|\s+(?=[-–]\s)", sentence)] + [len(sentence)]
    best, best_score = None, -1.0
    for i in range(len(bounds) - 1):
        for j in range(i + 1, len(bounds)):
            a, b = bounds[i], bounds[j]
            if b - a > limit - 2:
                break
            if keep and not (a <= keep[0] and keep[1] <= b):
                continue
            piece = sentence[a:b].lower()
            score = sum(t in piece for t in terms) + (b - a) / (10 * limit)
            if score > best_score:
                best, best_score = (a, b), score
    # a window around the span when no run of clauses fits, or when the one that fits holds fewer key
    # terms or, as many, is under a third of the limit (a lone "특히," before a clause that is too long)
    centre = (keep[0] + keep[1]) // 2 if keep else 0
    a = max(0, min(centre - limit // 2, len(sentence) - limit + 2))
    window = sentence[a:a + limit - 2].lower()
    if best is not None:
        found = sum(t in sentence[best[0]:best[1]].lower() for t in terms)
        in_window = sum(t in window for t in terms)
        if in_window > found or (in_window == found and best[1] - best[0] < limit / 3):
            best = None
    if best is None:
        best = (a, a + limit - 2)
    a, b = best
    return ("…" if a > 0 else "") + sentence[a:b].strip() + ("…" if b < len(sentence) else "")


# Kiwi forms of the demonstratives that point back to an earlier sentence: 이/그/저 (MM: 이 기기는,
# NP: 그는, 이는), 이들/그들/그녀, and the roots of 이러한/그러한 (XR).
_BACK_POINTING = {("MM", "이"), ("MM", "그"), ("MM", "저"), ("NP", "이"), ("NP", "그"), ("NP", "이들"),
                  ("NP", "그들"), ("NP", "그녀"), ("NP", "이것"), ("NP", "그것"), ("XR", "이러"), ("XR", "그러")}


def leans_back(sentence: str) -> bool:
    """The sentence opens (after any conjunction or adverb) with a demonstrative that refers to what
    the sentence before it said. Example: leans_back("또한, 이 제도는 …") -> True"""
    for tok in kiwi().tokenize(sentence[:40]):
        if tok.tag in ("MAJ", "MAG") or tok.tag.startswith("S"):
            continue
        return (tok.tag, tok.form) in _BACK_POINTING
    return False


def has_no_subject(sentence: str) -> bool:
    """A whole sentence (it closes with a final ending) that names no subject or topic of its own, or
    whose subject is a pronoun (그는, 이들은): Korean leaves out, or points back to, the subject the
    sentence before named ("3월에 본사로 옮겼다."). A subject is a word marked by 이/가 or
    은/는; 은/는 after another particle (올해에는) marks a time or a place.
    Example: has_no_subject("지난해 그는 서울로 이사했다.") -> True"""
    toks = kiwi().tokenize(sentence)
    if not any(t.tag == "EF" for t in toks):  # a table cell or a bullet ("최대 -20점"), not a sentence
        return False
    for prev, tok in zip(toks, toks[1:]):
        if tok.tag == "JKS" or (tok.tag == "JX" and tok.form in ("은", "는") and not prev.tag.startswith("J")):
            return (prev.tag, prev.form) in _BACK_POINTING
    return True


def antecedent(index: Index, cand: Candidate, room: int | None = None) -> str:
    """The sentence before the candidate in its passage when the candidate points back to it ("" else):
    quoted together, the answer says what "this device" or "that day" is, or who did what the
    candidate says. A candidate without a subject gets it only when both fit in `room` characters
    whole: cut to fit, the sentence before would crowd out the candidate's own figures (on the
    development pool, the demonstrative's antecedent is worth its place even when cut, the subject's not)."""
    sid = cand.sid
    if sid == 0 or index.sent_chunk[sid - 1] != index.sent_chunk[sid]:  # the passage's first sentence
        return ""
    before = _previous_sentence(index, sid)
    text = index.sentences[sid].text
    if not before:
        return ""
    if leans_back(text):
        return before
    fits = room is None or len(before) + 1 + len(quoted(cand)) <= room
    return before if fits and has_no_subject(text) else ""


def _citation(n: int, hit: Hit, highlight: str = "") -> Citation:
    c = hit.chunk
    return Citation(n, c.source, c.chunk_id, c.text, hit.score, c.section, c.start, c.end, highlight, c.title,
                    c.source_name, c.date, c.url)


@dataclass(frozen=True)
class AnswerConfig:
    """The frozen knobs of answering, passed in (see config.Settings)."""

    scorer: Scorer
    max_chars: int = 250  # the whole answer text
    contexts: int = 5  # passages returned (the best of the candidates, reranked)


def compose(index: Index, question: Question, hits: list[Hit], config: AnswerConfig) -> Answer:
    """The grounded answer to `question` from `hits`, or an abstention with the hits as related
    passages; either way the passages come reranked by the selector (`rerank`)."""
    lang = question.lang
    frames = FRAMES[lang]
    cands = candidates(index, hits)
    rows = features(index, question, cands)
    probs = config.scorer.probabilities(rows)
    contexts = [_citation(0, h) for h in rerank(hits, cands, probs)[: config.contexts]]

    def abstain(reason: str, sup: float = 0.0) -> Answer:
        text = frames["abstain"].format(why=frames["related"] if hits else "").strip()
        return Answer(question.text, text, True, lang, [], contexts, sup, reason)

    chosen, conf, why = decide(question, cands, rows, probs, config.scorer)
    if chosen is None:
        return abstain(why, conf)
    best = cands[chosen]
    sentence = quoted(best)
    terms = anchor_terms(question, index, best)
    spans = new_spans(question, sentence, answer_spans(sentence, question.wants, question.counter))
    if question.wh_particle:
        spans = taking(sentence, spans, question.wh_particle) or spans
    span = pick_span(sentence, spans, terms)
    lead = f"**{sentence[span[0]:span[1]]}** — " if span else ""
    marker = " [1]"
    frame = "" if lead else frames["answer"].format(body="")
    room = config.max_chars - len(lead) - len(frame) - len(marker)
    before = antecedent(index, best, room)  # "이 기기는 …" is quoted with the sentence naming the device
    if before:
        sentence = f"{before} {sentence}"
        span = (span[0] + len(before) + 1, span[1] + len(before) + 1) if span else None
    quote = clause(sentence, span, terms, room)
    text = f"{lead}{frame}{quote}{marker}"
    parts = [index.sentences[i].text for i in best.parts]
    figure = sentence[span[0]:span[1]] if span else ""
    highlight = next((t for t in parts if figure and figure in t), parts[0])  # the sentence or footnote holding it
    citations = [_citation(1, best.hit, highlight)]
    if not numbers_grounded(text, [best.hit.chunk.text]):  # cannot happen for verbatim quotes
        return abstain("ungrounded number", conf)
    return Answer(question.text, text, False, lang, citations, contexts, conf)
