"""Ingest: read corpus files, strip page junk, and cut the text into passages and sentences.

`load(dir) -> list[Document]` reads every .txt/.md/.html/.pdf file and gives each its metadata
(title, agency, date, URL: see `metadata.py`); a file that is empty, binary, undecodable, over the
size limit or fails to parse is skipped with a warning naming it and the reason, and the rest is
read. Text in any encoding charset-normalizer recognises (CP949/EUC-KR included) is decoded; HTML
scripts, styles and hidden elements are never read. `chunk(docs, size, overlap) -> list[Chunk]`
turns documents into paragraph-sized passages that keep their heading and their footnotes, each
with its sentences. The corpus's `metadata.jsonl` is read as metadata, never as a document.

Cleaning is generic: boilerplate lines (copyright, source credits, share/print/font controls,
repeated lines) are dropped by their shape and by a vocabulary of web-page chrome, never by
anything specific to one document. Display text stays as written; matching uses `normalize`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import CorpusMissing, NoDocuments
from .metadata import SIDECAR, DocMeta, from_html, from_text, is_header_line, merge, read_sidecar
from .text import normalize

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class Document:
    source: str  # display path, e.g. "corpus/briefing.txt"
    name: str  # path relative to the corpus dir, used in chunk ids
    text: str  # the text as read (HTML/PDF already converted to text), tidied
    title: str = ""  # its title (metadata.py; else its first line, else the file name)
    source_name: str = ""  # the agency that published it, "" when unknown
    date: str = ""  # its date, ISO (2025-03-12), "" when unknown
    url: str = ""  # its http(s) address, "" when unknown


@dataclass(frozen=True)
class Sentence:
    text: str
    context: str = ""  # a footnote's: the sentence it annotates; a table row's: its table's header row
    is_footnote: bool = False


@dataclass
class Chunk:
    chunk_id: str  # stable id "name#n"
    source: str
    text: str  # display text
    start: int  # character offsets of the passage in Document.text
    end: int
    section: str = ""  # nearest heading above the passage ("" if none)
    sentences: list[Sentence] = field(default_factory=list)
    title: str = ""  # the document's title, agency, date and URL (Document)
    source_name: str = ""
    date: str = ""
    url: str = ""

    @property
    def embed_text(self) -> str:
        """What the embedder sees: the document title and the heading give a passage its subject."""
        head = [h for h in dict.fromkeys((self.title, self.section)) if h and h not in self.text]
        return "\n".join([*head, self.text])


# ---------------------------------------------------------------- normalisation

# ---------------------------------------------------------------- reading files


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def decode(raw: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else the encoding charset-normalizer detects
    (CP949/EUC-KR, UTF-16 …). Raises ValueError for binary content.

    Example: decode("예산은 10억원이다.".encode("cp949")) -> "예산은 10억원이다."
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise ValueError("binary content, not text (no text encoding fits)") from None
        text = str(best)
    sample = text[:8192]
    if sample and len(_CONTROL.findall(sample)) > 0.01 * len(sample):
        raise ValueError("binary content, not text (control characters)")
    return text


def _read_text(path: Path) -> str:
    return decode(path.read_bytes())


_BLOCK_TAGS = ("p", "div", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
               "blockquote", "ul", "ol", "dd", "dt", "pre", "header", "footer")


# Elements a reader never sees: their text is not indexed (hidden text is a classic way to slip
# instructions or keywords into a page).
_HIDDEN = "//script|//style|//noscript|//template|//head|//*[@hidden]|//*[@aria-hidden='true']|//input[@type='hidden']"
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?<![-\w])font-size\s*:\s*0(?:\.0*)?(?:px|pt|em|rem|%)?\s*(?:;|!|$)",
    re.IGNORECASE,
)


def _drop_hidden(tree) -> None:
    hidden = tree.xpath(_HIDDEN) + [el for el in tree.xpath("//*[@style]") if _HIDDEN_STYLE.search(el.get("style"))]
    for el in hidden:
        if el.getparent() is not None:
            el.drop_tree()


def _fragment_text(html: str) -> str:
    """All visible text of an HTML fragment, one line per block (p, div, li, tr ...) or <br>."""
    from lxml import html as lxml_html

    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    _drop_hidden(tree)
    for el in tree.iter("br", *_BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
        if el.tag != "br":
            el.text = "\n" + (el.text or "")
    for cell in tree.iter("td", "th"):
        cell.tail = " | " + (cell.tail or "")  # a table row stays one readable line
    return tree.text_content()


def html_text(html: str) -> str:
    """Visible text of HTML. A whole page goes through trafilatura (main content, no menus); a fragment
    without <html>/<body> (a CMS field, a feed's content_html) is all content, so all its text is kept.
    Scripts, styles and hidden elements are dropped first in both cases."""
    if not re.search(r"<(html|body)\b", html[:5000], re.I):
        return _fragment_text(html)
    import trafilatura
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(html)
    _drop_hidden(tree)
    text = trafilatura.extract(
        lxml_html.tostring(tree, encoding="unicode"),
        include_comments=False, include_tables=True, favor_recall=True, output_format="txt",
    )
    return text or _fragment_text(lxml_html.tostring(tree.body if tree.body is not None else tree, encoding="unicode"))


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n\n".join((page.extract_text() or "") for page in reader.pages)


def read_document(path: Path) -> tuple[str, DocMeta]:
    """A file's text and the metadata its markup states (HTML head and headings; none for other files)."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        html = _read_text(path)
        return html_text(html), from_html(html)
    if suffix == ".pdf":
        return _read_pdf(path), DocMeta()
    return _read_text(path), DocMeta()


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The documents of a corpus: every supported file, hidden files and the metadata sidecar excluded."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusMissing(f"corpus directory {corpus_dir} does not exist")
    return sorted(
        p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith(".")
    )


def input_files(corpus_dir: Path) -> list[Path]:
    """Everything an index is built from: the documents and, when present, the metadata sidecar."""
    sidecar = Path(corpus_dir) / SIDECAR
    return corpus_files(corpus_dir) + ([sidecar] if sidecar.is_file() else [])


def _size_problem(path: Path, max_file_mb: float | None) -> str:
    size = path.stat().st_size
    if size == 0:
        return "empty file (0 bytes)"
    if max_file_mb is not None and size > max_file_mb * 1_000_000:
        return f"{size / 1_000_000:.1f} MB is over the {max_file_mb:g} MB limit (RAG_MAX_FILE_MB)"
    return ""


def load(corpus_dir: Path, *, max_file_mb: float | None = None) -> list[Document]:
    """Read every supported file under `corpus_dir` with its metadata; skip, with a warning naming the
    file and the reason, those that are empty, larger than `max_file_mb` (None: no limit), binary,
    undecodable or fail to parse. The sidecar `metadata.jsonl` overrides what the files state.

    Example: `docs = load(Path("corpus"), max_file_mb=50)`
    """
    corpus_dir = Path(corpus_dir)
    files = corpus_files(corpus_dir)
    sidecar = read_sidecar(corpus_dir)
    docs: list[Document] = []
    for path in files:
        name = path.relative_to(corpus_dir).as_posix()
        try:
            problem = _size_problem(path, max_file_mb)
            if problem:
                log.warning("skipping %s: %s", path, problem)
                continue
            text, marked = read_document(path)
        except Exception as exc:  # any reader failure: skip this file, keep the rest
            log.warning("skipping %s: %s", path, exc)
            continue
        if not text.strip():
            log.warning("skipping %s: no text", path)
            continue
        text = clean_spaces(text)
        # header lines ("기관 보도자료", "보도시점 …") are read before boilerplate removal drops them
        meta = merge(sidecar.pop(name, None), marked, from_text(text), DocMeta(title=title_of(text)))
        docs.append(Document(f"{corpus_dir.name}/{name}", name, text, meta.title, meta.source, meta.date, meta.url))
    for name in sidecar:
        log.warning("%s names %s, which is not a readable document of the corpus", corpus_dir / SIDECAR, name)
    if not docs:
        raise NoDocuments(f"no readable {'/'.join(SUPPORTED)} files in {corpus_dir}")
    # boilerplate goes first, line by line, before broken lines are rejoined into sentences
    out = []
    for doc in drop_boilerplate(docs):
        text = tidy(doc.text)
        found = from_text(text)  # a lead sentence broken across lines is whole again
        out.append(replace(doc, text=text, title=doc.title or title_of(text) or doc.name,
                           source_name=doc.source_name or found.source, date=doc.date or found.date))
    return out


# ---------------------------------------------------------------- tidying real documents

# Unicode spaces (NBSP, ideographic, zero-width) and the non-characters some PDF exports put
# where spaces were become plain spaces; line ends become \n.
_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\ufffe\ufeff]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060]")
# A line that ends a sentence or a clause.
_ENDS = re.compile(r"[.!?。…:;：]['\"’”)\]]*$|[다음함임됨]$")
# A line that starts a new item: bullets, numbering, footnote marks, page markers.
_STARTS_ITEM = re.compile(r"^\s*([-–•·○●□■▪▶▷◆◇※→*➊-➓❶-❿①-⑳]|\(?\d+[.)]\s|[가-하][.)]\s|\[\d+\]|제\s*\d+\s*[조장절항])")
# A row of a Markdown or pipe table ("| 구분 | 내용 |"): one line of its own, never a wrapped sentence.
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PAGE_NUMBER = re.compile(r"^\s*[-–—]\s*\d{1,3}\s*[-–—]\s*$")  # "- 8 -" between two pages of a PDF export
_HANGUL_END = re.compile(r"[\uac00-\ud7a3]$")
_HANGUL_START = re.compile(r"^[\uac00-\ud7a3]")


