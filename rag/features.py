"""Features: the candidate sentences of the retrieved passages, and one row of general signals per candidate.

    candidates(index, hits)             the sentences of the retrieved passages (a footnote joins the
                                        sentence it annotates)
    features(index, question, cands)    one row of FEATURES per candidate: E5 similarities, BM25, coverage
                                        of the question's words, answer-type agreement read off Kiwi tags,
                                        the question's constraints (years, numbers, names, the attribute),
                                        ranks, and the cross-language alignment of an English question

Each candidate is read in the language pair it makes with the question (`threshold_group`). No feature
knows about a particular document or question; what they weigh is learned (scorer.py, rag/train.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .align import Alignment
from .index import Index
from .question import Question
from .retrieve import Hit, sentence_similarities
from .spans import answer_spans, new_spans, span_votes
from .text import CLAUSE_BREAK, clause_spans, kiwi, lang_of, normalize, signals, unmarked


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage (with the footnotes that annotate it) that may answer the question."""

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
        out.append(Candidate(rank, hits[rank], sid, sent.text, sent.context or previous_sentence(index, sid)))
        if not sent.is_footnote:
            anchor_of[(pos, sent.text)] = len(out) - 1
    return out


def previous_sentence(index: Index, sid: int) -> str:
    """The sentence before `sid` in the same document ("" at a document's start or for footnotes)."""
    if sid == 0 or index.sentences[sid].is_footnote:
        return ""
    this, before = index.chunks[index.sent_chunk[sid]], index.chunks[index.sent_chunk[sid - 1]]
    return index.sentences[sid - 1].text if this.source == before.source else ""


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
