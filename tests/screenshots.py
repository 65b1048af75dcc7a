"""Refresh the README's screenshots in docs/ from a real app and Chromium (the tests never write there).

Usage: python -m tests.screenshots [--out docs]
Writes chat.png (an answer with its citation unfolded, then a question the documents do not answer),
portal.png (examples/portal.html with the widget), empty-question.png (the notice beside the input)
and widget-narrow.png (the widget at 380 px). Questions come from the corpus's examples.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rag.config import PROJECT_ROOT

from .live import ask_in_page, chromium, free_port, live_app, static_site

UNANSWERABLE = "How many people live on the Moon?"


def main() -> None:
    ap = argparse.ArgumentParser(description="refresh docs/*.png")
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    examples = json.loads((PROJECT_ROOT / "corpus" / "examples.json").read_text(encoding="utf-8"))
    ko = next(q for q in examples if any("\uac00" <= ch <= "\ud7a3" for ch in q))
    en = next(q for q in examples if q.isascii())
    with tempfile.TemporaryDirectory() as tmp, static_site(PROJECT_ROOT / "examples", free_port()) as portal:
        env = {"RAG_RATE_LIMIT": "", "RAG_FRAME_ANCESTORS": f"http://127.0.0.1:{portal}"}
        with live_app(Path(tmp), env, markup_doc=False) as app, chromium() as browser:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(app.url + "/")
            ask_in_page(page, ko)
            page.locator(".rag-cite summary").first.click()
            ask_in_page(page, UNANSWERABLE)
            page.screenshot(path=str(args.out / "chat.png"), full_page=True)
            page.locator("#new-chat").click()
            ask_in_page(page, en)
            ask_in_page(page, "   ")
            page.screenshot(path=str(args.out / "empty-question.png"))
            page.close()

            page = browser.new_page(viewport={"width": 380, "height": 560})
            page.goto(app.url + "/widget/")
            ask_in_page(page, ko)
            page.screenshot(path=str(args.out / "widget-narrow.png"))
            page.close()

            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{portal}/portal.html?server={app.url}")
            ask_in_page(page.frame_locator("#policy-qa"), en)
            page.screenshot(path=str(args.out / "portal.png"))
            page.close()
    for name in ("chat.png", "empty-question.png", "widget-narrow.png", "portal.png"):
        print(args.out / name)


if __name__ == "__main__":
    main()
