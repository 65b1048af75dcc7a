"""Answer: pick the sentence(s) inside the retrieved passages that answer the question, quote them
verbatim with [n] citation markers, or abstain.

Nothing is generated: every number in an answer is copied from a cited passage (and
`numbers_grounded` checks it). The choice is general, not tuned to a document:

- each candidate sentence is scored with its own similarity to the question, its passage's
  similarity (so a short generic sentence does not beat the fact), its share of the question's
  key nouns (Kiwi morphemes; across languages, the word alignment of align.py), the question's
  noun compounds it contains (AI혁신펀드), and whether it holds what the question asks for (an
  amount, a share, a count in the asked counter, a date, a person, a place: the *answer type*);
- a footnote line (`*`, `**`, `※`) and a sentence whose subject sits in the sentence before are
  matched together with that sentence, at a discount;
- the answer is withheld when the best evidence lacks the asked-for answer type, when the
  question's key terms are not covered by it (support below the settings' threshold), or when a
  compound of an English question aligns with nothing in it ("interest rate").

Framing ("According to the document", "문서에 따르면") follows the question's language.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .align import Alignment
from .index import Index
from .ingest import normalize
from .retrieve import Hit, Query

# ---------------------------------------------------------------- answer types
# (question pattern, evidence pattern). The first question pattern that matches sets the type.

_NUM = r"\d[\d,.]*"
ANSWER_TYPES: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "percent": (
        re.compile(r"percent|percentage|what share|what proportion|what fraction|\brate\b|몇\s*(%|퍼센트|프로)|비율|비중|퍼센트|몇\s*배", re.I),
        re.compile(rf"{_NUM}\s*(%|퍼센트|프로|percent|배)|절반|half|{_NUM}\s*분의\s*{_NUM}", re.I),
    ),
    "people": (
        re.compile(r"how many (people|persons|residents|employees|workers|staff|visitors|students)|population|몇\s*명|인구|인원", re.I),
        re.compile(rf"{_NUM}\s*(만|천|백)?\s*(명|인|people|persons|residents)", re.I),
    ),
    "amount": (
        re.compile(r"how much|how large|how big|what (is the )?(size|amount|budget|cost|price|value)|얼마|규모|금액|예산|비용|액수|가격", re.I),
        re.compile(
            rf"{_NUM}\s*(조|억|만|천|백)?\s*(원|달러|엔|유로|위안|won|dollars?|euros?|yen)|[$€£₩¥]\s?{_NUM}"
            rf"|{_NUM}\s*(million|billion|trillion|조|억)"
            rf"|{_NUM}\s*(%|퍼센트|percent)",  # "금리는 얼마?" / "how much interest?" asks for a rate
            re.I,
        ),
    ),
    "count": (
        re.compile(r"how many|what number of|몇\s*(개|곳|건|가지|차|회|번|대|개사|개소|종|위|명|마리|권)?", re.I),
        re.compile(rf"{_NUM}\s*(개|곳|건|가지|차|회|번|대|개사|개소|종|위|명|마리|권|[a-z]+s\b)|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand)\b|{_NUM}", re.I),
    ),
    "time": (
        re.compile(r"\bwhen\b|what (year|date|month|day|time)|which (year|date|month)|how long|until|by what|언제|몇\s*(년|월|일|시)|기간|시기|날짜|며칠|연도", re.I),
        re.compile(
            r"\d{1,4}\s*(년|월|일|시|분기|개월|주)|'\d{2}|(19|20)\d{2}|~\s*'?\d{2}|\b(january|february|march|april|may|june|july|august|september|october|november|december)\b"
            r"|(월|화|수|목|금|토|일)요일|\((월|화|수|목|금|토|일)\)|올해|내년|작년|상반기|하반기",
            re.I,
        ),
    ),
    "person": (
        re.compile(r"\bwho\b|\bwhom\b|whose|누구|누가|인물|성명|이름", re.I),
        re.compile(
            r"장관|차관|대통령|총리|권한대행|대행|위원장|구청장|군수|도지사|국회의원|의원|대표|회장|사장|교수|박사|청장|처장|원장|이사장|씨\b|기자"
            r"|\b(minister|president|mayor|chair|director|ceo|professor|architect|author|mr|ms|dr)\b"
            r"|(?<=[a-z] )[A-Z][a-z]+ [A-Z][a-z]+(?=[\s.,;]|$)(?! [A-Z])",  # a full name inside a sentence
            re.I,
        ),
    ),
    "place": (
        re.compile(r"\bwhere\b|which (city|district|country|region|province|place|county)|어디|어느\s*(곳|지역|나라|도시|구|시|국가)|장소|지역", re.I),
        # a place name, or an organisation (어디서 발표했나 -> 통계청)
        re.compile(
            r"[가-힣]+(시|군|구|도|국|동|읍|면)\b|[가-힣]+(시|군|구|도)[,은는이가에의]|\b[A-Z][a-z]+\b"
            r"|[가-힣]+(청|부|처|원|위원회|공사|공단|센터|기관|협회|재단|학교|대학교?)\b"
        ),
    ),
}
# Question words that only name the answer type; they are not content to look for in the evidence.
TYPE_WORDS = {"퍼센트", "프로", "비율", "비중", "규모", "금액", "액수", "인구", "인원", "기간", "시기", "날짜", "연도", "이름", "장소", "지역", "%", "percent", "percentage", "rate", "size", "amount"}


def answer_type(question: str) -> str | None:
    for name, (qpat, _) in ANSWER_TYPES.items():
        if qpat.search(question):
            return name
    return None


def has_type(text: str, kind: str | None) -> bool:
    return kind is None or bool(ANSWER_TYPES[kind][1].search(normalize(text)))


def _has_proper_noun(text: str) -> bool:
    from .text import kiwi

    return any(tok.tag == "NNP" for tok in kiwi().tokenize(normalize(text)))


_KO_UNIT = re.compile(r"몇\s*([가-힣]{1,2})")
# Two-syllable counters; any other counter is one syllable (점, 개, 명, 년, 곳 ...).
_TWO_SYLLABLE_UNITS = {"조원", "억원", "만원", "천원", "개월", "개사", "개소", "시간", "가구", "세대"}


def question_unit(question: str) -> str | None:
    """The counter a Korean question asks in ("몇 점" -> "점", "몇 조원" -> "조원"), if any."""
    m = _KO_UNIT.search(normalize(question))
    if not m:
        return None
    unit = m.group(1) if m.group(1) in _TWO_SYLLABLE_UNITS else m.group(1)[0]
    return None if unit in ("퍼", "프", "가", "번") else unit  # percent has its own type; 가지/번째 are not counts of a unit


# Counters that mean the same thing (몇 명 -> 200인).
_UNIT_ALIASES = {"명": ("명", "인"), "인": ("명", "인"), "곳": ("곳", "개소"), "개소": ("곳", "개소")}


def has_unit(text: str, unit: str | None) -> bool:
    """The evidence states a number in the asked-for counter (3년 for 몇 년, not 3점)."""
    if unit is None:
        return True
    units = "|".join(re.escape(u) for u in _UNIT_ALIASES.get(unit, (unit,)))
    return bool(re.search(rf"\d[\d,.]*\s*(만|천|백|억|조)?\s*({units})", normalize(text)))


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
        }


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    lang: str
    citations: list[Citation] = field(default_factory=list)  # what the answer cites
    contexts: list[Citation] = field(default_factory=list)  # every retrieved passage, in rank order
    support: float = 0.0  # how well the evidence supports the answer (0..1)
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


# ---------------------------------------------------------------- scoring


@dataclass
class Candidate:
    hit_rank: int
    hit: Hit
    sent_pos: int  # position in index.sentences
    text: str
    sim: float  # cosine of the question and the sentence
    coverage: float  # idf-weighted share of the question's key terms found in the sentence (+anchor)
    typed: bool  # holds the asked-for answer type
    specific: float = 0.0  # share of the question's compounds (AI혁신펀드) in the sentence itself
    score: float = 0.0


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


def key_terms(terms: list[str]) -> list[str]:
    from .text import KO_QUESTION_NOUNS

    out = []
    for t in terms:
        if t in KO_QUESTION_NOUNS or t in TYPE_WORDS or t in out:
            continue
        out.append(t)
    return out


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


def candidates(
    index: Index,
    query: Query,
    hits: list[Hit],
    kind: str | None,
    terms: list[str],
    alignment: Alignment | None = None,
    unit: str | None = None,
) -> list[Candidate]:
    idf = idf_table(index)
    pos_of_chunk = {h.pos: r for r, h in enumerate(hits)}
    mask = np.isin(index.sent_chunk, list(pos_of_chunk))
    sent_ids = np.flatnonzero(mask)
    sims = index.sent_vecs[sent_ids] @ query.vec if len(sent_ids) else np.zeros(0)
    out = []
    for sid, sim in zip(sent_ids, sims):
        sent = index.sentences[sid]
        rank = pos_of_chunk[int(index.sent_chunk[sid])]
        own = normalize(sent.text).lower()
        cov = coverage(terms, set(index.sent_terms[sid]), own, idf)
        # the subject may sit in the sentence a footnote annotates, or in the sentence before
        # ("장관은 … 라며," / "He said:"): counted, at a discount
        context = sent.context or _previous_sentence(index, int(sid))
        if context:
            both = normalize(f"{context} {sent.text}").lower()
            cov = max(cov, NEIGHBOUR_CREDIT * coverage(terms, set(index.sent_terms[sid]), both, idf))
        text = f"{sent.context} {sent.text}" if sent.context else sent.text
        if alignment is not None:  # across languages: words aligned to the sentence's Korean terms
            cov = max(cov, alignment.coverage(index.sent_vocab[sid], normalize(text).lower()))
        squeezed = own.replace(" ", "")
        specific = sum(c in squeezed for c in query.compounds) / len(query.compounds) if query.compounds else 0.0
        typed = has_type(sent.text, kind) and has_unit(sent.text, unit)
        out.append(Candidate(rank, hits[rank], int(sid), sent.text, float(sim), cov, typed, specific))
    return out


def _previous_sentence(index: Index, sid: int) -> str | None:
    """The sentence before `sid` in the same document (None at a document's start or for footnotes)."""
    if sid == 0 or index.sentences[sid].is_footnote:
        return None
    this, before = index.chunks[index.sent_chunk[sid]], index.chunks[index.sent_chunk[sid - 1]]
    return index.sentences[sid - 1].text if this.source == before.source else None


# Weights of the sentence score; fitted on the project's own questions (bench/calibrate.py).
W_SIM, W_PASSAGE, W_COVERAGE, W_TYPE, W_RANK, W_SPECIFIC = 1.0, 0.5, 0.1, 0.06, 0.01, 0.03
# Coverage counted over a sentence and the one before it is worth this share of the sentence's own.
NEIGHBOUR_CREDIT = 0.8
# A sentence holding the asked-for type may score this much below the best sentence and still win.
TYPE_MARGIN = 0.1
# Cross-language questions: a best-sentence cosine this low means no real match (support 0).
XL_SIM_FLOOR = 0.65


def score_candidates(cands: list[Candidate], kind: str | None) -> None:
    for c in cands:
        c.score = (
            W_SIM * c.sim
            + W_PASSAGE * c.hit.dense
            + W_COVERAGE * c.coverage
            + W_SPECIFIC * c.specific
            + (W_TYPE if (kind and c.typed) else 0.0)
            - W_RANK * c.hit_rank
        )


def support(best: Candidate, chunk_cov: float, kind: str | None, lang_match: bool) -> float:
    """A 0..1 confidence that `best` answers the question (see the module docstring)."""
    if kind and not best.typed:
        return 0.0
    lexical = max(best.coverage, chunk_cov)
    if lang_match:
        return lexical
    # Across languages morphemes rarely match: lean on similarity (cosines live in 0.7..0.95).
    return max(lexical, float(np.clip((best.sim - XL_SIM_FLOOR) / 0.1, 0, 1)))


# ---------------------------------------------------------------- composing


_MARK = re.compile(r"\[\d+\]")
_FOOTNOTE_MARK = re.compile(r"^\s*(\*+|※)\s*")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_grounded(answer: str, passages: list[str]) -> bool:
    """Every number in the answer (citation markers aside) occurs in one of the cited passages."""
    haystack = normalize(" ".join(passages)).replace(",", "")
    return all(num.replace(",", "") in haystack for num in _DIGITS.findall(normalize(_MARK.sub("", answer))))


def _trim(sentence: str, terms: list[str], limit: int) -> str:
    """A sentence longer than `limit`: keep the run of clauses with the most key terms."""
    if len(sentence) <= limit:
        return sentence
    clauses = re.split(r"(?<=,)\s+", sentence)
    best, best_hits = sentence[:limit], -1
    for i in range(len(clauses)):
        window = ""
        for j in range(i, len(clauses)):
            nxt = (window + " " + clauses[j]).strip()
            if len(nxt) > limit:
                break
            window = nxt
            hits = sum(1 for t in terms if t in window.lower())
            if hits > best_hits:
                best, best_hits = window, hits
    return best


def _citation(n: int, hit: Hit, highlight: str = "") -> Citation:
    c = hit.chunk
    return Citation(n, c.source, c.chunk_id, c.text, hit.score, c.section, c.start, c.end, highlight)


def compose(
    index: Index,
    query: Query,
    hits: list[Hit],
    *,
    lang: str,
    max_citations: int = 2,
    threshold: float = 0.5,
    max_chars: int = 380,
) -> Answer:
    """The grounded answer to `query` from `hits`, or an abstention with the hits as related passages."""
    from .text import lang_of

    frames = FRAMES[lang]
    contexts = [_citation(0, h) for h in hits]
    kind = answer_type(query.text)
    # a follow-up ("그 펀드는 언제까지?") also looks for what the earlier turns were about
    terms = key_terms(query.nouns + query.context_nouns)

    def abstain(reason: str, sup: float = 0.0) -> Answer:
        text = frames["abstain"].format(why=frames["related"] if hits else "").strip()
        return Answer(query.text, text, True, lang, [], contexts, sup, reason)

    if not hits:
        return abstain("nothing retrieved")
    alignment = query.alignment
    cands = candidates(index, query, hits, kind, terms, alignment, question_unit(query.text))
    if not cands:
        return abstain("no sentences in the retrieved passages")
    if kind in ("person", "place") and not any(c.typed for c in cands):
        # no titled person ("오영주 장관") or suffixed place ("은평구") in the evidence: names need
        # neither ("이순신은 조선 중기의 무신이다", "부산에서"), so any proper noun may be the answer
        for c in cands:
            c.typed = _has_proper_noun(c.text)
    score_candidates(cands, kind)
    cands.sort(key=lambda c: -c.score)
    if kind:  # the question asks for an amount/date/...: only sentences that hold one can answer it,
        # and only if they are nearly as relevant as the best sentence (no jumping to another topic)
        cands = [c for c in cands if c.typed and c.score >= cands[0].score - TYPE_MARGIN] or cands
    best = cands[0]

    idf = idf_table(index)
    chunk = best.hit.chunk
    chunk_norm = normalize(f"{chunk.section} {chunk.text}").lower()
    chunk_cov = coverage(terms, set(index.chunk_terms[best.hit.pos]), chunk_norm, idf)
    doc_lang = lang_of(chunk.text)
    sup = support(best, chunk_cov, kind, lang_match=(doc_lang == lang_of(query.text)))
    if sup < threshold:
        why = "answer type missing" if kind and not best.typed else "key terms not covered"
        return abstain(why, sup)
    if alignment is not None and doc_lang == "ko":
        missing = alignment.missing_pair(index.chunk_vocab[best.hit.pos], chunk_norm)
        if missing:
            return abstain(f"'{missing}' is not in the evidence", 0.0)

    chosen = [best]
    for c in cands[1:3]:  # a second sentence only when it is nearly as good and covers more of the question
        if c.score >= best.score - 0.02 and c.text != best.text and len(best.text) + len(c.text) <= max_chars:
            both = normalize(f"{best.text} {c.text}").lower()
            bag = set(index.sent_terms[best.sent_pos]) | set(index.sent_terms[c.sent_pos])
            if coverage(terms, bag, both, idf) > best.coverage + 0.1:
                chosen.append(c)
            break

    citations: list[Citation] = []
    marks: dict[int, int] = {}
    parts = []
    for c in chosen:
        if c.hit.pos not in marks:
            if len(citations) >= max_citations:
                continue
            marks[c.hit.pos] = len(citations) + 1
            citations.append(_citation(marks[c.hit.pos], c.hit, c.text))
        quote = _FOOTNOTE_MARK.sub("", _trim(c.text, terms, max_chars // len(chosen)))
        parts.append(f"{quote} [{marks[c.hit.pos]}]")
    text = frames["answer"].format(body=" ".join(parts))
    if not numbers_grounded(text, [c.text for c in citations]):  # cannot happen for verbatim quotes
        return abstain("ungrounded number", sup)
    return Answer(query.text, text, False, lang, citations, contexts, sup)
