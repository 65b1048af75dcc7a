import json

import numpy as np
import pytest

from rag.features import SELECT_FEATURES
from rag.scorer import Scorer
from rag.train import MIN_CALIBRATION, Example, Pool, _folds, by_choice, choose_thresholds, examples, train

QUESTIONS = [
    {"id": "a1", "question": "AI혁신펀드 규모는 얼마인가요?", "answerable": True, "answers": [["900억"]], "evidence": "900억원", "doc": "fund.txt"},
    {"id": "a2", "question": "창업기업 몇 개를 지원하나요?", "answerable": True, "answers": [["500개"]], "evidence": "창업기업 500개", "doc": "fund.txt"},
    {"id": "a3", "question": "보증 한도는 기업당 얼마인가요?", "answerable": True, "answers": [["30억"]], "evidence": "최대 30억원", "doc": "fund.txt"},
    {"id": "a4", "question": "How many new parks will the city open?", "answerable": True, "answers": [["12"]], "evidence": "12 new parks", "doc": "parks.md"},
    {"id": "a5", "question": "What is the parks budget?", "answerable": True, "answers": [["40 million"]], "evidence": "40 million dollars", "doc": "parks.md"},
    {"id": "a6", "question": "Who announced the plan?", "answerable": True, "answers": [["Kim Minsu"]], "evidence": "Mayor Kim Minsu", "doc": "parks.md"},
    {"id": "u1", "question": "펀드 신청 자격은 무엇인가요?", "answerable": False, "answers": [], "evidence": None, "doc": "fund.txt"},
    {"id": "u2", "question": "How many trees will be planted in the parks?", "answerable": False, "answers": [], "evidence": None, "doc": "parks.md"},
]


@pytest.fixture
def pool(tmp_path, tiny_corpus):
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return Pool(path, tiny_corpus, 1.0)


def test_training_on_a_fixture_is_deterministic(pool, tmp_path, fake_embedder):
    first, _ = train((pool,), index_root=tmp_path / "idx", embedder=fake_embedder)
    second, _ = train((pool,), index_root=tmp_path / "idx", embedder=fake_embedder)
    first.save(tmp_path / "one.json")
    second.save(tmp_path / "two.json")
    assert (tmp_path / "one.json").read_text() == (tmp_path / "two.json").read_text()


def test_trained_scorer_prefers_the_gold_sentences_and_records_its_data(pool, tmp_path, fake_embedder):
    scorer, _ = train((pool,), index_root=tmp_path / "idx", embedder=fake_embedder)
    assert scorer.select.features == SELECT_FEATURES and set(scorer.thresholds) == {"same", "cross", "english"}
    assert scorer.meta["examples"]["unanswerable"] == 2 and scorer.meta["examples"]["hard"] >= 1
    assert scorer.meta["trained_on"][0]["questions"] == "questions.jsonl"

    scorer.save(tmp_path / "m.json")
    rows = np.vstack([e.rows for e in examples(pool, tmp_path / "idx", embedder=fake_embedder)])
    assert np.allclose(Scorer.load(tmp_path / "m.json").probabilities(rows), scorer.probabilities(rows), atol=1e-6)
    assert [type(m).__name__ for m in scorer.select.members] == ["Linear", "Perceptron"]
    # what the fit learned on the labelled rows: gold sentences score higher than the others on average

    exs = [e for e in examples(pool, tmp_path / "idx", embedder=fake_embedder) if e.labels.any()]
    gold = np.mean([scorer.probabilities(e.rows)[e.labels == 1].mean() for e in exs])
    other = np.mean([scorer.probabilities(e.rows)[e.labels == 0].mean() for e in exs])
    assert gold > other


def test_missing_pool_files_are_a_clear_error(tmp_path, fake_embedder):
    with pytest.raises(FileNotFoundError, match="bench/corpora.py"):
        train((Pool(tmp_path / "nope.jsonl", tmp_path / "nocorpus"),), index_root=tmp_path, embedder=fake_embedder)


def _answerable(source: str, n: int, conf: float, collection: str = "") -> tuple[list[Example], list[float]]:
    exs = [Example(f"{source}{i}", source, f"doc{i}", "answerable", "same", np.zeros((1, 1)), np.ones(1), 1.0,
                   collection=collection) for i in range(n)]
    return exs, [conf + 0.01 * i for i in range(n)]


