"""Shared plumbing for the demo's loopback HTTP servers (site and webhook sink)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

LOOPBACK = "127.0.0.1"


class QuietHandler(BaseHTTPRequestHandler):
    """Request handler that speaks HTTP/1.1 and keeps test output clean."""

    protocol_version = "HTTP/1.1"
    # Idle keep-alive connections would otherwise pin a handler thread until the client goes away.
    timeout = 5

    @property
    def owner(self) -> Any:
        """Return the object that owns the server (the NewsSite or WebhookSink)."""
        return getattr(self.server, "owner", None)

    def log_message(self, format: str, *args: Any) -> None:
        """Drop the per-request log line that http.server writes to stderr."""

    def send_bytes(self, status: int, body: bytes, headers: dict[str, str], *, head: bool = False) -> None:
        """Send a complete response with an exact Content-Length."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        # RFC 9110 forbids Content-Length on 204; on 304 it would describe the unsent representation.
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: object = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up mid-request; they are normal in tests."""


class LocalServer:
    """A ThreadingHTTPServer bound to a free port on 127.0.0.1, served from a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._httpd = _Server((LOOPBACK, 0), handler)
        self._httpd.owner = self
        self.port: int = int(self._httpd.server_address[1])
        self.origin = f"http://{LOOPBACK}:{self.port}"
        self._thread: threading.Thread | None = None
        self._closed = False

    def start(self) -> Self:
        """Start serving in the background (idempotent) and return self."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{type(self).__name__}:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._closed:
            return
        self._closed = True
        # shutdown() waits for serve_forever to notice, so it would hang if the thread never started.
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
