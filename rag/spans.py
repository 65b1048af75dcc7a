"""Spans: the answer inside a sentence (an amount, a count, a date, a name), read off Kiwi tags.

    answer_spans(sentence, wants, counter)   the spans of the kind the question asks for
    new_spans(question, sentence, spans)     those the question does not already state
    taking(sentence, spans, particle)        those taking the particle the wh-word takes (로, 부터, 까지)
    pick_span(sentence, spans, terms)        the one the question's words point at
"""

from __future__ import annotations

import math
import re

from .question import Question
from .text import APOSTROPHES, CURRENCY, PERCENT_UNITS, TIME_UNITS, english_unit, is_ordinal, is_short_year, is_year, kiwi


DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


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
            year = is_year(t.form)
            measure = unit is not None and unit.tag == "SL"
            # English units are words after the number: "40 million dollars", "20 percent", "12 new parks"
            en_kind, en_end = english_unit(toks, j + 1) if unit is None and not year else (None, j + 1)
            ok = (
                (counter is not None and u == counter)
                or (counter is None and wants == "amount" and (u in CURRENCY or u in PERCENT_UNITS or toks[j].tag == "NR" or measure))
                or (wants == "percent" and u in PERCENT_UNITS)
                or (counter is None and wants == "count" and u is not None and u not in TIME_UNITS)
                or (counter is None and en_kind is not None and wants == en_kind)
                or (wants == "time" and (u in TIME_UNITS or year
                                         or is_short_year(toks, i)))
            )
            if ok:
                end = unit.end if unit is not None else toks[en_end - 1].end
                if unit is None and (year or en_end > j + 1):  # "in 2026.", "40 million dollars."
                    end = len(sentence[:end].rstrip(".,;:"))  # the sentence's full stop is not the span's
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
        digits = [d.replace(",", "") for d in DIGITS.findall(piece)]
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
