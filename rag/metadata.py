"""Metadata: what a citizen needs to recognise a document — its title, who published it, when, and where.

`DocMeta(title, source, date, url)` is found three ways, the first non-empty value of each field winning:
1. the sidecar `metadata.jsonl` in the corpus directory (`{"file", "title", "source", "date", "url"}`, all
   optional but `file`), written by whoever loads the corpus;
2. an HTML page's head: `<title>`/`og:title`/first heading, publisher/author meta tags, published-date
   meta tags or `<time datetime>`, `<link rel=canonical>`/`og:url`;
3. the text itself: a labelled header line near the top ("출처: …", "담당부서: …", "보도시점 2025. 3. 12."),
   a "기관 보도자료" header, a republication credit ("이 자료는 기관의 보도자료를 전재하여…"), or a lead
   sentence naming the agency with its head or short name ("해양수산부(장관 홍길동)는 …",
   "중소벤처기업부(이하 중기부)는 …").

Only general conventions of press releases and web pages are used, nothing about one document. Dates are
normalised to ISO (2025-03-12); URLs are kept only when they are absolute http(s) addresses, so nothing
else can ever become a link. The title from the text (the first content line) is `ingest.title_of`.
`DocMeta.source` is the publishing agency (a `Chunk`'s `source_name`), never the file.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .text import normalize

log = logging.getLogger(__name__)

SIDECAR = "metadata.jsonl"
LIMITS = {"title": 200, "source": 80, "date": 40, "url": 2000}  # longest value kept per field


@dataclass(frozen=True)
class DocMeta:
    title: str = ""
    source: str = ""  # the publishing agency or organisation, "" when the document does not say
    date: str = ""  # ISO date (2025-03-12) when recognised, else as given in the sidecar
    url: str = ""  # absolute http(s) address of the document, "" when unknown

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v}

    def __or__(self, other: "DocMeta") -> "DocMeta":
        """`a | b`: a's fields, b's where a has none."""
        return DocMeta(**{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})


def merge(*metas: DocMeta | None) -> DocMeta:
    """Field by field, the first non-empty value (highest priority first)."""
    out = DocMeta()
    for meta in metas:
        if meta is not None:
            out = out | meta
    return out


def _clean(value: object, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return normalize(value)[:limit]


def clean_url(url: object) -> str:
    """The URL if it is an absolute http(s) address without spaces, else "" (no javascript:, data:, relative)."""
    url = _clean(url, LIMITS["url"])
    return url if re.fullmatch(r"https?://[^\s<>\"'`]+", url, re.IGNORECASE) else ""


# ---------------------------------------------------------------- dates

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# 2025-03-12, 2025.3.12, 2025. 3. 12., 2025/03/12, 2025년 3월 12일
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[.\-/]|년)\s*(?P<m>\d{1,2})\s*(?:[.\-/]|월)\s*(?P<d>\d{1,2})(?!\d)\s*(?:일|\.(?!\d))?"
)
# March 12, 2025 / 12 March 2025
_ENGLISH_DATE = re.compile(
    rf"(?P<mon>(?:{'|'.join(_MONTHS)})[a-z]*)\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>(?:19|20)\d{{2}})"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<mon2>(?:{'|'.join(_MONTHS)})[a-z]*)\.?,?\s+(?P<y2>(?:19|20)\d{{2}})",
    re.IGNORECASE,
)


def _iso(year: str, month: str | int, day: str) -> str:
    try:
        return _dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def dates_in(text: str) -> list[tuple[str, re.Match]]:
    """Every valid calendar date written in `text`, as (ISO date, match), in order of appearance."""
    out = []
    for m in _NUMERIC_DATE.finditer(text):
        iso = _iso(m["y"], m["m"], m["d"])
        if iso:
            out.append((iso, m))
    for m in _ENGLISH_DATE.finditer(text):
        mon = (m["mon"] or m["mon2"]).lower()[:3]
        if mon in _MONTHS:
            iso = _iso(m["y"] or m["y2"], _MONTHS.index(mon) + 1, m["d"] or m["d2"])
            if iso:
                out.append((iso, m))
    return sorted(out, key=lambda d: d[1].start())


def parse_date(text: str) -> str:
    """The first date in `text` as ISO, "" if none. Example: parse_date("2025년 3월 12일(수)") -> "2025-03-12"."""
    found = dates_in(text or "")
    return found[0][0] if found else ""


# Labels of a release's date line ("보도시점", "배포", "등록일" …) and of its publisher line ("출처", "담당부서" …).
DATE_LABELS = ("보도시점", "보도일시", "보도일", "배포일시", "배포일", "배포", "등록일", "게시일", "작성일", "발행일",
               "발표일", "일자", "날짜", "date", "published", "posted")
SOURCE_LABELS = ("출처", "자료출처", "담당부서", "담당 부서", "부처", "부서", "기관", "발행처", "발행기관", "자료제공",
                 "자료 제공", "제공", "보도기관", "source", "agency", "publisher", "department", "issued by")
_DATE_LABEL = re.compile(r"(?<![가-힣A-Za-z])(" + "|".join(map(re.escape, DATE_LABELS)) + r")(?![가-힣A-Za-z])",
                         re.IGNORECASE)
_SOURCE_LINE = re.compile(
    r"^\s*[\[(<【]?\s*(?:" + "|".join(map(re.escape, SOURCE_LABELS)) + r")\s*[\])>】]?\s*[:：=]\s*(?P<value>.+)$",
    re.IGNORECASE,
)
# "개인정보보호위원회 보도자료", "보도자료 | 산림청", "Press release — City of X"
_RELEASE_WORDS = ("보도자료", "보도참고자료", "보도설명자료", "보도해명자료", "press release", "news release")
_RELEASE = "|".join(map(re.escape, _RELEASE_WORDS))
_RELEASE_HEADER = re.compile(
    rf"^\s*(?:(?P<before>[^\s].{{1,38}}?)\s*[|·:\-–—]?\s*(?:{_RELEASE})|(?:{_RELEASE})\s*[|·:\-–—]?\s*(?P<after>.{{2,38}}))\s*$",
    re.IGNORECASE,
)
_RELEASE_ONLY = re.compile(rf"^\s*(?:{_RELEASE})\s*$", re.IGNORECASE)
# the government portal's republication notice: "이 자료는 산림청의 보도자료를 전재하여 제공함을 알려드립니다"
_CREDIT = re.compile(r"(?:이|본)\s*자료는\s*(?P<org>[^\s'\"“”‘’].{0,38}?)의\s*(?:" + _RELEASE + r")를?\s*전재")
# a lead sentence naming the agency with its head: "해양수산부(장관 홍길동)는", "금융위원회(위원장:홍길동)는"
HEAD_TITLES = ("장관", "차관", "부총리 겸 장관", "청장", "처장", "위원장", "원장", "실장", "본부장", "시장", "도지사", "지사",
               "군수", "구청장", "교육감", "소장", "관리소장", "이사장", "사장", "총장", "회장", "대표", "대표이사", "국장")
# or with its short name: "중소벤처기업부(이하 중기부)는" (then the name must read as an agency's)
AGENCY_ENDINGS = ("부", "처", "청", "원", "위원회", "공사", "공단", "재단", "센터", "본부", "관리소", "연구소", "시", "도",
                  "군", "구", "교육청", "은행")
_SUBJECT = r"\)\s*(?:는|은|이|가|에서|와|과)(?![가-힣])"
_LEAD = re.compile(
    r"(?<![가-힣A-Za-z·])(?P<org>[가-힣A-Za-z·]{2,25})\s*\(\s*(?:"
    + "|".join(map(re.escape, sorted(HEAD_TITLES, key=len, reverse=True)))
    + r")\s*[:：]?\s*[가-힣A-Za-z]{2,}[^()]{0,40}" + _SUBJECT
    + r"|(?<![가-힣A-Za-z·])(?P<named>[가-힣·]{1,24}(?:" + "|".join(map(re.escape, AGENCY_ENDINGS)) + r"))"
    + r"\s*\(\s*이하\s*[‘'\"“]?[가-힣A-Za-z]{2,10}[’'\"”]?\s*" + _SUBJECT
)
TOP_LINES = 15  # header lines are looked for among the first content lines only
LEAD_CHARS = 3000  # the lead sentence naming the agency comes after the headline, subtitles and summary bullets


def _top_lines(text: str, n: int = TOP_LINES) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()][:n]


def _date_dominant(line: str) -> str:
    """The ISO date of a line that is essentially a date ("2025. 3. 12.(수) 15:00"), else ""."""
    found = dates_in(line)
    if not found or len(line) > 40:
        return ""
    iso, m = found[0]
    rest = line[: m.start()] + line[m.end():]
    return iso if len(re.findall(r"[^\W\d_]", rest)) <= 6 else ""


def _labelled_date(line: str) -> str:
    """The date after a date label on a short line ("보도시점 2025. 1. 23.(목) 12:00"), else ""."""
    label = _DATE_LABEL.search(line)
    if not label or len(line) > 80:
        return ""
    after = [iso for iso, m in dates_in(line) if m.start() >= label.start()]
    return after[0] if after else ""


def find_date(text: str) -> str:
    """The document's date: a labelled date line, else a line that is just a date, near the top."""
    top = _top_lines(text)
    for line in top:
        if iso := _labelled_date(line):
            return iso
    for line in top:
        if iso := _date_dominant(line):
            return iso
    return ""


