"""Web app: the citizens' chat at `/`, a compact widget for portals at `/widget/`, and the JSON API
endpoint `ask` (also under `/widget/`), all sharing one pipeline (index and model loaded once).

Run: `python app.py` (host/port from RAG_HOST / RAG_PORT, else GRADIO_SERVER_NAME / GRADIO_SERVER_PORT;
the index is built on first start). Start-up problems (bad settings, missing corpus, busy port) end
with one line and a non-zero exit code. Page strings and guards live in `rag/web.py`.
"""

import json
import logging
import socket
import sys
from pathlib import Path

from rag.chat import Pipeline
from rag.config import get_settings
from rag.errors import PortBusy, RagError
from rag.render import answer_html, generation_note_html, partial_html, question_html
from rag.web import (
    TEXT,
    Guard,
    RateLimiter,
    counter_js,
    inert_markdown,
    log_question,
    notice,
    notice_html,
    question_logger,
    refusal_kind,
)

log = logging.getLogger("rag.app")

CSS = """
.rag-abstain { border-left: 4px solid #d97706; padding-left: 8px; }
.rag-answer { border-left: 4px solid #059669; padding-left: 8px; }
.rag-cites-title { font-size: 0.85em; margin-top: 6px; opacity: 0.8; }
.rag-cite summary { cursor: pointer; font-size: 0.85em; }
.rag-passage { font-size: 0.85em; padding: 4px 8px; }
.rag-passage mark { background: #fde68a; }
.rag-notice { color: #9a3412; background: #fff7ed; border: 1px solid #fdba74; border-radius: 6px;
              padding: 4px 8px; font-size: 0.9em; }
#counter { font-size: 0.8em; opacity: 0.75; text-align: right; min-height: 1em; }
#notice:empty, #counter:empty { display: none; }
/* narrow screens and the portal iframe (360-400 px): the input takes the full width */
@media (max-width: 560px) {
  #input-row { flex-wrap: wrap !important; }
  #input-row > * { flex: 1 1 100% !important; min-width: 100% !important; }
  .gradio-container { padding: 4px !important; }
}
"""


def lang_head(lang: str) -> str:
    """Keeps `<html lang>` on the page language (Gradio's i18n would set it to the browser's locale)."""
    return ("<script>(() => { const h = document.documentElement, fix = () => { if (h.lang !== '%s') h.lang = '%s'; };"
            " new MutationObserver(fix).observe(h, {attributes: true, attributeFilter: ['lang']}); fix(); })();</script>"
            % (lang, lang))


