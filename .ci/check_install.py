"""Check the default install as a new user's machine would: no GPU stack, no optional model packages.

Runs `pip install --dry-run --ignore-installed --report` on requirements.txt against plain PyPI
(PIP_FIND_LINKS unset, no pip config: no local wheel folder), then reads the report: the packages
pip would install must include no nvidia-*, cuda or triton package and none of the optional model
packages (torch, transformers, sentence-transformers live in requirements-models.txt).

Usage: `python .ci/check_install.py [-r requirements.txt] [--report r.json]` (an existing report is
only read, so the check itself can be tested offline). Exit 0 when clean, 1 when not, 2 when pip fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# a package whose name matches is a GPU runtime (torch's CUDA build pulls ~19 of them)
GPU = re.compile(r"^(nvidia-.*|.*cuda.*|triton.*|cupy.*)$")
OPTIONAL = {"torch", "transformers", "sentence-transformers"}  # requirements-models.txt


def planned(report: dict) -> list[str]:
    """Names of the packages a `pip install --report` would install, normalised (PEP 503)."""
    return sorted(re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower() for item in report.get("install", []))


def offenders(names: list[str]) -> list[str]:
    return [n for n in names if GPU.match(n) or n in OPTIONAL]


def dry_run(requirements: Path, report: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PIP_FIND_LINKS"}
    env["PIP_CONFIG_FILE"] = os.devnull
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
           "--report", str(report), "-r", str(requirements)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"check_install: pip could not resolve {requirements}: {tail}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--requirements", type=Path, default=Path(__file__).resolve().parent.parent / "requirements.txt")
    parser.add_argument("--report", type=Path, help="read this pip report instead of running pip")
    args = parser.parse_args(argv)
    if args.report and args.report.exists():
        report = json.loads(args.report.read_text(encoding="utf-8"))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.report or Path(tmp) / "report.json"
            dry_run(args.requirements, path)
            report = json.loads(path.read_text(encoding="utf-8"))
    names = planned(report)
    bad = offenders(names)
    if bad:
        print(f"check_install: {args.requirements.name} would install {len(bad)} GPU or optional model packages: "
              f"{', '.join(bad)}", file=sys.stderr)
        return 1
    print(f"check_install: {args.requirements.name} installs {len(names)} packages, no nvidia/cuda/triton, no torch")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
