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


def _cited(**meta):
    fields = {"title": "AI 펀드 조성 계획", "source_name": "중소벤처기업부", "date": "2025-03-12", "url": "https://www.korea.kr/n/1"}
    return Citation(1, "corpus/briefing.txt", "briefing.txt#12", "펀드 규모는 900억원이다.", 0.5, "", 1408, 1697,
                    "펀드 규모는 900억원이다.", **{**fields, **meta})


def test_citation_reads_title_agency_date_with_the_passage_folded():
    html = answer_html(Answer("q", "문서에 따르면: 900억원 [1]", False, "ko", [_cited()], [_cited()]))
    assert ('<summary><b>[1]</b> <span class=\'rag-doc\'><a href="https://www.korea.kr/n/1" target="_blank" '
            'rel="noopener noreferrer">AI 펀드 조성 계획</a></span> · 중소벤처기업부 · 2025-03-12</summary>') in html
    assert "<mark>펀드 규모는 900억원이다.</mark></div></details>" in html
    # the machine fields stay in the API, not in the citizen's view
    for machine in ("corpus/briefing.txt", "briefing.txt#12", "1408", "문자 위치"):
        assert machine not in html


def test_citation_without_metadata_shows_the_file_name_without_a_link():
    html = answer_html(Answer("q", "According to the document: x [1]", False, "en",
                              [_cited(title="", source_name="", date="", url="")], []))
    assert "<b>[1]</b> <span class='rag-doc'>briefing.txt</span></summary>" in html and "<a " not in html


def test_metadata_is_escaped_and_only_http_urls_are_linked():
    c = _cited(title="<img src=x onerror=alert(1)>제목", source_name="<b>기관</b>", date="<i>d</i>",
               url="javascript:alert(1)")
    html = answer_html(Answer("q", "x [1]", False, "ko", [c], []))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;제목" in html
    assert "&lt;b&gt;기관&lt;/b&gt;" in html and "&lt;i&gt;d&lt;/i&gt;" in html
    assert "javascript:" not in html and "<a " not in html
    quoted = answer_html(Answer("q", "x [1]", False, "ko", [_cited(url='https://x.example/"onmouseover=alert(1)')], []))
    assert "onmouseover" not in quoted  # a quote cannot end the href: such a URL is not linked at all


def test_a_long_title_is_shortened_at_a_word_and_shown_whole_on_hover():
    long_title = "산림청 영주국유림관리소는 7월 16일부터 19일까지 전국에 매우 강하고 많은 비가 예보됨에 따라 관내 산사태취약지역과 대피소, 임도와 사방댐 등 산림 재해 우려 지역을 긴급 점검했다고 밝혔다"
    html = answer_html(Answer("q", "x [1]", False, "ko", [_cited(title=long_title, url="")], []))
    shown = html.split("<span class='rag-doc'", 1)[1].split("</span>", 1)[0]
    assert f'title="{long_title}"' in shown and shown.endswith("…") and len(shown.split(">", 1)[1]) <= 91


def test_related_passages_are_labelled_for_a_citizen():
    ko = answer_html(Answer("q", "문서에는 이에 대한 내용이 없습니다.", True, "ko", [], [_cited(), _cited(), _cited(), _cited()]))
    assert [f"<b>참고 {i}</b>" in ko for i in (1, 2, 3, 4)] == [True, True, True, False]
    assert "~1" not in ko and "관련 구절 (답변 아님)" in ko
    en = answer_html(Answer("q", "The document does not say.", True, "en", [], [_cited()]))
    assert "<b>Related 1</b>" in en
