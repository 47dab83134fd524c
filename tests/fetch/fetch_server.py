"""A real HTTP server on 127.0.0.1 that serves feeds and misbehaves on purpose (used by conftest fixtures)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


@dataclass
class Reply:
    """What the server answers: status, headers, body, optional delays and chunked drip."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # before the status line
    drip: float | None = None  # seconds between single bytes of the body


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]


Route = Reply | Callable[[Seen], Reply]


class _QuietServer(ThreadingHTTPServer):
    """A threading server that does not print tracebacks when a client hangs up mid-body."""

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients of these tests disconnect on purpose (timeouts, size caps)."""


class FeedServer:
    """Routes (path -> Reply or function of the request) served over a real socket."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        """Return the absolute URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Seen]:
        """Return the requests received for one path."""
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
        route = self.routes.get(seen.path.split("?", 1)[0])
        if route is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"not found")
        return route(seen) if callable(route) else route

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
                reply = server._answer(seen)
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                headers = {"Content-Length": str(len(reply.body)), **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.drip is None:
                    self.wfile.write(reply.body)
                    return
                for byte in reply.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.drip)

            def log_message(self, format: str, *args: object) -> None:
                """Keep test output quiet."""

        return Handler


# Fixtures shared by tests/fetch and tests/sources (each conftest imports them by name).
@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A fresh misbehaving server for one test."""
    feed_server = FeedServer()
    feed_server.start()
    try:
        yield feed_server
    finally:
        feed_server.stop()


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio, as the daemon does."""
    return "asyncio"
