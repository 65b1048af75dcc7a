"""Time from pressing Enter to the answer being visible in the chat, in Debian's Chromium (warm app).

Usage: python app.py &  then  python bench/browser_latency.py [--url http://127.0.0.1:7860/] [--n 5]
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:7860/")
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(args.url)
        times = []
        for i in range(args.n):
            box = page.locator("#question textarea")
            box.fill("AI혁신펀드는 얼마인가요?")
            t0 = time.perf_counter()
            box.press("Enter")
            page.locator(".rag-answer").nth(i).wait_for(timeout=30000)
            times.append(time.perf_counter() - t0)
        browser.close()
    print(f"enter -> answer visible over {args.n} questions: median {statistics.median(times):.2f} s, max {max(times):.2f} s")


if __name__ == "__main__":
    main()
