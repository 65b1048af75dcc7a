import json
import logging
from pathlib import Path

import pytest

from rag.ingest import chunk, load, title_of
from rag.metadata import (
    DocMeta,
    clean_url,
    find_date,
    find_source,
    from_html,
    is_header_line,
    merge,
    parse_date,
    read_sidecar,
)

# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text,iso",
    [
        ("2025-03-12", "2025-03-12"),
        ("2025.3.12", "2025-03-12"),
        ("2025. 3. 12.(수) 15:00", "2025-03-12"),
        ("2025년 3월 12일", "2025-03-12"),
        ("2025/03/12", "2025-03-12"),
        ("March 12, 2025", "2025-03-12"),
        ("12 March 2025", "2025-03-12"),
        ("2025-02-30", ""),  # not a calendar date
        ("2025.13.01", ""),
        ("예산 2025억원, 3.12%", ""),
        ("", ""),
    ],
)
def test_parse_date(text, iso):
    assert parse_date(text) == iso


def test_find_date_prefers_a_labelled_line_then_a_date_line_near_the_top():
    assert find_date("기관 보도자료\n보도시점 2025. 1. 23.(목) 12:00\n(2025. 1. 24.(금) 조간)\n제목") == "2025-01-23"
    assert find_date("청년 지원 확대\n2025-03-12\n본문은 여기에 있다.") == "2025-03-12"
    assert find_date("Date: March 3, 2024\nCity parks") == "2024-03-03"


def test_find_date_ignores_dates_inside_sentences_and_far_down():
    assert find_date("이번 개정내용은 2026년 1월 1일 이후 최초로 시작되는 회계연도부터 적용된다.") == ""
    far = "\n".join(f"{i}번째 문단의 내용이다." for i in range(40)) + "\n2025. 10. 29.(수) 15:00"
    assert find_date(far) == ""


# ---------------------------------------------------------------- source (agency)


@pytest.mark.parametrize(
    "text,source",
    [
        ("담당부서: 벤처정책과 (044-204-7701)\n제목", "벤처정책과"),
        ("출처 : 중소벤처기업부\n본문", "중소벤처기업부"),
        ("Source: City of Springfield\nParks", "City of Springfield"),
        ("개인정보보호위원회 보도자료\n보도시점 2025. 1. 23.", "개인정보보호위원회"),
        ("보도자료 | 산림청\n제목", "산림청"),
        ("본문 내용이다.\n“이 자료는 해양수산부의 보도자료를 전재하여 제공함을 알려드립니다.”", "해양수산부"),
        ("제목\n\n해양수산부(장관 홍길동)는 7월 23일 포럼을 개최한다고 밝혔다.", "해양수산부"),
        ("제목\n금융위원회\n(위원장:홍길동)\n는 회계기준을 개정했다.", "금융위원회"),  # a lead sentence broken across lines
        ("제목\n개인정보보호위원회(위원장 홍길동, 이하 ‘개인정보위’)는 전체회의를 열었다.", "개인정보보호위원회"),
    ],
)
def test_find_source(text, source):
    assert find_source(text) == source


@pytest.mark.parametrize(
    "text",
    [
        "청년 지원 확대\n본문은 여기에 있다.",
        "제목\n* 출처: 통계청 2024 사회조사\n본문",  # a footnote's data source is not the publisher
        "제목\n과학기술정보통신부(장관 홍길동)에 개선을 권고했다.",  # named, but not the subject
        "보도자료\n제목",  # the header names no agency
    ],
)
def test_find_source_is_empty_when_the_text_does_not_state_one(text):
    assert find_source(text) == ""


@pytest.mark.parametrize(
    "line,header",
    [
        ("개인정보보호위원회 보도자료", True),
        ("보도자료", True),
        ("보도시점 2025. 1. 23.(목) 12:00", True),
        ("(2025. 1. 23.(목) 석간) 배포 2025. 1. 22.(수) 18:30", True),
        ("2025-03-12", True),
        ("담당부서: 벤처정책과", True),
        ("개인정보위, 소셜로그인 실태점검 결과 발표", False),
        ("이번 개정내용은 2026년 1월 1일 이후 적용된다.", False),
        ("일자리 지원 확대", False),
    ],
)
def test_is_header_line(line, header):
    assert is_header_line(line) is header


