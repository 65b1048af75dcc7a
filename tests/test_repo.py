"""Repository invariants: the README's set-up commands are the ones CI runs; the evaluation's document
split holds for every question set and for what the answerer is trained on; no symlink is tracked."""

import json
import re
import shutil
import subprocess

import pytest

from rag.config import PROJECT_ROOT
from rag.train import DEFAULT_POOLS


def _commands() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_the_two_set_up_commands():
    run, test = _commands()[:2]
    assert run == "pip install -r requirements.txt && python app.py"
    assert test.endswith("python -m pytest") and "requirements-test.txt" in test


def test_ci_runs_the_readmes_test_command():
    test = _commands()[1]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()
    assert "-eq 5" in ci  # pytest's "no tests ran" fails CI


def test_press_question_sets_stay_on_their_side_of_the_document_split():
    """Development questions are about development releases only, validation questions about
    validation releases only (bench/sets/press_pools.json), and no release is on both sides."""
    sets = PROJECT_ROOT / "bench" / "sets"
    pools = json.loads((sets / "press_pools.json").read_text(encoding="utf-8"))
    assert pools["dev"] and pools["val"] and not set(pools["dev"]) & set(pools["val"])
    files = sorted(sets.glob("press_*.jsonl"))
    assert {"press_dev.jsonl", "press_val.jsonl"} <= {f.name for f in files}
    translated = {p.name: p.name.removesuffix(".en.txt") for p in (sets / "en_docs").glob("*.en.txt")}
    stems = {side: {name.rsplit(".", 1)[0]: name for name in pools[side]} for side in ("dev", "val")}
    # the English translations (bench/sets/en_docs) are of development releases only
    assert translated and set(translated.values()) <= set(stems["dev"])
    for path in files:
        side = "val" if path.name.startswith("press_val") else "dev"
        docs = {json.loads(line)["doc"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
        originals = {stems["dev"].get(translated[d]) if d in translated else d for d in docs}
        assert docs and originals <= set(pools[side]), (path.name, sorted(originals - set(pools[side])))


def test_the_answerer_trains_on_development_questions_only():
    assert DEFAULT_POOLS
    for pool in DEFAULT_POOLS:
        assert pool.corpus.name in ("press_dev", "press_dev_mixed", "korquad_train"), pool
        assert "val" not in pool.questions.name, pool


def test_no_symlink_is_tracked():
    """A tracked symlink (a worktree's link to the ignored bench/.corpora) is checked out over the
    directory it names and replaces it, local corpora and indexes included."""
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-s"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    assert [line.split("\t", 1)[1] for line in listed.splitlines() if line.startswith("120000")] == []
