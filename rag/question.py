"""Question analysis: what retrieval and answering need to know about a question, computed once.

`analyze(index, text, history)` tokenises the question with Kiwi once and derives from the tags:
- its language, BM25 terms, key nouns and two-noun compounds (AI혁신펀드 -> 혁신펀드);
- the *answer type* it asks for, from wh-words (얼마, 몇 + counter, 언제, 누구, 어디; how much/many,
  when, who, where) — the evidence's side comes from Kiwi tags too (`signals`): a number with a
  currency counter is an amount, a number with 년/월/일 a date, NNP a name;
- its explicit *constraints*: years, other numbers, names (NNP, Latin-script names), and the
  attribute asked about (the last noun before the question's end: 신청 **자격**은?), which the
  chosen evidence must contain for an answer to be trusted;
- its vector (blended with earlier turns for a follow-up) and, for an English question over
  Korean text, the word alignment of align.py and the vector of its word-by-word translation into
  the corpus's words (`align.translation`).

Markup in a question (`<b>`, `<script>…</script>`, markdown images) is removed before analysis.
Nothing here knows about a particular document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .align import Alignment, align, embed_question, translation
from .index import Index
from .text import KO_NAME_NOUNS, KO_QUESTION_NOUNS, PERCENT_UNITS, WH_DETERMINERS, YEAR, kiwi, normalize, question_lang, terms_of

# ---------------------------------------------------------------- linguistic data (not document data)

# Korean wh-words (Kiwi forms) and the answer type they ask for; 며칠 is 몇 + 일 (how many days).
KO_WH = {"얼마": "amount", "얼마나": "amount", "언제": "time", "누구": "person", "어디": "place"}
KO_WH_COUNTED = {"며칠": ("time", "일")}
# The Korean wh-word of each answer type, for an English question put in the document's words.
KO_WH_OF = {"amount": "얼마", "count": "몇", "time": "언제", "person": "누구", "place": "어디", "percent": "몇 퍼센트"}
# English wh-phrases, most specific first.
EN_WH: tuple[tuple[str, str], ...] = (
    (r"\b(what|which) (percentage|percent|share|proportion|fraction|ratio)\b|\bpercent", "percent"),
    (r"\bhow much\b|\bwhat (is|was) the (amount|budget|cost|price|fine|penalty|size)\b", "amount"),
    (r"\bhow many\b|\bwhat number of\b", "count"),
    (r"\bwhen\b|\b(what|which) (year|date|month|day|time|period)\b|\bhow long\b|\buntil when\b|\bby when\b", "time"),
    (r"\bwho\b|\bwhom\b|\bwhose\b", "person"),
    (r"\bwhere\b|\b(which|what) (city|country|region|province|place|venue|county|district)\b", "place"),
    (r"\bnames?\b|\bcalled\b", "name"),
)
# ASCII word boundaries: in a mixed question the English wh-phrase runs into Korean ("how much인가요?"),
# and Hangul counts as a word character for \b in Unicode mode
_EN_WH = [(re.compile(p, re.I | re.A), kind) for p, kind in EN_WH]
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b", re.A)

_LATIN = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*[a-z][A-Za-z]*")  # an English word, not an acronym (AI, SKT)
_MARKUP = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|!\[[^\]]*\]\([^)]*\)|<[^>]{0,200}>", re.I | re.S)


def strip_markup(text: str) -> str:
    """The question without HTML tags, scripts or markdown images. Example: "<b>펀드</b>는?" -> "펀드는?" """
    return re.sub(r"\s+", " ", _MARKUP.sub(" ", text)).strip()


# ---------------------------------------------------------------- the question


@dataclass(frozen=True)
class Constraints:
    """What the question pins down: the evidence must state these for an answer to be trusted."""

    years: tuple[str, ...] = ()  # "2030"
    numbers: tuple[str, ...] = ()  # other numbers, commas removed
    quantities: tuple[str, ...] = ()  # the numbers with the unit written after them ("6월", "3곳", "25%")
    names: tuple[str, ...] = ()  # NNP and Latin-script names, lower-cased
    attribute: str = ""  # the noun asked about (자격, 접수처, 과징금)


@dataclass
class Question:
    text: str  # as asked, markup removed
    lang: str  # "ko" or "en"
    terms: list[str]  # content morphemes (BM25)
    nouns: list[str]  # key nouns of this turn
    compounds: list[str]  # two-noun compounds of this turn and the turns it leans on
    wants: str | None  # answer type: amount, percent, count, time, person, place, name, or None
    counter: str | None  # the counter after 몇 (몇 명 -> 명)
    constraints: Constraints
    vec: np.ndarray  # unit query vector, blended with earlier turns for a follow-up
    own_vec: np.ndarray  # vector of this turn alone
    context_terms: list[str] = field(default_factory=list)  # morphemes of earlier turns
    context_nouns: list[str] = field(default_factory=list)
    alignment: Alignment | None = None  # the English words' alignment to the Korean vocabulary (align.py)
    wh_particle: str | None = None  # the particle the wh-word takes (로, 부터, 까지): which figure is asked for
    translated_vec: np.ndarray | None = None  # an English question over Korean text: `vec` blended with its
    # word-by-word translation into the corpus's words (align.translation), unit length; its `nouns` and
    # `compounds` are then the translation's
    asked_nouns: list[str] | None = None  # the question's own nouns and compounds, for evidence in its own
    asked_compounds: list[str] | None = None  # language (an English question's `nouns` are the translation's); None: `nouns`
    counted_vec: np.ndarray | None = None  # an English how-many question's `counted_phrase`, embedded: the
    # Korean counter it asks for (명, 건, 곳) is read off its similarity to each counter (features.counter_fits)


# The particle a wh-word takes says which of several figures is asked for: 로/으로 the new value of a
# change ("얼마로 올라가요?": "기존 15점 → 10점"), 부터 a start ("언제부터 시행돼요?"), 까지 an end or a
# deadline ("언제까지 내야 해요?"). Policy text often states both ("8월까지 … 10월부터").
WH_PARTICLES = {("JKB", "로"): "로", ("JKB", "으로"): "로", ("JX", "부터"): "부터", ("JX", "까지"): "까지"}


# English asks for an end or a start with a preposition on its wh-word: "Until when ...?", "... run until?",
# "Since when ...?" (not "How much is available until 2027?")
EN_WH_PARTICLES = ((re.compile(r"\b(until|till|by) when\b|\b(until|till)\s*\?*\s*$", re.I | re.A), "까지"),
                   (re.compile(r"\b(since|from) when\b", re.I | re.A), "부터"))


def wh_particle(tokens, text: str = "") -> str | None:
    """The particle the question's wh-word (얼마, 몇 + counter, 언제) takes: "로", "부터", "까지" or None.
    With two wh-words ("언제까지 얼마로 줄여요?") the one nearest the predicate, the last, is the focus.
    Without one, the English preposition of `text` that asks for the same ("until when" -> "까지")."""
    toks = list(tokens)
    found = None
    for i, tok in enumerate(toks):
        nxt = i + 2 if tok.form == "몇" else i + 1 if tok.form in ("얼마", "언제") else None
        if nxt is not None and nxt < len(toks):
            found = WH_PARTICLES.get((toks[nxt].tag, toks[nxt].form))
    if found is None:
        found = next((particle for pattern, particle in EN_WH_PARTICLES if pattern.search(text)), None)
    return found


def answer_type(text: str, tokens) -> tuple[str | None, str | None]:
    """(answer type, counter) a question asks for. Example: "몇 명이 참여했나요?" -> ("count", "명")"""
    toks = list(tokens)
    for i, tok in enumerate(toks):
        if tok.form == "몇" and i + 1 < len(toks):
            unit = toks[i + 1].form.lower()
            if unit in PERCENT_UNITS:
                return "percent", None
            return ("time" if unit in ("년도", "월", "일", "시") else "count"), unit
    for tok in toks:
        if tok.form in KO_WH_COUNTED and tok.tag == "NNG":
            return KO_WH_COUNTED[tok.form]
        if tok.form in KO_WH and tok.tag in ("NNG", "NP", "MAG"):
            return KO_WH[tok.form], None
        if tok.form in KO_NAME_NOUNS and tok.tag == "NNG":
            return KO_NAME_NOUNS[tok.form], None
    # an acronym in a question otherwise written in small letters or Hangul (WHO가 권고한 ...) asks
    # for no person; a question all in capitals (WHEN DOES IT CLOSE?) keeps its wh-words
    english = _ACRONYM.sub(" ", text) if re.search(r"[a-z가-힣]", text) else text
    for pattern, kind in _EN_WH:
        if pattern.search(english):
            return kind, None
    return None, None


def constraints_of(tokens, lang: str, text: str) -> Constraints:
    """Years, numbers, names and the attribute a question states."""
    toks = list(tokens)
    years, numbers, names, quantities = [], [], [], []
    for i, tok in enumerate(toks):
        if tok.tag == "SN":
            digits = tok.form.replace(",", "")
            if YEAR.match(digits):
                years.append(digits)
                continue
            numbers.append(digits)
            unit = toks[i + 1] if i + 1 < len(toks) else None
            # a counter or a sign written after it: 6월 is not 6개월, 1분기 not 1위 (a noun of its own
            # word, "IFRS 18 시행", and an English word are not units)
            attached = unit is not None and (
                (unit.start == tok.end and unit.tag in ("NNB", "NNG", "SW", "XSN"))
                or (unit.start == tok.end + 1 and unit.tag in ("NNB", "SW")))
            quantities.append(digits + (unit.form if attached else ""))
        elif tok.tag == "NNP":
            names.append(tok.form.lower())
        elif tok.tag == "SL" and (tok.form.isupper() or (tok.form[0].isupper() and tok.start > 0)):
            if tok.form.lower() not in _EN_FUNCTION:
                names.append(tok.form.lower())
    attribute = ""
    if lang == "ko":
        for i, tok in enumerate(toks):
            if tok.tag == "NNG" and tok.form not in KO_QUESTION_NOUNS and len(tok.form) > 1:
                prev = toks[i - 1].form if i else ""
                if prev not in WH_DETERMINERS:
                    attribute = tok.form
    return Constraints(years=tuple(dict.fromkeys(years)), numbers=tuple(dict.fromkeys(numbers)),
                       quantities=tuple(dict.fromkeys(quantities)), names=tuple(dict.fromkeys(names)), attribute=attribute)


# Words that end the noun phrase after "how many" (auxiliaries, prepositions, articles, pronouns).
_EN_PHRASE_END = {"are", "is", "was", "were", "be", "been", "do", "does", "did", "will", "would", "can", "could",
                  "have", "has", "had", "should", "may", "might", "must", "in", "of", "for", "to", "at", "on", "by",
                  "from", "with", "per", "the", "a", "an", "and", "or", "that", "this", "these", "those", "there",
                  "it", "they", "we", "you", "he", "she", "who", "which", "than", "them", "their", "its"}
COUNTED_WORDS = 2  # "how many people", "how many insurance companies"
_EN_DETERMINERS = {"the", "those", "these", "them", "their", "its", "our", "your", "all", "each"}
_COUNTED_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9'.-]*[A-Za-z0-9])?|[?!;,:]")  # 5G, U.S, e-commerce


def counted_phrase(text: str) -> str | None:
    """What an English how-many question counts, as a short phrase (its noun phrase's first words;
    a partitive "of the ..." is skipped, punctuation ends the phrase).
    Example: "How many staff joined the survey?" -> "how many staff joined" """
    for m in re.finditer(r"\bhow many\b", text, re.I | re.A):
        tokens = _COUNTED_TOKEN.findall(text[m.end():])
        if tokens[:1] and tokens[0].lower() == "of":
            tokens = tokens[1:]
            while tokens and tokens[0].lower() in _EN_DETERMINERS:
                tokens = tokens[1:]
        words: list[str] = []
        for token in tokens:
            if not token[0].isalnum() or token.lower() in _EN_PHRASE_END or len(words) == COUNTED_WORDS:
                break
            words.append(token.lower())
        if words:
            return " ".join(["how many", *words])
    return None


_EN_FUNCTION = {"how", "what", "when", "where", "who", "which", "why", "whose", "whom", "is", "are", "was", "the", "a", "i", "and"}


def key_nouns(tokens) -> tuple[list[str], list[str]]:
    """(nouns, compounds): the noun-like morphemes a question is about, without wh-words, the category
    noun after a question determiner (어느 **나라**) and one-syllable Korean nouns; compounds join
    adjacent nouns (AI혁신펀드 -> 혁신펀드)."""
    nouns_: list[str] = []
    compounds: list[str] = []
    after_wh = False
    prev = None
    for tok in tokens:
        if tok.form in WH_DETERMINERS:
            after_wh, prev = True, None
            continue
        if tok.tag not in ("NNG", "NNP", "SL", "SH", "XR", "SN", "NR") or after_wh:
            after_wh, prev = False, None
            continue
        (term,) = terms_of([tok]) or (None,)
        if term is None or term in KO_QUESTION_NOUNS or (len(term) == 1 and not term.isascii() and tok.tag != "SN"):
            prev = None
            continue
        nouns_.append(term)
        if prev and tok.tag in ("NNG", "NNP") and not term.isascii():
            compounds.append(prev + term)
        prev = term if tok.tag in ("NNG", "NNP", "SL") else None
    return list(dict.fromkeys(nouns_)), compounds


def analyze(index: Index, text: str, history: list[str] | None = None, history_weight: float = 0.5) -> Question:
    """Analyse a question once; earlier turns (oldest first) are folded in with less weight.

    Example: q = analyze(index, "그럼 과태료는요?", ["쿠팡 과징금은 얼마인가요?"])
    """
    text = strip_markup(text) or text.strip()
    history = [strip_markup(h) for h in history or [] if h and strip_markup(h)]
    lang = question_lang(text)
    tokens = kiwi().tokenize(normalize(text))
    nouns, compounds = key_nouns(tokens)
    wants, counter = answer_type(text, tokens)
    english = lang == "en"
    own = embed_question(index, text) if english else index.embedder.embed_batch([text], query=True)[0]
    if not nouns:
        history_weight = 1.0  # "And until when?": no content of its own, lean fully on the earlier turn
    vec = own.copy()
    context_terms: list[str] = []
    context_nouns: list[str] = []
    if history:
        turn_vecs = index.embedder.embed_batch(history, query=True)
        for age, (turn, turn_vec) in enumerate(zip(reversed(history), turn_vecs[::-1])):
            vec = vec + history_weight ** (age + 1) * turn_vec
            turn_tokens = kiwi().tokenize(normalize(turn))
            context_terms += terms_of(turn_tokens)
            turn_nouns, turn_compounds = key_nouns(turn_tokens)
            context_nouns += turn_nouns
            compounds += [c for c in turn_compounds if c not in compounds]
    vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
    # an English follow-up is aligned together with the turns it leans on
    alignment = None
    if english:
        alignment = align(index, " ".join([*history, text]))
    elif _LATIN.search(text):  # a Korean question's English words ("AI innovation fund 규모는?"), on their own
        alignment = align(index, text)
    counted = counted_phrase(text) if english and wants == "count" and counter is None else None
    counted_vec = index.embedder.embed_batch([counted], query=True)[0] if counted else None
    asked_nouns, asked_compounds = nouns, compounds
    translated_vec = None
    if english and alignment is not None:
        query_text = " ".join([translation(index, text, alignment), KO_WH_OF.get(wants or "", "")]).strip()
        if query_text:  # "And why?" has no words to translate
            blend = vec + index.embedder.embed_batch([query_text], query=True)[0]
            translated_vec = blend / max(float(np.linalg.norm(blend)), 1e-12)
            tr_nouns, tr_compounds = key_nouns(kiwi().tokenize(normalize(query_text)))
            if tr_nouns:  # the evidence is looked for in its own words
                nouns = tr_nouns
                compounds = list(dict.fromkeys([*tr_compounds, *compounds]))
    return Question(
        text=text, lang=lang, terms=terms_of(tokens), nouns=nouns, compounds=compounds,
        wants=wants, counter=counter, constraints=constraints_of(tokens, lang, text),
        vec=vec, own_vec=own, context_terms=context_terms, context_nouns=context_nouns, alignment=alignment,
        wh_particle=wh_particle(tokens, text), translated_vec=translated_vec, counted_vec=counted_vec,
        asked_nouns=asked_nouns, asked_compounds=asked_compounds,
    )
