"""Real peers on 127.0.0.1 for the notify tests: a verifying webhook receiver, an SMTP handler, a sample alert."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from monitor.models import Alert

AlertFactory = Callable[..., Alert]


def new_secret() -> str:
    """Return a fresh Standard Webhooks secret."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def free_port() -> int:
    """Return a port that was free a moment ago (aiosmtpd cannot start on port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


BASE_ALERT = Alert(
    id="alert-0001-tartus",
    topic_id="russia-syria-bases",
    topic_title="Russian military presence in Syria",
    article_url="https://news.example.org/2025/01/tartus-port-talks",
    article_title="Talks on the future of the Tartus naval facility resume",
    source="Example News",
    score=3.5,
    terms=("tartus", "naval base", "russia"),
    snippets=("… delegation arrived in Tartus on Monday …", "… the naval base lease …"),
    created_at=datetime(2025, 1, 20, 9, 30, 15, tzinfo=UTC),
    published=datetime(2025, 1, 20, 8, 0, tzinfo=UTC),
    authors=("Jane Roe", "Sam Poe"),
    language="en",
    summary="A delegation discussed the lease of the port.",
)


# --- webhook receiver ------------------------------------------------------------------------------------


@dataclass
class Received:
    """One request the receiver got, with the outcome of signature verification."""

    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Plan:
    """How to answer one request: a status with headers, or hang for ``hang`` seconds first."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hang: float = 0.0


class WebhookReceiver:
    """A threaded HTTP server that verifies Standard Webhooks signatures and answers as planned."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret
        self.plans: list[Plan] = []
        self.requests: list[Received] = []
        self.gets: list[str] = []  # paths fetched with GET: a webhook must never turn into one
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def answer(self, *plans: Plan) -> None:
        """Queue answers for the next requests; after them the receiver answers 204."""
        self.plans.extend(plans)

    def _verify(self, body: bytes, headers: dict[str, str]) -> tuple[bool, str | None]:
        if self.secret is None:
            ok = "webhook-id" in headers and "webhook-timestamp" in headers and "webhook-signature" not in headers
            return ok, None if ok else "unsigned channel: expected id and timestamp, no signature"
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded for the test to assert on
            return False, f"{type(exc).__name__}: {exc}"
        return True, None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified, error = receiver._verify(body, headers)
                receiver.requests.append(Received(headers, body, verified, error))
                plan = receiver.plans.pop(0) if receiver.plans else Plan()
                if plan.hang and receiver.released.wait(plan.hang):
                    return
                try:
                    self.send_response(plan.status)
                    for name, value in plan.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(plan.body)))
                    self.end_headers()
                    self.wfile.write(plan.body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def do_GET(self) -> None:
                # Answers 200, as a moved receiver's new address would: a followed redirect then looks delivered.
                receiver.gets.append(self.path)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


# --- SMTP server -------------------------------------------------------------------------------------------


class RecordingHandler:
    """An aiosmtpd handler that keeps every message; ``rcpt_reply``/``data_reply`` can refuse on purpose."""

    def __init__(self, *, data_reply: str = "250 OK", refuse: dict[str, str] | None = None) -> None:
        self.data_reply = data_reply
        self.refuse = refuse or {}
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.data_reply


SmtpFactory = Callable[..., int]
