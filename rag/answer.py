"""Answer: pick the sentence that answers the question, or abstain — a learned, calibrated choice.

Small pure steps, each testable with hand-built inputs:

    features.candidates(index, hits)           the sentences of the retrieved passages
    features.features(index, question, cands)  one row of general signals per sentence (FEATURES)
    Scorer.probabilities(rows)                 sentence selection: small learned models (scorer.py,
                                               `python -m rag.train`)
    decide(question, cands, ...)               the best sentence, or None when the answerability
                                               model's calibrated probability is below the threshold
                                               chosen on the development pool for a target
                                               false-abstain rate
    compose(...)                               the answer itself (amount, date, name ... picked from
                                               the sentence by Kiwi tags, spans.py), then the quoted
                                               sentence or clause with [n]; both verbatim from the
                                               document

Nothing is generated: every number in an answer is copied from a cited passage (`numbers_grounded`
checks it). No feature knows about a particular document or question; the weights are learned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .features import Candidate, anchor_terms, candidates, features, previous_sentence, quoted, threshold_group
from .index import Index
from .question import Question
from .retrieve import Hit
from .scorer import Scorer
from .spans import DIGITS, answer_spans, new_spans, pick_span, taking
from .text import kiwi, normalize


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


def rerank(hits: list[Hit], cands: list[Candidate], probs: np.ndarray) -> list[Hit]:
    """The hits ordered by their best sentence's selector probability (fused rank breaks ties; a
    passage without sentences keeps its place after the others). The selector reads more of the
    question than retrieval does: on the development pool, out of fold, the passage of its best
    sentence holds the evidence more often than the first fused passage does."""
    best = np.full(len(hits), -1.0)
    for c, p in zip(cands, probs):
        best[c.rank] = max(best[c.rank], float(p))
    return [hits[i] for i in sorted(range(len(hits)), key=lambda i: (-best[i], i))]


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


_MARK = re.compile(r"\[\d+\]")


def numbers_grounded(answer: str, passages: list[str]) -> bool:
    """Every number in the answer (citation markers aside) occurs in one of the cited passages."""
    haystack = normalize(" ".join(passages)).replace(",", "")
    return all(num.replace(",", "") in haystack for num in DIGITS.findall(normalize(_MARK.sub("", answer))))


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
    before = previous_sentence(index, sid)
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
