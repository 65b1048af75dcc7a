import json

from rag.answer import Answer, Citation
from rag.render import answer_html, question_html


def _citation(text="펀드(900억원) <script>alert(1)</script>", highlight="펀드(900억원)"):
    return Citation(1, "corpus/a.txt", "a.txt#3", text, 0.5, "<b>섹션</b>", 10, 40, highlight)


def test_answer_html_escapes_document_text_and_highlights_the_sentence():
    ans = Answer("q", "문서에 따르면: 펀드(900억원) <img src=x onerror=alert(1)> [1]", False, "ko", [_citation()], [_citation()])
    html = answer_html(ans)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert "<mark>펀드(900억원)</mark>" in html
    assert "<b>[1]</b>" in html and "출처" in html and "&lt;b&gt;섹션" in html
    assert "<details" in html  # citations are folded


def test_abstention_is_visibly_distinct_and_lists_related_passages():
    ans = Answer("q", "The document does not say.", True, "en", [], [_citation(), _citation()])
    html = answer_html(ans)
    assert "rag-abstain" in html and "Not in the document" in html and "Related passages" in html
    assert "rag-answer" not in html


def test_question_html_shows_markup_as_text():
    assert question_html("<img src=x onerror=alert(1)>\nhi") == "&lt;img src=x onerror=alert(1)&gt;<br>hi"


def test_examples_come_from_the_corpus_and_are_optional(tmp_path):
    from app import load_examples

    assert load_examples(tmp_path) == []
    (tmp_path / "examples.json").write_text(json.dumps(["질문 하나?", "", 3, "Question two?"]), encoding="utf-8")
    assert load_examples(tmp_path) == ["질문 하나?", "Question two?"]
    (tmp_path / "examples.json").write_text("{broken", encoding="utf-8")
    assert load_examples(tmp_path) == []
