"""Web app: the citizens' chat at `/`, a compact widget for portals at `/widget`, and the JSON API
endpoint `ask` (also at `/widget`), all sharing one pipeline (index and model loaded once).

Run: `python app.py` (host/port from RAG_HOST / RAG_PORT; the index is built on first start).
"""

from __future__ import annotations

import json
from pathlib import Path

from rag.chat import Pipeline
from rag.config import get_settings
from rag.errors import RagError
from rag.render import answer_html, generation_note_html, partial_html, question_html

CSS = """
.rag-abstain { border-left: 4px solid #d97706; padding-left: 8px; }
.rag-answer { border-left: 4px solid #059669; padding-left: 8px; }
.rag-cites-title { font-size: 0.85em; margin-top: 6px; opacity: 0.8; }
.rag-cite summary { cursor: pointer; font-size: 0.85em; }
.rag-passage { font-size: 0.85em; padding: 4px 8px; }
.rag-passage mark { background: #fde68a; }
"""


def load_examples(corpus_dir: Path) -> list[str]:
    """Example questions shipped with a corpus (`examples.json`, a JSON list; not indexed)."""
    try:
        data = json.loads((Path(corpus_dir) / "examples.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [q for q in data if isinstance(q, str) and q.strip()][:8] if isinstance(data, list) else []


def chat_turns(pipeline: Pipeline, message: str, chat: list, asked: list[str]):
    """The chat's updates for one question: a generated answer's text as it streams, then the complete
    answer with its sources (and a discreet note when generated or withheld). Yields (box, chat, asked)."""
    user = {"role": "user", "content": question_html(message)}
    text = ""
    for part in pipeline.answer_stream(message, asked):
        if isinstance(part, str):
            text += part
            yield "", chat + [user, {"role": "assistant", "content": partial_html(text)}], asked
        else:
            final = answer_html(part) + generation_note_html(part)
            yield "", chat + [user, {"role": "assistant", "content": final}], asked + [part.question]


def build_ui(pipeline: Pipeline, *, compact: bool = False):
    import gradio as gr

    def ask(question: str, history: list[str] | None = None) -> dict:
        """Answer a question about the document. Returns answer, abstained and citations (source, chunk_id, text, score)."""
        try:
            return pipeline.answer(question, history or []).to_dict()
        except RagError as exc:
            raise gr.Error(str(exc)) from exc

    def respond(message: str, chat: list, asked: list[str]):
        try:
            yield from chat_turns(pipeline, message, chat, asked)
        except RagError as exc:
            raise gr.Error(str(exc)) from exc

    with gr.Blocks(title="Policy Q&A" if not compact else "Policy Q&A widget") as demo:
        if not compact:
            gr.Markdown("## 정책 문서 Q&A · Policy document Q&A\n문서에 근거해 답하고 출처를 보여 드립니다. "
                        "Answers come only from the document, with numbered sources.")
        asked = gr.State([])
        chatbot = gr.Chatbot(height=320 if compact else 520, show_label=False, sanitize_html=True, render_markdown=True)
        with gr.Row():
            box = gr.Textbox(placeholder="질문을 입력하세요 · Ask a question", show_label=False, scale=5,
                             max_length=pipeline.settings.max_question_chars, elem_id="question")
            send = gr.Button("Ask · 질문", variant="primary", scale=1, elem_id="ask")
        clear = gr.Button("New chat · 새 대화", size="sm", elem_id="new-chat")
        examples = load_examples(pipeline.settings.corpus_dir)
        if examples and not compact:
            gr.Examples(examples, inputs=box)
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, asked], [box, chatbot, asked], api_visibility="private")
        clear.click(lambda: ([], [], ""), None, [chatbot, asked, box], api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


def create_app(pipeline: Pipeline | None = None):
    """FastAPI app with the chat at / and the widget at /widget."""
    import gradio as gr
    from fastapi import FastAPI

    pipeline = pipeline or Pipeline()
    s = pipeline.settings
    server = FastAPI()
    for path, compact in (("/widget", True), ("/", False)):
        demo = build_ui(pipeline, compact=compact).queue(default_concurrency_limit=s.concurrency_limit, max_size=s.max_queue_size)
        server = gr.mount_gradio_app(server, demo, path=path, css=CSS)
    return server


def main() -> None:
    import uvicorn

    s = get_settings()
    print(f"loading the index for {s.corpus_dir} (built on first start) ...", flush=True)
    pipeline = Pipeline(s)
    if s.share:  # a public gradio.live link for the chat (needs internet; the widget path is local only)
        demo = build_ui(pipeline).queue(default_concurrency_limit=s.concurrency_limit, max_size=s.max_queue_size)
        demo.launch(server_name=s.host, server_port=s.port, share=True, css=CSS)
        return
    app = create_app(pipeline)
    print(f"chat: http://{s.host}:{s.port}/   widget: http://{s.host}:{s.port}/widget/", flush=True)
    uvicorn.run(app, host=s.host, port=s.port, log_level="warning")


if __name__ == "__main__":
    main()