def _broken(lines: list[str]) -> bool:
    """Page text with each styled span on its own line: most lines are short and stop mid-phrase."""
    body = [ln.strip() for ln in lines if ln.strip()]
    if len(body) < 15:
        return False
    short_open = sum(1 for ln in body if len(ln) < 30 and not _ENDS.search(ln))
    return short_open / len(body) > 0.6


def _join(left: str, right: str) -> str:
    """Glue two pieces of one sentence; the pieces keep the spaces they had.

    Pieces with no space between them are one word when both sides are Hangul ("불법추심" + "이",
    "중단" + "될"): a span boundary inside an eojeol. Otherwise a space separates them.
    """
    if not left or left[-1].isspace() or right[:1].isspace():
        return left + right
    if _HANGUL_END.search(left) and _HANGUL_START.match(right):
        return left + right
    return left + " " + right


def clean_spaces(text: str) -> str:
    """Unicode spaces to plain spaces, zero-width characters removed, line ends to \\n."""
    return _ZERO_WIDTH.sub("", _ODD_SPACES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")))


def tidy(text: str) -> str:
    """Normalise spaces and line ends, and rejoin sentences that were cut across lines.

    - Page text broken mid-phrase (each styled span on its own line): pieces are glued back into
      sentences, blank lines included ("가입대상\n은 \n만 19세입니다." -> "가입대상은 만 19세입니다.").
    - Hard-wrapped text (PDF exports): a line of 25+ characters that stops mid-sentence continues
      on the next line of its paragraph unless that one starts a new item. A page number between
      the two ("- 8 -") is dropped: it would otherwise stop the sentence at a page break.
    """
    lines = clean_spaces(text).split("\n")
    broken = _broken(lines)
    out: list[str] = []
    current = ""
    gap = False  # a blank line since the last piece
    for line in lines:
        if not line.strip():
            gap = True
            continue
        if _PAGE_NUMBER.match(line):
            continue
        new_item = (_STARTS_ITEM.match(line) or _ENDS.search(current.rstrip())
                    or _TABLE_ROW.match(line) or _TABLE_ROW.match(current))
        if broken:
            if current and not new_item:
                current = _join(current + (" " if gap else ""), line)
            else:
                out.append(current)
                current = line
        elif current and not gap and not new_item and len(current.strip()) >= 25:
            current = _join(current.rstrip() + " ", line.lstrip())
        else:
            out.append(current)
            if gap and out[-1]:
                out.append("")
            current = line
        gap = False
    out.append(current)
    return "\n".join(re.sub(r"(?<=\S) {2,}", " ", ln.rstrip()) for ln in out).strip("\n")


_LABEL = re.compile(r"^\s*[^\W\d_]{1,4}\s*[:：]\s*")
_MARKS = re.compile(r"^[-–—□■○●◇◆▷▶※•·]\s*|\s*[-–—]$")  # "- 부제 -", "□ 첫 문장": the marks are no title
_TITLE_LINE = 45  # a headline wrapped over lines (PDF exports) comes in lines no longer than this


_TOOLBAR_LINES = 40  # a news page's article toolbar comes within its first lines


def _above_toolbar(lines: list[str]) -> int | None:
    """A news page's headline sits right above its article toolbar (read aloud, font size, print, share):
    the index of the content line just before the first run of 2+ chrome lines near the top that
    follows content (teasers of other articles often come first) and comes before the article's body
    (more text after it than before it: chrome at the end of a short page is a footer). None when there
    is no such run."""
    last_content, run = None, 0
    for i, raw in enumerate(lines[:_TOOLBAR_LINES]):
        line = normalize(raw)
        if not line:
            continue
        if is_chrome(line):
            run += 1
            if run >= 2 and last_content is not None:
                before, after = sum(map(len, lines[:i])), sum(map(len, lines[i + 1 :]))
                return last_content if after > before else None
            continue
        run = 0
        if not is_junk(line) and not is_header_line(line):
            last_content = i
    return None


def title_of(text: str, limit: int = 150) -> str:
    """A document's title: its first content line, without a short label ("제목: ...") and after any
    header lines ("기관 보도자료", "보도시점 2025. 1. 23."); on a news page, the line right above the
    article toolbar (see `_above_toolbar`). A headline wrapped over up to four short
    lines is joined when a blank line, an indented line or a subtitle ("- …", "▷ …") follows it.

    Example: title_of("제목: 보이스피싱 AI 플랫폼 출범\n본문") -> "보이스피싱 AI 플랫폼 출범"
    """
    lines = text.split("\n")
    toolbar = _above_toolbar(lines)
    for i, raw in enumerate(lines):
        line = normalize(raw)
        if not line or is_junk(line) or is_header_line(line) or (toolbar is not None and i < toolbar):
            continue
        title = _MARKS.sub("", _LABEL.sub("", _MD_HEADING.sub("", line))) or line
        block = [title]
        for nxt in lines[i + 1 : i + 5]:
            if not nxt.strip() or nxt[:1].isspace() or _STARTS_ITEM.match(nxt) or is_junk(nxt):
                if len(block) > 1:
                    title = " ".join(block)
                break
            if _ENDS.search(block[-1]) or len(block[-1]) > _TITLE_LINE or len(normalize(nxt)) > _TITLE_LINE:
                break
            block.append(normalize(nxt))
        return title[:limit]
    return ""


def _line_key(line: str) -> str:
    """Lines that differ only in spacing, case or figures count as the same line; a long line is known
    by its start and end, so a notice with one slot filled in ("이 자료는 ○○부의 보도자료를 전재하여
    제공함을 알려드립니다") is the same line in every file. Short lines ("를 통해", "12,162": the pieces
    of page text broken mid-phrase) never count: "" is returned for them."""
    squeezed = normalize(line).lower().replace(" ", "")
    if len(squeezed) < 12:
        return ""
    if len(squeezed) >= 24:
        return f"{squeezed[:4]}…{squeezed[-16:]}"  # figures kept: dated lead sentences stay distinct
    return re.sub(r"\d+", "0", squeezed)


def drop_boilerplate(docs: list[Document], *, min_files: int = 3) -> list[Document]:
    """Remove lines that repeat across documents (copyright and licence notices, "이 자료는 … 전재하여
    제공함", portal footers): a line of 12+ characters found in `min_files` or more files. Nothing is
    listed by phrase. A line shared by two releases only is kept: it may be a fact both state (a
    hotline, a programme), and a corpus of two documents has no boilerplate to learn from.
    """
    if len(docs) < min_files:
        return docs
    keyed = [[_line_key(ln) for ln in d.text.split("\n")] for d in docs]
    files: dict[str, int] = {}
    for keys in keyed:
        for k in set(keys) - {""}:
            files[k] = files.get(k, 0) + 1
    out = []
    for doc, keys in zip(docs, keyed):
        lines = doc.text.split("\n")
        drop = [bool(k) and files[k] >= min_files for k in keys]
        kept = "\n".join(ln for ln, d in zip(lines, drop) if not d)
        if any(drop):
            log.debug("%s: %d repeated lines dropped", doc.name, sum(drop))
        out.append(replace(doc, text=kept) if kept.strip() else doc)
    return out


# ---------------------------------------------------------------- cleaning

# Web-page chrome: controls and menus that carry no content. A line made only of these is junk.
_CHROME_WORDS = set(
    """
    공유 공유하기 프린트 프린트하기 인쇄 인쇄하기 스크랩 폰트 글자 글씨 크기 확대 축소 기사 읽어주기 다시듣기 듣기
    음성 재생 정지 페이스북 트위터 카카오톡 카카오스토리 카카오 밴드 블로그 네이버 링크 복사 url 주소 목록 이전 다음
    이전글 다음글 메뉴 검색 로그인 로그아웃 회원가입 닫기 열기 더보기 좋아요 댓글 구독 구독하기 전체메뉴 바로가기 본문
    top home menu share print facebook twitter x kakao kakaotalk band blog email e-mail mail link copy font size
    zoom in out read aloud listen play stop login logout sign up search close open more like comment subscribe
    previous next back skip to content main navigation
    """.split()
)
_CREDIT = re.compile(
    r"(copyright|ⓒ|©|\(c\)\s*\d{4}|all rights reserved|무단\s*전재|무단\s*복제|재배포\s*금지"
    r"|^(자료\s*제공|출처|source|credit)\s*[:：])",
    re.IGNORECASE,
)
_LETTER = re.compile(r"[^\W\d_]")  # any letter, in any script
_URL_ONLY = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)


