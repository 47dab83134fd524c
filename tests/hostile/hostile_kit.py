"""The evil site and the ledger of the hostile suite.

``EvilSite`` is a real HTTP(S) server on 127.0.0.1 whose routes are *behaviours*: functions that get the raw
request handler and may do anything a hostile server does (reset the connection mid-body, drip one byte at a time,
stream a gigabyte, never answer, redirect forever). The feed-polling kit (``sources_kit``) and the scriptable
webhook receiver (``delivery_peers``) of the other suites are reused, not copied.

``LEDGER`` counts alerts expected, delivered, duplicated and lost across the run, for tests/hostile/REPORT.md.
"""

from __future__ import annotations

import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
for _folder in ("sources", "delivery", "fetch"):
    if str(TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(TESTS / _folder))

from delivery_peers import Answer, Receiver  # noqa: E402
from sources_kit import poll_kit, rss, write_config  # noqa: E402

__all__ = ["LEDGER", "Answer", "EvilSite", "Receiver", "poll_kit", "rss", "write_config"]

Behaviour = Callable[[BaseHTTPRequestHandler], None]
RSS = "application/rss+xml; charset=utf-8"


# --- the ledger ------------------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Alerts the hostile cases expected and what the receivers saw (summed over the run)."""

    expected: int = 0
    delivered: int = 0
    duplicated: int = 0
    lost: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *, expected: int, arrived: Iterable[tuple[str | None, str]]) -> tuple[int, int, int]:
        """Count one case: ``arrived`` holds (delivery id, article key) pairs; return (delivered, dup, lost)."""
        pairs = list(arrived)
        keys = {key for _, key in pairs}
        duplicated = len(pairs) - len(set(pairs))
        lost = max(expected - len(keys), 0)
        with self.lock:
            self.expected += expected
            self.delivered += len(keys)
            self.duplicated += duplicated
            self.lost += lost
        return len(keys), duplicated, lost


LEDGER = Ledger()


# --- the evil site -----------------------------------------------------------------------------------------------


def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    """Send a complete response with an exact Content-Length (unless the headers set their own)."""
    h.send_response(status)
    merged = {"Content-Length": str(len(body)), **(headers or {})}
    for name, value in merged.items():
        h.send_header(name, value)
    h.end_headers()
    if body:
        h.wfile.write(body)


def serve(body: bytes, content_type: str = RSS, **headers: str) -> Behaviour:
    """A well-behaved route."""
    return lambda h: send(h, 200, body, {"Content-Type": content_type, **headers})


def redirect(target: str, status: int = 302) -> Behaviour:
    return lambda h: send(h, status, b"", {"Location": target})


def reset_after(body: bytes, sent: int) -> Behaviour:
    """Announce the whole body, send ``sent`` bytes of it, then reset the connection (RST, not FIN)."""

    def behave(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[:sent])
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    return behave


def drip(body: bytes, every: float) -> Behaviour:
    """Slowloris: headers at once, then one byte every ``every`` seconds."""

    def behave(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for byte in body:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(every)

    return behave


def endless(content_type: str = RSS, *, total: int = 1 << 30, declare: bool = False) -> Behaviour:
    """Stream ``total`` bytes (1 GiB) in chunks, chunked or with a declared length; stops when the client leaves."""
    chunk = b"<!-- " + b"x" * 65_000 + b" -->"

    def behave(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length" if declare else "Transfer-Encoding", str(total) if declare else "chunked")
        h.end_headers()
        sent = 0
        while sent < total:
            if declare:
                h.wfile.write(chunk)
            else:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        if not declare:
            h.wfile.write(b"0\r\n\r\n")
        h.server.streamed = sent  # type: ignore[attr-defined]

    return behave


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    streamed = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients of the hostile suite hang up on purpose."""


class EvilSite:
    """Routes of behaviours on 127.0.0.1 (``tls``: a (certfile, keyfile) pair to serve HTTPS)."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.seen: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def do_GET(self) -> None:
                site.seen.append(self.path)
                behaviour = site.routes.get(self.path.split("?", 1)[0])
                try:
                    if behaviour is None:
                        send(self, 404, b"not found", {"Content-Type": "text/plain"})
                    else:
                        behaviour(self)
                except OSError:
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*map(str, tls))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> EvilSite:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Silent:
    """A socket that accepts connections and never answers (a server that hangs)."""

    sock: socket.socket = field(default_factory=socket.socket)

    def __enter__(self) -> str:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed.xml"

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def closed_port() -> int:
    """Return a port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def make_cert(folder: Path, *, expired: bool) -> tuple[Path, Path]:
    """Make a self-signed certificate for 127.0.0.1 with openssl (valid for a day, or expired yesterday)."""
    key, csr, cert = folder / "key.pem", folder / "req.csr", folder / ("expired.pem" if expired else "cert.pem")
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    if not key.exists():
        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key))
        run("req", "-new", "-key", str(key), "-subj", "/CN=127.0.0.1", "-out", str(csr))
    extfile = folder / "san.cnf"
    extfile.write_text("subjectAltName=IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-signkey",
        str(key),
        "-days",
        "-1" if expired else "1",
        "-extfile",
        str(extfile),
        "-out",
        str(cert),
    )
    return cert, key


# --- feeds ---------------------------------------------------------------------------------------------------


def item(
    n: int, *, title: str, text: str, link: str | None = None, author: str | None = None, raw_title: bool = False
) -> str:
    """One RSS item (``raw_title``: the title is inserted unescaped, for entity attacks)."""
    when = format_datetime(datetime(2025, 3, 1, tzinfo=UTC) - timedelta(minutes=n), usegmt=True)
    who = f"<author>{escape(author)}</author>" if author is not None else ""
    shown = title if raw_title else escape(title)
    return (
        f"<item><title>{shown}</title><link>{escape(link or f'https://news.example.org/h/{n}')}</link>"
        f"<guid>h-{n}</guid><pubDate>{when}</pubDate>{who}<description>{escape(text)}</description></item>"
    )


def feed(items: Iterable[str], *, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype}<rss version="2.0"><channel><title>Evil</title>'
        f"<link>https://news.example.org/</link>{''.join(items)}</channel></rss>"
    ).encode()


def story_text(n: int, words: int = 60) -> str:
    """A distinct body about Tartus, so story de-duplication keeps items apart."""
    import random

    rng = random.Random(n)
    vocab = ("harbour", "convoy", "minister", "envoy", "frigate", "lease", "coast", "treaty", "navy", "grain")
    return f"Tartus report {n}: " + " ".join(rng.choice(vocab) + str(rng.randrange(10_000)) for _ in range(words))


# --- subprocesses ------------------------------------------------------------------------------------------------


def monitor_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    preexec: Callable[[], None] | None = None,
    prefix: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``[prefix...] python -m monitor ARGS`` and return its completed process (text output)."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        preexec_fn=preexec,
    )


def no_traceback(output: str) -> bool:
    return "Traceback (most recent call last)" not in output


@dataclass
class Timer:
    started: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        return time.monotonic() - self.started


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()
