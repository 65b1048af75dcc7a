"""Language helpers shared by the index and the answerer: language detection and Kiwi morphemes.

Korean particles glue to nouns (펀드는, 펀드를), so lexical matching works on Kiwi morphemes, not on
whitespace tokens. English words pass through Kiwi as foreign tokens (tag SL); they are
lower-cased, stop words dropped and plural/verb endings trimmed. No translation happens here.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff\ufffe]+")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})


def normalize(text: str) -> str:
    """Matching form: NFKC, straight quotes, single spaces (NBSP included)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


# Clause boundaries inside a sentence: policy sentences chain several facts with commas and semicolons
# (and footnotes join on new lines), so a sentence can mention every question word in other clauses
# than the one stating the answer.
CLAUSE_BREAK = re.compile(r"[,;\n]")
_FOOTNOTE_MARK = re.compile(r"^\s*(\*+|※)\s*")


def unmarked(text: str) -> str:
    """A sentence (and the footnotes joined to it, one per line) as it is quoted: footnote marks
    (`*`, `**`, `※`) removed, lines joined by a space."""
    return " ".join(_FOOTNOTE_MARK.sub("", line) for line in text.split("\n"))


def clause_spans(text: str, least: int = 10) -> list[tuple[int, int]]:
    """(start, end) of each clause of `text` (split at CLAUSE_BREAK); a fragment shorter than `least`
    characters ("2조원", "청년") is joined to the clause after it, since alone it says nothing.

    clause_spans("지원 대상은 만 19~34세 청년, 기간은 2년, 금리는 연 2%") -> [(0, 18), (19, 36)]"""
    out, start = [], 0
    for m in [*CLAUSE_BREAK.finditer(text), None]:
        end = m.start() if m else len(text)
        if m is not None and len(text[start:end].strip()) < least:
            continue
        if text[start:end].strip():
            out.append((start, end))
        start = m.end() if m else end
    return out or [(0, len(text))]


_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN = re.compile(r"[A-Za-z]")

# Content-bearing Kiwi tags: nouns, numbers, roots, foreign words, verb/adjective stems.
CONTENT_TAGS = {"NNG", "NNP", "NR", "SN", "SL", "SH", "XR", "VV", "VA", "VV-R", "VA-R", "VV-I", "VA-I", "NNB", "W_SERIAL"}

EN_STOP = set(
    """a an the of to in on at by for from with and or but not no is are was were be been being do does did
    done have has had having will would shall should can could may might must it its it's this that these those
    there here what which who whom whose when where why how much many much any some all each every other such
    than then so too very just also only about into over under again further once i me my we our you your he
    him his she her they them their as if while up down out off own same both few more most until during before
    after above below between through against among per get got make made tell please let us does doesn't
    and say says said according document near within around across along behind beside beyond toward towards
    via without like since whether yet still already even ever kind kinds type types sort""".split()
)
# Korean nouns that only frame a question (얼마, 무엇, 몇) carry no content to look for.
# Nouns that ask for a name ("그 위원장 이름이 뭐예요?", "성함 알려줘") and the answer type they ask for:
# the answer is a name, not the noun itself, which the evidence rarely repeats ("홍길동 청장").
KO_NAME_NOUNS = {"이름": "name", "성함": "person", "명칭": "name"}
KO_QUESTION_NOUNS = {"얼마", "며칠", "무엇", "뭐", "몇", "어디", "언제", "누구", "어느", "어떤", "무슨", "왜", "어떻", "그", "이", "저", "것", "수", "등", "때", *KO_NAME_NOUNS}


def lang_of(text: str) -> str:
    """'ko' when the text has Hangul, else 'en'."""
    return "ko" if _HANGUL.search(text or "") else "en"


_WORD = re.compile(r"[A-Za-z가-힣][A-Za-z가-힣'&-]*")


def question_lang(text: str) -> str:
    """The language a question is framed in: English when its English words outnumber its Korean
    ones ("Who chaired the 가계부채 점검회의 in June?"), else as `lang_of`. Acronyms (AI, SNS) are
    written in either language and do not count."""
    words = _WORD.findall(text or "")
    korean = sum(1 for w in words if _HANGUL.search(w))
    english = sum(1 for w in words if not _HANGUL.search(w) and len(w) > 1 and not w.isupper())
    return "en" if english > korean else lang_of(text)


_kiwi = None
_kiwi_lock = threading.Lock()


def kiwi():
    """The process-wide Kiwi tokenizer (loading takes a few seconds, so it is shared)."""
    global _kiwi
    with _kiwi_lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            # typo/multi-word dictionaries double the load time and add nothing for edited text
            k = Kiwi(load_typo_dict=False, load_multi_dict=False)
            k.tokenize("준비")  # force the lazy model load now, not on the first question
            _kiwi = k
        return _kiwi


