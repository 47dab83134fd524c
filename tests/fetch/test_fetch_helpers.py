"""Pure helpers of the fetch stage, tested without sockets."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime
from ipaddress import ip_address

import httpx
import pytest

from monitor import httputil
from monitor.fetch import Validators, http
from monitor.fetch.feed import conditional_headers
from monitor.fetch.guard import is_public_address, parse_address
from monitor.fetch.http import transport_error
from monitor.fetch.page import is_html_type
from monitor.httputil import parse_retry_after
from monitor.notify import webhook

NOW = datetime(2025, 1, 6, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Mon, 06 Jan 2025 12:05:00 GMT", 300.0),
        ("Mon, 06 Jan 2025 11:00:00 GMT", 0.0),  # in the past: retry now, not a negative delay
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: object) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_retry_after_has_one_parser_in_the_bottom_layer() -> None:
    # Fetch and notify each had their own copy, reading the wall clock inside the stage; callers now pass `now`.
    assert parse_retry_after.__module__ == httputil.__name__
    for module in (http, webhook):
        assert getattr(module, "parse_retry_after", parse_retry_after) is parse_retry_after, module.__name__


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("93.184.216.34", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("127.10.0.5", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("ff02::1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ip_address(address)) is public


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("fe80::1%eth0", "fe80::1"), ("example.org", None)],
)
def test_parse_address(host: str, expected: object) -> None:
    parsed = parse_address(host)
    assert (str(parsed) if parsed else None) == expected


def test_conditional_headers() -> None:
    assert "If-None-Match" not in conditional_headers(Validators())
    headers = conditional_headers(Validators(etag='W/"x"', last_modified="Mon, 06 Jan 2025 10:00:00 GMT"))
    assert headers["If-None-Match"] == 'W/"x"'
    assert headers["If-Modified-Since"] == "Mon, 06 Jan 2025 10:00:00 GMT"


def _raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        raise outer from cause
    except Exception as exc:  # noqa: BLE001 - building a chained exception for the test
        return exc


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (_raised_from(httpx.ConnectError("boom"), socket.gaierror(-2, "Name or service not known")), "dns"),
        (_raised_from(httpx.ConnectError("boom"), ssl.SSLCertVerificationError("bad cert")), "tls"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connect"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (TimeoutError(), "timeout"),
        (httpx.TooManyRedirects("loop"), "redirects"),
        (httpx.DecodingError("bad gzip"), "decode"),
        (httpx.UnsupportedProtocol("ftp"), "blocked"),
        (httpx.RemoteProtocolError("peer closed"), "connect"),
    ],
)
def test_transport_error_reasons(exc: Exception, reason: str) -> None:
    error = transport_error(exc, "https://example.org/feed")
    assert error.reason == reason
    assert error.url == "https://example.org/feed"


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("text/html; charset=utf-8", True),
        ("application/xhtml+xml", True),
        ("", True),
        ("application/pdf", False),
        ("image/png", False),
        ("video/mp4", False),
    ],
)
def test_is_html_type(content_type: str, ok: bool) -> None:
    assert is_html_type(content_type) is ok
