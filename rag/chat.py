"""Chat: the question-answering pipeline and multi-turn conversations on top of it.

`Pipeline` loads (or builds) the index once and answers single questions; it is thread-safe
for answering, so one instance serves every user of the web app. `Conversation` keeps the
earlier turns of one user and folds them into the retrieval of an elliptical follow-up
("And the global one?", "그럼 보증은요?"): the earlier question's vector is blended into the
query with a lower weight, and its morphemes are added to the lexical query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .answer import Answer, compose
from .config import Settings, get_settings
from .embed import Embedder
from .errors import BadQuestion
from .index import Index, ensure
from .retrieve import make_query, search
from .text import lang_of, morphemes, warm_up_in_background

# A turn that opens like this leans on the previous one (general discourse cues, both languages).
_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|then|so|but|or)\b|\b(it|its|that|this|they|them|those|these|the same|there)\b"
    r"|^\s*(그럼|그러면|그리고|또|그래서|그런데|근데|그건|그거|그것|그|이|저|해당|같은)(\s|$|은|는|이|가|을|를|의|에)",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """True when a question needs the conversation so far (a cue word, or almost no content of its own)."""
    return bool(_FOLLOW_UP.search(question)) or len(morphemes(question)) <= 1


@dataclass
class Pipeline:
    settings: Settings = field(default_factory=get_settings)
    index: Index | None = None
    embedder: Embedder | None = None

    def __post_init__(self) -> None:
        warm_up_in_background()  # Kiwi loads while the index does; the first answer is then fast
        if self.index is None:
            self.index = ensure(self.settings, self.embedder)

    def check(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise BadQuestion("the question is empty: type a question about the document")
        question = question.strip()
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise BadQuestion(f"the question has {len(question)} characters; the limit is {limit}")
        return question

    def answer(self, question: str, history: list[str] | None = None, *, k: int | None = None) -> Answer:
        """Answer one question; `history` holds the earlier questions of the conversation, oldest first."""
        question = self.check(question)
        s = self.settings
        earlier = [h for h in (history or []) if h and h.strip()][-2:] if history and is_follow_up(question) else []
        query = make_query(self.index, question, earlier)
        hits = search(self.index, query, k=k or s.top_k, mode=s.retrieval_mode, rrf_k=s.rrf_k)
        return compose(
            self.index,
            query,
            hits,
            lang=lang_of(question),
            max_citations=s.max_citations,
            threshold=s.abstain_threshold,
        )


@dataclass
class Conversation:
    """One user's chat: remembers the questions asked so far."""

    pipeline: Pipeline
    history: list[str] = field(default_factory=list)

    def ask(self, question: str) -> Answer:
        ans = self.pipeline.answer(question, self.history)
        self.history.append(ans.question)
        return ans

    def reset(self) -> None:
        self.history.clear()