def warm_up_in_background() -> threading.Thread:
    """Start loading Kiwi on another thread (overlaps with loading the index and the embedder).

    Not a daemon: a process that stops early (a missing corpus) waits for the load to end before
    it exits. A daemon thread still inside Kiwi's native code when the interpreter shuts down
    crashed it (exit -11 instead of the error's own code)."""
    t = threading.Thread(target=kiwi, name="kiwi-warm-up")
    t.start()
    return t


def _stem_en(word: str) -> str:
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def terms_of(tokens) -> list[str]:
    """Content morphemes of Kiwi tokens (English words lower-cased, stop words dropped, stemmed)."""
    out = []
    for tok in tokens:
        if tok.tag not in CONTENT_TAGS:
            continue
        form = tok.form.lower()
        if tok.tag == "SL":
            if form in EN_STOP:
                continue
            form = _stem_en(form)
        elif tok.tag == "NNB" and len(form) < 2:
            continue
        out.append(form)
    return out


def morphemes(text: str) -> list[str]:
    """Content morphemes for BM25 and coverage. Example: morphemes('펀드는 얼마') -> ['펀드', '얼마']"""
    return terms_of(kiwi().tokenize(normalize(text)))


def morphemes_batch(texts: list[str]) -> list[list[str]]:
    if not texts:
        return []
    return [terms_of(toks) for toks in kiwi().tokenize([normalize(t) for t in texts])]


def noun_phrases_batch(texts: list[str]) -> list[list[str]]:
    """Document vocabulary for cross-language alignment: Korean nouns and two-noun compounds.

    Example: noun_phrases_batch(["AI혁신펀드를 조성"]) -> [["혁신", "펀드", "혁신펀드", "조성"]]
    """
    out = []
    for toks in kiwi().tokenize([normalize(t) for t in texts]) if texts else []:
        phrases: list[str] = []
        prev = None
        for tok in toks:
            if tok.tag not in ("NNG", "NNP", "XR"):
                prev = None
                continue
            if len(tok.form) > 1:
                phrases.append(tok.form)
            if prev:
                phrases.append(prev + tok.form)
            prev = tok.form
        out.append(list(dict.fromkeys(phrases)))
    return out


# Determiners that ask for a kind of thing: the noun right after them names the answer's
# category ("어느 나라", "어느 회의", "몇 조원"), which the evidence states as an instance.
WH_DETERMINERS = {"어느", "어떤", "무슨", "몇", "웬", "어떠한"}




# Counters Kiwi tags NNB after a number, grouped by what they measure.
CURRENCY = ("원", "달러", "엔", "유로", "위안", "파운드")
TIME_UNITS = ("년", "월", "일", "시", "분기", "개월", "주", "주년", "년도", "분")
PERCENT_UNITS = ("%", "퍼센트", "프로", "%p", "배")
LARGE_NUMBERS = ("만", "억", "조", "천", "백")  # Kiwi: NR
YEAR = re.compile(r"^(19|20)\d{2}$")


def is_ordinal(toks: list, i: int) -> bool:
    """The number at `toks[i]` is an ordinal: written onto the prefix 제 (XPN), as in 제13회 (the 13th
    forum), 제2금융권, 제1118호. It names which one, not how many or how much."""
    return i > 0 and toks[i - 1].tag == "XPN" and toks[i - 1].form == "제" and toks[i - 1].end == toks[i].start


APOSTROPHES = ("'", "’", "‘", "′", "`")


def is_year(form: str) -> bool:
    """A four-digit year, the full stop of a sentence it ends left aside ("in 2026.")."""
    return YEAR.match(form.rstrip(".")) is not None


def is_short_year(toks: list, i: int) -> bool:
    """The number at `toks[i]` is a year written short: two digits right after an apostrophe ('26, ’25),
    as policy documents date plans ("AI혁신펀드(900억원, ~'26)"), with nothing written onto it but 년
    ('20명', '20만 명' and '20여 곳' are quoted counts)."""
    tok = toks[i]
    if not (len(tok.form) == 2 and tok.form.isdigit() and i > 0):
        return False
    before = toks[i - 1]
    if before.form not in APOSTROPHES or before.end != tok.start:
        return False
    after = toks[i + 1] if i + 1 < len(toks) else None
    return (after is None or after.start > tok.end or after.form == "년"
            or after.tag not in ("NNB", "NNG", "SW", "SL", "SH", "NR", "XSN", "SN"))


# English writes its units as words after a number, a closed class like Korean counters
EN_SCALES = ("thousand", "million", "billion", "trillion")
EN_CURRENCIES = ("dollar", "dollars", "won", "euro", "euros", "yen", "yuan", "pound", "pounds")
EN_PERCENT = ("percent", "pct")
EN_TIMES = ("am", "pm", "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours")


