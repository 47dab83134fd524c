"""Rendering: payload shape, email structure (build_email, what email.py sends), header and HTML injection, log
lines."""

from __future__ import annotations

import ast
import json
import math
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notify_peers import BASE_ALERT, AlertFactory

from monitor.models import SemanticHit
from monitor.notify import render
from monitor.notify.render import (
    clean_header_text,
    log_line,
    message_id,
    safe_href,
    webhook_body,
    webhook_payload,
)
from monitor.notify.templates import build_email


def _reparse(message: EmailMessage) -> EmailMessage:
    """Return the message as a receiver would read it after the wire."""
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_payload_has_the_documented_shape() -> None:
    assert webhook_payload(BASE_ALERT) == {
        "type": "topic.hit",
        "timestamp": "2025-01-20T09:30:15+00:00",
        "data": {
            "topic": {"id": "russia-syria-bases", "title": "Russian military presence in Syria"},
            "article": {
                "url": "https://news.example.org/2025/01/tartus-port-talks",
                "title": "Talks on the future of the Tartus naval facility resume",
                "source": "Example News",
                "published": "2025-01-20T08:00:00+00:00",
                "authors": ["Jane Roe", "Sam Poe"],
                "language": "en",
                "summary": "A delegation discussed the lease of the port.",
            },
            "match": {
                "score": 3.5,
                "terms": ["tartus", "naval base", "russia"],
                "snippets": ["… delegation arrived in Tartus on Monday …", "… the naval base lease …"],
                "semantic": None,
            },
        },
    }


def test_a_hit_by_meaning_says_why_in_the_payload_and_the_email(make_alert: AlertFactory) -> None:
    alert = make_alert(terms=(), semantic=SemanticHit(0.8612, "example 2", 0.8))
    assert webhook_payload(alert)["data"]["match"]["semantic"] == {
        "similarity": 0.8612,
        "nearest": "example 2",
        "reason": "similar to example 2 (0.86)",
    }
    assert ("Meaning", "similar to example 2 (0.86)") in render.alert_facts(alert)


def test_body_is_compact_utf8_json(make_alert: AlertFactory) -> None:
    alert = make_alert(article_title="القاعدة البحرية في طرطوس", published=None, language=None)
    body = webhook_body(alert)
    assert "طرطوس".encode() in body  # raw UTF-8, not \\u escapes
    assert b'", "' not in body and b'": ' not in body
    decoded = json.loads(body)
    assert decoded == webhook_payload(alert)
    assert decoded["data"]["article"]["published"] is None


def test_non_finite_score_becomes_null(make_alert: AlertFactory) -> None:
    body = webhook_body(make_alert(score=math.nan))
    assert json.loads(body)["data"]["match"]["score"] is None


def test_naive_datetime_is_taken_as_utc(make_alert: AlertFactory) -> None:
    payload = webhook_payload(make_alert(created_at=datetime(2025, 1, 2, 3, 4, 5)))
    assert payload["timestamp"] == "2025-01-02T03:04:05+00:00"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Plain title", "Plain title"),
        ("Hello\r\nBcc: evil@x", "Hello Bcc: evil@x"),
        ("tab\there\x00nul\x1b[31mred", "tab here nul [31mred"),
        ("line\u2028sep\u2029para\x85nel", "line sep para nel"),
        ("  spaced   out  ", "spaced out"),
        ("Москва и Тартус", "Москва и Тартус"),
    ],
)
def test_clean_header_text(raw: str, expected: str) -> None:
    assert clean_header_text(raw) == expected


def test_clean_header_text_truncates_with_ellipsis() -> None:
    cleaned = clean_header_text("word " * 100, limit=50)
    assert len(cleaned) <= 50
    assert cleaned.endswith("…")
    assert clean_header_text("x" * 50, limit=50) == "x" * 50


@given(st.text(), st.integers(min_value=1, max_value=300))
def test_clean_header_text_never_leaves_line_breaks(text: str, limit: int) -> None:
    cleaned = clean_header_text(text, limit)
    assert len(cleaned) <= limit
    assert not any(ch in cleaned for ch in "\r\n\x00\x0b\x0c\x85\u2028\u2029")


