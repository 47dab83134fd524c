"""Turn an Alert into what each channel sends: a webhook payload, a log line, and the pieces of its email
(subject, Message-ID, facts) that monitor.notify.templates.build_email renders (pure)."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from monitor.models import Alert, SemanticHit
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


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` with a time zone."""
    # Stages hand over aware datetimes; a naive one is taken as UTC rather than local time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def iso_or_none(moment: datetime | None) -> str | None:
    """Return the ISO 8601 text of ``moment`` (naive taken as UTC), or None."""
    return None if moment is None else as_utc(moment).isoformat()


def finite_score(score: float) -> float | None:
    """Return ``score``, or None when it is NaN or infinite."""
    # JSON has no NaN or Infinity; a receiver's parser would reject the whole body.
    return score if math.isfinite(score) else None


def semantic_payload(hit: SemanticHit | None) -> dict[str, Any] | None:
    """Return ``match.semantic`` of a webhook: why the topic matched by meaning, or None (null) when it did not."""
    if hit is None:
        return None
    return {"similarity": hit.similarity, "nearest": hit.nearest, "reason": hit.describe()}


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """Return the Standard Webhooks event body for ``alert`` (``story.update`` for a story's follow-up alert)."""
    payload: dict[str, Any] = {
        "type": STORY_UPDATE_TYPE if alert.story is not None and alert.story.update else EVENT_TYPE,
        "timestamp": iso_or_none(alert.created_at),
        "data": {
            "topic": {"id": alert.topic_id, "title": alert.topic_title},
            "article": {
                "url": alert.article_url,
                "title": alert.article_title,
                "source": alert.source,
                "published": iso_or_none(alert.published),
                "authors": list(alert.authors),
                "language": alert.language,
                "summary": alert.summary,
            },
            "match": {
                "score": finite_score(alert.score),
                "terms": list(alert.terms),
                "snippets": list(alert.snippets),
                "semantic": semantic_payload(alert.semantic),
            },
        },
    }
    if alert.story is not None:
        story = alert.story
        payload["data"]["story"] = {"id": story.id, "size": story.size, "outlets": list(story.outlets)}
    if alert.feedback is not None:
        payload["data"]["feedback"] = {"relevant": alert.feedback.relevant, "not_relevant": alert.feedback.not_relevant}
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


def alert_facts(alert: Alert) -> list[tuple[str, str]]:
    """Return the (label, value) lines both email parts show, values cleaned to one line each."""
    facts = [("Topic", clean_header_text(alert.topic_title, 200)), ("Source", clean_header_text(alert.source, 200))]
    if alert.published is not None:
        facts.append(("Published", as_utc(alert.published).strftime("%Y-%m-%d %H:%M %Z")))
    if alert.authors:
        facts.append(("By", clean_header_text(", ".join(alert.authors), 300)))
    if alert.language:
        facts.append(("Language", clean_header_text(alert.language, 20)))
    score = finite_score(alert.score)
    facts.append(("Score", "n/a" if score is None else f"{score:g}"))
    if alert.terms:
        facts.append(("Matched", clean_header_text(", ".join(alert.terms), 500)))
    if alert.semantic is not None:
        facts.append(("Meaning", alert.semantic.describe()))
    if alert.story is not None:
        own = (urlsplit(alert.article_url).hostname or "").lower().removeprefix("www.")
        others = [o for o in alert.story.outlets if o != own]
        if others:
            facts.append(("Also reported by", clean_header_text(", ".join(others), 500)))
    return [(label, value) for label, value in facts if value]


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


def log_line(alert: Alert) -> str:
    """Return the one log line for ``alert``: topic id, score, title and URL."""
    score = finite_score(alert.score)
    shown = "n/a" if score is None else f"{score:g}"
    title = clean_header_text(alert.article_title, 200)
    url = clean_header_text(alert.article_url, 2000)
    return f"alert topic={clean_header_text(alert.topic_id, 100)} score={shown} title={title!r} url={url}"
