"""Chat: the question-answering pipeline and multi-turn conversations on top of it.

`Pipeline` loads (or builds) the index once and answers single questions; it is thread-safe
for answering, so one instance serves every user of the web app. `Conversation` keeps the
earlier turns of one user and folds them into the retrieval of an elliptical follow-up
("And the global one?", "그럼 보증은요?"): the earlier question's vector is blended into the
query with a lower weight, and its morphemes are added to the lexical query. With a generator
(RAG_GENERATOR, rag/generate.py) the extractive answer is rewritten by a language model when the
grounding guard allows it; `answer_stream` yields the text as it is generated.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Iterator

from .align import prepare
from .answer import AnswerConfig, compose
from .config import Settings, get_settings
from .embed import Embedder
from .errors import BadQuestion
from .features import corpus_counters
from .generate import Generator, Reply, generate, make_generator
from .index import Index, ensure
from .question import Question, analyze, strip_markup
from .retrieve import Hit, search
from .scorer import Scorer
from .text import morphemes, warm_up_in_background

# A turn that opens like this leans on the previous one (general discourse cues, both languages).
_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|then|so|but|or)\b|\b(it|its|that|this|they|them|those|these|the same|there)\b"
    r"|^\s*(그럼|그러면|그리고|또|그래서|그런데|근데|그건|그거|그것|그|이|저|해당|같은)(\s|$|은|는|이|가|을|를|의|에)",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """True when a question needs the conversation so far (a cue word, or almost no content of its own)."""
    return bool(_FOLLOW_UP.search(question)) or len(morphemes(question)) <= 1


def check_question(question: object, limit: int) -> str:
    """The question stripped, or BadQuestion: empty, over `limit` characters, or markup only."""
    if not isinstance(question, str) or not question.strip():
        raise BadQuestion("the question is empty: type a question about the document")
    question = question.strip()
    if len(question) > limit:
        raise BadQuestion(f"the question has {len(question)} characters; the limit is {limit}")
    if not strip_markup(question):
        raise BadQuestion("the question holds only markup: type a question about the document")
    return question


@dataclass
class Pipeline:
    """Loads (or builds) the index and the answerer once; `answer()` is safe to call from many threads.

    `scorer=False` skips loading the answerer (training uses `evidence()` only). `generator=None` takes
    the one RAG_GENERATOR names (rag/generate.py); `False` keeps answers extractive.
    """

    settings: Settings = field(default_factory=get_settings)
    index: Index | None = None
    embedder: Embedder | None = None
    scorer: Scorer | None | bool = None
    generator: Generator | None | bool = None

    def __post_init__(self) -> None:
        warm_up_in_background()  # Kiwi loads while the index does; the first answer is then fast
        if self.generator is None:  # first: a misconfigured model fails before the index is built
            self.generator = make_generator(self.settings) or False
        if self.index is None:
            self.index = ensure(self.settings, self.embedder)
        # the first English question would otherwise wait for the dictionary and the romanized names,
        # a how-many question for the counters' vectors (about a second on two cores). The counters'
        # thread runs the embedder, so it is not a daemon: a thread still inside native code when the
        # interpreter exits crashed it (text.warm_up_in_background)
        threading.Thread(target=prepare, args=(self.index,), name="align-warm-up", daemon=True).start()
        threading.Thread(target=corpus_counters, args=(self.index,), name="counters-warm-up").start()
        if self.scorer is None:
            self.scorer = Scorer.load(self.settings.answerer_model)

    def check(self, question: str) -> str:
        return check_question(question, self.settings.max_question_chars)

    def evidence(self, question: str, history: list[str] | None = None, *, k: int | None = None) -> tuple[Question, list[Hit]]:
        """The analysed question and the passages retrieved for it (earlier turns count for a follow-up):
        the answerer's candidates, at least `candidate_k` passages, of which it returns `k` (top_k)."""
        question = self.check(question)
        s = self.settings
        q = analyze(self.index, question, earlier_turns(question, history))
        depth = max(k or s.top_k, s.candidate_k)
        return q, search(self.index, q, k=depth, mode=s.retrieval_mode, rrf_k=s.rrf_k)

    def answer(self, question: str, history: list[str] | None = None, *, k: int | None = None) -> Reply:
        """Answer one question; `history` holds the earlier questions of the conversation, oldest first."""
        *_, reply = self.answer_stream(question, history, k=k)
        return reply

    def answer_stream(self, question: str, history: list[str] | None = None, *,
                      k: int | None = None) -> Iterator[str | Reply]:
        """The generated answer's text as it arrives (str pieces, each checked as it streams), then the
        final, guarded Reply.

        Extractive answers (and abstentions) come as the Reply alone. Bad input raises BadQuestion
        at the first step of the iteration.
        """
        q, hits = self.evidence(question, history, k=k)
        config = AnswerConfig(self.scorer, max_chars=self.settings.max_answer_chars, contexts=k or self.settings.top_k)
        base = compose(self.index, q, hits, config)
        if not self.generator:
            yield Reply.of(base)
            return
        yield from generate(self.generator, base, earlier_turns(q.text, history))


def earlier_turns(question: str, history: list[str] | None) -> list[str]:
    """The earlier questions a follow-up leans on (the last two), none for a self-contained question."""
    return [h for h in (history or []) if h and h.strip()][-2:] if history and is_follow_up(question) else []


@dataclass
class Conversation:
    """One user's chat: remembers the questions asked so far."""

    pipeline: Pipeline
    history: list[str] = field(default_factory=list)

    def ask(self, question: str) -> Reply:
        ans = self.pipeline.answer(question, self.history)
        self.history.append(ans.question)
        return ans

    def reset(self) -> None:
        self.history.clear()
