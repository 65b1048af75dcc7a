"""The README's set-up commands are the ones CI runs."""

import re

from rag.config import PROJECT_ROOT


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
