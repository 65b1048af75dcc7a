"""Materialise the evaluation corpora from ../shared/corpora (read-only there, never committed here).

    python bench/corpora.py            # writes bench/.corpora/{press_dev,press_val,press_dev_mixed,korquad_train,korquad_val}

- press releases: split by document into a development and a frozen validation pool
  (bench/sets/press_pools.json: within each source group, files in name order alternate dev/val);
- a mixed-language development corpus, press_dev_mixed: English translations of nine development
  releases (bench/sets/en_docs/, written for this project; questions in bench/sets/press_dev_en_docs_*.jsonl)
  beside the other development releases in Korean, so that English questions over English text in a
  corpus that also holds Korean text are trained and measured (the originals of the translations are
  left out: a question would otherwise have its answer in both languages);
- KorQuAD 1.0 dev: the 76 reserved articles are skipped entirely (never read past their title);
  the 64 free articles alternate train/val in title order; each article becomes one .txt file
  (its paragraphs separated by blank lines), and its questions become a questions JSONL in the
  shared schema (evidence = the answer with a few characters of its sentence around it).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "corpora"
OUT = HERE / ".corpora"
SETS = HERE / "sets"


def press_pools(out: Path = OUT) -> None:
    pools = json.loads((SETS / "press_pools.json").read_text(encoding="utf-8"))
    src = SHARED / "press_releases_dev"
    for pool in ("dev", "val"):
        d = out / f"press_{pool}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        for name in pools[pool]:
            shutil.copyfile(src / name, d / name)


EN_DOCS = SETS / "en_docs"
EN_SUFFIX = ".en.txt"


def press_mixed(out: Path = OUT) -> None:
    """press_dev_mixed: the English translations and the development releases not translated."""
    pools = json.loads((SETS / "press_pools.json").read_text(encoding="utf-8"))
    translated = {p.name[: -len(EN_SUFFIX)]: p for p in sorted(EN_DOCS.glob(f"*{EN_SUFFIX}"))}
    d = out / "press_dev_mixed"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    for name in pools["dev"]:
        if Path(name).stem not in translated:  # the original of a translation is left out
            shutil.copyfile(SHARED / "press_releases_dev" / name, d / name)
    for p in translated.values():
        shutil.copyfile(p, d / p.name)


def _safe_name(title: str) -> str:
    return re.sub(r"[^\w가-힣.-]+", "_", title).strip("_")[:60] or "article"


def korquad_split() -> dict[str, list[dict]]:
    data = json.loads((SHARED / "KorQuAD_v1.0_dev.json").read_text(encoding="utf-8"))["data"]
    reserved = {t.strip() for t in (SHARED / "KorQuAD_reserved_titles.txt").read_text(encoding="utf-8").splitlines() if t.strip()}
    free = sorted((a for a in data if a["title"] not in reserved), key=lambda a: a["title"])
    return {"train": free[0::2], "val": free[1::2]}


def _evidence(context: str, start: int, answer: str, pad: int = 6) -> str:
    """The answer with up to `pad` characters either side, not crossing a sentence end or a line."""
    left = context[max(0, start - pad) : start]
    left = re.split(r"[.?!\n]\s", left)[-1]
    right = context[start + len(answer) : start + len(answer) + pad]
    right = re.split(r"[.?!]\s|\n", right)[0]
    return (left + answer + right).strip()


def korquad(out: Path = OUT) -> None:
    for split, articles in korquad_split().items():
        d = out / f"korquad_{split}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        questions = []
        for a in articles:
            (d / f"{_safe_name(a['title'])}.txt").write_text(
                a["title"] + "\n\n" + "\n\n".join(p["context"] for p in a["paragraphs"]) + "\n", encoding="utf-8"
            )
            for p in a["paragraphs"]:
                for qa in p["qas"]:
                    ans = qa["answers"][0]
                    questions.append({
                        "id": f"kq-{qa['id']}",
                        "lang": "ko",
                        "question": qa["question"],
                        "answerable": True,
                        "answers": [[ans["text"]]],
                        "evidence": _evidence(p["context"], ans["answer_start"], ans["text"]),
                        "article": a["title"],
                    })
        with (out / f"korquad_{split}.jsonl").open("w", encoding="utf-8") as fh:
            for q in questions:
                fh.write(json.dumps(q, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    press_pools()
    press_mixed()
    korquad()
    for p in sorted(OUT.iterdir()):
        n = len(list(p.iterdir())) if p.is_dir() else sum(1 for _ in p.open(encoding="utf-8"))
        print(f"{p.relative_to(HERE.parent)}: {n} {'files' if p.is_dir() else 'questions'}")
