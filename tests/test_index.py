import json
import multiprocessing
import os
import shutil
import signal
import time

import numpy as np
import pytest

from rag.config import Settings
from rag.embed import CachedEmbedder
from rag.errors import IndexUnavailable
from rag.index import (BUILD_PREFIX, FORMAT, LEGACY, LIVE, LOCK, build, embedded_sentence, ensure, live_dir, load_index,
                       partial_cache_path, sentence_clauses, titled_sentence)

from .conftest import FakeEmbedder


def _builds(index_dir):
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(BUILD_PREFIX))


def test_build_then_load_round_trip(tiny_settings, fake_embedder):
    built = ensure(tiny_settings, fake_embedder, progress=False)
    loaded = load_index(tiny_settings.index_dir, fake_embedder)
    assert [c.chunk_id for c in loaded.chunks] == [c.chunk_id for c in built.chunks]
    assert loaded.sent_vecs.shape == built.sent_vecs.shape == loaded.sent_title_vecs.shape
    assert (loaded.sent_title_vecs == built.sent_title_vecs).all()
    assert (loaded.chunk_vecs == built.chunk_vecs).all()
    manifest = json.loads((live_dir(tiny_settings.index_dir) / "manifest.json").read_text())
    assert manifest["format"] == FORMAT and manifest["model"] == "fake-trigram"
    assert set(manifest["files"]) == {"fund.txt", "parks.md"}


def test_each_sentence_has_a_second_vector_embedded_after_its_documents_title(tiny_settings, fake_embedder):
    idx = ensure(tiny_settings, fake_embedder, progress=False)
    for sid, sent in enumerate(idx.sentences):
        title = idx.chunks[idx.sent_chunk[sid]].title
        expected = fake_embedder.embed_documents([titled_sentence(title, embedded_sentence(sent))])[0]
        assert title and np.allclose(idx.sent_title_vecs[sid], expected, atol=1e-6)


def test_each_clause_of_each_sentence_has_a_vector_in_sentence_order(tiny_settings, fake_embedder):
    idx = ensure(tiny_settings, fake_embedder, progress=False)
    loaded = load_index(tiny_settings.index_dir, fake_embedder)
    assert (loaded.clause_vecs == idx.clause_vecs).all() and (loaded.clause_start == idx.clause_start).all()
    assert len(idx.clause_start) == len(idx.sentences) + 1
    several = 0
    for sid, sent in enumerate(idx.sentences):
        clauses = sentence_clauses(sent.text)
        vecs = idx.clause_vecs[idx.clause_start[sid]:idx.clause_start[sid + 1]]
        assert np.allclose(vecs, fake_embedder.embed_documents(clauses), atol=1e-6)
        several += len(clauses) > 1
    assert several  # the tiny corpus has sentences of several clauses


def test_sentence_clauses_are_quoted_without_footnote_marks():
    assert sentence_clauses("** 스타트업 코리아 펀드(2조원), AI혁신펀드(900억원) 등") == [
        "스타트업 코리아 펀드(2조원)", "AI혁신펀드(900억원) 등"]
    assert sentence_clauses("짧다, 이 문장은 쉼표 뒤가 길다") == ["짧다, 이 문장은 쉼표 뒤가 길다"]


def test_titled_sentence_prefixes_the_title_unless_the_sentence_states_it():
    assert titled_sentence("청년 월세 지원사업", "신청은 5월 31일까지 받는다.") == "청년 월세 지원사업: 신청은 5월 31일까지 받는다."
    assert titled_sentence("월세 지원", "월세 지원은 월 20만원이다.") == "월세 지원은 월 20만원이다."
    assert titled_sentence("", "선출되었다.") == "선출되었다."


def test_the_index_dir_holds_the_lock_the_live_build_and_nothing_beside_it(tiny_settings, fake_embedder, tmp_path):
    ensure(tiny_settings, fake_embedder, progress=False)
    d = tiny_settings.index_dir
    assert (d / LIVE).is_symlink() and not os.readlink(d / LIVE).startswith("/")  # relative: the dir can move
    assert sorted(p.name for p in d.iterdir()) == sorted([LOCK, LIVE, *_builds(d)]) and len(_builds(d)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]  # no lock or temp dir beside it
    moved = tmp_path / "moved"
    d.rename(moved)
    assert load_index(moved, fake_embedder).manifest["chunks"] > 0