def test_thresholds_keep_the_false_abstain_target_on_every_collection():
    # one collection is confident throughout, the other (fewer questions) much less so: a threshold
    # set on both together would refuse far more than 5 % of the second
    many, many_conf = _answerable("korquad.jsonl", 200, 0.6)
    few, few_conf = _answerable("press.jsonl", 40, 0.1)
    exs, conf = many + few, np.array(many_conf + few_conf)
    thresholds, report = choose_thresholds(exs, conf, np.ones(len(exs)), 0.05)
    assert report["same"]["set_by"] == "press.jsonl"
    for source, rate in report["same"]["false_abstain_by_collection"].items():
        assert rate <= 5.0, source
    assert np.mean(np.array(few_conf) < thresholds["same"]) <= 0.05
    assert thresholds["cross"] == 0.5  # no English question over Korean text to calibrate on


def test_questions_files_about_one_corpus_are_calibrated_as_one_collection():
    many, many_conf = _answerable("korquad.jsonl", 200, 0.6, "korquad")
    # two files on one corpus, each too small to calibrate alone: together they set the threshold
    a, a_conf = _answerable("press_a.jsonl", MIN_CALIBRATION - 5, 0.1, "press")
    b, b_conf = _answerable("press_b.jsonl", MIN_CALIBRATION - 5, 0.1, "press")
    thresholds, report = choose_thresholds(many + a + b, np.array(many_conf + a_conf + b_conf), np.ones(220), 0.05)
    assert report["same"]["set_by"] == "press"
    assert thresholds["same"] < 0.6
    assert set(report["same"]["by_source"]) == {"korquad.jsonl", "press_a.jsonl", "press_b.jsonl"}


def test_a_collection_too_small_to_calibrate_does_not_set_the_threshold():
    many, many_conf = _answerable("korquad.jsonl", 200, 0.6)
    tiny, tiny_conf = _answerable("tiny.jsonl", MIN_CALIBRATION - 1, 0.1)
    thresholds, report = choose_thresholds(many + tiny, np.array(many_conf + tiny_conf), np.ones(214), 0.05)
    assert report["same"]["set_by"] == "korquad.jsonl"
    assert thresholds["same"] > 0.6


def test_another_dealing_of_the_documents_keeps_each_document_in_one_fold():
    exs = [Example(f"q{i}", "s.jsonl", f"doc{i % 12}", "answerable", "same", np.zeros((1, 1)), np.ones(1), 1.0)
           for i in range(48)]
    dealings = [_folds(exs, 4, seed) for seed in range(3)]
    for fold in dealings:
        by_doc = {}
        for e, f in zip(exs, fold):
            by_doc.setdefault(e.group, set()).add(f)
        assert all(len(v) == 1 for v in by_doc.values())
        assert sorted(set(fold)) == [0, 1, 2, 3]
    assert dealings[0] != dealings[1] and dealings[1] != dealings[2]


def test_pooled_dealings_count_questions_once():
    exs, conf = _answerable("press.jsonl", 40, 0.1)
    one, _ = choose_thresholds(exs, np.array(conf), np.ones(40), 0.05)
    pooled, report = choose_thresholds(exs * 3, np.array(conf * 3), np.ones(120), 0.05, repeats=3)
    assert report["same"]["answerable"] == 40
    assert pooled == one  # the same confidences three times over: the same quantile


def test_thresholds_are_set_by_the_language_pair_of_the_chosen_candidate():
    e = Example("q", "s.jsonl", "doc", "answerable", "cross", np.zeros((2, 1)), np.zeros(2), 1.0, "en", "c",
                ("cross", "english"))
    assert [x.threshold_group for x in by_choice([e, e], [np.array([0.2, 0.7]), np.array([0.9, 0.1])])] == ["english", "cross"]
    old = Example("q", "s.jsonl", "doc", "answerable", "same", np.zeros((2, 1)), np.zeros(2), 1.0)  # no groups: kept
    assert by_choice([old], [np.array([0.2, 0.7])])[0].threshold_group == "same"