# ---------------------------------------------------------------- titles (ingest.title_of)


def test_title_skips_header_lines_and_joins_a_wrapped_headline():
    text = ("- 1 -\n개인정보보호위원회 보도자료\n보도시점 2025. 1. 23.(목) 12:00\n"
            "개인정보위, 개인정보 무단 국외 이전한 \n카카오페이·애플에 과징금 \n과태료 부과\n- 부제 한 줄\n본문")
    assert title_of(text) == "개인정보위, 개인정보 무단 국외 이전한 카카오페이·애플에 과징금 과태료 부과"


def test_title_is_one_line_when_a_body_line_follows():
    assert title_of("City parks\nThe city will open 12 new parks in 2026 and plant 3,000 trees.") == "City parks"
    assert title_of("짧은 제목\n둘째 줄") == "짧은 제목"  # no blank line, indent or subtitle after it: not a wrapped headline


def test_title_drops_subtitle_marks():
    assert title_of("- 풀베기 사업장 안전관리 실태 집중 점검 -\n\n본문이다.") == "풀베기 사업장 안전관리 실태 집중 점검"


# ---------------------------------------------------------------- HTML


def test_from_html_reads_the_head():
    page = """<html><head><title>AI 펀드 조성 | 정책브리핑</title><meta property="og:site_name" content="정책브리핑">
    <meta name="author" content="중소벤처기업부"><meta property="article:published_time" content="2025-03-12T09:00:00+09:00">
    <link rel="canonical" href="https://www.korea.kr/news/1234"></head><body><h1>다른 제목</h1></body></html>"""
    assert from_html(page) == DocMeta("AI 펀드 조성", "중소벤처기업부", "2025-03-12", "https://www.korea.kr/news/1234")


def test_from_html_prefers_og_title_and_falls_back_to_og_url_and_time():
    page = """<html><head><title>Site | long</title><meta property="og:title" content="Budget approved">
    <meta property="og:url" content="https://city.example/budget"></head>
    <body><time datetime="2024-11-05">5 Nov</time></body></html>"""
    assert from_html(page) == DocMeta("Budget approved", "", "2024-11-05", "https://city.example/budget")


def test_fragment_title_is_a_leading_heading_only():
    assert from_html("<div><h2>청년 지원 확대</h2><p>본문이다.</p></div>").title == "청년 지원 확대"
    assert from_html("<div><p>리드 문장이다.</p><h3>정책뉴스, 정책칼럼</h3></div>").title == ""


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "/relative/path", "ftp://x/y", "https://a b"]
)
def test_only_absolute_http_urls_are_kept(href):
    assert clean_url(href) == ""
    assert from_html(f'<html><head><link rel="canonical" href="{href}"></head><body>x</body></html>').url == ""


def test_empty_or_broken_html_gives_no_metadata():
    assert from_html("") == DocMeta()
    assert from_html("<<<>>>") == DocMeta()


def test_merge_takes_the_first_value_of_each_field():
    assert merge(DocMeta(title="A"), None, DocMeta(title="B", date="2025-01-01")) == DocMeta(title="A", date="2025-01-01")


# ---------------------------------------------------------------- sidecar


def _corpus(tmp_path, files: dict[str, str], sidecar: list | None = None):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    if sidecar is not None:
        (corpus / "metadata.jsonl").write_text(
            "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in sidecar) + "\n",
            encoding="utf-8",
        )
    return corpus


RELEASE = "산림청 보도자료\n보도시점 2025. 7. 2.(수) 10:00\n\n산불 대응 훈련 실시\n\n산림청은 합동 훈련을 실시했다고 밝혔다.\n"


def test_documents_and_chunks_carry_the_metadata_the_text_states(tmp_path):
    corpus = _corpus(tmp_path, {"r.txt": RELEASE})
    (doc,) = load(corpus)
    assert (doc.title, doc.source_name, doc.date, doc.url) == ("산불 대응 훈련 실시", "산림청", "2025-07-02", "")
    assert all((c.title, c.source_name, c.date) == (doc.title, "산림청", "2025-07-02") for c in chunk([doc]))


