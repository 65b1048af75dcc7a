"""Shared fixtures: a tiny corpus, a deterministic fake embedder, settings in tmp dirs, and
(for integration tests) the real bundled model on a copy of the real corpus."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import PROJECT_ROOT, Settings
from rag.embed import CachedEmbedder, E5Embedder, Embedder
from rag.features import SELECT_FEATURES, Candidate
from rag.scorer import QUESTION_FEATURES, Linear, Scorer
from rag.text import Signals

TINY_DOCS = {
    "fund.txt": (
        "AI 펀드 소식\n\n"
        "중기부는 AI혁신펀드를 조성한다. 펀드 규모는 총 900억원이다.\n\n"
        "또한 창업기업 500개를 지원하고, 보증 프로그램*을 운영한다.\n"
        "* 보증 한도 : 기업당 최대 30억원\n\n"
        "기사 읽어주기\n"
        "페이스북 트위터 밴드 블로그\n"
        "Copyright ⓒ 어느신문 All rights reserved.\n"
    ),
    "parks.md": (
        "# City parks\n\n"
        "The city will open 12 new parks in 2026. The parks budget is 40 million dollars.\n\n"
        "Mayor Kim Minsu announced the plan on Monday.\n"
    ),
}


class FakeEmbedder(Embedder):
    """Deterministic: hashed character trigrams, L2-normalised. Shared n-grams mean similarity."""

    name = "fake-trigram"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls = 0

    def embed_batch(self, texts, *, query=False):
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            t = f"  {text.lower()}  "
            for i in range(len(t) - 2):
                h = int(hashlib.md5(t[i : i + 3].encode()).hexdigest()[:8], 16)
                out[row, h % self.dim] += 1.0
            out[row, 0] += 0.1  # never a zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def write_corpus(root: Path, docs: dict[str, str] = TINY_DOCS) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path)


@pytest.fixture
def tiny_settings(tiny_corpus: Path, tmp_path: Path) -> Settings:
    return Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", chunk_size=200)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def e5_embedder() -> CachedEmbedder:
    """The bundled model, each passage embedded once per session (the tiny corpus is rebuilt per test)."""
    return CachedEmbedder(E5Embedder())


@pytest.fixture
def tiny_e5_index(tiny_settings, e5_embedder):
    """The tiny corpus embedded by the real model: for tests that need the trained answerer to answer or
    abstain as it does in use (its similarities are E5's, not the fake embedder's)."""
    from rag.index import ensure

    return ensure(tiny_settings, e5_embedder, progress=False)


@pytest.fixture
def tiny_index(tiny_settings, fake_embedder):
    from rag.index import ensure

    return ensure(tiny_settings, fake_embedder, progress=False)


@pytest.fixture
def tiny_pipeline(tiny_settings, tiny_index):
    from rag.chat import Pipeline

    return Pipeline(settings=tiny_settings, index=tiny_index)


# ---------------------------------------------------------------- integration (real model, real corpus)

REAL_CORPUS = PROJECT_ROOT / "corpus"
DEV_SET = PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl"
SCORER = PROJECT_ROOT.parent / "shared" / "eval" / "score.py"
OWN_SET = PROJECT_ROOT / "bench" / "questions_own.jsonl"


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("real")
    shutil.copytree(REAL_CORPUS, root / "corpus")
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index")


@pytest.fixture(scope="session")
def real_pipeline(real_settings):
    from rag.chat import Pipeline

    return Pipeline(settings=real_settings)


# ---------------------------------------------------------------- hand-built answerer inputs


def signals_of(types=(), counters=()):
    """Kiwi-tag signals with these answer types and counters (no numbers or names)."""
    return Signals(frozenset(types), frozenset(counters), frozenset(), frozenset())


def linear_on(names, weight_on, weight):
    """A logistic regression over `names` that reads one feature only."""
    coef = np.zeros(len(names))
    coef[names.index(weight_on)] = weight
    return Linear(names, np.zeros(len(names)), np.ones(len(names)), coef, -2.5)


def toy_scorer(thresholds=None):
    """A scorer whose selector reads `sim` and whose answerability model reads `p_best`."""
    return Scorer(linear_on(SELECT_FEATURES, "sim", 5.0), linear_on(QUESTION_FEATURES, "p_best", 5.0),
                  thresholds or {"same": 0.5, "cross": 0.3})


class QuestionIn:
    """A question that only has a language (what `decide` and `threshold_group` read)."""

    def __init__(self, lang):
        self.lang = lang


def bare_candidate(text):
    """A candidate sentence without a passage."""
    return Candidate(rank=0, hit=None, sid=0, text=text)
