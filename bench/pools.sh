#!/usr/bin/env bash
# Evaluate the answerer on every pool through `python -m rag.eval`, scored by the shared scorer
# (answers capped at 250 characters). The README's figures come from this script.
#
#   python bench/corpora.py && bash bench/pools.sh [OUT_DIR [PATTERN]]
#
# PATTERN (an extended regular expression) keeps the sets whose name it matches: two runs side by side,
#   OMP_NUM_THREADS=1 bash bench/pools.sh OUT '^(press_dev|korquad_train)' &
#   OMP_NUM_THREADS=1 bash bench/pools.sh OUT '^dev$|_val'
# (the development and the validation pool) finish sooner than one run: with two threads each, two
# processes' embedder threads contend for the 2 cores.
#
# dev pool: press_dev, press_dev_more, press_dev_nm, press_dev_nm2, press_dev_extra_en and press_dev_extra_ko
# (+ press_dev_en and press_dev_nm_en, English, not trained on), korquad_train (+ its English, unanswerable and
# near-miss sets) and press_dev_en_docs_a/b (English questions over English translations of development releases,
# in press_dev_mixed beside the other releases in Korean): trained and tuned on. press_dev_en2, press_dev_nm3 and korquad_train_en2: development
# questions not trained on (training on them changed nothing out of fold).
# validation pool (frozen, never tuned on): press_val, korquad_val (+ English and unanswerable), and
# briefing_val (48 new questions on the bundled briefing).
# regression: the bundled briefing's shared dev set.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/.results}
ONLY=${2:-.}
C=bench/.corpora
S=bench/sets
mkdir -p "$OUT"

run() {  # name questions corpus
  [[ "$1" =~ $ONLY ]] || return 0
  python -m rag.eval "$2" --out "$OUT/$1.jsonl" --corpus "$3" --index "$C/index_$(basename "$3")" --no-progress >/dev/null
  printf "%-22s %s\n" "$1" "$(python ../shared/eval/score.py "$2" "$OUT/$1.jsonl" --max-answer 250 | tail -1)"
}

echo "== regression: bundled briefing"
run dev ../shared/eval/dev.jsonl corpus
echo "== development pool"
run press_dev $S/press_dev.jsonl $C/press_dev
run press_dev_more $S/press_dev_more.jsonl $C/press_dev
run press_dev_en $S/press_dev_en.jsonl $C/press_dev
run press_dev_nm $S/press_dev_nm.jsonl $C/press_dev
run press_dev_extra_en $S/press_dev_extra_en.jsonl $C/press_dev
run press_dev_extra_ko $S/press_dev_extra_ko.jsonl $C/press_dev
run press_dev_nm_en $S/press_dev_nm_en.jsonl $C/press_dev
run press_dev_nm2 $S/press_dev_nm2.jsonl $C/press_dev
run press_dev_en2 $S/press_dev_en2.jsonl $C/press_dev
run press_dev_nm3 $S/press_dev_nm3.jsonl $C/press_dev
run press_dev_en_docs_a $S/press_dev_en_docs_a.jsonl $C/press_dev_mixed
run press_dev_en_docs_b $S/press_dev_en_docs_b.jsonl $C/press_dev_mixed
run korquad_train_ko $C/korquad_train.jsonl $C/korquad_train
run korquad_train_en $S/korquad_train_en.jsonl $C/korquad_train
run korquad_train_unans $S/korquad_train_unans.jsonl $C/korquad_train
run korquad_train_nm $S/korquad_train_nm.jsonl $C/korquad_train
run korquad_train_en2 $S/korquad_train_en2.jsonl $C/korquad_train
echo "== validation pool (frozen)"
run press_val $S/press_val.jsonl $C/press_val
run korquad_val_ko $C/korquad_val.jsonl $C/korquad_val
run korquad_val_en $S/korquad_val_en.jsonl $C/korquad_val
run korquad_val_unans $S/korquad_val_unans.jsonl $C/korquad_val
run briefing_val $S/briefing_val.jsonl corpus
