"""Benchmark (not a test): generated answers through an OpenAI-compatible endpoint, held to the guard.

A fake endpoint on 127.0.0.1 (tests/fake_openai.py) replays, for each question of a set:
  faithful   the extractive answer's own text, citing the passage it quotes by its number in the prompt;
  reworded   the same with its Korean amounts written in English (900억 -> 90 billion) and '27 as 2027:
             faithful, but in other words than the passage's (what the guard's normaliser is for);
  invented   the same with one figure changed to a number no cited passage holds (or one appended);
  bad-cite   the same citing a passage number that was not given;
  uncited    the same without any [n].
Acceptance (issue 9): faithful replies score answer_acc and citation_acc at least as the extractive answers do,
and the guard falls back to the extractive answer on every corrupted reply.

Usage: python bench/generator.py [QUESTIONS.jsonl]   (default: the dev set over the bundled corpus)
Prints a Markdown report; the README's figures come from it.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.chat import Pipeline  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.eval import format_metrics, metrics, read_questions, run  # noqa: E402
from rag.guard import quantities  # noqa: E402
from tests.fake_openai import FakeOpenAI, question_of  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
MODES = ("faithful", "reworded", "invented", "bad-cite", "uncited")
SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))


def faithful(d: dict) -> str | None:
    """The extractive answer as a generated reply: its [1] becomes the cited passage's number in the prompt."""
    if d["abstained"] or not d["citations"]:
        return None
    ids = [c["chunk_id"] for c in d["contexts"]]
    n = ids.index(d["citations"][0]["chunk_id"]) + 1
    return re.sub(r"\[1\]", f"[{n}]", d["answer"])


def invent(reply: str, passage: str) -> str:
    """`reply` with a figure that no reading of `passage` holds: its first number changed, or one appended."""
    held = quantities(passage)
    new = 7777
    while any(new in q.values for q in held):
        new += 1
    m = re.search(r"\d[\d,.]*", re.sub(r"\[\d+\]", "", reply))
    if m:
        return reply.replace(m.group(), str(new), 1)
    return re.sub(r"(\[\d+\])", rf"(total {new}) \1", reply, count=1)


def in_english(value: float) -> str:
    """90000000000 -> '90 billion'."""
    for scale, word in SCALES:
        if value >= scale:
            return f"{value / scale:.3f}".rstrip("0").rstrip(".") + f" {word}"
    return f"{value:g}"


def reword(reply: str) -> str:
    """Korean large-unit amounts in English words, two-digit years in full; markdown emphasis dropped."""
    out = reply.replace("**", "")
    for q in quantities(out):
        big = [v for v in q.values if v >= 10**4]
        if big and any(u in q.text for u in "만억조"):
            english = in_english(big[0])
            out = out.replace(q.text, english, 1).replace(f"{english} 원", f"{english} won").replace(f"{english}원", f"{english} won")
        elif q.text.startswith("'") and len(q.values) > 1:
            out = out.replace(q.text, str(int(max(q.values))), 1)
    return out


def corrupt(mode: str, reply: str, d: dict) -> str:
    if mode == "reworded":
        return reword(reply)
    if mode == "invented":
        return invent(reply, d["citations"][0]["text"])
    if mode == "bad-cite":
        return re.sub(r"\[\d+\]", f"[{len(d['contexts']) + 1}]", reply)
    if mode == "uncited":
        return re.sub(r"\s*\[\d+\]", "", reply)
    return reply


def main(argv: list[str]) -> int:
    questions = read_questions(Path(argv[0]) if argv else DEV)
    tmp = Path(tempfile.mkdtemp(prefix="bench-gen-"))
    try:
        shutil.copytree(ROOT / "corpus", tmp / "corpus")
        settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
        extractive = Pipeline(settings, generator=False)
        seen: dict[str, dict] = {}  # every turn asked (follow-ups' earlier turns too) -> its extractive answer

        def record(question: str, history: list) -> dict:
            d = extractive.answer(question, history).to_dict()
            seen[question.strip()] = d
            return d

        base_results = run(record, questions, progress=False)
        base = metrics(questions, base_results)
        rows = [("extractive", base, "")]
        mode = {"now": "faithful"}

        def reply(messages: list[dict]) -> str:
            d = seen[question_of(messages)]
            return corrupt(mode["now"], faithful(d) or "", d)

        with FakeOpenAI(reply) as server:
            gen_settings = settings.model_copy(update={"generator": "openai", "llm_base_url": server.url,
                                                       "llm_model": "fake", "llm_timeout": 10.0, "llm_retries": 0})
            generated = Pipeline(gen_settings, index=extractive.index, scorer=extractive.scorer)
            for m in MODES:
                mode["now"] = m
                results = run(lambda q, h: generated.answer(q, h).to_dict(), questions, progress=False)
                tried = [(r, seen[r["question"].strip()]) for r in results if not r["abstained"]]
                if m in ("faithful", "reworded"):
                    note = f"{sum(r['generated'] for r, _ in tried)} of {len(tried)} shown as generated"
                else:  # every corrupted reply withheld, the extractive answer shown instead
                    caught = sum(not r["generated"] and bool(r["guard"]) and r["answer"] == d["answer"] for r, d in tried)
                    note = f"guard fell back on {caught} of {len(tried)} corrupted replies"
                rows.append((m, metrics(questions, results), note))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"## Generated answers through a fake OpenAI-compatible endpoint ({len(questions)} questions)\n")
    print("| replies | answer_acc | citation_acc | abstain_acc | generated % | guard fallback % | p50 ms | note |")
    print("|---|---|---|---|---|---|---|---|")
    for name, m, note in rows:
        gen = f"{m['generated']:.1f}" if "generated" in m else "–"
        fb = f"{m['guard_fallback']:.1f}" if "guard_fallback" in m else "–"
        print(f"| {name} | {m['answer_acc']:.1f} | {m['citation_acc']:.1f} | {m['abstain_acc']:.1f} | {gen} | {fb} "
              f"| {m['p50_ms']:.0f} | {note} |")
    print()
    for name, m, _ in rows:
        print(f"- {name}: {format_metrics(m)}")
    faithful_m = rows[1][1]
    ok = faithful_m["answer_acc"] >= base["answer_acc"] and faithful_m["citation_acc"] >= base["citation_acc"]
    corrupted = [n for name, _, n in rows if name not in ("extractive", "faithful", "reworded")]
    caught_all = bool(corrupted) and all(n.split()[4] == n.split()[6] for n in corrupted)
    print(f"\nacceptance: faithful >= extractive: {ok}; every corrupted reply caught: {caught_all}")
    return 0 if ok and caught_all else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
