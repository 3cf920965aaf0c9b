"""A local stand-in for the social platforms: a threaded HTTP server on 127.0.0.1.

It answers with the documented payloads in tests/fixtures/platform_payloads/<platform>/
(each file names its documentation page in `_source`), and is scriptable per test:

    with FakePlatform() as server:
        server.on("/123/insights", fixture("meta", "page_insights"))
        server.on("/2/users", Reply(429, {...}, {"x-rate-limit-reset": "..."}), fixture("x", "users"))
        server.reject_token("expired-token", Reply(401, {...}))

A route answers its replies in order and repeats the last one; a later `on` for the same
path (and matching `when`) wins, which is how a test restates a value. Every request is
recorded (`server.requests`) so tests can count calls and check what was sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "platform_payloads"


def fixture(platform: str, name: str) -> Any:
    """A fixture payload without its `_source` note (a fresh copy each time)."""
    body = json.loads((FIXTURES / platform / f"{name}.json").read_text(encoding="utf-8"))
    if isinstance(body, dict):
        body.pop("_source", None)
    return body


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    method: str
    path: str
    replies: list[Reply]
    when: Callable[[dict[str, str]], bool] | None

    def matches(self, method: str, path: str, query: dict[str, str]) -> bool:
        """`path` ending in `*` matches every path that starts with the rest."""
        same = path.startswith(self.path[:-1]) if self.path.endswith("*") else path == self.path
        return method == self.method and same and (self.when is None or self.when(query))

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


class FakePlatform:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[Seen] = []
        self.token_replies: dict[str, Reply] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def on(self, path: str, *replies: Reply | Any, method: str = "GET", when=None) -> None:
        """Answer `path` with `replies` (a Reply, or a JSON body for a 200) in order."""
        scripted = [reply if isinstance(reply, Reply) else Reply(200, reply) for reply in replies]
        with self._lock:
            self.routes.append(Route(method, path, scripted, when))

    def reject_token(self, token: str, reply: Reply) -> None:
        """Every request carrying `token` gets `reply` (an expired or revoked token)."""
        self.token_replies[token] = reply

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict, body: Any) -> Reply:
        with self._lock:
            self.requests.append(Seen(method, path, query, headers, body))
            token = headers.get("authorization", "").removeprefix("Bearer ")
            if token in self.token_replies:
                return self.token_replies[token]
            for route in reversed(self.routes):
                if route.matches(method, path, query):
                    return route.next_reply()
        return Reply(404, {"error": f"no fake route for {method} {path}"})


def _handler_for(platform: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            headers = {key.lower(): value for key, value in self.headers.items()}
            reply = platform.answer(method, url.path, dict(parse_qsl(url.query)), headers, body)
            content = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(content)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args) -> None:  # keep test output clean
            pass

    return Handler


class FakeClock:
    """An injected clock whose sleep only moves time forward and records the wait."""

    def __init__(self, start: datetime):
        self.current = start
        self.waits: list[float] = []

    def __call__(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.current += timedelta(seconds=seconds)
