"""A small fake OpenAI-compatible server on 127.0.0.1 for tests and bench/generator.py: it implements
POST /v1/chat/completions (plain JSON and streamed server-sent events) and answers with whatever
`reply(messages)` returns, after `delay` seconds. No network beyond the loopback interface."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Reply = Callable[[list[dict]], str]


class FakeOpenAI:
    """`with FakeOpenAI(reply) as server:` ... `server.url` is the base URL (ends in /v1)."""

    def __init__(self, reply: Reply, *, delay: float = 0.0, status: int = 200, piece: int = 6,
                 pause: float = 0.0) -> None:
        self.reply = reply
        self.delay = delay  # before answering
        self.pause = pause  # between streamed chunks
        self.status = status
        self.piece = piece  # characters per streamed chunk
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "FakeOpenAI":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, stopped early)
                    pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(body)
                if fake.delay:
                    time.sleep(fake.delay)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self._send(404, b'{"error": {"message": "not found"}}')
                if fake.status != 200:
                    return self._send(fake.status, json.dumps({"error": {"message": "model overloaded"}}).encode())
                text = fake.reply(body.get("messages", []))
                model = body.get("model", "fake")
                if not body.get("stream"):
                    return self._send(200, json.dumps({
                        "id": "fake-1", "object": "chat.completion", "created": 0, "model": model,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }).encode())
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()

                def event(delta: dict, finish: str | None = None) -> None:
                    chunk = {"id": "fake-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()

                event({"role": "assistant", "content": ""})
                for i in range(0, len(text), fake.piece):
                    event({"content": text[i:i + fake.piece]})
                    time.sleep(fake.pause)
                event({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


def question_of(messages: list[dict]) -> str:
    """The question line of the user's message (the prompt of rag/generate.py ends with it)."""
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    return user.rsplit("Question:", 1)[-1].strip()
