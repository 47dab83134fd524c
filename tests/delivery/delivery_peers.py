"""Peers and builders for the delivery tests: a scriptable webhook receiver, a black hole, settings, queued hits."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlite_utils import Database
from standardwebhooks import Webhook

from monitor import store
from monitor.config import Settings, load_config
from monitor.fetch import HostLimiter
from monitor.match import Matcher
from monitor.models import Article, Match
from monitor.pipeline.alerts import plan_hits
from monitor.runtime import Runtime


@dataclass
class Answer:
    """How the receiver answers one request: a status and headers, after ``hang`` seconds; or drop the connection."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    close: bool = False


@dataclass
class Got:
    """One request: its webhook-id, parsed JSON body, whether a signature verified, arrival time."""

    webhook_id: str | None
    payload: Any
    verified: bool
    at: float
    headers: dict[str, str]


class Receiver:
    """A threaded webhook receiver on 127.0.0.1 verifying signatures against any of ``secrets``; answers as told."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = list(secrets)
        self.answers: list[Answer] = []
        self.default = Answer()  # when no answer is queued
        self.got: list[Got] = []
        self.lock = threading.Condition()
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def ids(self) -> list[str | None]:
        with self.lock:
            return [g.webhook_id for g in self.got]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Got]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.got) < count and time.monotonic() < deadline:
                self.lock.wait(deadline - time.monotonic())
            return list(self.got)

    def _verified(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except Exception:  # noqa: BLE001 - a mismatch is an outcome here, not an error
                continue
            return True
        return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    plan = receiver.answers.pop(0) if receiver.answers else receiver.default
                    try:
                        payload = json.loads(body)
                    except ValueError:
                        payload = None
                    got = Got(
                        headers.get("webhook-id"), payload, receiver._verified(body, headers), time.monotonic(), headers
                    )
                    # A dropped or failed request is recorded too: the id must be the same on the retry.
                    receiver.got.append(got)
                    receiver.lock.notify_all()
                if plan.hang:
                    receiver.released.wait(plan.hang)
                if plan.close:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                try:
                    self.send_response(plan.status)
                    for name, value in plan.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """Return a port that was free a moment ago (aiosmtpd cannot start on port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class MailBox:
    """An aiosmtpd handler keeping every message it accepts."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@contextmanager
def black_hole() -> Iterator[str]:
    """Yield the URL of a server that accepts connections and never answers (a channel that is down)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(100)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    finally:
        sock.close()


def write_config(folder: Path, channels: list[dict[str, Any]], routes: list[dict[str, Any]], **extra: Any) -> Path:
    """Write a config with two inline topics and the given channels and routes; return its path."""
    config = {
        "database": "monitor.db",
        "topics": [
            {"id": "tartus", "title": "Port of Tartus", "query": "tartus"},
            {"id": "hmeimim", "title": "Hmeimim air base", "query": "hmeimim"},
        ],
        "channels": channels,
        "routes": routes,
        **extra,
    }
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def settings_for(folder: Path, channels: list[dict[str, Any]], routes: list[dict[str, Any]]) -> Settings:
    return load_config(write_config(folder, channels, routes))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def runtime(settings: Settings, db: Database, client: httpx.AsyncClient, clock: Callable[[], datetime]) -> Runtime:
    """Return a Runtime for delivery tests (no sources are polled)."""
    return Runtime(
        settings=settings, db=db, client=client, limiter=HostLimiter(2), matcher=Matcher(settings.topics), clock=clock
    )


def queue_hits(
    db: Database,
    settings: Settings,
    count: int,
    *,
    topic: str = "tartus",
    now: datetime | None = None,
    score: float = 2.0,
    language: str = "en",
    prefix: str = "a",
) -> int:
    """Store ``count`` articles each hit by ``topic`` and queue their deliveries as the pipeline does."""
    moment = now or datetime.now(UTC)
    queued = 0
    for n in range(count):
        url = f"https://news.example.org/{prefix}/{topic}/{n}"
        article = Article(
            title=f"Story {n} about {topic}", text=f"Text {n} mentions {topic}.", url=url, language=language
        )
        saved = store.save_article(
            db,
            article,
            url=url,
            link=url,
            source_id="src-test",
            item_key=url,
            plan=plan_hits(
                url,
                [Match(topic, score, (topic,))],
                {t.id: t.title for t in settings.topics},
                channels_for=lambda t, s: settings.channels_for(t, s, language=language, source=("src-test", "Test")),
            ),
            now=moment,
        )
        queued += saved.deliveries
    return queued


def statuses(db: Database) -> dict[str, int]:
    return store.delivery_counts(db)
