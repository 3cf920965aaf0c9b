"""Local stand-ins for where alerts go: a chat webhook and an SMTP server, on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class WebhookRecorder:
    """An HTTP server on 127.0.0.1 that answers 200 and keeps every request's path and JSON body."""

    def __init__(self):
        self.requests: list[tuple[str, dict]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorder.requests.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kinerja-secret-key"

    def texts(self) -> list[str]:
        return [body["text"] for _, body in self.requests]

    def wait_for(self, predicate, timeout: float) -> list[str]:
        """The texts once one satisfies `predicate`, or whatever came by the timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not any(predicate(t) for t in self.texts()):
            time.sleep(1)
        return self.texts()

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """An aiosmtpd handler keeping every message it accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted"
