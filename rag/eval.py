"""Eval: run a questions JSONL through the pipeline, write the results contract, print metrics.

Usage: `python -m rag.eval QUESTIONS.jsonl --out RESULTS.jsonl` (same as `python -m rag eval`).
The results follow the contract of shared/README.md (one object per question, input order;
follow-ups are asked after their `history` turns in one conversation, only the last recorded).
`metrics()` computes the same figures as the reference scorer, so a run prints them directly.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path
from typing import Callable, Iterable

from .config import Settings
from .errors import BadQuestionsFile, OutputUnwritable, RagError, ServerUnavailable

MAX_ANSWER = 400
MAX_CITATIONS = 3


def read_questions(path: Path) -> list[dict]:
    """Parse and validate a questions JSONL; a clear BadQuestionsFile on any problem."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadQuestionsFile(f"cannot read questions file {path}: {exc}") from exc
    questions = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadQuestionsFile(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(q, dict) or not isinstance(q.get("question"), str):
            raise BadQuestionsFile(f"{path}:{n}: each line needs an object with a 'question' string")
        q.setdefault("id", f"q{n}")
        if not isinstance(q.get("history", []), list):
            raise BadQuestionsFile(f"{path}:{n}: 'history' must be a list of earlier questions")
        questions.append(q)
    if not questions:
        raise BadQuestionsFile(f"{path} has no questions")
    return questions


Answerer = Callable[[str, list], dict]  # (question, earlier questions) -> Answer.to_dict()


def local_answerer(pipeline) -> Answerer:
    return lambda question, history: pipeline.answer(question, history).to_dict()


def remote_answerer(url: str) -> Answerer:
    """Ask a running app through its `ask` API endpoint (see app.py)."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # connection refused, DNS, not a Gradio app: all mean "no app there"
        raise ServerUnavailable(f"cannot reach the app at {url}: {exc or type(exc).__name__}") from exc

    def ask(question: str, history: list) -> dict:
        try:
            return client.predict(question, history, api_name="/ask")
        except Exception as exc:  # the server's gr.Error arrives as a client exception
            raise RagError(str(exc)) from exc

    return ask


def run(answer: Answerer, questions: Iterable[dict], progress: bool = True) -> list[dict]:
    """Answer every question (its history turns first, in one conversation) into result records."""
    from tqdm import tqdm

    results = []
    for q in tqdm(list(questions), desc="answering", unit="q", disable=not progress):
        asked: list[str] = []
        try:
            for turn in q.get("history") or []:
                answer(turn, list(asked))
                asked.append(turn)
            t0 = time.perf_counter()
            d = answer(q["question"], asked)
            ms = (time.perf_counter() - t0) * 1000
            record = {"id": q["id"], "question": q["question"], **{k: d.get(k) for k in RECORD_KEYS}, "latency_ms": round(ms, 2)}
        except Exception as exc:  # recorded as an error (never as an abstention), not fatal to the run
            record = {"id": q["id"], "question": q["question"], "answer": "", "abstained": False,
                      "citations": [], "contexts": [], "error": f"{type(exc).__name__}: {exc}", "latency_ms": None}
        results.append(record)
    return results


RECORD_KEYS = ("answer", "abstained", "citations", "contexts", "support", "reason", "lang", "generated", "guard")


def check_writable(out: Path) -> None:
    """Fail before answering (not after a long run) when the results file cannot be written."""
    out = Path(out)
    if out.is_dir():
        raise OutputUnwritable(f"cannot write results to {out}: it is a directory")
    blocked = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise OutputUnwritable(f"cannot write results to {out}: {blocked} is a file, not a directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = out.with_name(out.name + ".tmp")
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise OutputUnwritable(f"cannot write results to {out}: {exc.strerror or exc}") from exc


def write_results(results: list[dict], out: Path) -> None:
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as fh:
            for r in results:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        tmp.replace(out)
    except OSError as exc:
        if tmp.is_file():
            tmp.unlink()
        raise OutputUnwritable(f"cannot write results to {out}: {exc.strerror or exc}") from exc


def match_key(text: str) -> str:
    """Text as the reference scorer compares it: NFKC, lower case, no spaces or commas."""
    return re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", text or "").lower())


def metrics(questions: list[dict], results: list[dict]) -> dict:
    """hit@k, mrr, citation/answer/abstain accuracy and latency, as the reference scorer counts them."""
    by_id = {r.get("id"): r for r in results}
    answerable = [q for q in questions if q.get("answerable", True)]
    unanswerable = [q for q in questions if not q.get("answerable", True)]
    hit = {1: 0, 3: 0, 5: 0}
    rr = cite = ans_ok = loose_ok = abst_ok = false_abst = 0.0
    for q in answerable:
        r = by_id.get(q["id"], {})
        ev = match_key(q.get("evidence") or "")
        ctx = [match_key(c.get("text", "")) for c in r.get("contexts", [])]
        for k in hit:
            hit[k] += any(ev in c for c in ctx[:k])
        rank = next((i + 1 for i, c in enumerate(ctx) if ev in c), None)
        rr += 1.0 / rank if rank else 0.0
        cites = [match_key(c.get("text", "")) for c in r.get("citations", [])]
        cite += len(cites) <= MAX_CITATIONS and any(ev in c for c in cites)
        abst = bool(r.get("abstained", True)) and not r.get("error")
        answer = match_key(r.get("answer", ""))
        loose = not abst and all(any(match_key(a) in answer for a in grp) for grp in q.get("answers", []))
        loose_ok += loose
        ans_ok += loose and len((r.get("answer") or "").strip()) <= MAX_ANSWER
        false_abst += abst
    for q in unanswerable:
        r = by_id.get(q["id"], {})
        abst_ok += bool(r.get("abstained")) and not r.get("error")
    lat = [r["latency_ms"] for r in results if isinstance(r.get("latency_ms"), (int, float))]
    pct = lambda a, b: 100.0 * a / b if b else 0.0  # noqa: E731
    na, nu = len(answerable), len(unanswerable)
    return {
        "answerable": na, "unanswerable": nu,
        "hit@1": pct(hit[1], na), "hit@3": pct(hit[3], na), "hit@5": pct(hit[5], na), "mrr": pct(rr, na),
        "citation_acc": pct(cite, na), "answer_acc": pct(ans_ok, na), "answer_loose": pct(loose_ok, na),
        "abstain_acc": pct(abst_ok, nu), "false_abstain": pct(false_abst, na),
        "overall": pct(ans_ok + abst_ok, na + nu),
        "errors": sum(1 for r in results if r.get("error")),
        "p50_ms": statistics.median(lat) if lat else None,
        "p95_ms": sorted(lat)[max(0, int(len(lat) * 0.95) - 1)] if lat else None,
        **generation_metrics(results),
    }


def generation_metrics(results: list[dict]) -> dict:
    """With a generator (RAG_GENERATOR / --generator): of the answers it was asked for, the share shown as
    generated, the share the guard withheld (the extractive answer shown instead), the number of times the
    model could not be reached, and the latency of generated answers. {} for extractive runs."""
    tried = [r for r in results if r.get("generated") or r.get("guard")]
    if not tried:
        return {}
    down = [r for r in tried if str(r.get("guard", "")).startswith("generator unavailable")]
    withheld = [r for r in tried if r.get("guard") and r not in down]
    lat = sorted(r["latency_ms"] for r in tried if r.get("generated") and isinstance(r.get("latency_ms"), (int, float)))
    return {
        "generated": 100.0 * sum(bool(r.get("generated")) for r in tried) / len(tried),
        "guard_fallback": 100.0 * len(withheld) / len(tried),
        "llm_unavailable": len(down),
        "gen_p50_ms": statistics.median(lat) if lat else None,
        "gen_p95_ms": lat[max(0, int(len(lat) * 0.95) - 1)] if lat else None,
    }


def format_metrics(m: dict) -> str:
    return " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items())


def evaluate(questions: Path, out: Path, *, corpus: Path | None = None, index: Path | None = None,
             server: str | None = None, progress: bool = True, generator: str | None = None) -> dict:
    """Answer a questions file (locally or through a running app's API), write the results, return the metrics."""
    qs = read_questions(questions)
    check_writable(out)
    if server:
        answerer = remote_answerer(server)
    else:
        from .chat import Pipeline  # loads the models: only when answering locally

        overrides = {"corpus_dir": corpus, "index_dir": index, "generator": generator}
        answerer = local_answerer(Pipeline(Settings(**{k: v for k, v in overrides.items() if v is not None})))
    results = run(answerer, qs, progress=progress)
    write_results(results, out)
    return {"written": len(results), **metrics(qs, results)}


def main(argv: list[str] | None = None) -> int:
    """`python -m rag.eval QUESTIONS --out RESULTS [--corpus DIR] [--index DIR] [--server URL]`"""
    parser = argparse.ArgumentParser(prog="python -m rag.eval", description="Answer every question of a JSONL file, "
                                     "write the results contract, print the metrics.")
    parser.add_argument("questions", type=Path)
    parser.add_argument("--out", "-o", type=Path, required=True)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--server", help="ask a running app's API instead, e.g. http://127.0.0.1:7860/")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    parser.add_argument("--generator", choices=("extractive", "transformers", "openai"),
                        help="answer with this generator (default RAG_GENERATOR; the model from RAG_LLM_MODEL, "
                        "RAG_LLM_BASE_URL); adds generated, guard_fallback, llm_unavailable and gen_p50/p95_ms")
    args = parser.parse_args(argv)
    if args.server and args.generator:
        parser.error("--generator applies to local answering; a running app uses its own RAG_GENERATOR")
    try:
        Settings()  # bad RAG_* variables are reported before any work
        m = evaluate(args.questions, args.out, corpus=args.corpus, index=args.index, server=args.server,
                     progress=args.progress, generator=args.generator)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    written = m.pop("written")
    print(f"wrote {written} results to {args.out}")
    print(format_metrics(m))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
