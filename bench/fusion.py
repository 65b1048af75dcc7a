"""Fusion weights of hybrid retrieval, measured on the development pool (never on validation).

    python bench/corpora.py
    python bench/fusion.py bench/sets/press_dev.jsonl press_dev \
        bench/.corpora/korquad_train.jsonl korquad_train bench/sets/korquad_train_en.jsonl korquad_train

For every answerable question the dense passage, sentence, BM25 and (English over Korean) alignment
scores are computed once; each weighting of the reciprocal-rank fusion (and, across languages, of
the hubness correction) is then scored by hit@1/hit@5/hit@10 of the evidence, per corpus and question
language (hit@10: the answerer reads the sentences of RAG_CANDIDATE_K = 10 passages). Prints equal
weights, the weights `rag.retrieve` uses, and the best weightings of a small grid.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.chat import Pipeline, is_follow_up  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.eval import match_key, read_questions  # noqa: E402
from rag.question import analyze  # noqa: E402
from rag.retrieve import CROSS_LANGUAGE, SAME_LANGUAGE, Fusion, bm25_scores, hub_similarities, rrf, scores  # noqa: E402
from rag.text import normalize  # noqa: E402

CORPORA = ROOT / "bench" / ".corpora"


def collect(pairs: list[tuple[Path, str]]) -> list[tuple]:
    """(set name, dense, sentence sims, sentence->passage, hub sims (passage, sentence, titled
    sentence), bm25, alignment or None, BM25 of the dictionary translations, gold mask) of every answerable question."""
    data = []
    for questions, corpus in pairs:
        pipe = Pipeline(settings=Settings(corpus_dir=CORPORA / corpus, index_dir=CORPORA / f"index_{corpus}"), scorer=False)
        index = pipe.index
        hubs = hub_similarities(index)
        passages = [match_key(c.text) for c in index.chunks]
        for q in read_questions(questions):
            if not q.get("answerable", True) or not q.get("evidence"):
                continue
            gold = np.array([match_key(q["evidence"]) in t for t in passages])
            if not gold.any():
                continue
            history = q.get("history") or []
            question = analyze(index, q["question"], history[-2:] if history and is_follow_up(q["question"]) else [])
            dense, _, bm25 = scores(index, question)
            aligned, glossed = None, np.zeros(len(index.chunks))
            if question.alignment is not None:
                glossed = bm25_scores(index, question.alignment.gloss_terms)
                aligned = np.array([question.alignment.coverage(index.chunk_vocab[i], normalize(f"{c.section} {c.text}").lower())
                                    for i, c in enumerate(index.chunks)])
            name = f"{questions.stem}{' (en over ko)' if aligned is not None else ''}"
            data.append((name, dense, index.sent_vecs @ question.vec, index.sent_chunk, hubs, bm25, aligned, glossed, gold))
    return data


def hits(data: list[tuple], same: Fusion, cross: Fusion, rrf_k: int = 60) -> dict[str, tuple[float, float, float, int]]:
    out: dict[str, list[list[bool]]] = {}
    for name, dense, sent_sims, sent_chunk, (hub_p, hub_s, _), bm25, aligned, glossed, gold in data:
        w = cross if aligned is not None else same
        d = dense - w.hubness * hub_p
        sentence = np.full(len(dense), -9.0)
        np.maximum.at(sentence, sent_chunk, sent_sims - w.hubness * hub_s)
        fused = rrf(d, w.dense, rrf_k) + rrf(sentence, w.sentence, rrf_k) + rrf(bm25, w.bm25, rrf_k, bm25 > 0)
        if aligned is not None:
            fused = fused + rrf(aligned, w.alignment, rrf_k) + rrf(glossed, w.gloss, rrf_k, glossed > 0)
        top = np.argsort(-fused, kind="stable")[:10]
        r = out.setdefault(name, [[], [], []])
        r[0].append(bool(gold[top[0]]))
        r[1].append(bool(gold[top[:5]].any()))
        r[2].append(bool(gold[top].any()))
    return {n: (100 * np.mean(a), 100 * np.mean(b), 100 * np.mean(c), len(a)) for n, (a, b, c) in out.items()}


def show(label: str, res: dict) -> None:
    print(f"| {label} | " + " | ".join(f"{h1:.1f} / {h5:.1f} / {h10:.1f}" for h1, h5, h10, _ in res.values()) + " |")


def main(argv: list[str]) -> None:
    pairs = [(Path(argv[i]), argv[i + 1]) for i in range(0, len(argv), 2)]
    data = collect(pairs)
    equal = hits(data, Fusion(), Fusion())
    print("| weights (dense, sentence, bm25, alignment, gloss, hubness) | "
          + " | ".join(f"{n} (n={v[3]}) hit@1 / 5 / 10" for n, v in equal.items()) + " |")
    print("|---|" + "---|" * len(equal))
    show("equal", equal)
    show(f"used: same {tuple(vars(SAME_LANGUAGE).values())}, cross {tuple(vars(CROSS_LANGUAGE).values())}",
         hits(data, SAME_LANGUAGE, CROSS_LANGUAGE))
    for h in (0.0, 0.25, 0.5, 1.0):
        show(f"cross with hubness {h}", hits(data, SAME_LANGUAGE, replace(CROSS_LANGUAGE, hubness=h)))
    for g in (0.0, 0.5, 0.75, 1.0, 1.5, 2.0):
        show(f"cross with gloss {g}", hits(data, SAME_LANGUAGE, replace(CROSS_LANGUAGE, gloss=g)))
    grid = [Fusion(d, s, b, a) for d in (0.5, 1) for s in (0.5, 1, 1.5, 2) for b in (0.5, 1, 1.5) for a in (0.5, 1, 2)]
    ranked = sorted(grid, key=lambda w: -sum(h1 + h5 for h1, h5, _, _ in hits(data, w, w).values()))
    for w in ranked[:5]:
        show(f"grid, both {tuple(vars(w).values())}", hits(data, w, w))


if __name__ == "__main__":
    main(sys.argv[1:])
