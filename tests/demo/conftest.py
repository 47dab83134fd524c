"""Fixtures for the demo tests: a running news site, an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from monitor.demo.site import NewsSite


@pytest.fixture
def site() -> Iterator[NewsSite]:
    """A fresh demo news site on 127.0.0.1 for one test."""
    with NewsSite() as news_site:
        yield news_site


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain httpx client (no proxies from the environment)."""
    with httpx.Client(timeout=5, trust_env=False) as http:
        yield http
