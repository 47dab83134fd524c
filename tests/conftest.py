"""Shared fixtures: the local news site, a verifying webhook sink and an SMTP server, all on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from monitor.demo.sink import WebhookSink, make_secret
from monitor.demo.site import NewsSite

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED_TOPICS = REPO / "seeds" / "topics"


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1 (aiosmtpd cannot pick one itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class MailBox:
    """An aiosmtpd handler keeping every message it accepts."""

    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def news_site() -> Iterator[NewsSite]:
    """Return the demo news site, serving on a free port."""
    with NewsSite() as site:
        yield site


@pytest.fixture
def webhook_secret() -> str:
    return make_secret()


@pytest.fixture
def webhook_sink(webhook_secret: str) -> Iterator[WebhookSink]:
    """Return a webhook receiver that verifies every Standard Webhooks signature."""
    with WebhookSink(webhook_secret) as sink:
        yield sink


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    """Return a running SMTP server's mailbox."""
    box = MailBox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()
