"""Lexicon: the Korean words an English word can stand for, from a learner's dictionary.

An English question over Korean text shares no words with it, and E5's cosines between short terms
of the two languages are close together (align.py). A bilingual dictionary says it directly: *budget*
is 예산, *interest rate* is 금리. The glosses of 한국어기초사전 (the Basic Korean Dictionary
of the National Institute of Korean Language, about 46,000 entries, CC BY-SA 2.0 KR, as shipped by
the `namehint` package) are inverted: English gloss -> Korean headwords.

    >>> lexicon().translate("interest rates")
    ('금리', '이율', '이자율')

Headwords not ending in 다 (nouns, mostly) and the noun of a 하다/되다/시키다 verb are kept (지원하다 -> 지원): that is the form Kiwi
gives the corpus's terms. One-syllable headwords are dropped; as substrings they would be found in
any sentence.

Names are not in a learner's dictionary, and an English text mostly spells Korean ones in the
Revised Romanization: *Jeonju* is 전주, *Gangneung* 강릉 (older spellings, Pusan or Lee, are missed). `romanization_table` romanizes (with `koroman`, MIT,
sound changes included: 신라 -> silla) the beginnings of the corpus's Korean terms, where a name
stands in a compound (전주시청), and `transliterations` looks an English word up in it.
Nothing here knows about a particular document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from koroman import romanize

VERB_ENDINGS = ("하다", "되다", "시키다")  # the noun before them is the concept (지원하다 -> 지원)
VERB_SUFFIXES = ("ied", "ing", "ed", "d")  # English endings of verb forms: stripped, the word is looked up as a verb
MAX_GLOSS_WORDS = 3  # longer glosses are explanations, not translations
NAME_SYLLABLES = (2, 3)  # Korean names (places, people) are two or three syllables long
NAME_LETTERS = 4  # shorter romanized words (Ha, Kim) spell too many Korean syllables
_PARENS = re.compile(r"\([^)]*\)")
_HANGUL_WORD = re.compile(r"[가-힣]+")
_NOT_LETTER = re.compile(r"[^a-z]")
_POSSESSIVE = re.compile(r"'s?(?=\s|$)")


def key(phrase: str) -> str:
    """Lookup form of an English gloss or phrase: lower case, no possessive, single spaces.
    Example: "the Bank's Loans" -> "the bank loans" """
    return " ".join(_POSSESSIVE.sub("", phrase.lower()).split())


def base_forms(phrase: str) -> list[tuple[str, bool]]:
    """(form, verb only) pairs: the phrase, then what its last word may be without an inflection,
    most likely first. A form stripped of a verb ending is looked up among verbs only.
    Example: "fines" -> [("fines", False), ("fine", False), ("fin", False)]"""
    *head, last = key(phrase).split() or [""]
    forms = {last: False}
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("s", ""), ("es", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("d", "")):
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            forms.setdefault(last[: -len(suffix)] + repl, suffix in VERB_SUFFIXES)
    return [(" ".join([*head, f]), verb) for f, verb in forms.items()]


def headword_term(word: str) -> tuple[str, bool] | None:
    """(the Korean term a headword is found as in text, whether it is a verb's), or None for
    affixes, phrases and other verbs. Example: "지원하다" -> ("지원", True)"""
    if word.startswith("-") or word.endswith("-") or " " in word:
        return None
    ending = next((e for e in VERB_ENDINGS if word.endswith(e)), "")
    if not ending and word.endswith("다"):  # other verbs and adjectives: Kiwi finds their stems, not this form
        return None
    term = word[: len(word) - len(ending)]
    return (term, bool(ending)) if len(term) >= 2 else None


def invert(entries: Iterable[tuple[str, str]], verbs_only: bool = False) -> dict[str, tuple[str, ...]]:
    """(Korean headword, "gloss; gloss; ...") pairs -> English gloss key -> Korean terms (sorted);
    with `verbs_only`, of the 하다/되다/시키다 verbs alone."""
    table: dict[str, set[str]] = {}
    for word, meaning in entries:
        found = headword_term(word)
        if found is None or (verbs_only and not found[1]):
            continue
        term = found[0]
        for gloss in _PARENS.sub(" ", meaning).split(";"):
            gloss = gloss.strip()
            if gloss and len(gloss.split()) <= MAX_GLOSS_WORDS:
                table.setdefault(key(gloss), set()).add(term)
    return {k: tuple(sorted(v)) for k, v in table.items()}


@dataclass(frozen=True)
class Lexicon:
    table: Mapping[str, tuple[str, ...]]  # every gloss
    verbs: Mapping[str, tuple[str, ...]]  # the glosses of verbs ("chaired" is not a 의자)

    def translate(self, phrase: str) -> tuple[str, ...]:
        """The Korean terms an English word or phrase can stand for (empty when the dictionary lacks it)."""
        for form, verb_only in base_forms(phrase):
            found = (self.verbs if verb_only else self.table).get(form)
            if found:
                return found
        return ()


@cache
def lexicon() -> Lexicon:
    """The dictionary shipped with `namehint`, inverted once per process (about 0.4 s)."""
    raw = json.loads((resources.files("namehint") / "dictionary.json").read_text(encoding="utf-8"))
    entries = [(e["word"], e["meaning"]) for e in raw.values()]
    return Lexicon(invert(entries), invert(entries, verbs_only=True))


def romanized(text: str) -> str:
    """Revised Romanization with its sound changes, letters only. Example: "강릉" -> "gangneung" """
    return _NOT_LETTER.sub("", romanize(text).lower())


def romanization_table(vocab: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Romanized form -> the Korean word beginnings (of NAME_SYLLABLES) that spell it."""
    table: dict[str, set[str]] = {}
    beginnings = {t[:n] for t in vocab if _HANGUL_WORD.fullmatch(t) for n in NAME_SYLLABLES if len(t) >= n}
    for b in beginnings:
        table.setdefault(romanized(b), set()).add(b)
    return {k: tuple(sorted(v)) for k, v in table.items()}


def transliterations(name: str, table: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The Korean spellings of a romanized name ("Jeonju", "Gil-dong") found in `table`."""
    letters = _NOT_LETTER.sub("", key(name))
    return table.get(letters, ()) if len(letters) >= NAME_LETTERS else ()