def _org(value: str) -> str:
    """An agency name from a header value: phone numbers, e-mail and trailing punctuation removed."""
    value = re.sub(r"\(?\s*(?:☎|tel\.?|전화)?\s*\d{2,4}[-)\s]\d{3,4}-\d{4}\s*\)?", "", value, flags=re.IGNORECASE)
    value = re.sub(r"\S+@\S+", "", value)
    value = normalize(value).strip(" |·,;:-–—<>[]()\"'")
    return value if 2 <= len(value) <= LIMITS["source"] and re.search(r"[^\W\d_]", value) else ""


def find_source(text: str) -> str:
    """The publishing agency where the text states it (see the module docstring for the rules)."""
    top = _top_lines(text)
    for line in top:
        m = _SOURCE_LINE.match(line)
        if m and not line.startswith(("*", "※")) and (org := _org(m["value"])):
            return org
    for line in top:
        m = _RELEASE_HEADER.match(line)
        if m and len(line) <= 50 and (org := _org(m["before"] or m["after"] or "")):
            if not dates_in(org):
                return org
    credit = _CREDIT.search(normalize(text))
    if credit and (org := _org(credit["org"])):
        return org
    lead = _LEAD.search(normalize(" ".join(text[:LEAD_CHARS].split("\n"))))  # lines rejoined: PDF/page text breaks them
    return _org(lead["org"] or lead["named"]) if lead else ""