def is_junk(line: str) -> bool:
    """True for a line of page chrome: controls, share buttons, credits, bare URLs."""
    norm = normalize(line)
    if not norm:
        return True
    if _CREDIT.search(norm) or _URL_ONLY.match(norm):
        return True
    if not _LETTER.search(norm) and len(re.findall(r"\d", norm)) < 4:  # "(2)", "--.", "- 3 -": layout debris
        return True
    return is_chrome(norm)


def is_chrome(line: str) -> bool:
    """True for a line made only of page controls and menu words ("기사 읽어주기", "Share | Print")."""
    words = normalize(line).lower().split()
    return bool(words) and all(w.strip("|·•/:-") in _CHROME_WORDS or not w.strip("|·•/:-") for w in words)


def clean_lines(text: str) -> list[tuple[str, int]]:
    """Content lines with their offsets in `text`; junk and repeated lines dropped, blank lines kept as ''."""
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    pos = 0
    for raw in text.splitlines(keepends=True):
        start, pos = pos, pos + len(raw)
        line = raw.rstrip("\r\n")
        stripped = line.strip(" \t\u00a0\u3000")
        if not stripped:
            out.append(("", start))
            continue
        key = normalize(stripped)
        if is_junk(stripped) or key in seen:
            continue
        seen.add(key)
        out.append((stripped, start + line.index(stripped)))
    return out


