#!/usr/bin/env bash
# A second, unrelated Korean corpus: the constitution and ten bills that ship inside the konlpy
# wheel on PyPI (hard-wrapped exports, tables, page numbers). Nothing is committed but the
# questions; the texts are fetched with pip and indexed in a temporary directory.
# Usage: bash bench/laws/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pip download -q --no-deps --dest "$work" konlpy==0.6.0
python - "$work" <<'PY'
import glob, os, sys, zipfile
work = sys.argv[1]
os.makedirs(f"{work}/corpus")
with zipfile.ZipFile(glob.glob(f"{work}/*.whl")[0]) as z:
    for name in z.namelist():
        if "/data/corpus/" in name and name.endswith(".txt"):
            open(f"{work}/corpus/{os.path.basename(name)}", "wb").write(z.read(name))
PY
cd "$here/../.."
start=$(date +%s)
RAG_CORPUS_DIR="$work/corpus" RAG_INDEX_DIR="$work/index" python -m rag index
echo "index build: $(( $(date +%s) - start )) s"
RAG_CORPUS_DIR="$work/corpus" RAG_INDEX_DIR="$work/index" python -m rag.eval "$here/questions.jsonl" --out "$work/results.jsonl" --no-progress
