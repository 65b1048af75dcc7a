"""Index: everything that does not depend on the question, computed once and persisted.

`index_dir/` holds `current`, a symlink to the live build `build-*/`, which holds
- `faiss/`          LangChain FAISS store of passage vectors (inner product on unit vectors),
                    written with `save_local` and loadable with `FAISS.load_local`; answering
                    reads its `index.faiss` with faiss directly (no LangChain import on start-up);
- `bm25/`           bm25s index over Kiwi morphemes of each passage (heading included);
- `chunks.json`     the passage/sentence table (text, offsets, heading, footnote anchors, morphemes);
- `sentences.npy`   one vector per sentence, for picking the answer inside a passage;
- `sentences_titled.npy` one more per sentence, embedded after its document's title (the answerer's);
- `clauses.npy`     one vector per clause of each sentence (`text.clause_spans` of its quoted
                    form), in sentence order; `chunks.json` holds where each sentence's clauses start;
- `vocab.npy`       query-side vectors of the corpus's Korean nouns (cross-language alignment);
- `embed_cache.npz` passage vectors by content hash, reused by the next rebuild;
- `manifest.json`   format version, model, chunking settings and the corpus files' sha256.

While a build embeds, the vectors it has embedded so far are saved every `AUTOSAVE_EVERY` seconds
to `index_dir/embed_cache.partial-<hash of the model name>.npz`, and once more when the build fails
or is interrupted (Ctrl-C): the next build of the same model starts from them, so a killed build of a
large corpus loses at most two minutes of embedding, not hours. Such files go when a build goes live.

`ensure(settings)` loads the index when the manifest still matches the corpus, the model and the
settings, and rebuilds it otherwise (also when it is missing or damaged). A build is written to a
new `build-*/` and made live by replacing the `current` symlink (one atomic rename), under a file
lock (`index_dir/.lock`), so an interrupted or concurrent build never leaves a half-written index:
the previous one stays live, and the next builder removes what a killed build left. An index
directory that cannot be written is used as it is when it is fresh, and reported otherwise.
(An index written before `current` existed, with its files directly in `index_dir/`, still loads.)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from .config import Settings
from .embed import CachedEmbedder, Embedder, make_embedder
from .errors import IndexUnavailable, NoDocuments
from .ingest import Chunk, Sentence, chunk, input_files, load
from .text import (Signals, clause_spans, kiwi, morphemes_batch, noun_phrases_batch, normalize, signals, terms_of,
                   unmarked)

log = logging.getLogger(__name__)

FORMAT = "rag-index v25"  # bump when chunking, tokenisation or file layout changes
PARTIAL_PREFIX = "embed_cache.partial-"  # a build's checkpoint of what it has embedded
AUTOSAVE_EVERY = 120.0  # seconds between checkpoints


@dataclass
class Index:
    chunks: list[Chunk]
    vectors: object  # faiss index of passage vectors (the one inside the LangChain store)
    bm25: object  # bm25s.BM25 over passage morphemes
    sent_vecs: np.ndarray  # (n_sentences, dim), sentences in passage order
    sent_terms: list[list[str]]  # Kiwi morphemes of each sentence
    chunk_terms: list[list[str]]
    embedder: Embedder
    manifest: dict
    vocab: list[str]  # Korean nouns and noun compounds of the corpus (cross-language alignment)
    vocab_vecs: np.ndarray  # their query-side vectors
    chunk_vocab: list[list[int]]  # vocabulary ids of each passage
    sent_vocab: list[list[int]]  # vocabulary ids of each sentence
    sent_signals: list[Signals]  # what kind of answer each sentence can give (Kiwi tags)
    sent_title_vecs: np.ndarray  # each sentence embedded after its document's title (titled_sentence)
    clause_vecs: np.ndarray  # each clause of each sentence's quoted form (sentence_clauses), in sentence order
    clause_start: np.ndarray  # (n_sentences + 1,): sentence i's clauses are clause_vecs[clause_start[i]:clause_start[i + 1]]
    sentences: list[Sentence] = field(init=False)
    sent_chunk: np.ndarray = field(init=False)  # passage position of each sentence
    chunk_vecs: np.ndarray = field(init=False)  # passage vectors, read once from the FAISS store
    derived: dict = field(init=False, default_factory=dict)  # caches of values computed from the index

    def __post_init__(self) -> None:
        self.sentences = [s for c in self.chunks for s in c.sentences]
        self.sent_chunk = np.array([i for i, c in enumerate(self.chunks) for _ in c.sentences], dtype=np.int32)
        self.chunk_vecs = self.vectors.reconstruct_n(0, self.vectors.ntotal)


# ---------------------------------------------------------------- manifest


def file_hashes(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every supported file and of the metadata sidecar ("unreadable" for one that cannot be read)."""
    out = {}
    for p in input_files(corpus_dir):
        try:
            out[p.relative_to(corpus_dir).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError:
            out[p.relative_to(corpus_dir).as_posix()] = "unreadable"
    return out


def expected_manifest(settings: Settings, embedder_name: str) -> dict:
    return {
        "format": FORMAT,
        "model": embedder_name,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "files": file_hashes(Path(settings.corpus_dir)),
    }


def _stale_reason(found: dict, expected: dict) -> str | None:
    for key in ("format", "model", "chunk_size", "chunk_overlap", "files"):
        if found.get(key) != expected[key]:
            return f"{key} changed"
    return None


# ---------------------------------------------------------------- build


def build(settings: Settings, embedder: Embedder, *, progress: bool = True, autosave_every: float = AUTOSAVE_EVERY) -> Index:
    """Read the corpus, embed passages and sentences, and write the index atomically (under the lock);
    what is embedded is checkpointed every `autosave_every` seconds."""
    with _lock(Path(settings.index_dir)):
        return _build(settings, embedder, progress=progress, autosave_every=autosave_every)


def _build(settings: Settings, embedder: Embedder, *, progress: bool, autosave_every: float) -> Index:
    # imported here: LangChain takes seconds to import, and answering from a built index never needs it
    import bm25s
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy
    from tqdm import tqdm

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
    corpus_dir = Path(settings.corpus_dir)
    index_dir = Path(settings.index_dir)
    manifest = expected_manifest(settings, embedder.name)
    docs = load(corpus_dir, max_file_mb=settings.max_file_mb)
    chunks = chunk(docs, settings.chunk_size, settings.chunk_overlap)
    if not chunks:
        raise NoDocuments(f"the files in {corpus_dir} hold no text once page furniture (menus, buttons, credits) is removed")

    partial = partial_cache_path(index_dir, embedder.name)
    cache = CachedEmbedder(embedder, _reusable_cache(index_dir, embedder.name), autosave=partial, autosave_every=autosave_every)
    chunk_texts = [c.embed_text for c in chunks]
    sent_texts = [s.text for c in chunks for s in c.sentences]
    sent_embed_texts = [embedded_sentence(s) for c in chunks for s in c.sentences]
    sent_titles = [c.title for c in chunks for _ in c.sentences]
    sent_title_texts = [titled_sentence(title, t) for title, t in zip(sent_titles, sent_embed_texts)]
    chunk_phrases = noun_phrases_batch(chunk_texts)
    sent_phrases = noun_phrases_batch(sent_texts)
    vocab = sorted({p for ps in chunk_phrases + sent_phrases for p in ps})
    vocab_id = {p: i for i, p in enumerate(vocab)}
    sent_clauses = [sentence_clauses(t) for t in sent_texts]
    clause_texts = [c for cs in sent_clauses for c in cs]
    clause_start = np.cumsum([0] + [len(cs) for cs in sent_clauses]).astype(np.int64)
    todo = (cache.count_missing(chunk_texts + sent_embed_texts + sent_title_texts + clause_texts)
            + cache.count_missing(vocab, query=True))
    with tqdm(total=todo, desc="embedding passages", unit="text", disable=not progress or todo == 0) as bar:
        try:
            chunk_vecs = cache.embed_batch(chunk_texts, progress=bar)
            sent_vecs = cache.embed_batch(sent_embed_texts, progress=bar)
            sent_title_vecs = cache.embed_batch(sent_title_texts, progress=bar)
            clause_vecs = cache.embed_batch(clause_texts, progress=bar) if clause_texts else np.zeros((0, chunk_vecs.shape[1]))
            vocab_vecs = cache.embed_batch(vocab, query=True, progress=bar) if vocab else np.zeros((0, chunk_vecs.shape[1]))
        except BaseException:  # interrupted or failed: keep what was embedded for the next build
            if cache.embedded:
                try:
                    cache.save(partial, only_new=True)
                except Exception as exc:  # the original error is the one to report
                    log.warning("could not save the embedding checkpoint %s: %s", partial, exc)
            raise

    chunk_terms = morphemes_batch(chunk_texts)
    sent_tokens = kiwi().tokenize([normalize(t) for t in sent_texts]) if sent_texts else []
    sent_terms, sent_signals = [], []
    for toks in sent_tokens:
        sent_terms.append(terms_of(toks))
        sent_signals.append(signals(toks))
    store = FAISS.from_embeddings(
        text_embeddings=list(zip(chunk_texts, chunk_vecs.tolist())),
        embedding=embedder,
        metadatas=[{"pos": i, "chunk_id": c.chunk_id, "source": c.source} for i, c in enumerate(chunks)],
        ids=[c.chunk_id for c in chunks],
        distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
    )
    bm25 = bm25s.BM25()
    bm25.index([t or [""] for t in chunk_terms], show_progress=False)

    tmp = Path(tempfile.mkdtemp(prefix=BUILD_PREFIX, dir=index_dir))
    tmp.chmod(0o755)
    try:
        store.save_local(str(tmp / "faiss"))
        bm25.save(str(tmp / "bm25"))
        np.save(tmp / "sentences.npy", sent_vecs.astype(np.float32))
        np.save(tmp / "sentences_titled.npy", sent_title_vecs.astype(np.float32))
        np.save(tmp / "vocab.npy", vocab_vecs.astype(np.float32))
        np.save(tmp / "clauses.npy", clause_vecs.astype(np.float32))
        table = {
            "chunks": [asdict(c) for c in chunks],
            "chunk_terms": chunk_terms,
            "sent_terms": sent_terms,
            "vocab": vocab,
            "chunk_vocab": [[vocab_id[p] for p in ps] for ps in chunk_phrases],
            "sent_vocab": [[vocab_id[p] for p in ps] for ps in sent_phrases],
            "sent_signals": [sig.to_dict() for sig in sent_signals],
            "clause_start": clause_start.tolist(),
        }
        (tmp / "chunks.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        cache.save(tmp / "embed_cache.npz")
        manifest = {**manifest, "chunks": len(chunks), "sentences": len(sent_texts)}
        # the manifest goes last: a directory without one is never loaded
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _swap_into_place(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("indexed %d passages, %d sentences from %d files", len(chunks), len(sent_texts), len(docs))
    return Index(chunks, store.index, bm25, sent_vecs, sent_terms, chunk_terms, embedder, manifest,
                 vocab, vocab_vecs, table["chunk_vocab"], table["sent_vocab"], sent_signals, sent_title_vecs,
                 clause_vecs, clause_start)


def sentence_clauses(text: str) -> list[str]:
    """The clauses of a sentence as the answerer quotes it (footnote marks removed), each embedded on
    its own: a long sentence that names the question's words in other clauses than the one stating
    the answer is told apart by its best clause."""
    said = unmarked(text)
    return [said[a:b].strip() for a, b in clause_spans(said)]


def embedded_sentence(sentence: Sentence) -> str:
    """The text a sentence's vector embeds: a footnote with the sentence it annotates, a table row
    with its table's header row (alone either has figures but no subject)."""
    return f"{sentence.context} {sentence.text}" if sentence.context else sentence.text


def titled_sentence(title: str, text: str) -> str:
    """A sentence as its second vector embeds it: after its document's title, which names the subject
    a sentence often leaves out (Korean drops it: "신청은 …까지 받는다"). Example:
    titled_sentence("청년 월세 지원사업 공고", "신청은 5월 31일까지 받는다.") -> "청년 월세 지원사업 공고: 신청은 5월 31일까지 받는다." """
    return f"{title}: {text}" if title and title not in text else text


BUILD_PREFIX = "build-"
LIVE = "current"  # symlink to the live build, relative so that the index directory can move
LOCK = ".lock"
# the files of an index written before `current` existed (removed once a new build is live)
LEGACY = ("manifest.json", "chunks.json", "faiss", "bm25", "sentences.npy", "sentences_titled.npy", "vocab.npy", "clauses.npy",
          "embed_cache.npz")


def live_dir(index_dir: Path) -> Path:
    """The directory holding the live index's files (`index_dir` itself for an index of the older layout)."""
    index_dir = Path(index_dir)
    return index_dir / LIVE if (index_dir / LIVE).is_dir() else index_dir


def _swap_into_place(tmp: Path, index_dir: Path) -> None:
    """Make `tmp` the live build: a new symlink renamed over `current` (atomic), then the old builds go."""
    link = index_dir / f".{LIVE}.new"
    link.unlink(missing_ok=True)
    link.symlink_to(tmp.name, target_is_directory=True)
    os.replace(link, index_dir / LIVE)
    _collect_garbage(index_dir)


def _collect_garbage(index_dir: Path) -> None:
    """Remove builds that are not live (older ones, and what a killed build left) and an older-layout index.

    Only under the lock: a build in progress holds it. Only names this module writes are touched.
    """
    with contextlib.suppress(OSError):  # tidying only: never fails the caller
        live = os.readlink(index_dir / LIVE) if (index_dir / LIVE).is_symlink() else None
        for p in index_dir.iterdir():
            if p.name.startswith(BUILD_PREFIX) and p.name != live and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            elif p.name.startswith((PARTIAL_PREFIX, f".{PARTIAL_PREFIX}")) and p.name.endswith(".npz"):
                p.unlink(missing_ok=True)  # checkpoints (the live build holds what they held) and saves cut short
        if live is not None and _is_rag_manifest(index_dir / "manifest.json"):
            for name in LEGACY:
                p = index_dir / name
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)


def _is_rag_manifest(path: Path) -> bool:
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("format", "")).startswith("rag-index")
    except (OSError, ValueError, AttributeError):
        return False


def partial_cache_path(index_dir: Path, model: str) -> Path:
    """Where a build in progress saves the vectors it has embedded so far (one file per model)."""
    return Path(index_dir) / f"{PARTIAL_PREFIX}{hashlib.sha256(model.encode()).hexdigest()[:12]}.npz"


def _reusable_cache(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Passage vectors of the live index, when they come from the same model (another model's are useless),
    and those an unfinished build of the same model saved."""
    live = live_dir(index_dir)
    try:
        same_model = json.loads((live / "manifest.json").read_text(encoding="utf-8")).get("model") == model
    except (OSError, ValueError, AttributeError):
        same_model = False
    cache = CachedEmbedder.load_cache(live / "embed_cache.npz") if same_model else {}
    return {**cache, **CachedEmbedder.load_cache(partial_cache_path(index_dir, model), model)}


# ---------------------------------------------------------------- load


def load_index(index_dir: Path, embedder: Embedder) -> Index:
    """Load a built index; raises IndexUnavailable when it is missing or damaged."""
    import bm25s
    import faiss

    index_dir = live_dir(index_dir)
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexUnavailable(f"no index in {index_dir}: run `python -m rag index` first") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"index manifest in {index_dir} is unreadable: {exc}") from exc
    if not isinstance(manifest, dict):
        raise IndexUnavailable(f"index manifest in {index_dir} is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise IndexUnavailable(f"index in {index_dir} has format {manifest.get('format')!r}, expected {FORMAT!r}")
    try:
        table = json.loads((index_dir / "chunks.json").read_text(encoding="utf-8"))
        chunks = [
            Chunk(**{**c, "sentences": [Sentence(**s) for s in c["sentences"]]}) for c in table["chunks"]
        ]
        vectors = faiss.read_index(str(index_dir / "faiss" / "index.faiss"))
        bm25 = bm25s.BM25.load(str(index_dir / "bm25"))
        sent_vecs = np.load(index_dir / "sentences.npy", allow_pickle=False)
        vocab_vecs = np.load(index_dir / "vocab.npy", allow_pickle=False)
        sent_title_vecs = np.load(index_dir / "sentences_titled.npy", allow_pickle=False)
        clause_vecs = np.load(index_dir / "clauses.npy", allow_pickle=False)
        idx = Index(chunks, vectors, bm25, sent_vecs, table["sent_terms"], table["chunk_terms"], embedder, manifest,
                    table["vocab"], vocab_vecs, table["chunk_vocab"], table["sent_vocab"],
                    [Signals.from_dict(d) for d in table["sent_signals"]], sent_title_vecs,
                    clause_vecs, np.asarray(table["clause_start"], dtype=np.int64))
    except Exception as exc:
        raise IndexUnavailable(f"index in {index_dir} is damaged: {exc}") from exc
    if not (
        vectors.ntotal == len(chunks) == len(idx.chunk_terms) == len(idx.chunk_vocab)
        and len(sent_vecs) == len(sent_title_vecs) == len(idx.sentences) == len(idx.sent_terms)
        == len(idx.sent_vocab) == len(idx.sent_signals)
        and len(vocab_vecs) == len(idx.vocab)
        and len(idx.clause_start) == len(idx.sentences) + 1 and idx.clause_start[-1] == len(clause_vecs)
        and bool(np.all(np.diff(idx.clause_start) > 0))
    ):
        raise IndexUnavailable(f"index in {index_dir} is inconsistent (counts differ)")
    return idx


@contextlib.contextmanager
def _lock(index_dir: Path):
    """One builder at a time, across threads and processes; reentrant (`ensure` holds it while `build` runs).

    Raises OSError when the index directory cannot be written (the lock file lives inside it).
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(index_dir / LOCK, is_singleton=True)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("another process is building the index in %s: waiting for it", index_dir)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _fresh(index_dir: Path, embedder: Embedder, expected: dict) -> tuple[Index | None, str]:
    """The index if it can be used as it is, else (None, why not)."""
    try:
        idx = load_index(index_dir, embedder)
    except IndexUnavailable as exc:
        return None, str(exc)
    reason = _stale_reason(idx.manifest, expected)
    return (idx, "") if reason is None else (None, f"index in {index_dir} is stale ({reason})")


def ensure(settings: Settings, embedder: Embedder | None = None, *, rebuild: bool = False, progress: bool = True) -> Index:
    """The index for the current corpus, model and settings: loaded if fresh, (re)built otherwise."""
    embedder = embedder or make_embedder(settings.embedding_model, settings.st_query_prefix, settings.st_passage_prefix)
    index_dir = Path(settings.index_dir)
    expected = expected_manifest(settings, embedder.name)  # also checks the corpus exists
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(_lock(index_dir))
        except OSError as exc:  # a read-only index directory: usable as it is, or not at all
            idx, why = (None, "a rebuild was asked for") if rebuild else _fresh(index_dir, embedder, expected)
            if idx is None:
                raise IndexUnavailable(f"cannot write the index to {index_dir} ({exc.strerror or exc}) and {why}: "
                                       "make it writable or set RAG_INDEX_DIR to a writable directory") from exc
            log.info("index directory %s is not writable (%s): using the index as it is", index_dir, exc.strerror)
            return idx
        try:
            if not rebuild:
                idx, why = _fresh(index_dir, embedder, expected)
                if idx is not None:
                    _collect_garbage(index_dir)  # what a killed build may have left
                    return idx
                if live_dir(index_dir).joinpath("manifest.json").exists() or (index_dir / LIVE).is_symlink():
                    log.warning("%s: rebuilding", why)
            return build(settings, embedder, progress=progress)
        except OSError as exc:  # full disk, or files made read-only: say where; the old index stays live
            raise IndexUnavailable(f"cannot write the index to {index_dir}: {exc}") from exc
