"""Feature ablations of the answerer, out of fold on the development pool (never on validation).

    python bench/corpora.py
    python bench/oof.py --cache bench/.corpora/cache                               # the committed features
    python bench/oof.py --cache bench/.corpora/cache --drop cov_clause cov_terms span_clause span_clause_missing
    python bench/oof.py --cache bench/.corpora/cache --train-also bench/sets/new.jsonl:press_dev:3

The candidate rows of every development question are computed once (`rag.train.cached_examples`,
memoised in `--cache`); the listed features (and their `_gap` columns) are then set to 0 (as good as
removed), and the selector and answerability model are fitted out of fold as `python -m rag.train`
fits them (folds by document), over `--seeds` dealings of the documents to folds. Prints, per collection (press releases
or KorQuAD, same language or English over Korean text), the share of answerable questions whose best
sentence is a gold one and the answerability AUC (answerable against unanswerable questions), and,
at the 5 % false-abstain target, the share of unanswerable questions refused.

`--train-also QUESTIONS:CORPUS:WEIGHT` adds a questions file to the training folds only (its
questions join their documents' folds and are never measured): what more training questions give,
measured on the same questions as without them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import train  # noqa: E402
from rag.features import FEATURES  # noqa: E402


def collection(e: train.Example) -> str:
    kind = "korquad" if e.collection.startswith("korquad") else "press"
    return kind + {"cross": "_en", "english": "_en_en"}.get(e.threshold_group, "")


def without(exs: list[train.Example], drop: list[str]) -> list[train.Example]:
    """The examples with the columns of `drop` (and their gaps) set to 0: a constant column gets no
    weight in a standardised logistic regression, as if it were dropped, and the columns keep the
    positions `features.FEATURES` gives them."""
    unknown = [f for f in drop if f not in FEATURES]
    if unknown:
        raise SystemExit(f"unknown features: {', '.join(unknown)}")
    gone = sorted({FEATURES.index(f) for f in drop} | {FEATURES.index(f"{f}_gap") for f in drop if f"{f}_gap" in FEATURES})
    out = []
    for e in exs:
        rows = e.rows.copy()
        rows[:, gone] = 0.0
        out.append(replace(e, rows=rows))
    return out


def extra_pool(spec: str, root: Path = train.CORPORA) -> train.Pool:
    """`questions.jsonl:corpus_name:weight` -> a Pool over root/corpus_name (bench/.corpora)."""
    try:
        path, corpus, weight = spec.rsplit(":", 2)
        pool = train.Pool(Path(path), root / corpus, float(weight))
    except ValueError:
        raise SystemExit(f"--train-also wants QUESTIONS:CORPUS:WEIGHT, got {spec!r}") from None
    for needed in (pool.questions, pool.corpus):
        if not needed.exists():
            raise SystemExit(f"--train-also: {needed} does not exist (corpora: `python bench/corpora.py`)")
    return pool


def measure(exs: list[train.Example], seeds: int, c: float = 0.5, measured: int | None = None) -> dict:
    """Out-of-fold figures of the first `measured` examples (all by default); the rest only train."""
    n = len(exs) if measured is None else measured
    right: dict[str, list[float]] = {}
    auc: dict[str, list[float]] = {}
    confs, corrects, chosen = [], [], []
    for seed in range(seeds):
        probs = train.oof_select(exs, 5, c, seed)
        rows, y, correct = train.question_rows(exs, probs)
        conf = train.oof_answerable(exs, rows, y, 5, c, seed)[:n]
        correct = correct[:n]
        confs.append(conf)
        corrects.append(correct)
        picked = train.by_choice(exs[:n], probs[:n])  # with the language pair of the chosen sentence
        chosen += picked
        for i, e in enumerate(picked):
            if e.kind == "answerable":
                right.setdefault(collection(e), []).append(correct[i])
        for name in sorted({collection(e) for e in picked}):
            sel = [i for i, e in enumerate(picked) if collection(e) == name and e.kind != "hard"]
            labels = [picked[i].kind == "answerable" for i in sel]
            if len(set(labels)) == 2:
                auc.setdefault(name, []).append(roc_auc_score(labels, conf[sel]))
    _, report = train.choose_thresholds(chosen, np.concatenate(confs), np.concatenate(corrects), 0.05, seeds)
    return {
        "right_sentence": {k: round(100 * float(np.mean(v)), 1) for k, v in sorted(right.items())},
        "answerability_auc": {k: round(float(np.mean(v)), 3) for k, v in sorted(auc.items())},
        "refused_at_5pct": {tg: report[tg]["abstain_unanswerable"] for tg in report},
        "false_abstain": {tg: report[tg]["false_abstain"] for tg in report},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drop", nargs="*", default=[], help="features to leave out (their gaps go too)")
    parser.add_argument("--seeds", type=int, default=3, help="dealings of the documents to folds")
    parser.add_argument("--cache", type=Path, default=None, help="keep the candidate rows here between runs")
    parser.add_argument("--train-also", nargs="*", default=[], metavar="QUESTIONS:CORPUS:WEIGHT",
                        help="questions files trained on but not measured")
    args = parser.parse_args(argv)
    extra = [extra_pool(spec) for spec in args.train_also]
    with threadpool_limits(1):
        exs = [e for pool in train.DEFAULT_POOLS
               for e in train.cached_examples(pool, train.CORPORA, None, None, args.cache)]
        more = [e for pool in extra for e in train.cached_examples(pool, train.CORPORA, None, None, args.cache)]
        result = measure(without(exs + more, args.drop), args.seeds, measured=len(exs))
    print(json.dumps({"dropped": args.drop, "trained_also": args.train_also, "seeds": args.seeds, **result}, indent=1))


if __name__ == "__main__":
    main()
