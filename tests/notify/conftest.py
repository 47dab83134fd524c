"""Fixtures for the notify tests: peers on 127.0.0.1 (see notify_peers) and invented alerts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from notify_peers import BASE_ALERT, AlertFactory, RecordingHandler, SmtpFactory, WebhookReceiver, free_port, new_secret

from monitor.models import Alert


@pytest.fixture
def make_alert() -> AlertFactory:
    """Return a factory of invented alerts; keyword arguments override fields."""

    def make(**changes: Any) -> Alert:
        return replace(BASE_ALERT, **changes)

    return make


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """Return a running webhook receiver that verifies signatures with its own secret."""
    server = WebhookReceiver(new_secret())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def unsigned_receiver() -> Iterator[WebhookReceiver]:
    """Return a running webhook receiver for a channel without a secret."""
    server = WebhookReceiver(None)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpFactory]:
    """Return a function that starts an aiosmtpd server for a handler and returns its port."""
    controllers: list[Controller] = []

    def start(handler: RecordingHandler, **options: Any) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()
