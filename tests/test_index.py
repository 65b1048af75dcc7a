import json

import pytest

from rag.errors import IndexUnavailable
from rag.index import FORMAT, build, ensure, load_index


def test_build_then_load_round_trip(tiny_settings, fake_embedder):
    built = ensure(tiny_settings, fake_embedder, progress=False)
    loaded = load_index(tiny_settings.index_dir, fake_embedder)
    assert [c.chunk_id for c in loaded.chunks] == [c.chunk_id for c in built.chunks]
    assert loaded.sent_vecs.shape == built.sent_vecs.shape
    assert (loaded.chunk_vecs == built.chunk_vecs).all()
    manifest = json.loads((tiny_settings.index_dir / "manifest.json").read_text())
    assert manifest["format"] == FORMAT and manifest["model"] == "fake-trigram"
    assert set(manifest["files"]) == {"fund.txt", "parks.md"}


def test_fresh_index_is_loaded_not_rebuilt(tiny_settings, fake_embedder):
    ensure(tiny_settings, fake_embedder, progress=False)
    mtime = (tiny_settings.index_dir / "manifest.json").stat().st_mtime_ns
    ensure(tiny_settings, fake_embedder, progress=False)
    assert (tiny_settings.index_dir / "manifest.json").stat().st_mtime_ns == mtime


def test_changed_corpus_triggers_rebuild_and_reuses_cached_vectors(tiny_settings, fake_embedder):
    ensure(tiny_settings, fake_embedder, progress=False)
    calls = fake_embedder.calls
    (tiny_settings.corpus_dir / "new.txt").write_text("새로운 공지이다. 접수는 5월에 시작한다.", encoding="utf-8")
    idx = ensure(tiny_settings, fake_embedder, progress=False)
    assert any("접수는 5월" in c.text for c in idx.chunks)
    # only the new passage, its 2 sentences and its 3 new nouns (공지, 접수, 시작) were embedded
    assert fake_embedder.calls - calls == 6


def test_changed_settings_trigger_rebuild(tiny_settings, fake_embedder):
    ensure(tiny_settings, fake_embedder, progress=False)
    other = tiny_settings.model_copy(update={"chunk_size": 120})
    idx = ensure(other, fake_embedder, progress=False)
    assert idx.manifest["chunk_size"] == 120


@pytest.mark.parametrize("damage", ["manifest", "chunks", "faiss", "vectors", "format"])
def test_damaged_index_is_reported_and_rebuilt(tiny_settings, fake_embedder, damage):
    ensure(tiny_settings, fake_embedder, progress=False)
    d = tiny_settings.index_dir
    if damage == "manifest":
        (d / "manifest.json").write_text("{not json")
    elif damage == "chunks":
        (d / "chunks.json").write_text("[]")
    elif damage == "faiss":
        (d / "faiss" / "index.faiss").write_bytes(b"garbage")
    elif damage == "vectors":
        (d / "sentences.npy").write_bytes(b"garbage")
    else:
        m = json.loads((d / "manifest.json").read_text())
        (d / "manifest.json").write_text(json.dumps({**m, "format": "rag-index v0"}))
    with pytest.raises(IndexUnavailable):
        load_index(d, fake_embedder)
    idx = ensure(tiny_settings, fake_embedder, progress=False)
    assert load_index(d, fake_embedder).manifest["chunks"] == len(idx.chunks) > 0


def test_interrupted_build_keeps_the_previous_index(tiny_settings, fake_embedder, monkeypatch):
    ensure(tiny_settings, fake_embedder, progress=False)
    before = sorted(p.name for p in tiny_settings.index_dir.iterdir())
    (tiny_settings.corpus_dir / "more.txt").write_text("추가 문서이다.", encoding="utf-8")

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("numpy.save", boom)
    with pytest.raises(KeyboardInterrupt):
        build(tiny_settings, fake_embedder, progress=False)
    assert sorted(p.name for p in tiny_settings.index_dir.iterdir()) == before
    leftovers = [p for p in tiny_settings.index_dir.parent.iterdir() if "-build-" in p.name]
    assert leftovers == []
    load_index(tiny_settings.index_dir, fake_embedder)  # still loadable


def test_missing_index_message_names_the_fix(tmp_path, fake_embedder):
    with pytest.raises(IndexUnavailable, match="rag index"):
        load_index(tmp_path / "none", fake_embedder)


def test_index_is_a_langchain_faiss_store(tiny_settings, fake_embedder):
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy

    idx = ensure(tiny_settings, fake_embedder, progress=False)
    store = FAISS.load_local(str(tiny_settings.index_dir / "faiss"), fake_embedder,
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