def load_examples(corpus_dir: Path) -> list[str]:
    """Example questions shipped with a corpus (`examples.json`, a JSON list; not indexed)."""
    try:
        data = json.loads((Path(corpus_dir) / "examples.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [q for q in data if isinstance(q, str) and q.strip()][:8] if isinstance(data, list) else []


def chat_turns(pipeline: Pipeline, message: str, chat: list, asked: list[str], on_answer=None):
    """The chat's updates for one question: a generated answer's text as it streams, then the complete
    answer with its sources (and a discreet note when generated or withheld). Yields (box, chat, asked);
    `on_answer(answer)` is called with the final answer. Markdown in every message is made inert."""
    user = {"role": "user", "content": inert_markdown(question_html(message.strip()))}  # as typed, escaped
    text = ""
    for part in pipeline.answer_stream(message, asked):
        if isinstance(part, str):
            text += part
            yield "", chat + [user, {"role": "assistant", "content": inert_markdown(partial_html(text))}], asked
        else:
            if on_answer is not None:
                on_answer(part)
            final = inert_markdown(answer_html(part) + generation_note_html(part))
            yield "", chat + [user, {"role": "assistant", "content": final}], asked + [part.question]


def client_key(request) -> str:
    """The rate-limit key: the client's address (kept in memory only, never logged)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


def build_ui(pipeline: Pipeline, *, compact: bool = False, limiter: RateLimiter | None = None,
             qlog: logging.Logger | None = None):
    import gradio as gr

    s = pipeline.settings
    lang, limit = s.ui_lang, s.max_question_chars
    t = TEXT[lang]
    limiter = limiter or RateLimiter(s.rate_limit)

    def refused(exc: RagError, question: object) -> str:
        log.info("refused question: %s", refusal_kind(exc, question, limit))
        return notice(exc, question, limit, lang)

    def ask(question: str, history: list[str] | None = None, request: gr.Request = None) -> dict:
        """Answer a question about the documents. Returns answer, abstained, lang, support, generated, guard,
        citations and contexts (each: source file, chunk_id, offsets, title, source_name, date, url, text)."""
        try:
            limiter.admit(client_key(request))
            ans = pipeline.answer(question, history or [])
        except RagError as exc:
            refused(exc, question)
            raise gr.Error(str(exc), print_exception=False) from None
        log_question(qlog, ans.question, lang=ans.lang, abstained=ans.abstained)
        return ans.to_dict()

    def respond(message: str, chat: list, asked: list[str], request: gr.Request):
        """Streams the turn (generated text as it comes, then the answer with its sources)."""

        def logged(ans) -> None:
            log_question(qlog, ans.question, lang=ans.lang, abstained=ans.abstained)

        try:
            limiter.admit(client_key(request))
            turns = chat_turns(pipeline, message, chat, asked, on_answer=logged)
            first = next(turns)
        except RagError as exc:  # a notice beside the input; the question stays in the box, the chat stays
            yield gr.skip(), gr.skip(), gr.skip(), notice_html(refused(exc, message))
            return
        yield (*first, "")
        for update in turns:
            yield (*update, "")

    with gr.Blocks(title=t["title"]) as demo:
        if not compact:
            gr.Markdown(t["heading"])
        asked = gr.State([])
        chatbot = gr.Chatbot(height=320 if compact else 520, show_label=False, sanitize_html=True,
                             render_markdown=True, buttons=["copy"], elem_id="chat")
        with gr.Row(elem_id="input-row", equal_height=True):
            # no max_length: the browser would cut a pasted question silently; the counter and the
            # server-side check refuse it instead, and the text stays in the box to be shortened
            box = gr.Textbox(placeholder=t["placeholder"], show_label=False, scale=5, lines=1, max_lines=6,
                             elem_id="question", autofocus=not compact)
            send = gr.Button(t["ask"], variant="primary", scale=1, min_width=80, elem_id="ask")
        with gr.Row(elem_id="status-row"):
            note = gr.HTML("", elem_id="notice", padding=False, scale=4, min_width=200)
            counter = gr.HTML(t["left"].format(n=f"{limit:,}"), elem_id="counter", padding=False, scale=1,
                              min_width=120)
        clear = gr.Button(t["new_chat"], size="sm", elem_id="new-chat")
        examples = load_examples(s.corpus_dir)
        if examples and not compact:
            gr.Examples(examples, inputs=box)
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, asked], [box, chatbot, asked, note], api_visibility="private",
                    show_progress="minimal")
        # typing updates the remaining characters and drops an old notice, in the browser only
        box.change(None, box, [counter, note], js=counter_js(limit, lang), api_visibility="private", queue=False)
        # one clear action: "New chat" and the chat's own trash icon both drop the screen and the history
        clear.click(lambda: ([], [], "", ""), None, [chatbot, asked, box, note], api_visibility="private", queue=False)
        chatbot.clear(lambda: ([], ""), None, [asked, note], api_visibility="private", queue=False)
        gr.api(ask, api_name="ask")
    return demo


def create_app(pipeline: Pipeline | None = None):
    """FastAPI app with the chat at / and the widget at /widget/, wrapped in the web guard."""
    import gradio as gr
    from fastapi import FastAPI, Request
    from fastapi.responses import RedirectResponse

    pipeline = pipeline or Pipeline()
    s = pipeline.settings
    limiter, qlog = RateLimiter(s.rate_limit), question_logger(s)
    server = FastAPI()

    @server.api_route("/widget", methods=["GET", "HEAD"], include_in_schema=False)
    def widget_slash(request: Request):
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"widget/{query}", status_code=307)

    for path, compact in (("/widget", True), ("/", False)):
        demo = build_ui(pipeline, compact=compact, limiter=limiter, qlog=qlog)
        demo.queue(default_concurrency_limit=s.concurrency_limit, max_size=s.max_queue_size)
        server = gr.mount_gradio_app(server, demo, path=path, css=CSS, head=lang_head(s.ui_lang))
    server.add_middleware(Guard, settings=s)
    return server


def bind(host: str, port: int) -> socket.socket:
    """Take the port now (before loading and before printing any URL); PortBusy when it is taken."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # early connections wait for the app instead of being refused
    except OSError as exc:
        raise PortBusy(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                       "is another app running there? set RAG_PORT to a free port") from None
    return sock


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("rag").setLevel(logging.INFO)
    try:
        s = get_settings()  # a bad value is a BadSettings naming the variable
        sock = None if s.share else bind(s.host, s.port)
        print(f"loading the index for {s.corpus_dir} (built on first start) ...", flush=True)
        pipeline = Pipeline(s)
        if s.share:  # a public gradio.live link for the chat (needs internet; the widget path is local only)
            demo = build_ui(pipeline).queue(default_concurrency_limit=s.concurrency_limit, max_size=s.max_queue_size)
            demo.launch(server_name=s.host, server_port=s.port, share=True, css=CSS)
            return
        app = create_app(pipeline)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # an unreadable or unwritable path met while loading or building the index
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr, flush=True)
        sys.exit(1)
    import uvicorn

    print(f"chat: http://{s.host}:{s.port}/   widget: http://{s.host}:{s.port}/widget/", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