def test_sidecar_overrides_per_field_and_is_not_a_document(tmp_path):
    corpus = _corpus(tmp_path, {"r.txt": RELEASE, "other.txt": "다른 문서이다."}, [
        {"file": "r.txt", "title": "산불 합동 훈련", "url": "https://forest.example/r/1"},
        {"file": "other.txt", "source": "어느 기관", "date": "2024년 5월 1일"},
    ])
    docs = {d.name: d for d in load(corpus)}
    assert sorted(docs) == ["other.txt", "r.txt"]  # metadata.jsonl itself is not indexed
    r = docs["r.txt"]
    assert (r.title, r.source_name, r.date, r.url) == ("산불 합동 훈련", "산림청", "2025-07-02", "https://forest.example/r/1")
    o = docs["other.txt"]
    assert (o.title, o.source_name, o.date) == ("다른 문서이다.", "어느 기관", "2024-05-01")


def test_bad_sidecar_lines_are_named_and_the_rest_applies(tmp_path, caplog):
    corpus = _corpus(tmp_path, {"r.txt": RELEASE}, [
        "{not json",
        ["a", "list"],
        {"title": "no file"},
        {"file": "r.txt", "url": "javascript:alert(1)", "title": "좋은 제목"},
        {"file": "missing.txt", "title": "없는 파일"},
    ])
    with caplog.at_level(logging.WARNING):
        (doc,) = load(corpus)
    assert doc.title == "좋은 제목" and doc.url == ""
    for where in ("metadata.jsonl:1", "metadata.jsonl:2", "metadata.jsonl:3", "metadata.jsonl:4", "missing.txt"):
        assert where in caplog.text


def test_undecodable_sidecar_is_ignored_with_a_warning(tmp_path, caplog):
    corpus = _corpus(tmp_path, {"r.txt": RELEASE})
    (corpus / "metadata.jsonl").write_bytes(b"\xff\xfe\x00garbage\x81")
    with caplog.at_level(logging.WARNING):
        assert read_sidecar(corpus) == {}
        assert load(corpus)[0].title == "산불 대응 훈련 실시"
    assert "metadata.jsonl" in caplog.text


def test_file_name_is_the_last_resort_title(tmp_path):
    corpus = _corpus(tmp_path, {"scan.txt": "- 1 -\n\n(2)\n"})  # page numbers only: no line reads as a title
    (doc,) = load(corpus)
    assert doc.title == "scan.txt"


def test_news_page_title_is_the_line_above_the_article_toolbar():
    page = ("다른 기사 제목 하나\n\n다른 기사 제목 둘\n\n중기부, AI 스타트업 육성 방안 발표\n\n기사 읽어주기\n다시듣기\n"
            "폰트 확대 폰트 축소 프린트하기\n\n중소벤처기업부(이하 중기부)는 20일 방안을 발표했다.\n"
            "방안은 세 가지 전략과 열 가지 과제로 이루어져 있으며, 올해 예산은 지난해보다 늘었다.\n")
    assert title_of(page) == "중기부, AI 스타트업 육성 방안 발표"
    # the same chrome at the end of a short page is its footer: the title is still the first line
    footer = "AI 펀드 소식\n\n중기부는 AI혁신펀드를 조성한다.\n\n기사 읽어주기\n페이스북 트위터 밴드 블로그\nCopyright"
    assert title_of(footer) == "AI 펀드 소식"
    assert find_source(page) == "중소벤처기업부"
    assert title_of("공유하기\n프린트\n청년 지원 확대\n본문은 여기에 있다.") == "청년 지원 확대"  # menus before the headline


def test_short_name_lead_needs_an_agency_like_name():
    assert find_source("제목\n「개인정보 보호법」(이하 ‘보호법’)은 개정되었다.") == ""
    assert find_source("제목\n서울특별시(이하 서울시)는 공원을 연다.") == "서울특별시"


PRESS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "press_releases_dev"


@pytest.mark.skipif(not PRESS.exists(), reason="press releases not present")
def test_real_press_releases_get_titles_agencies_and_dates():
    """Floors on the 51 dev releases (HTML fragments, PDF text, page text): 51 titles from the text,
    38 agencies and 14 dates found today (the others do not state them near the top)."""
    docs = load(PRESS)
    assert all(d.title and d.title != d.name and not is_header_line(d.title) for d in docs)
    assert sum(bool(d.source_name) for d in docs) >= 35
    assert sum(bool(d.date) for d in docs) >= 14
    assert all(len(d.source_name) <= 20 for d in docs)  # an agency's name, not a sentence
