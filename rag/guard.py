"""Guard: is a generated answer grounded in the passages it cites? Pure functions, no model.

    quantities(text)            every number, amount, percentage and date of a text, normalised
                                (900억원 = 900억 원 = 9백억 = 구백억 = 90 billion won; 2,000 = 2000;
                                20% = 20 퍼센트 = 20 percent; '26 = 2026년)
    figures_of(answer)          the figures an answer states ([n] markers and list numbering aside)
    cited(text)                 the [n] markers of an answer ([1], [1, 3], [2][3])
    check(answer, passages)     "" when the answer is grounded, else the reason it is not
    streamable(partial, given)  while an answer streams: how much of it may be shown, or why to stop now

The numeral reader works on Kiwi tags (SN digits, NR Korean numerals and 만/억/조, W_SERIAL dates, SL
English words), so 조사 or 일정 are never read as numbers. Deliberately left out: arithmetic (an answer
that adds two figures of the passages is rejected), rounding ("about 467 billion" for 4,666억 is
rejected) and number words of native Korean determiners (한, 두, 세), which are too ambiguous.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .text import kiwi, normalize

# Sino-Korean digits and scales, native Korean numerals, English number and scale words.
KO_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6, "칠": 7, "팔": 8, "구": 9}
KO_SMALL = {"십": 10, "백": 100, "천": 1000}
KO_LARGE = {"만": 10**4, "억": 10**8, "조": 10**12, "경": 10**16}
KO_NATIVE = {"하나": 1, "둘": 2, "셋": 3, "넷": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
             "스물": 20, "서른": 30, "마흔": 40, "쉰": 50}
KO_VAGUE = ("수", "몇", "여러")  # 수백억 (hundreds of billions): no figure to check
EN_WORDS = {w: i for i, w in enumerate(
    "zero _ two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split()) if w != "_"}  # "one" is too often a pronoun
EN_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90})
EN_SMALL = {"hundred": 100}
EN_LARGE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
            "k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9, "tn": 10**12}  # short forms only right after digits
EN_SHORT = {"k", "m", "mn", "bn", "tn"}
MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items()) if m != "may"})
PERCENT_WORDS = ("%", "퍼센트", "프로", "percent", "pct")
YEAR_WORDS = ("년", "년도")


@dataclass(frozen=True)
class Quantity:
    """A figure of a text: where it stands, what it says, and every value it can be read as."""

    text: str  # as written, e.g. "900억 원"
    values: frozenset[float]  # "'26" -> {26, 2026}; "900억" -> {90000000000}
    percent: bool = False
    start: int = 0  # where it stands in the normalised text
    end: int = 0

    def found_in(self, others: list["Quantity"]) -> bool:
        """Some reading of this figure is a reading of one of `others` (a percentage only matches a percentage)."""
        return any(
            (o.percent or not self.percent) and any(math.isclose(a, b, rel_tol=1e-9) for a in self.values for b in o.values)
            for o in others
        )


@dataclass(frozen=True)
class _Piece:
    kind: str  # "num", "small", "large", "pct", "year", "vague"
    value: float
    start: int
    end: int
    mark: bool = False  # a number right after an apostrophe ('26): a two-digit year
    word: bool = False  # written as a word (구, 다섯, twenty), not in digits


def _korean_numeral(form: str) -> list[tuple[str, float]] | None:
    """An NR form as pieces: 구백억 -> num 9, small 100, large 10^8; None when it is not a numeral."""
    if form in KO_NATIVE:
        return [("num", KO_NATIVE[form])]
    out: list[tuple[str, float]] = []
    for ch in form:
        if ch in KO_DIGITS:
            out.append(("num", KO_DIGITS[ch]))
        elif ch in KO_SMALL:
            out.append(("small", KO_SMALL[ch]))
        elif ch in KO_LARGE:
            out.append(("large", KO_LARGE[ch]))
        else:
            return None
    return out


def _pieces(text: str) -> list[_Piece]:
    """The numeral-bearing tokens of a text, in order."""
    toks = kiwi().tokenize(text)
    out: list[_Piece] = []
    for i, t in enumerate(toks):
        form = t.form.lower()
        prev = toks[i - 1] if i else None
        if t.tag == "W_SERIAL":  # 2025. 8. 28.: one number per part
            for m in re.finditer(r"\d+", t.form):
                out.append(_Piece("num", float(m.group()), t.start + m.start(), t.start + m.end()))
        elif t.tag == "SN":
            digits = t.form.replace(",", "")
            try:
                value = float(digits)
            except ValueError:
                continue
            apostrophe = prev is not None and prev.form == "'" and prev.end == t.start and len(digits) == 2
            out.append(_Piece("num", value, t.start, t.end, apostrophe))
        elif t.tag == "NR":
            vague = next((v for v in KO_VAGUE if form.startswith(v)), None)
            parts = _korean_numeral(form[len(vague):] if vague else form)
            if parts is None:
                continue
            if vague:
                out.append(_Piece("vague", 0, t.start, t.end))
                continue
            width = max(1, (t.end - t.start) // max(1, len(parts)))
            for j, (kind, value) in enumerate(parts):
                out.append(_Piece(kind, value, t.start + j * width, min(t.end, t.start + (j + 1) * width), word=True))
        elif t.tag == "SL":
            attached = prev is not None and prev.tag == "SN" and prev.end == t.start
            if form in EN_SHORT and not attached:
                continue
            if form in EN_WORDS:
                out.append(_Piece("num", EN_WORDS[form], t.start, t.end, word=True))
            elif form in EN_SMALL:
                out.append(_Piece("small", EN_SMALL[form], t.start, t.end))
            elif form in EN_LARGE:
                out.append(_Piece("large", EN_LARGE[form], t.start, t.end))
            elif form in MONTHS and (form != "may" or t.form == "May"):
                out.append(_Piece("num", MONTHS[form], t.start, t.end))
            elif form in PERCENT_WORDS:
                out.append(_Piece("pct", 0, t.start, t.end))
        elif form in PERCENT_WORDS and t.tag in ("SW", "NNB", "NNG"):
            out.append(_Piece("pct", 0, t.start, t.end))
        elif form in YEAR_WORDS and t.tag == "NNB":
            out.append(_Piece("year", 0, t.start, t.end))
    return out


def _value(run: list[_Piece]) -> float:
    """Korean-style reading: 1조 2,000억 = 1*10^12 + 2000*10^8; 9백억 = 9*100*10^8; two hundred thousand."""
    total = section = current = 0.0
    for p in run:
        if p.kind == "num":
            current += p.value
        elif p.kind == "small":
            section += (current or 1) * p.value
            current = 0.0
        elif p.kind == "large":
            total += (section + current or 1) * p.value
            section = current = 0.0
    return total + section + current


def quantities(text: str) -> list[Quantity]:
    """Every figure of `text` with its readings.

    Example: [q.values for q in quantities("AI혁신펀드(900억원, ~'26)")] -> [{9e10}, {26, 2026, 1926}]
    """
    return _quantities(normalize(text))


def _quantities(text: str) -> list[Quantity]:
    pieces = _pieces(text)
    out: list[Quantity] = []
    i = 0
    while i < len(pieces):
        p = pieces[i]
        if p.kind == "vague":  # 수백억: skip the whole run
            i += 1
            while i < len(pieces) and pieces[i].kind in ("small", "large") and pieces[i].start <= pieces[i - 1].end + 1:
                i += 1
            continue
        if p.kind not in ("num", "small", "large"):
            i += 1
            continue
        run = [p]
        j = i + 1
        while j < len(pieces) and pieces[j].start <= run[-1].end + 1:
            q = pieces[j]
            # a unit joins its number; a number joins after a unit (1조 2,000억, 삼십오) or a number word
            # after another (twenty five); two digit-numbers in a row are two figures
            if q.kind in ("small", "large") or (q.kind == "num" and (run[-1].kind != "num" or (q.word and run[-1].word))):
                run.append(q)
                j += 1
            else:
                break
        if all(r.kind != "num" for r in run):  # a bare 만 or 억 is not a figure
            i = j
            continue
        value = _value(run)
        nxt = pieces[j] if j < len(pieces) and pieces[j].start <= run[-1].end + 1 else None
        values = {value}
        two_digit = len(run) == 1 and value.is_integer() and 0 <= value < 100
        if two_digit and (p.mark or (nxt is not None and nxt.kind == "year")):
            values |= {2000 + value, 1900 + value}  # '26, 26년 -> 2026
        percent = nxt is not None and nxt.kind == "pct"
        end = nxt.end if nxt is not None and nxt.kind in ("pct", "year") else run[-1].end
        start = p.start - (1 if p.mark else 0)
        out.append(Quantity(text[start:end], frozenset(values), percent, start, end))
        i = j + (1 if nxt is not None and nxt.kind in ("pct", "year") else 0)
    return out


_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def cited(text: str) -> list[int]:
    """The passage numbers an answer cites, in order of first mention. Example: cited("a [2], b [1, 3]") -> [2, 1, 3]"""
    found = [int(n) for m in _CITE.finditer(text) for n in re.split(r"[,;]", m.group(1))]
    return list(dict.fromkeys(found))


def strip_citations(text: str) -> str:
    return _CITE.sub(" ", text)


_ENUMERATOR = re.compile(r"(?m)^[ \t]*\d{1,2}[.)](?=\s)")  # "1. ", "2) " opening a list item: layout, not a figure
_OPEN_CITE = re.compile(r"\[[\d,;\s]*$")  # a marker still being written: "[1" or "[1, "


def _blank(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def figures_of(answer: str) -> list[Quantity]:
    """The figures an answer states: citation markers, list numbering and a marker being written aside
    (blanked, so positions stay those of the normalised text)."""
    masked = normalize(answer)
    for pattern in (_CITE, _ENUMERATOR, _OPEN_CITE):
        masked = _blank(pattern, masked)
    return _quantities(masked)


def check(answer: str, passages: dict[int, str]) -> str:
    """"" when `answer` is grounded in `passages` (number -> text), else why not.

    Grounded: not empty; cites at least one passage; every [n] is a passage that was given; every
    figure of the answer is a figure of a passage it cites.
    Example: check("The fund is 90 billion won [1].", {1: "AI혁신펀드(900억원)"}) -> ""
    """
    if not answer or not answer.strip() or not strip_citations(answer).strip(" .\n\t"):
        return "empty answer"
    numbers = cited(answer)
    if not numbers:
        return "no citation"
    unknown = [n for n in numbers if n not in passages]
    if unknown:
        return f"cites [{unknown[0]}], a passage that was not given"
    evidence = [q for n in numbers for q in quantities(passages[n])]
    for q in figures_of(answer):
        if not q.found_in(evidence):
            return f"'{q.text}' is not in the cited passages"
    return ""


_CLAUSE_END = re.compile(r"[.!?;:)\]\n。]|,\s")


def streamable(partial: str, given: list[Quantity], *, settle: int = 12) -> tuple[str, str]:
    """While an answer streams: (the normalised prefix that may be shown now, "" or why to stop).

    A figure that no given passage holds stops the answer at once (the guard would reject it anyway,
    so it is never shown, even for a moment). A figure still being written ("40" of "40 million") is
    held back until the clause moves on (`settle` characters or a clause end). Markers [n] are no figures.
    Example: streamable("The fund is 95 billion", given) -> ("The fund is ", "'95 billion' is in none of the passages")
    """
    text = normalize(partial)
    for q in figures_of(partial):
        rest = text[q.end:]
        if len(rest) < settle and not _CLAUSE_END.search(rest):  # may still grow: "4" of "4,666억"
            return text[:q.start], ""
        if not q.found_in(given):
            return text[:q.start], f"'{q.text}' is in none of the passages"
    return text, ""