# ---------------------------------------------------------------- structure

_FOOTNOTE = re.compile(r"^\s*(\*+|※|주\s*\)|\[\d+\]|\d+\)\s)")
_SENTENCE_END = re.compile(r"[.!?。…]['\"’”)]*$|[다요음함임됨]$")
_MD_HEADING = re.compile(r"^#{1,6}\s+")


_BULLET = re.compile(r"^\s*([-•·○●□■▶▷◆◇※→①-⑳]|\d+[.)]\s|[가-하][.)]\s)")


def _is_heading(lines: list[str]) -> bool:
    """A one-line paragraph that reads as a title: short, no sentence end, no figures, not a list item.

    Lines with figures or bullets stay content even when they look like titles, so no fact is
    ever hidden in a heading (a heading with a body becomes that body's section, not a passage).
    """
    if len(lines) != 1:
        return False
    line = lines[0]
    if _MD_HEADING.match(line):
        return True
    norm = normalize(line)
    return (
        len(norm) <= 80
        and not _SENTENCE_END.search(norm)
        and not norm.endswith((",", ";", ":"))
        and not _FOOTNOTE.match(line)
        and not _BULLET.match(line)
    )


@dataclass
class _Block:
    lines: list[tuple[str, int]]  # (text, offset in the document)
    section: str
    soft: set[int] = field(default_factory=set)  # line i continues on line i+1 (a hard-wrapped sentence)

    @property
    def text(self) -> str:
        """Lines joined by newlines, wrapped lines by a space (same length: offsets still map)."""
        return "".join(t + ("" if i == len(self.lines) - 1 else " " if i in self.soft else "\n")
                       for i, (t, _) in enumerate(self.lines))


