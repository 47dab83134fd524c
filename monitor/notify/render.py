"""Turn an Alert into what each channel sends: a webhook payload, an email message, a log line (pure)."""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from monitor.models import Alert
from monitor.textutil import BIDI_CONTROLS

EVENT_TYPE = "topic.hit"
STORY_UPDATE_TYPE = "story.update"
SUBJECT_PREFIX = "[monitor]"
# Characters allowed unquoted in the left part of a Message-ID (RFC 5322 dot-atom text).
_MSGID_SAFE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}$")
_SPACES = re.compile(r"\s+")


def clean_header_text(text: str, limit: int = 200) -> str:
    """Return ``text`` on one line, without control characters, shortened to ``limit`` characters."""
    # Cc covers CR, LF, TAB, NUL, ESC and NEL; \s then folds Unicode line breaks (U+2028/9) some clients honour.
    # Bidi overrides (U+202E...) go too: they let a title spoof what the reader sees. Only the start is looked at.
    kept = "".join(
        "" if ch in BIDI_CONTROLS else " " if unicodedata.category(ch) == "Cc" else ch for ch in text[: limit * 4 + 64]
    )
    line = _SPACES.sub(" ", kept).strip()
    if len(line) > limit:
        line = line[: max(limit - 1, 0)].rstrip() + "…"
    return line


def _utc(moment: datetime) -> datetime:
    # Stages hand over aware datetimes; a naive one is taken as UTC rather than local time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _utc(moment).isoformat()


def _score(score: float) -> float | None:
    # JSON has no NaN or Infinity; a receiver's parser would reject the whole body.
    return score if math.isfinite(score) else None


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """Return the Standard Webhooks event body for ``alert`` (``story.update`` for a story's follow-up alert)."""
    payload: dict[str, Any] = {
        "type": STORY_UPDATE_TYPE if alert.story is not None and alert.story.update else EVENT_TYPE,
        "timestamp": _iso(alert.created_at),
        "data": {
            "topic": {"id": alert.topic_id, "title": alert.topic_title},
            "article": {
                "url": alert.article_url,
                "title": alert.article_title,
                "source": alert.source,
                "published": _iso(alert.published),
                "authors": list(alert.authors),
                "language": alert.language,
                "summary": alert.summary,
            },
            "match": {"score": _score(alert.score), "terms": list(alert.terms), "snippets": list(alert.snippets)},
        },
    }
    if alert.story is not None:
        story = alert.story
        payload["data"]["story"] = {"id": story.id, "size": story.size, "outlets": list(story.outlets)}
    return payload


def webhook_body(alert: Alert) -> bytes:
    """Return the payload of ``alert`` as compact UTF-8 JSON."""
    text = json.dumps(webhook_payload(alert), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def message_id(alert: Alert) -> str:
    """Return the Message-ID of ``alert``'s email; the same for every retry so receivers drop duplicates."""
    local = alert.id if _MSGID_SAFE.match(alert.id) and ".." not in alert.id else _digest(alert.id)
    return f"<{local.strip('.')}@monitor>"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def email_subject(alert: Alert) -> str:
    """Return the one-line subject ``[monitor] TOPIC: TITLE``."""
    topic = clean_header_text(alert.topic_title, 80)
    title = clean_header_text(alert.article_title, 200) or clean_header_text(alert.article_url, 200)
    if alert.story is not None and alert.story.update:
        return f"{SUBJECT_PREFIX} {topic}: story now on {len(alert.story.outlets)} outlets: {title}"
    return f"{SUBJECT_PREFIX} {topic}: {title}"


def email_message(alert: Alert, *, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """Return a multipart (text + HTML) email for ``alert``."""
    message = EmailMessage()
    message["Subject"] = email_subject(alert)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(_utc(alert.created_at))
    message["Message-ID"] = message_id(alert)
    # RFC 3834: tells auto-responders (vacation replies) not to answer us.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email_text(alert))
    message.add_alternative(email_html(alert), subtype="html")
    return message


def _facts(alert: Alert) -> list[tuple[str, str]]:
    """Return the (label, value) lines both email parts show, values cleaned to one line each."""
    facts = [("Topic", clean_header_text(alert.topic_title, 200)), ("Source", clean_header_text(alert.source, 200))]
    if alert.published is not None:
        facts.append(("Published", _utc(alert.published).strftime("%Y-%m-%d %H:%M %Z")))
    if alert.authors:
        facts.append(("By", clean_header_text(", ".join(alert.authors), 300)))
    if alert.language:
        facts.append(("Language", clean_header_text(alert.language, 20)))
    score = _score(alert.score)
    facts.append(("Score", "n/a" if score is None else f"{score:g}"))
    if alert.terms:
        facts.append(("Matched", clean_header_text(", ".join(alert.terms), 500)))
    if alert.story is not None:
        own = (urlsplit(alert.article_url).hostname or "").lower().removeprefix("www.")
        others = [o for o in alert.story.outlets if o != own]
        if others:
            facts.append(("Also reported by", clean_header_text(", ".join(others), 500)))
    return [(label, value) for label, value in facts if value]


def email_text(alert: Alert) -> str:
    """Return the plain-text part of ``alert``'s email."""
    lines = [clean_header_text(alert.article_title, 1000), clean_header_text(alert.article_url, 2000), ""]
    lines += [f"{label}: {value}" for label, value in _facts(alert)]
    if alert.summary:
        lines += ["", clean_header_text(alert.summary, 2000)]
    if alert.snippets:
        lines += ["", *(f"  … {clean_header_text(s, 500)} …" for s in alert.snippets)]
    return "\n".join(lines) + "\n"


def safe_href(url: str) -> str | None:
    """Return ``url`` when it is an absolute http(s) link, else None (no javascript:, data:, etc.)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Zs", "Zl", "Zp") for ch in url):
        return None
    return url


def email_html(alert: Alert) -> str:
    """Return the HTML part of ``alert``'s email; every piece of text from outside is escaped."""
    esc = html.escape
    title = esc(clean_header_text(alert.article_title, 1000) or alert.article_url)
    href = safe_href(alert.article_url)
    heading = f'<a href="{esc(href, quote=True)}">{title}</a>' if href else title
    rows = "".join(
        f"<tr><th align='left'>{esc(label)}</th><td>{esc(value)}</td></tr>" for label, value in _facts(alert)
    )
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"></head><body>',
        f"<h2>{heading}</h2>",
        f"<p>{esc(clean_header_text(alert.article_url, 2000))}</p>" if not href else "",
        f"<table>{rows}</table>",
    ]
    if alert.summary:
        parts.append(f"<p>{esc(clean_header_text(alert.summary, 2000))}</p>")
    if alert.snippets:
        items = "".join(f"<li>… {esc(clean_header_text(s, 500))} …</li>" for s in alert.snippets)
        parts.append(f"<ul>{items}</ul>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"


def log_line(alert: Alert) -> str:
    """Return the one log line for ``alert``: topic id, score, title and URL."""
    score = _score(alert.score)
    shown = "n/a" if score is None else f"{score:g}"
    title = clean_header_text(alert.article_title, 200)
    url = clean_header_text(alert.article_url, 2000)
    return f"alert topic={clean_header_text(alert.topic_id, 100)} score={shown} title={title!r} url={url}"
