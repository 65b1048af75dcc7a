"""Benchmarks (not tests): index build time, warm answer latency, cold `rag ask`, and the
retrieval comparison dense vs BM25 vs hybrid (hit@1/3/5) on question sets.

Usage: python bench/bench.py [QUESTIONS.jsonl ...]   (default: the dev set and bench/questions_own.jsonl)
Prints a Markdown report; figures in the README come from it.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.chat import Pipeline  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.eval import match_key, read_questions  # noqa: E402
from rag.index import ensure  # noqa: E402
from rag.question import analyze  # noqa: E402
from rag.retrieve import search  # noqa: E402

DEFAULT_SETS = [ROOT.parent / "shared" / "eval" / "dev.jsonl"] + [ROOT / "bench" / f"questions_{n}.jsonl" for n in ("own", "blind_en", "blind_ko")]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * len(values) + 0.5)) - 1))]


def main(paths: list[Path]) -> None:
    paths = [p for p in paths if p.exists()]
    tmp = Path(tempfile.mkdtemp())
    try:
        shutil.copytree(ROOT / "corpus", tmp / "corpus")
        settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
        t0 = time.perf_counter()
        ensure(settings, progress=False)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ensure(settings, progress=False)
        load_s = time.perf_counter() - t0

        pipeline = Pipeline(settings)
        pipeline.answer("warm-up question")
        print("## Benchmarks\n")
        print(f"- index build (empty cache, bundled model): {build_s:.1f} s; load of a fresh index: {load_s:.2f} s")

        for path in paths:
            qs = read_questions(path)
            lat = []
            for q in qs:
                t0 = time.perf_counter()
                pipeline.answer(q["question"], q.get("history"))
                lat.append((time.perf_counter() - t0) * 1000)
            print(f"- warm answer latency over {path.name} ({len(qs)} q): p50 {statistics.median(lat):.0f} ms, "
                  f"p95 {pct(lat, 0.95):.0f} ms")

        cold = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "rag", "ask", "AI혁신펀드는 얼마인가요?", "--corpus", str(settings.corpus_dir),
                            "--index", str(settings.index_dir)], check=True, capture_output=True, cwd=ROOT)
            cold.append(time.perf_counter() - t0)
        print(f"- cold `rag ask` with a built index (new process, 3 runs): median {statistics.median(cold):.1f} s")

        print("\n### Retrieval: hit@k of the evidence in the top-k passages\n")
        print("| set | mode | hit@1 | hit@3 | hit@5 |\n|---|---|---|---|---|")
        for path in paths:
            qs = [q for q in read_questions(path) if q.get("answerable", True) and q.get("evidence")]
            for mode in ("dense", "bm25", "hybrid"):
                hits = {1: 0, 3: 0, 5: 0}
                for q in qs:
                    query = analyze(pipeline.index, q["question"], q.get("history") or [])
                    ranked = [match_key(h.chunk.text) for h in search(pipeline.index, query, k=5, mode=mode)]
                    ev = match_key(q["evidence"])
                    for k in hits:
                        hits[k] += any(ev in t for t in ranked[:k])
                row = " | ".join(f"{100 * hits[k] / len(qs):.0f}%" for k in (1, 3, 5))
                print(f"| {path.name} ({len(qs)}) | {mode} | {row} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or DEFAULT_SETS)