# A line that closes a sentence or clause (요 is left out: 필요, 주요 end lines mid-sentence).
_CLOSED = re.compile(r"[.!?。…:;：]['\"’”)]*$|[다음함임됨]$")
_STRUCTURE = re.compile(r"^\s*(제\s*\d+\s*[조장절항]|#|\(?\d+[.)]|[-•·○●□■▶▷◆◇※→*①-⑳])")


def _paragraphs(lines: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Blank-line separated paragraphs."""
    paras: list[list[tuple[str, int]]] = [[]]
    for line, off in lines:
        if line:
            paras[-1].append((line, off))
        elif paras[-1]:
            paras.append([])
    return [p for p in paras if p]


def _wrapped(paras: list[list[tuple[str, int]]]) -> tuple[list[list[tuple[str, int]]], list[set[int]]]:
    """Undo hard wrapping (PDF and word-processor exports): a line of a wrapped run continues on
    the next line, also across a blank line. Returns the merged paragraphs and, for each, the
    lines that continue on the next one."""
    flat = [t for p in paras for t, _ in p]
    if len(flat) < 20:
        return paras, [set() for _ in paras]
    # Hard-wrapped text comes in runs of lines of about the same width that stop mid-sentence;
    # a title, a list item or a one-line paragraph does not.
    open_ended = [not _CLOSED.search(normalize(t)) and not _TABLE_ROW.match(t) for t in flat]
    wrapped_at: set[int] = set()
    for i, t in enumerate(flat):
        if not open_ended[i] or len(t) < 30:
            continue
        alike = sum(
            1 for j in range(max(0, i - 3), min(len(flat), i + 4))
            if open_ended[j] and abs(len(flat[j]) - len(t)) <= 0.15 * len(t)
        )
        if alike >= 3:
            wrapped_at.add(i)
    position = {id(line): i for i, line in enumerate(p_line for p in paras for p_line in p)}

    def continues(line: tuple[str, int], nxt: tuple[str, int]) -> bool:
        return (position[id(line)] in wrapped_at and not _STRUCTURE.match(nxt[0]) and not _FOOTNOTE.match(nxt[0])
                and not _TABLE_ROW.match(nxt[0]))

    merged: list[list[tuple[str, int]]] = []
    for para in paras:
        if merged and continues(merged[-1][-1], para[0]):
            merged[-1].extend(para)
        else:
            merged.append(list(para))
    soft = [{i for i in range(len(p) - 1) if continues(p[i], p[i + 1])} for p in merged]
    return merged, soft


def blocks(text: str) -> list[_Block]:
    """Paragraphs (blank-line separated, hard wrapping undone) with footnote paragraphs folded
    into the one they annotate."""
    paras, softs = _wrapped(_paragraphs(clean_lines(text)))
    out: list[_Block] = []
    section = ""
    for i, (para, soft) in enumerate(zip(paras, softs)):
        texts = [t for t, _ in para]
        if _FOOTNOTE.match(texts[0]) and out:
            out[-1].lines.extend(para)
            continue
        if _is_heading(texts):
            section = _MD_HEADING.sub("", texts[0]).strip()
            nxt = paras[i + 1] if i + 1 < len(paras) else None
            if nxt is not None and not _is_heading([t for t, _ in nxt]) and not re.search(r"\d", texts[0]):
                continue  # a heading with a body (and no figures): it lives on as the body's section
        out.append(_Block(lines=list(para), section=section, soft=soft))
    return out


# ---------------------------------------------------------------- sentences

# A period after a number rarely ends a sentence in Korean policy text: dotted dates ("’21. 8월",
# "2022. 8. 31.") and list numbers ("1. 개요"); it does before a capitalised English word. Nor does
# one after a lone capital letter: an initial ("존 F. 케네디") or a list letter ("A. 개요").
_SPLIT = re.compile(r"(?:(?<=[!?。])|(?<=\D\.)(?<!(?<![A-Za-z])[A-Z]\.))['\"’”)]*\s+(?=\S)|(?<=\d\.)\s+(?=[A-Z])")


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a passage. A footnote line carries the sentence it annotates as context; a table
    row is one sentence and carries its table's first row (the column headings) as context."""
    out: list[Sentence] = []
    header = ""  # the first row of the table being read
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if _TABLE_ROW.match(line):
            out.append(Sentence(text=line, context=header))
            header = header or line
            continue
        header = ""
        mark = _FOOTNOTE.match(line)
        if mark:
            stars = mark.group(1).strip()
            anchor = ""
            if stars.startswith("*"):
                pattern = re.compile(r"(?<!\*)" + re.escape(stars) + r"(?!\*)")
                anchor = next((s.text for s in reversed(out) if not s.is_footnote and pattern.search(s.text)), "")
            if not anchor:
                anchor = next((s.text for s in reversed(out) if not s.is_footnote), "")
            out.append(Sentence(text=line, context=anchor, is_footnote=True))
            continue
        for part in _SPLIT.split(line):
            if part.strip():
                out.append(Sentence(text=part.strip()))
    return out


# ---------------------------------------------------------------- chunking


def _splitter(size: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        # paragraph, line, Korean/English sentence ends, clause, word
        separators=["\n\n", "\n", r"(?<=[다요음함]\.)\s+", r"(?<=[.!?])\s+", r",\s+", " ", ""],
        is_separator_regex=True,
        keep_separator="end",  # separators stay in the text: chunks are exact substrings
        add_start_index=True,
        strip_whitespace=True,
    )


def _doc_offset(block: _Block, pos: int) -> int:
    """Map a position in `block.text` back to an offset in the document."""
    at = 0
    for text, off in block.lines:
        if pos <= at + len(text):
            return off + max(0, pos - at)
        at += len(text) + 1
    last_text, last_off = block.lines[-1]
    return last_off + len(last_text)


def chunk(docs: list[Document], size: int = 500, overlap: int = 0) -> list[Chunk]:
    """Cut documents into passages: one per paragraph (with its footnotes), long ones split by sentence.

    Example: `chunks = chunk(load(Path("corpus")), size=500)`
    """
    if overlap >= size:
        raise ValueError(f"chunk overlap {overlap} must be < size {size}")
    splitter = _splitter(size, overlap)
    chunks: list[Chunk] = []
    for doc in docs:
        n = 0
        for block in blocks(doc.text):
            text = block.text
            pieces = [(text, 0)] if len(text) <= size else [
                (d.page_content, d.metadata["start_index"]) for d in splitter.create_documents([text])
            ]
            for piece, at in pieces:
                if not piece.strip():
                    continue
                start = _doc_offset(block, at)
                chunks.append(
                    Chunk(
                        chunk_id=f"{doc.name}#{n}",
                        source=doc.source,
                        text=piece,
                        start=start,
                        end=_doc_offset(block, at + len(piece)),
                        section=block.section,
                        sentences=split_sentences(piece),
                        title=doc.title,
                        source_name=doc.source_name,
                        date=doc.date,
                        url=doc.url,
                    )
                )
                n += 1
    return chunks
