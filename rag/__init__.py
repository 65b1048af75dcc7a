"""Grounded, cited question answering over policy documents (Korean and English).

Pipeline: ingest -> embed -> index -> retrieve -> answer -> chat. Typical use:

    from rag import Pipeline
    answer = Pipeline().answer("AI혁신펀드는 얼마인가요?")
"""

from .answer import Answer, Citation
from .chat import Conversation, Pipeline
from .config import Settings
from .errors import RagError

__all__ = ["Answer", "Citation", "Conversation", "Pipeline", "RagError", "Settings"]
