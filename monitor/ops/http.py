"""A tiny HTTP/1.1 server on an event loop (GET only, one request per connection): /healthz and /metrics for
Prometheus and load balancers, and the pages of ``monitor ui``; no web framework needed."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST

from monitor.ops.health import Health

log = logging.getLogger("monitor.ops.http")
_REASONS = {
    200: "OK",
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
                (405, "text/plain", b"GET only\n") if method not in ("GET", "HEAD") else self._route(method, path)
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


class OpsServer(LocalHttpServer):
    """Serve ``/healthz`` (200 or 503, JSON with reasons) and ``/metrics`` (Prometheus text format)."""

    def __init__(self, listen: str, health: Health, metrics: Callable[[], bytes]) -> None:
        super().__init__(*parse_listen(listen), self._answer)
        self._health = health
        self._metrics = metrics

    async def start(self) -> None:
        await super().start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    def _answer(self, method: str, path: str) -> Response:
        path = path.split("?", 1)[0]
        if path in ("/healthz", "/health"):
            healthy, report = self._health.report()
            return (200 if healthy else 503), "application/json", json.dumps(report).encode() + b"\n"
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, self._metrics()
        return 404, "text/plain", b"not found: try /healthz or /metrics\n"


def _request_line(head: bytes) -> tuple[str, str]:
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("bad request line")
    return parts[0], parts[1]