def english_unit(toks: list, j: int) -> tuple[str | None, int]:
    """What the lower-case English words after the number that ends at `toks[j - 1]` make of it, and
    the position after the last one that belongs to it: an amount ("40 million dollars", "900 billion
    won"), a percentage ("20 percent"), a time ("10 am", "3 years"), or else a count of the word that
    follows ("12 new parks": English writes no counter). (None, j) when no such word follows: Kiwi tags
    English words SL; a capitalised one (July, KRW) or one written onto the number (600ha) is not read so."""

    def word(k: int) -> tuple[str | None, int]:
        """The lower-case word starting at toks[k] after a space, and the position after it (Kiwi may
        cut an English word in two, "do" + "llars.", and leaves a full stop on it, "won.")."""
        if k >= len(toks) or k == 0 or toks[k].tag != "SL" or toks[k].start != toks[k - 1].end + 1:
            return None, k
        form, end = toks[k].form, k + 1
        while end < len(toks) and toks[end].tag == "SL" and toks[end].start == toks[end - 1].end:
            form, end = form + toks[end].form, end + 1
        form = form.rstrip(".,;:")
        return (form, end) if form.isalpha() and form.islower() else (None, k)

    first, after = word(j)
    if first is None:
        return None, j
    if first in EN_SCALES:
        currency, after_currency = word(after)
        return "amount", after_currency if currency in EN_CURRENCIES else after
    for kind, words in (("amount", EN_CURRENCIES), ("percent", EN_PERCENT), ("time", EN_TIMES)):
        if first in words:
            return kind, after
    return "count", j


# ---------------------------------------------------------------- what a text holds (Kiwi tags)


@dataclass(frozen=True)
class Signals:
    """What kinds of answer a piece of text can give, read off Kiwi tags."""

    types: frozenset[str]  # subset of {"number", "amount", "percent", "time", "count", "measure", "name"}
    counters: frozenset[str]  # counters written after a number (명, 개, 건, 년 ...)
    numbers: frozenset[str]  # the numbers, commas removed ("1347", "2026")
    names: frozenset[str]  # proper nouns and Latin-script words, lower-cased

    def to_dict(self) -> dict:
        return {k: sorted(getattr(self, k)) for k in ("types", "counters", "numbers", "names")}

    @classmethod
    def from_dict(cls, d: dict) -> "Signals":
        return cls(*(frozenset(d.get(k, ())) for k in ("types", "counters", "numbers", "names")))


def signals(tokens) -> Signals:
    """Answer-type signals of a tokenised text.

    Example: signals(kiwi().tokenize("과징금 1,347억 원을 2025년에")).types
             -> {"number", "amount", "time", "count"}
    """
    types: set[str] = set()
    counters: set[str] = set()
    numbers: set[str] = set()
    names: set[str] = set()
    toks = list(tokens)
    for i, tok in enumerate(toks):
        if tok.tag == "W_SERIAL":  # 2025. 8. 28.
            types.update(("number", "time"))
            numbers.update(re.findall(r"\d+", tok.form))
            continue
        if tok.tag in ("NNP", "SL"):
            names.add(tok.form.lower())
            if tok.tag == "NNP":
                types.add("name")
            continue
        if tok.tag != "SN":
            continue
        types.add("number")
        digits = tok.form.replace(",", "")
        numbers.add(digits)
        year = is_year(digits)
        if year or is_short_year(toks, i):
            types.add("time")
        j = i + 1
        large = False
        while j < len(toks) and (toks[j].tag in ("NR", "XSN") or toks[j].tag == "SN"):
            large = large or toks[j].form in LARGE_NUMBERS
            j += 1
        nxt = toks[j] if j < len(toks) else None
        unit = nxt.form if nxt is not None and nxt.tag in ("NNB", "SW", "NNG") and nxt.start == toks[j - 1].end else None
        if unit is None and nxt is not None and nxt.tag == "NNB":
            unit = nxt.form
        if unit is None and nxt is not None and nxt.tag == "SL" and nxt.start == toks[j - 1].end:
            unit = nxt.form.lower()  # a Latin unit written onto the number: 600ha, 50km, 3.5GW
            types.add("measure")
        if is_ordinal(toks, i):
            continue
        if unit in CURRENCY or (large and unit is None):
            types.add("amount")
        if unit in PERCENT_UNITS:
            types.add("percent")
        if unit in TIME_UNITS:
            types.add("time")
        if unit is not None and unit not in PERCENT_UNITS:
            types.add("count")
            counters.add(unit)
        elif unit is None and not year:
            kind, _ = english_unit(toks, j)
            if kind is not None:
                types.add(kind)  # English units are words after the number
    return Signals(frozenset(types), frozenset(counters), frozenset(numbers), frozenset(names))