def test_email_has_subject_parts_and_stable_ids() -> None:
    message = _reparse(build_email(BASE_ALERT, sender="monitor@example.org", recipients=["a@example.org", "b@ex.org"]))
    assert message["Subject"] == (
        "[monitor] Russian military presence in Syria: Talks on the future of the Tartus naval facility resume"
    )
    assert message["From"] == "monitor@example.org"
    assert message["To"] == "a@example.org, b@ex.org"
    assert message["Message-ID"] == "<alert-0001-tartus@monitor>"
    assert parsedate_to_datetime(message["Date"]) == BASE_ALERT.created_at
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "https://news.example.org/2025/01/tartus-port-talks" in text.get_content()
    assert '<a href="https://news.example.org/2025/01/tartus-port-talks">' in html.get_content()


def test_title_cannot_inject_headers(make_alert: AlertFactory) -> None:
    alert = make_alert(article_title="Hello\r\nBcc: evil@x\r\n\r\nbody", topic_title="T\nX-Evil: 1")
    raw = build_email(alert, sender="m@example.org", recipients=["a@example.org"]).as_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Evil:" not in headers
    parsed = _reparse(build_email(alert, sender="m@example.org", recipients=["a@example.org"]))
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "[monitor] T X-Evil: 1: Hello Bcc: evil@x body"


def test_long_title_is_truncated_in_subject(make_alert: AlertFactory) -> None:
    message = build_email(make_alert(article_title="Tartus " * 200), sender="m@e.org", recipients=["a@e.org"])
    assert len(str(message["Subject"])) < 320


def test_html_part_escapes_everything(make_alert: AlertFactory) -> None:
    alert = make_alert(
        article_title="<script>alert(1)</script> & co",
        source='"><img src=x onerror=alert(2)>',
        snippets=("<b>bold</b>",),
        summary="<iframe src=//evil>",
    )
    html = _reparse(build_email(alert, sender="m@e.org", recipients=["a@e.org"])).get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert "<script>" not in content and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in content
    assert "<img" not in content and "<iframe" not in content and "<b>" not in content
    assert "&lt;b&gt;bold&lt;/b&gt;" in content


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2"),
        ("http://example.org/", "http://example.org/"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//example.org/x", None),
        ("https://", None),
        ("https://example.org/a b", None),
        ("https://example.org/\nx", None),
    ],
)
def test_safe_href(url: str, expected: str | None) -> None:
    assert safe_href(url) == expected


def test_non_http_link_is_not_an_href(make_alert: AlertFactory) -> None:
    alert = make_alert(article_url='javascript:alert("x")')
    html = _reparse(build_email(alert, sender="m@e.org", recipients=["a@e.org"])).get_body(("html",))
    assert html is not None
    assert "href" not in html.get_content()


def test_ampersand_in_href_is_escaped(make_alert: AlertFactory) -> None:
    alert = make_alert(article_url='https://e.org/a?b=1&c="2"')
    html = _reparse(build_email(alert, sender="m@e.org", recipients=["a@e.org"])).get_body(("html",))
    assert html is not None
    assert 'href="https://e.org/a?b=1&amp;c=&#34;2&#34;"' in html.get_content()


def test_unicode_subject_survives_the_wire(make_alert: AlertFactory) -> None:
    alert = make_alert(article_title="Российский флот в Тартусе", topic_title="طرطوس")
    parsed = _reparse(build_email(alert, sender="m@e.org", recipients=["a@e.org"]))
    assert parsed["Subject"] == "[monitor] طرطوس: Российский флот в Тартусе"


def test_message_id_is_stable_and_safe(make_alert: AlertFactory) -> None:
    odd = make_alert(id="bad id <with> @ chars")
    assert message_id(odd) == message_id(make_alert(id="bad id <with> @ chars"))
    assert message_id(odd) != message_id(make_alert(id="bad id <with> @ chars!"))
    local = message_id(odd)[1:-1].split("@")[0]
    assert local.isalnum()


def test_log_line_is_one_line_with_the_facts(make_alert: AlertFactory) -> None:
    line = log_line(make_alert(article_title="Two\nlines"))
    assert "\n" not in line
    assert "topic=russia-syria-bases" in line and "score=3.5" in line
    assert "title='Two lines'" in line and "url=https://news.example.org/2025/01/tartus-port-talks" in line


def test_there_is_one_email_renderer() -> None:
    # render.py had its own hand-built email next to the Jinja2 one production sends; the tests guarded the unused one.
    assert not [name for name in ("email_message", "email_text", "email_html") if hasattr(render, name)]


def test_notify_modules_import_no_private_names() -> None:
    imported = []
    for path in Path(render.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("monitor"):
                names = [alias.name for alias in node.names]
                imported += [f"{path.name}: {n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert imported == []