def test_fresh_index_is_loaded_not_rebuilt(tiny_settings, fake_embedder):
    ensure(tiny_settings, fake_embedder, progress=False)
    live = os.readlink(tiny_settings.index_dir / LIVE)
    calls = fake_embedder.calls
    ensure(tiny_settings, fake_embedder, progress=False)
    assert os.readlink(tiny_settings.index_dir / LIVE) == live and fake_embedder.calls == calls


def test_changed_corpus_triggers_rebuild_and_reuses_cached_vectors(tiny_settings, fake_embedder):
    ensure(tiny_settings, fake_embedder, progress=False)
    calls = fake_embedder.calls
    (tiny_settings.corpus_dir / "new.txt").write_text("새로운 공지이다. 접수는 5월에 시작한다.", encoding="utf-8")
    idx = ensure(tiny_settings, fake_embedder, progress=False)
    assert any("접수는 5월" in c.text for c in idx.chunks)
    # only the new passage, its 2 sentences (alone and after the document's title) and its 3 new nouns
    # (공지, 접수, 시작) were embedded
    assert fake_embedder.calls - calls == 8
    assert len(_builds(tiny_settings.index_dir)) == 1  # the old build is gone


class OtherModel(FakeEmbedder):
    name = "other-model"


class InterruptedEmbedder(FakeEmbedder):
    """Embeds `budget` texts, then is interrupted (Ctrl-C) as a long build may be."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget

    def embed_batch(self, texts, *, query=False):
        if self.calls + len(texts) > self.budget:
            raise KeyboardInterrupt
        return super().embed_batch(texts, query=query)


def _full_build_calls(tiny_settings) -> int:
    """How many texts a build of the tiny corpus embeds from scratch (built elsewhere)."""
    full = FakeEmbedder()
    ensure(tiny_settings.model_copy(update={"index_dir": tiny_settings.index_dir.parent / "elsewhere"}), full, progress=False)
    return full.calls


def test_an_interrupted_build_keeps_what_it_embedded_for_the_next(tiny_settings, fake_embedder):
    total = _full_build_calls(tiny_settings)
    cut = InterruptedEmbedder(budget=total // 2)
    with pytest.raises(KeyboardInterrupt):
        ensure(tiny_settings, cut, progress=False)
    partial = partial_cache_path(tiny_settings.index_dir, fake_embedder.name)
    assert len(CachedEmbedder.load_cache(partial)) == cut.calls > 0 and _builds(tiny_settings.index_dir) == []
    idx = ensure(tiny_settings, fake_embedder, progress=False)
    assert fake_embedder.calls == total - cut.calls  # only what the interrupted build had not reached
    assert not partial.exists() and len(idx.chunks) > 0


class CheckpointWatcher(FakeEmbedder):
    """Notes, at each call, whether a checkpoint file exists (a killed build would leave it as it is)."""

    def __init__(self, checkpoint) -> None:
        super().__init__()
        self.checkpoint = checkpoint
        self.seen: list[int] = []

    def embed_batch(self, texts, *, query=False):
        self.seen.append(len(CachedEmbedder.load_cache(self.checkpoint)))
        return super().embed_batch(texts, query=query)


def test_a_build_checkpoints_what_it_has_embedded_while_it_embeds(tiny_settings):
    watcher = CheckpointWatcher(partial_cache_path(tiny_settings.index_dir, FakeEmbedder.name))
    build(tiny_settings, watcher, progress=False, autosave_every=0.0)
    assert watcher.seen[0] == 0 and watcher.seen[-1] > 0  # saved before the last batch, not only at the end
    assert watcher.seen == sorted(watcher.seen)
    assert not watcher.checkpoint.exists()  # gone once the build is live


def test_a_checkpoint_written_for_another_model_is_not_read(tiny_settings, fake_embedder):
    total = _full_build_calls(tiny_settings)
    first_chunk = ensure(tiny_settings.model_copy(update={"index_dir": tiny_settings.index_dir.parent / "x"}),
                         FakeEmbedder(), progress=False).chunks[0].embed_text
    tiny_settings.index_dir.mkdir(parents=True, exist_ok=True)
    # at this model's checkpoint path, but written by another model of the same dimension
    CachedEmbedder(OtherModel(), {CachedEmbedder.key(first_chunk): np.ones(FakeEmbedder().dim, dtype=np.float32)}).save(
        partial_cache_path(tiny_settings.index_dir, fake_embedder.name))
    ensure(tiny_settings, fake_embedder, progress=False)
    assert fake_embedder.calls == total  # nothing taken from it


def test_leftover_checkpoints_go_once_an_index_is_live(tiny_settings, fake_embedder):
    index_dir = tiny_settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    leftovers = [partial_cache_path(index_dir, "other-model"), index_dir / ".embed_cache.partial-0123.npz.77.88.tmp.npz"]
    for path in leftovers:
        path.write_bytes(b"x")
    ensure(tiny_settings, fake_embedder, progress=False)
    assert not any(path.exists() for path in leftovers)


def test_changed_settings_trigger_rebuild(tiny_settings, fake_embedder):
    ensure(tiny_settings, fake_embedder, progress=False)
    other = tiny_settings.model_copy(update={"chunk_size": 120})
    idx = ensure(other, fake_embedder, progress=False)
    assert idx.manifest["chunk_size"] == 120


def test_an_index_from_another_model_is_rebuilt_without_its_vectors(tiny_settings, fake_embedder):
    first = ensure(tiny_settings, fake_embedder, progress=False)
    other = OtherModel(dim=64)
    idx = ensure(tiny_settings, other, progress=False)
    assert idx.manifest["model"] == "other-model" and idx.chunk_vecs.shape == (len(first.chunks), 64)
    assert other.calls >= len(first.chunks) + len(first.sentences)  # everything embedded afresh
    assert load_index(tiny_settings.index_dir, other).sent_vecs.shape[1] == 64


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "malformed manifest": lambda d: (d / "manifest.json").write_text("{not json"),
    "manifest not an object": lambda d: (d / "manifest.json").write_text("[1, 2]"),
    "other format": lambda d: (d / "manifest.json").write_text(
        json.dumps({**json.loads((d / "manifest.json").read_text()), "format": "rag-index v0"})),
    "truncated faiss file": lambda d: _truncate(d / "faiss" / "index.faiss"),
    "garbage faiss file": lambda d: (d / "faiss" / "index.faiss").write_bytes(b"garbage"),
    "truncated passage table": lambda d: _truncate(d / "chunks.json"),
    "emptied passage table": lambda d: (d / "chunks.json").write_text("[]"),
    "garbage sentence vectors": lambda d: (d / "sentences.npy").write_bytes(b"garbage"),
    "missing manifest": lambda d: (d / "manifest.json").unlink(),
    "missing passage table": lambda d: (d / "chunks.json").unlink(),
    "missing faiss dir": lambda d: shutil.rmtree(d / "faiss"),
    "missing bm25 dir": lambda d: shutil.rmtree(d / "bm25"),
    "missing vocabulary vectors": lambda d: (d / "vocab.npy").unlink(),
    "missing titled sentence vectors": lambda d: (d / "sentences_titled.npy").unlink(),
    "titled sentence vectors of another length": lambda d: np.save(d / "sentences_titled.npy", np.zeros((1, 256), np.float32)),
    "missing clause vectors": lambda d: (d / "clauses.npy").unlink(),
    "clause vectors of another length": lambda d: np.save(d / "clauses.npy", np.zeros((1, 256), np.float32)),
    "live build deleted": lambda d: shutil.rmtree(d.resolve()),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_reported_and_rebuilt(tiny_settings, fake_embedder, damage, caplog):
    ensure(tiny_settings, fake_embedder, progress=False)
    DAMAGE[damage](tiny_settings.index_dir / LIVE)
    with pytest.raises(IndexUnavailable, match=str(tiny_settings.index_dir)):
        load_index(tiny_settings.index_dir, fake_embedder)
    idx = ensure(tiny_settings, fake_embedder, progress=False)
    assert "rebuilding" in caplog.text
    assert load_index(tiny_settings.index_dir, fake_embedder).manifest["chunks"] == len(idx.chunks) > 0
    assert len(_builds(tiny_settings.index_dir)) == 1


def test_interrupted_build_keeps_the_previous_index(tiny_settings, fake_embedder, monkeypatch):
    ensure(tiny_settings, fake_embedder, progress=False)
    before = sorted(p.name for p in tiny_settings.index_dir.iterdir())
    (tiny_settings.corpus_dir / "more.txt").write_text("추가 문서이다.", encoding="utf-8")

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("numpy.save", boom)
    with pytest.raises(KeyboardInterrupt):
        build(tiny_settings, fake_embedder, progress=False)
    assert sorted(p.name for p in tiny_settings.index_dir.iterdir()) == before  # the half build is removed
    load_index(tiny_settings.index_dir, fake_embedder)  # still loadable


def _build_until_killed(corpus, index_dir, writing):
    """Child process: a build that stops for good in the middle of writing its files."""
    import numpy

    def hang(*a, **k):
        writing.set()
        time.sleep(600)

    numpy.save = hang
    ensure(Settings(corpus_dir=corpus, index_dir=index_dir, chunk_size=200), FakeEmbedder(), rebuild=True, progress=False)


def test_a_build_killed_mid_way_leaves_the_previous_index_live(tiny_settings, fake_embedder):
    ensure(tiny_settings, fake_embedder, progress=False)
    d = tiny_settings.index_dir
    live = os.readlink(d / LIVE)
    ctx = multiprocessing.get_context("spawn")
    writing = ctx.Event()
    child = ctx.Process(target=_build_until_killed, args=(tiny_settings.corpus_dir, d, writing))
    child.start()
    try:
        assert writing.wait(120), "the child build never reached its writing phase"
        assert len(_builds(d)) == 2  # the half-written one is there
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
    assert os.readlink(d / LIVE) == live
    calls = fake_embedder.calls
    idx = ensure(tiny_settings, fake_embedder, progress=False)  # the killed build's lock is free again
    assert fake_embedder.calls == calls and idx.manifest["chunks"] > 0  # loaded, not rebuilt
    assert _builds(d) == [live]  # and what the killed build left is gone


def _ensure_in_child(corpus, index_dir, start, results):
    embedder = FakeEmbedder()
    start.wait(60)
    idx = ensure(Settings(corpus_dir=corpus, index_dir=index_dir, chunk_size=200), embedder, progress=False)
    results.put((embedder.calls, len(idx.chunks), os.readlink(index_dir / LIVE)))


def test_two_processes_building_at_once_build_once(tiny_settings):
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(2), ctx.Queue()
    children = [ctx.Process(target=_ensure_in_child, args=(tiny_settings.corpus_dir, tiny_settings.index_dir, start, results))
                for _ in range(2)]
    for c in children:
        c.start()
    got = sorted(results.get(timeout=180) for _ in children)
    for c in children:
        c.join(30)
        assert c.exitcode == 0
    (waited_calls, n1, live1), (built_calls, n2, live2) = got
    assert waited_calls == 0 and built_calls > 0  # one built; the other waited for the lock, then loaded it
    assert n1 == n2 > 0 and live1 == live2 == os.readlink(tiny_settings.index_dir / LIVE)
    assert len(_builds(tiny_settings.index_dir)) == 1


@pytest.fixture
def read_only(monkeypatch):
    """Make a directory read-only; as root (who writes anyway) the lock and writes fail as they would for others."""
    made = []

    def apply(d):
        for p in [d, *d.rglob("*")]:
            if not p.is_symlink():
                made.append((p, p.stat().st_mode))
                p.chmod(0o555 if p.is_dir() else 0o444)
        if os.geteuid() == 0:
            def denied(*a, **k):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr("filelock.FileLock.acquire", denied)
            monkeypatch.setattr("tempfile.mkdtemp", denied)

    yield apply
    for p, mode in made:
        p.chmod(mode)


def test_a_read_only_fresh_index_is_used_as_it_is(tiny_settings, fake_embedder, read_only):
    built = ensure(tiny_settings, fake_embedder, progress=False)
    read_only(tiny_settings.index_dir)
    calls = fake_embedder.calls
    idx = ensure(tiny_settings, fake_embedder, progress=False)
    assert fake_embedder.calls == calls and len(idx.chunks) == len(built.chunks)


def test_a_read_only_stale_index_is_reported_and_kept(tiny_settings, fake_embedder, read_only):
    ensure(tiny_settings, fake_embedder, progress=False)
    (tiny_settings.corpus_dir / "more.txt").write_text("추가 문서이다.", encoding="utf-8")
    read_only(tiny_settings.index_dir)
    with pytest.raises(IndexUnavailable, match=r"cannot write the index to .*Permission denied.*stale \(files changed\)"
                                               r".*RAG_INDEX_DIR"):
        ensure(tiny_settings, fake_embedder, progress=False)
    assert load_index(tiny_settings.index_dir, fake_embedder).manifest["chunks"] > 0


def test_missing_index_message_names_the_fix(tmp_path, fake_embedder):
    with pytest.raises(IndexUnavailable, match="rag index"):
        load_index(tmp_path / "none", fake_embedder)


def test_an_index_of_the_older_layout_loads_and_is_replaced_on_rebuild(tiny_settings, fake_embedder):
    ensure(tiny_settings, fake_embedder, progress=False)
    d = tiny_settings.index_dir
    old = d / os.readlink(d / LIVE)
    for p in old.iterdir():  # files directly in index_dir, as before `current` existed
        p.rename(d / p.name)
    (d / LIVE).unlink()
    old.rmdir()
    assert load_index(d, fake_embedder).manifest["chunks"] > 0
    calls = fake_embedder.calls
    (tiny_settings.corpus_dir / "more.txt").write_text("추가 문서이다.", encoding="utf-8")
    ensure(tiny_settings, fake_embedder, progress=False)
    assert fake_embedder.calls - calls < 10  # the older index's vectors were reused
    assert (d / LIVE).is_symlink() and not any((d / name).exists() for name in LEGACY)
    assert sorted(p.name for p in d.iterdir()) == sorted([LOCK, LIVE, *_builds(d)])  # nothing left behind


def test_index_is_a_langchain_faiss_store(tiny_settings, fake_embedder):
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy

    idx = ensure(tiny_settings, fake_embedder, progress=False)
    store = FAISS.load_local(str(tiny_settings.index_dir / LIVE / "faiss"), fake_embedder,
                             allow_dangerous_deserialization=True, distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT)
    docs = store.similarity_search_with_score("AI혁신펀드 900억원", k=1)
    assert docs[0][0].metadata["chunk_id"] in {c.chunk_id for c in idx.chunks}
    assert store.index.ntotal == idx.vectors.ntotal == len(idx.chunks)


def test_unwritable_index_is_a_clear_error_and_keeps_the_old_one(tiny_settings, fake_embedder, monkeypatch):
    ensure(tiny_settings, fake_embedder, progress=False)
    (tiny_settings.corpus_dir / "more.txt").write_text("추가 문서이다.", encoding="utf-8")

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.mkdtemp", full_disk)
    with pytest.raises(IndexUnavailable, match="cannot write the index"):
        ensure(tiny_settings, fake_embedder, progress=False)
    assert load_index(tiny_settings.index_dir, fake_embedder).manifest["chunks"] > 0


def test_document_metadata_is_persisted_and_a_sidecar_change_rebuilds(tiny_settings, fake_embedder):
    sidecar = tiny_settings.corpus_dir / "metadata.jsonl"
    sidecar.write_text(json.dumps({"file": "parks.md", "source": "City Hall", "date": "2026-01-05",
                                   "url": "https://city.example/parks"}) + "\n", encoding="utf-8")
    ensure(tiny_settings, fake_embedder, progress=False)
    loaded = load_index(tiny_settings.index_dir, fake_embedder)
    parks = [c for c in loaded.chunks if c.chunk_id.startswith("parks.md#")]
    assert parks and all((c.title, c.source_name, c.date, c.url) == ("City parks", "City Hall", "2026-01-05",
                                                                      "https://city.example/parks") for c in parks)
    assert not any(c.chunk_id.startswith("metadata.jsonl") for c in loaded.chunks)
    sidecar.write_text(json.dumps({"file": "parks.md", "title": "Parks plan 2026"}) + "\n", encoding="utf-8")
    rebuilt = ensure(tiny_settings, fake_embedder, progress=False)
    assert {c.title for c in rebuilt.chunks if c.chunk_id.startswith("parks.md#")} == {"Parks plan 2026"}


def test_a_table_row_is_embedded_with_its_header_row():
    from rag.ingest import Sentence

    row = Sentence("| 예산 | 100억원 | 200억원 |", context="| 구분 | 2025년 | 2026년 |")
    assert embedded_sentence(row) == "| 구분 | 2025년 | 2026년 | | 예산 | 100억원 | 200억원 |"
    assert embedded_sentence(Sentence("예산은 100억원이다.")) == "예산은 100억원이다."
