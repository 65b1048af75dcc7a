"""The English -> Korean lexicon: inverting a learner's dictionary, and looking words up."""

from rag.lexicon import (
    Lexicon,
    base_forms,
    headword_term,
    invert,
    lexicon,
    romanization_table,
    romanized,
    transliterations,
)


def test_headword_term_keeps_nouns_and_the_noun_of_a_hada_verb():
    assert headword_term("예산") == ("예산", False)
    assert headword_term("지원하다") == ("지원", True)
    assert headword_term("적용되다") == ("적용", True)
    assert headword_term("먹다") is None  # other verbs: Kiwi finds their stems, not this form
    assert headword_term("숲") is None  # one syllable: found inside any sentence
    assert headword_term("-ㄴ 것") is None and headword_term("가-") is None and headword_term("공공 기관") is None


def test_invert_maps_each_gloss_to_every_headword_it_glosses():
    table = invert([
        ("벌금", "fine; penalty"),
        ("과징금", "fine (administrative); penalty"),
        ("금리", "interest rate"),
        ("먹다", "eat"),
        ("주재하다", "chair; preside"),
        ("의자", "chair"),
        ("설명", "a long explanation of what the word means"),
    ])
    assert table["fine"] == ("과징금", "벌금")
    assert table["penalty"] == ("과징금", "벌금")
    assert table["interest rate"] == ("금리",)
    assert "eat" not in table
    assert not any(k.startswith("a long") for k in table)  # explanations are not translations
    assert table["chair"] == ("의자", "주재")
    verbs = invert([("주재하다", "chair; preside"), ("의자", "chair")], verbs_only=True)
    assert verbs == {"chair": ("주재",), "preside": ("주재",)}


def test_base_forms_try_the_word_before_its_stems():
    assert base_forms("the bank's") == [("the bank", False)]  # a possessive is dropped
    assert base_forms("Fines") == [("fines", False), ("fine", False), ("fin", False)]
    assert base_forms("interest rates")[:2] == [("interest rates", False), ("interest rate", False)]
    assert base_forms("applied")[:2] == [("applied", False), ("apply", True)]  # a verb's ending: a verb's sense
    assert base_forms("AI") == [("ai", False)]


def test_translate_takes_the_first_form_the_dictionary_has():
    lex = Lexicon({"fine": ("벌금",), "fin": ("지느러미",), "interest rate": ("금리",), "chair": ("의자",)},
                  {"chair": ("주재",)})
    assert lex.translate("fines") == ("벌금",)
    assert lex.translate("Interest Rates") == ("금리",)
    assert lex.translate("budget") == ()
    assert lex.translate("chair") == ("의자",)
    assert lex.translate("chaired") == ("주재",)  # the verb, not the furniture


def test_the_shipped_dictionary_translates_policy_words():
    lex = lexicon()
    assert "예산" in lex.translate("budget")
    assert "금리" in lex.translate("interest rates")
    assert "과징금" in lex.translate("fines")
    assert "보조금" in lex.translate("subsidy")
    assert lex.translate("Chuncheon") == ()  # most names are not in a learner's dictionary (romanization finds them)


def test_romanized_follows_the_revised_romanization_and_its_sound_changes():
    assert romanized("강릉") == "gangneung"  # ㅇㄹ is pronounced ㅇㄴ
    assert romanized("신라") == "silla"  # ㄴㄹ is pronounced ㄹㄹ
    assert romanized("홍길동") == "honggildong"


def test_an_english_name_finds_the_korean_word_beginnings_it_romanizes():
    table = romanization_table(["전주시청", "강릉", "서울특별시", "AI펀드", "김"])
    assert transliterations("Jeonju", table) == ("전주",)  # a name leading its compound
    assert transliterations("Gangneung's", table) == ("강릉",)  # a possessive is no part of the name
    assert transliterations("SEOUL", table) == ("서울",)
    assert transliterations("Gil-dong", table) == ()  # not in this vocabulary
    assert transliterations("Kim", table) == ()  # too short to tell one name from many
    assert not any(len(v) == 1 for vs in table.values() for v in vs)  # one syllable spells too much
