"""Concurrent users against a running app (loopback only): N gradio_client users ask questions
with known answers at the same time; reports errors, wrong answers and p50/p95 latency.

Usage: python app.py &  then  python bench/concurrency.py [--url http://127.0.0.1:7860/] [--users 20] [--rounds 3]
Bounded: users x rounds requests, each with a 60 s timeout.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

CASES = [
    ("AI혁신펀드는 얼마인가요?", "900억원"),
    ("How much is the AI innovation fund?", "900억원"),
    ("중기부는 2027년까지 중소기업 AI 활용률을 몇 퍼센트로 높이려 하나요?", "50%"),
    ("How many manufacturing AI specialist companies will be designated?", "100개"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:7860/")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("this benchmark only targets a server on loopback")
    from gradio_client import Client

    def user(i: int) -> list[tuple[float, bool, str]]:
        client = Client(args.url, verbose=False)
        out = []
        for r in range(args.rounds):
            question, expected = CASES[(i + r) % len(CASES)]
            t0 = time.perf_counter()
            try:
                res = client.predict(question, [], api_name="/ask")
                out.append((time.perf_counter() - t0, expected in res["answer"], ""))
            except Exception as exc:  # counted, reported
                out.append((time.perf_counter() - t0, False, repr(exc)))
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        results = [x for batch in pool.map(user, range(args.users)) for x in batch]
    wall = time.perf_counter() - t0
    lat = sorted(r[0] * 1000 for r in results)
    errors = [r[2] for r in results if r[2]]
    wrong = sum(1 for r in results if not r[1] and not r[2])
    print(f"{args.users} users x {args.rounds} questions = {len(results)} requests in {wall:.1f} s: "
          f"{len(errors)} errors, {wrong} wrong answers; latency p50 {statistics.median(lat):.0f} ms, "
          f"p95 {lat[max(0, int(len(lat) * 0.95) - 1)]:.0f} ms")
    for e in errors[:5]:
        print("error:", e)


if __name__ == "__main__":
    main()
