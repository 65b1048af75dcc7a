import importlib.util

import numpy as np
import pytest

from rag.config import PROJECT_ROOT
from rag.features import FEATURES
from rag.train import Example

spec = importlib.util.spec_from_file_location("bench_oof", PROJECT_ROOT / "bench" / "oof.py")
oof = importlib.util.module_from_spec(spec)
spec.loader.exec_module(oof)


def example(collection: str, group: str = "same") -> Example:
    rows = np.arange(2 * len(FEATURES), dtype=float).reshape(2, len(FEATURES))
    return Example("q", "set.jsonl", "doc", "answerable", group, rows, np.array([1.0, 0.0]), 1.0, "ko", collection)


def test_without_zeroes_a_feature_and_its_gap_and_keeps_the_others_in_place():
    original = example("press_dev")
    (e,) = oof.without([original], ["cov_clause"])
    assert e.rows.shape == original.rows.shape
    gone = [FEATURES.index("cov_clause"), FEATURES.index("cov_clause_gap")]
    assert not e.rows[:, gone].any()
    kept = [i for i in range(len(FEATURES)) if i not in gone]
    assert np.array_equal(e.rows[:, kept], original.rows[:, kept])
    assert original.rows[:, gone].any()  # the caller's rows are not changed


def test_without_refuses_an_unknown_feature():
    with pytest.raises(SystemExit, match="unknown features: nope"):
        oof.without([example("press_dev")], ["nope"])


def test_collection_names_the_corpus_kind_and_language_pair():
    assert oof.collection(example("korquad_train", "cross")) == "korquad_en"
    assert oof.collection(example("press_dev")) == "press"
    assert oof.collection(example("press_dev_mixed", "english")) == "press_en_en"  # English over English text


def test_extra_pool_reads_questions_corpus_and_weight(tmp_path):
    (tmp_path / "press_dev").mkdir()
    questions = tmp_path / "x.jsonl"
    questions.write_text("", encoding="utf-8")
    pool = oof.extra_pool(f"{questions}:press_dev:2.5", tmp_path)
    assert pool.questions == questions and pool.corpus == tmp_path / "press_dev" and pool.weight == 2.5
    with pytest.raises(SystemExit, match="QUESTIONS:CORPUS:WEIGHT"):
        oof.extra_pool(str(questions), tmp_path)
    with pytest.raises(SystemExit, match="does not exist"):
        oof.extra_pool(f"{questions}:korquad_train:1", tmp_path)


def test_measure_reports_only_the_measured_examples():
    rng = np.random.default_rng(0)

    def ex(i: int, collection: str, kind: str) -> Example:
        rows = rng.normal(size=(3, len(FEATURES)))
        labels = np.array([1.0, 0.0, 0.0]) if kind == "answerable" else np.zeros(3)
        return Example(f"q{i}", "set.jsonl", f"doc{i % 10}", kind, "same", rows, labels, 1.0, "ko", collection)

    measured = [ex(i, "press_dev", "answerable" if i % 3 else "unanswerable") for i in range(40)]
    extra = [ex(i, "korquad_train", "answerable" if i % 3 else "unanswerable") for i in range(40)]
    result = oof.measure(measured + extra, seeds=1, measured=len(measured))
    assert set(result["right_sentence"]) == {"press"}
    assert set(result["answerability_auc"]) == {"press"}
    everything = oof.measure(measured + extra, seeds=1)
    assert set(everything["right_sentence"]) == {"press", "korquad"}
