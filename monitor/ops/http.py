"""A tiny HTTP/1.1 server on the daemon's event loop for /healthz and /metrics (GET only, one request per
connection): enough for Prometheus and load balancers, no web framework needed."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST

from monitor.ops.health import Health

log = logging.getLogger("monitor.ops.http")
_REASONS = {
    200: "OK", 404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request", 500: "Internal Server Error",
    503: "Service Unavailable",
}


def parse_listen(listen: str) -> tuple[str, int]:
    """Return (host, port) for ``127.0.0.1:9464`` or ``[::1]:9464``."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class OpsServer:
    """Serve ``/healthz`` (200 or 503, JSON with reasons) and ``/metrics`` (Prometheus text format)."""

    def __init__(self, listen: str, health: Health, metrics: Callable[[], bytes]) -> None:
        self.host, self.port = parse_listen(listen)
        self._health = health
        self._metrics = metrics
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen; an address in use is an OSError the daemon reports at startup."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # the real port when 0 was asked
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

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
            status, ctype, body = self._route(method, path)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            status, ctype, body = 400, "text/plain", b"bad request\n"
        except ConnectionError:
            writer.close()
            return
        except Exception:  # a bug in a report: answer 500 rather than leave the prober hanging on a dead socket
            log.exception("cannot answer %s", method)
            status, ctype, body = 500, "text/plain", b"internal error: see the daemon log\n"
        head_out = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        )
        try:
            writer.write(head_out.encode("ascii") + (b"" if method == "HEAD" else body))
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _route(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"GET only\n"
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
