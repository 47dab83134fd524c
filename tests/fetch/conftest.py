"""Fixtures for fetch tests: the misbehaving local server, compressed bodies, a free port."""

from __future__ import annotations

import gzip
import socket

import brotli  # type: ignore[import-untyped]
import pytest
from fetch_server import FIXTURES, anyio_backend, server  # noqa: F401 - shared fixtures


@pytest.fixture(scope="session")
def gzip_bomb() -> bytes:
    """About 20 KB of gzip that inflates to 20 MB of zeros."""
    return gzip.compress(b"\0" * 20_000_000, compresslevel=9)


@pytest.fixture(scope="session")
def brotli_feed() -> bytes:
    """A fixture feed compressed with brotli."""
    return bytes(brotli.compress((FIXTURES / "rss2_content.xml").read_bytes()))


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
