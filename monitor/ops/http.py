"""A tiny HTTP/1.1 server on an event loop (GET, and POST without a body; one request per connection): /healthz and
/metrics for Prometheus and load balancers, feedback links under alerts, and the pages of ``monitor ui``."""

from __future__ import annotations

import asyncio
import html
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST

from monitor.notify.feedback import read_feedback_link
from monitor.ops.health import Health
from monitor.store.feedback import Mark

log = logging.getLogger("monitor.ops.http")
_REASONS = {
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    400: "Bad Request",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def parse_listen(listen: str) -> tuple[str, int]:
    """Return (host, port) for ``127.0.0.1:9464`` or ``[::1]:9464``."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


Response = tuple[int, str, bytes]  # status, content type, body
Route = Callable[[str, str], Response]  # (method, path with query) -> response


class LocalHttpServer:
    """Answer GET and HEAD on the running event loop, one request per connection, with ``route``.

    Shared by the daemon's health endpoint and ``monitor ui``: neither needs keep-alive, bodies or a framework.
    """

    def __init__(self, host: str, port: int, route: Route, headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        self._route = route
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._server: asyncio.Server | None = None
        self.methods = frozenset({"GET", "HEAD"})

    async def start(self) -> None:
        """Listen; an address in use is an OSError the caller reports at startup."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # the real port when 0 was asked

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        method = "GET"
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            method, path = _request_line(head)
            status, ctype, body = (
                (405, "text/plain", b"GET only\n") if method not in self.methods else self._route(method, path)
            )
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            status, ctype, body = 400, "text/plain", b"bad request\n"
        except ConnectionError:
            writer.close()
            return
        except Exception:  # a bug in a report: answer 500 rather than leave the prober hanging on a dead socket
            log.exception("cannot answer %s", method)
            status, ctype, body = 500, "text/plain", b"internal error: see the log\n"
        head_out = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n{self._headers}Connection: close\r\n\r\n"
        )
        try:
            writer.write(head_out.encode("ascii") + (b"" if method == "HEAD" else body))
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


@dataclass(frozen=True)
class FeedbackDesk:
    """What the server needs to take marks from feedback links: the signing key and the store's mark function."""

    key: str
    mark: Callable[[int, bool], Mark | None]


class OpsServer(LocalHttpServer):
    """Serve ``/healthz`` (200 or 503, JSON with reasons), ``/metrics`` (Prometheus text format) and, given a
    ``FeedbackDesk``, the signed ``/feedback/HIT/yes|no`` links under alerts (a page to confirm, then a POST)."""

    def __init__(
        self, listen: str, health: Health, metrics: Callable[[], bytes], feedback: FeedbackDesk | None = None
    ) -> None:
        super().__init__(*parse_listen(listen), self._answer)
        self._health = health
        self._metrics = metrics
        self._feedback = feedback
        if feedback is not None:
            self.methods = frozenset({"GET", "HEAD", "POST"})

    async def start(self) -> None:
        await super().start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    def _answer(self, method: str, target: str) -> Response:
        path = target.split("?", 1)[0]
        if path.startswith("/feedback/") and self._feedback is not None:
            return _feedback_page(self._feedback, method, target)
        if method == "POST":
            return 405, "text/plain", b"POST only to feedback links\n"
        if path in ("/healthz", "/health"):
            healthy, report = self._health.report()
            return (200 if healthy else 503), "application/json", json.dumps(report).encode() + b"\n"
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, self._metrics()
        return 404, "text/plain", b"not found: try /healthz or /metrics\n"


def _feedback_page(desk: FeedbackDesk, method: str, target: str) -> Response:
    found = read_feedback_link(target, desk.key)
    if found is None:
        return (
            403,
            "text/html; charset=utf-8",
            _page("Not a valid feedback link", "<p>This link was not made by this monitor, or it was changed.</p>"),
        )
    hit_id, relevant = found
    said = "relevant" if relevant else "not relevant"
    if method != "POST":  # mail scanners open every link: a GET only asks
        form = (
            f'<form method="post" action="{html.escape(target)}">'
            f'<button type="submit">Mark hit #{hit_id} {said}</button></form>'
        )
        return 200, "text/html; charset=utf-8", _page(f"Mark hit #{hit_id} {said}?", form)
    mark = desk.mark(hit_id, relevant)
    if mark is None:
        return 404, "text/html; charset=utf-8", _page("No such hit", f"<p>Hit #{hit_id} is not stored any more.</p>")
    body = f"<p>{html.escape(mark.title)} ({html.escape(mark.topic_id)}) is marked {said}. Thank you.</p>"
    return 200, "text/html; charset=utf-8", _page(f"Hit #{hit_id} marked {said}", body)


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    ).encode()


def _request_line(head: bytes) -> tuple[str, str]:
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("bad request line")
    return parts[0], parts[1]
