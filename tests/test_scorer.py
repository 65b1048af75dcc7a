"""rag/scorer.py: the learned models, their file, and the answerability row."""

import json

import numpy as np
import pytest

from rag.features import ANSWERABILITY_ONLY, FEATURES, SELECT_FEATURES
from rag.scorer import QUESTION_FEATURES, Mean, Perceptron, Scorer, question_row

from .conftest import linear_on, toy_scorer


def test_select_probabilities_are_monotone_in_a_positive_feature():
    rows = np.zeros((3, len(FEATURES)))
    rows[:, FEATURES.index("sim")] = [0.2, 0.5, 0.9]
    p = toy_scorer().probabilities(rows)
    assert np.all(np.diff(p) > 0) and np.all((0 < p) & (p < 1))


def test_the_selector_does_not_read_the_answerability_only_features():
    rows = np.random.default_rng(1).random((3, len(FEATURES)))
    answerable = linear_on(QUESTION_FEATURES, "cov_local", 5.0)
    s = Scorer(linear_on(SELECT_FEATURES, "sim", 5.0), answerable, {"same": 0.5, "cross": 0.3})
    changed = rows.copy()
    changed[:, [FEATURES.index(f) for f in ANSWERABILITY_ONLY]] += 1.0
    assert "cov_local" in FEATURES and "cov_local" not in SELECT_FEATURES
    assert np.array_equal(s.probabilities(rows), s.probabilities(changed))
    p = s.probabilities(rows)
    assert s.confidence(changed, p) > s.confidence(rows, p)


def test_question_row_is_the_best_row_plus_how_clearly_it_won():
    rows = np.arange(2 * len(FEATURES), dtype=float).reshape(2, -1)
    q = question_row(rows, np.array([0.2, 0.8]))
    assert len(q) == len(QUESTION_FEATURES)
    assert np.array_equal(q[: len(FEATURES)], rows[1])
    assert q[len(FEATURES):len(FEATURES) + 3].tolist() == pytest.approx([0.8, 0.6, 0.1])


def test_question_row_keeps_name_constraints_checked_verbatim_apart():
    rows = np.zeros((1, len(FEATURES)))
    rows[0, FEATURES.index("name_missing")] = 1.0
    verbatim = QUESTION_FEATURES.index("name_missing_verbatim")
    assert question_row(rows, np.array([0.9]))[verbatim] == 1.0
    rows[0, FEATURES.index("cross_language")] = 1.0  # checked through the alignment: not verbatim
    q = question_row(rows, np.array([0.9]))
    assert q[verbatim] == 0.0 and q[FEATURES.index("name_missing")] == 1.0


def test_scorer_save_load_round_trip(tmp_path):
    s = toy_scorer()
    s.save(tmp_path / "m.json")
    back = Scorer.load(tmp_path / "m.json")
    rows = np.random.default_rng(0).random((4, len(FEATURES)))
    assert np.allclose(back.probabilities(rows), s.probabilities(rows))
    p = s.probabilities(rows)
    assert back.confidence(rows, p) == pytest.approx(s.confidence(rows, p))
    assert back.thresholds == s.thresholds


def _perceptron(names, seed=0, units=4):
    rng = np.random.default_rng(seed)
    n = len(names)
    return Perceptron(names, rng.random(n), 1 + rng.random(n), rng.normal(size=(n, units)), rng.normal(size=units),
                      rng.normal(size=units), -0.5)


def test_perceptron_probabilities_are_a_relu_layer_then_a_logistic_output():
    p = Perceptron(("a", "b"), np.array([1.0, 0.0]), np.array([2.0, 1.0]),
                   np.array([[1.0, -1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([2.0, 3.0]), -1.0)
    rows = np.array([[3.0, 1.0], [1.0, 0.0]])
    # row 1: standardised (1, 1) -> hidden (2, -1) -> relu (2, 0) -> 2*2 - 1 = 3; row 2: (0, 0) -> (0, 0) -> -1
    assert p.probabilities(rows) == pytest.approx(1 / (1 + np.exp(-np.array([3.0, -1.0]))))
    assert p.probabilities(np.zeros((0, 2))).shape == (0,)


def test_a_perceptron_matches_the_sklearn_model_it_was_read_from():
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 2, 200)
    model = MLPClassifier(hidden_layer_sizes=(6,), max_iter=800, random_state=0).fit(X, y)
    (hidden, out), (hidden_bias, out_bias) = model.coefs_, model.intercepts_
    p = Perceptron(tuple("abcde"), np.zeros(5), np.ones(5), hidden, hidden_bias, out[:, 0], float(out_bias[0]))
    assert np.allclose(p.probabilities(X), model.predict_proba(X)[:, 1])


def test_a_mean_selector_averages_its_members_and_round_trips(tmp_path):
    lin, mlp = linear_on(SELECT_FEATURES, "sim", 5.0), _perceptron(SELECT_FEATURES)
    s = Scorer(Mean((lin, mlp)), linear_on(QUESTION_FEATURES, "p_best", 5.0), {"same": 0.5, "cross": 0.3})
    rows = np.random.default_rng(0).random((4, len(FEATURES)))
    cols = rows[:, [FEATURES.index(f) for f in SELECT_FEATURES]]
    assert np.allclose(s.probabilities(rows), (lin.probabilities(cols) + mlp.probabilities(cols)) / 2)
    s.save(tmp_path / "m.json")
    back = Scorer.load(tmp_path / "m.json")
    assert isinstance(back.select, Mean) and np.allclose(back.probabilities(rows), s.probabilities(rows))


def test_scorer_refuses_a_file_of_an_earlier_format(tmp_path):
    d = toy_scorer().to_dict()
    d["format"] = "rag-answerer v2"
    (tmp_path / "m.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match="another version.*rag.train"):
        Scorer.load(tmp_path / "m.json")


def test_scorer_refuses_a_file_for_other_features(tmp_path):
    d = toy_scorer().to_dict()
    d["select"]["features"] = d["select"]["features"][:-1]
    (tmp_path / "m.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match="rag.train"):
        Scorer.load(tmp_path / "m.json")