def is_header_line(line: str) -> bool:
    """A press release's header line, not its title: "기관 보도자료", a labelled source or date line,
    or a line that is just a date."""
    line = normalize(line)
    if not line:
        return False
    return bool(
        _RELEASE_ONLY.match(line)
        or (_RELEASE_HEADER.match(line) and len(line) <= 50)
        or (_SOURCE_LINE.match(line) and len(line) <= 80)
        or _labelled_date(line)
        or _date_dominant(line)
    )


def from_text(text: str) -> DocMeta:
    """Source and date as the text states them (the title comes from `ingest.title_of`)."""
    return DocMeta(source=find_source(text), date=find_date(text))


# ---------------------------------------------------------------- HTML

_META_TITLE = ("og:title", "twitter:title", "dc.title", "dcterms.title")
_META_SOURCE = ("dc.publisher", "dcterms.publisher", "publisher", "article:publisher", "author", "dc.creator",
                "og:site_name")
_META_DATE = ("article:published_time", "og:published_time", "datepublished", "date", "dc.date", "dcterms.date",
              "dcterms.issued", "pubdate", "publishdate", "publish-date", "article:modified_time")
_META_URL = ("og:url", "twitter:url")


def _leading_heading(tree) -> str:
    """The text of an <h1>-<h3> that holds the page's first visible text ("" when text comes before it:
    a heading further down a fragment is a section, or a portal's footer, not the title)."""
    for t in tree.xpath("//body//text()[normalize-space()]"):
        el = t.getparent().getparent() if t.is_tail else t.getparent()
        if el is None or el.xpath("ancestor-or-self::script|ancestor-or-self::style|ancestor-or-self::noscript"):
            continue
        heading = el.xpath("ancestor-or-self::h1|ancestor-or-self::h2|ancestor-or-self::h3")
        return heading[0].text_content() if heading else ""
    return ""


