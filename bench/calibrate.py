"""Fit the answerer's weights and thresholds on the project's own question sets (never on the
judges'): a grid search that maximises correct answers + correct abstentions, reported per set.
The dev set is scored separately, for information, and does not take part in the fit.

Usage: python bench/calibrate.py
"""

from __future__ import annotations

import itertools
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag.align as AL  # noqa: E402
import rag.answer as A  # noqa: E402
from rag.chat import Pipeline  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.eval import local_answerer, metrics, read_questions, run  # noqa: E402

GRID = {
    "W_COVERAGE": [0.1, 0.15, 0.25],
    "W_SPECIFIC": [0.0, 0.03, 0.05, 0.08],
    "Z_PAIR": [2.6, 2.8, 3.0],
}
FIT_SETS = [ROOT / "bench" / f"questions_{name}.jsonl" for name in ("own", "blind_en", "blind_ko")]
OTHER = ROOT / "bench" / "other_corpus"
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


def correct(qs, results) -> int:
    m = metrics(qs, results)
    na = m["answerable"]
    nu = m["unanswerable"]
    return round(m["answer_acc"] * na / 100 + m["abstain_acc"] * nu / 100)


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    shutil.copytree(OTHER / "corpus", tmp / "corpus")
    main_p = Pipeline(Settings())
    other_p = Pipeline(Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index"))
    fit = [(main_p, read_questions(p), p.name) for p in FIT_SETS] + [(other_p, read_questions(OTHER / "questions.jsonl"), "other")]
    dev = read_questions(DEV) if DEV.exists() else []
    total = sum(len(qs) for _, qs, _ in fit)
    rows = []
    for values in itertools.product(*GRID.values()):
        for name, v in zip(GRID, values):
            setattr(AL if hasattr(AL, name) else A, name, v)
        per = [correct(qs, run(local_answerer(p), qs, progress=False)) for p, qs, _ in fit]
        d = correct(dev, run(local_answerer(main_p), dev, progress=False)) if dev else 0
        rows.append((sum(per), values, per, d))
    rows.sort(key=lambda r: -r[0])
    print(f"fit on {total} questions ({', '.join(n for _, _, n in fit)}); dev ({len(dev)}) reported, not fitted")
    print(" | ".join(GRID) + " | fit correct | per set | dev correct")
    for s, values, per, d in rows[:12]:
        print(" | ".join(str(v) for v in values) + f" | {s}/{total} | {per} | {d}/{len(dev)}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
