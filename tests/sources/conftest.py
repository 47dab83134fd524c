"""Fixtures for source polling tests: the misbehaving feed server of tests/fetch and a controllable poll kit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The misbehaving server lives beside the fetch tests; share it rather than keep a second copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fetch"))

from fetch_server import FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A fresh misbehaving server for one test."""
    feed_server = FeedServer()
    feed_server.start()
    try:
        yield feed_server
    finally:
        feed_server.stop()


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio, as the daemon does."""
    return "asyncio"
