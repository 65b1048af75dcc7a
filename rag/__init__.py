"""Grounded, cited question answering over policy documents (Korean and English).

Pipeline: ingest -> embed -> index -> retrieve -> answer -> chat. Typical use:

    from rag import Pipeline
    answer = Pipeline().answer("AI혁신펀드는 얼마인가요?")

Names are imported on first use, so `import rag.cli` stays fast.
"""

from importlib import import_module

_EXPORTS = {
    "Answer": "answer",
    "Citation": "answer",
    "Conversation": "chat",
    "Pipeline": "chat",
    "Reply": "generate",
    "RagError": "errors",
    "Settings": "config",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
