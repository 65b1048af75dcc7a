import json
import subprocess
import sys

import pytest

from rag.errors import BadQuestionsFile
from rag.eval import local_answerer, metrics, read_questions, run, write_results

from .conftest import SCORER

QUESTIONS = [
    {"id": "a", "question": "AI혁신펀드 규모는 얼마인가요?", "answerable": True, "answers": [["900억"]], "evidence": "총 900억원"},
    {"id": "b", "question": "How many new parks will the city open?", "answerable": True, "answers": [["12"]], "evidence": "12 new parks"},
    {"id": "c", "question": "And what is the budget?", "answerable": True, "answers": [["40 million"]],
     "evidence": "40 million dollars", "history": ["How many new parks will the city open?"]},
    {"id": "d", "question": "달 탐사선은 언제 발사되나요?", "answerable": False, "answers": [], "evidence": None},
]


@pytest.fixture
def tiny_index(tiny_e5_index):
    """The tiny corpus embedded by the real model: which questions the trained answerer answers depends
    on E5's similarities, which the fake embedder's do not resemble."""
    return tiny_e5_index


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_run_writes_the_results_contract(tiny_pipeline, tmp_path):
    results = run(local_answerer(tiny_pipeline), QUESTIONS, progress=False)
    assert [r["id"] for r in results] == ["a", "b", "c", "d"]
    for r in results:
        assert {"id", "question", "answer", "abstained", "citations", "contexts", "latency_ms"} <= set(r)
        assert all({"source", "chunk_id", "text", "score", "start", "end", "title", "date", "url"} <= set(c)
                   for c in r["contexts"] + r["citations"])
        assert len(r["contexts"]) >= min(5, len(tiny_pipeline.index.chunks))
    m = metrics(QUESTIONS, results)
    assert m["hit@3"] == 100.0 and m["errors"] == 0  # answer quality is tested with the real model (integration)


@pytest.mark.skipif(not SCORER.exists(), reason="reference scorer not present")
def test_metrics_agree_with_the_reference_scorer(tiny_pipeline, tmp_path):
    results = run(local_answerer(tiny_pipeline), QUESTIONS, progress=False)
    # fixed answers, so that the comparison does not depend on the model
    for r, (answer, abstained) in zip(results, [("x" * 500, False), ("12 new parks", False),
                                               ("40 million dollars", False), ("", True)]):
        r["answer"], r["abstained"] = answer, abstained
    results[0]["answer"] = "900억원 " + "x" * 500  # an over-long answer must count as wrong in both
    qpath, rpath = _write(tmp_path / "q.jsonl", QUESTIONS), tmp_path / "r.jsonl"
    write_results(results, rpath)
    ref = json.loads(subprocess.run([sys.executable, str(SCORER), str(qpath), str(rpath), "--json"],
                                    capture_output=True, text=True, check=True).stdout)
    ours = metrics(QUESTIONS, results)
    assert ours.pop("errors") == 0
    assert ref == pytest.approx(ours)
    assert ours["answer_acc"] == pytest.approx(200 / 3)  # 2 of 3 answerable


@pytest.mark.parametrize(
    "content,message",
    [("", "no questions"), ("{not json\n", "not valid JSON"), ('["a list"]\n', "'question' string"),
     ('{"question": "q", "history": "x"}\n', "'history' must be a list")],
)
def test_bad_questions_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "q.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadQuestionsFile, match=message):
        read_questions(path)


def test_unreadable_questions_file(tmp_path):
    with pytest.raises(BadQuestionsFile, match="cannot read"):
        read_questions(tmp_path / "missing.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(BadQuestionsFile, match="cannot read"):
        read_questions(tmp_path / "bin.jsonl")


def test_a_bad_question_is_recorded_not_fatal(tiny_pipeline):
    results = run(local_answerer(tiny_pipeline), [{"id": "e", "question": ""}, QUESTIONS[0]], progress=False)
    # an error is an error, never a (correct) abstention
    assert not results[0]["abstained"] and "empty" in results[0]["error"]
    m = metrics([{"id": results[0]["id"], "question": "", "answerable": False}], results[:1])
    assert m["abstain_acc"] == 0.0 and m["errors"] == 1
    assert results[1]["id"] == "a" and "error" not in results[1] and results[1]["contexts"]


def test_an_unwritable_out_is_found_before_answering(tmp_path):
    from rag.errors import OutputUnwritable
    from rag.eval import check_writable

    (tmp_path / "file").write_text("keep", encoding="utf-8")
    for out, message in [(tmp_path, "it is a directory"), (tmp_path / "file" / "r.jsonl", "is a file, not a directory")]:
        with pytest.raises(OutputUnwritable, match=message):
            check_writable(out)
    check_writable(tmp_path / "new" / "r.jsonl")
    assert list((tmp_path / "new").iterdir()) == [] and (tmp_path / "file").read_text() == "keep"
    with pytest.raises(OutputUnwritable, match="cannot write results"):
        write_results([{"id": "a"}], tmp_path / "file" / "r.jsonl")


def test_a_server_that_is_down_is_a_clear_error():
    import socket

    from rag.errors import ServerUnavailable
    from rag.eval import remote_answerer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServerUnavailable, match=f"cannot reach the app at http://127.0.0.1:{port}/"):
        remote_answerer(f"http://127.0.0.1:{port}/")


def test_generation_metrics_count_generated_withheld_and_unavailable():
    from rag.eval import generation_metrics

    records = [
        {"generated": True, "guard": "", "latency_ms": 100.0},
        {"generated": True, "guard": "", "latency_ms": 300.0},
        {"generated": False, "guard": "'7777' is not in the cited passages", "latency_ms": 50.0},
        {"generated": False, "guard": "generator unavailable: the server cannot be reached", "latency_ms": 5.0},
        {"generated": False, "guard": "", "abstained": True, "latency_ms": 5.0},  # abstained: never generated
    ]
    m = generation_metrics(records)
    assert m["generated"] == 50.0 and m["guard_fallback"] == 25.0 and m["llm_unavailable"] == 1
    assert m["gen_p50_ms"] == 200.0
    assert generation_metrics([{"generated": False, "guard": ""}]) == {}  # extractive runs print what they did


def test_a_generator_run_records_generated_and_guard(tiny_pipeline):
    from rag.chat import Pipeline

    class Echo:  # cites passage 1 with no figure: passes the guard whatever passage 1 is
        name = "echo"

        def stream(self, messages):
            yield "See the first passage [1]."

    questions = QUESTIONS + [{"id": "e", "question": "What is the parks budget?", "answerable": True,
                              "answers": [["40 million"]], "evidence": "40 million dollars"}]
    pipe = Pipeline(settings=tiny_pipeline.settings, index=tiny_pipeline.index, generator=Echo())
    results = run(local_answerer(pipe), questions, progress=False)
    by_id = {r["id"]: r for r in results}
    assert all("generated" in r and "guard" in r for r in results)
    assert by_id["e"]["generated"] and by_id["e"]["answer"] == "See the first passage [1]."
    assert by_id["d"]["abstained"] and not by_id["d"]["generated"]  # abstained: no generation
    m = metrics(questions, results)
    assert m["generated"] == 100.0 and m["guard_fallback"] == 0.0 and m["llm_unavailable"] == 0