def from_html(html: str) -> DocMeta:
    """Title, publisher, date and URL from a page's <head> and headings (a fragment without <head> gives
    what its headings and <time> elements say)."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.document_fromstring(html)
    except (ValueError, etree.ParserError):  # empty or unparseable markup: nothing to say
        return DocMeta()
    metas: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key and key not in metas and (el.get("content") or "").strip():
            metas[key] = el.get("content")

    def first(keys: tuple[str, ...]) -> str:
        return next((metas[k] for k in keys if k in metas), "")

    title = first(_META_TITLE)  # a page's own headline; <title> often appends the site's name
    if not normalize(title):
        title = next((el.text_content() for el in tree.iter("title")), "")
        site = normalize(metas.get("og:site_name", ""))
        if site:
            title = re.sub(rf"\s*[|:\-–—·]\s*{re.escape(site)}\s*$", "", normalize(title))
    if not normalize(title):
        title = _leading_heading(tree)
    date = parse_date(first(_META_DATE))
    if not date:
        date = next((parse_date(t.get("datetime") or t.text_content()) for t in tree.iter("time")), "") or ""
    url = ""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            url = clean_url(link.get("href"))
            break
    return DocMeta(
        title=_clean(title, LIMITS["title"]),
        source=_org(first(_META_SOURCE)),
        date=date,
        url=url or clean_url(first(_META_URL)),
    )


# ---------------------------------------------------------------- sidecar


def read_sidecar(corpus_dir: Path) -> dict[str, DocMeta]:
    """`metadata.jsonl` of a corpus, by file (path relative to the corpus directory). A bad line is
    skipped with a warning naming the line; the rest still applies. No file: {}.

    Example line: {"file": "briefing.txt", "title": "AI 스타트업 지원 방안", "source": "중소벤처기업부",
    "date": "2025-03-12", "url": "https://www.korea.kr/briefing/..."}
    """
    path = Path(corpus_dir) / SIDECAR
    if not path.is_file():
        return {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return {}
    out: dict[str, DocMeta] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            log.warning("%s:%d: not valid JSON (%s): line ignored", path, n, exc.msg)
            continue
        if not isinstance(row, dict) or not isinstance(row.get("file"), str) or not row["file"].strip():
            log.warning("%s:%d: each line needs an object with a \"file\" name: line ignored", path, n)
            continue
        url = clean_url(row.get("url"))
        if row.get("url") and not url:
            log.warning("%s:%d: url %r is not an http(s) address: ignored", path, n, row.get("url"))
        date = _clean(row.get("date"), LIMITS["date"])
        name = row["file"].strip().removeprefix("./")
        out[name] = DocMeta(
            title=_clean(row.get("title"), LIMITS["title"]),
            source=_clean(row.get("source"), LIMITS["source"]),
            date=parse_date(date) or date,
            url=url,
        )
    return out
