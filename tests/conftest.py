"""Shared fixtures: the local news site, a verifying webhook sink and an SMTP server, all on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from local_peers import MailBox, free_port

from monitor.demo.sink import WebhookSink, make_secret
from monitor.demo.site import NewsSite


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
