"""Render a Notice (a topic's spike, or an alert about the monitor itself) for each channel (pure)."""

from __future__ import annotations

import json
from typing import Any

from monitor.models import Notice
from monitor.notify.render import clean_header_text
from monitor.notify.render import iso_or_none as _iso

SPIKE_EVENT = "topic.spike"
HEALTH_EVENT = "monitor.health"
_STATE_WORDS = {"started": "", "reminder": "still: ", "recovered": "recovered: ", "spike": "spike: "}


def notice_event(notice: Notice) -> str:
    """Return the event type: ``topic.spike`` or ``monitor.health``."""
    return SPIKE_EVENT if notice.condition == "topic.spike" else HEALTH_EVENT


def notice_subject(notice: Notice) -> str:
    """Return the one-line subject, e.g. ``[monitor] monitor.health: recovered: source X is failing``."""
    prefix = _STATE_WORDS.get(notice.state, "")
    topic = clean_header_text(notice.topic_title, 80)
    return f"[monitor] {topic}: {prefix}{clean_header_text(notice.title, 200)}"


def notice_payload(notice: Notice) -> dict[str, Any]:
    """Return the Standard Webhooks event body of a notice."""
    return {
        "type": notice_event(notice),
        "timestamp": _iso(notice.created_at),
        "data": {
            "topic": {"id": notice.topic_id, "title": notice.topic_title},
            "condition": notice.condition,
            "subject": notice.subject,
            "state": notice.state,
            "title": notice.title,
            "message": notice.text,
            "since": _iso(notice.since),
            "facts": dict(notice.facts),
        },
    }


def notice_body(notice: Notice) -> bytes:
    """Return the payload of a notice as compact UTF-8 JSON."""
    return json.dumps(notice_payload(notice), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def notice_lines(notice: Notice) -> list[str]:
    """Return the lines chat presets show: the subject in bold, the explanation, the facts."""
    lines = [f"*{clean_header_text(notice_subject(notice).removeprefix('[monitor] '), 300)}*"]
    lines.append(clean_header_text(notice.text, 1000))
    lines += [f"{clean_header_text(k, 50)}: {clean_header_text(v, 200)}" for k, v in notice.facts]
    return lines


def notice_log_line(notice: Notice) -> str:
    """Return the one log line of a notice."""
    return (
        f"notice {notice_event(notice)} condition={notice.condition} state={notice.state}"
        f" subject={clean_header_text(notice.subject, 200)!r} {clean_header_text(notice.text, 500)}"
    )


def notice_context(notice: Notice) -> dict[str, object]:
    """Return what the ``notice.txt`` and ``notice.html`` email templates see."""
    return {
        "notice": notice,
        "subject": notice_subject(notice),
        "title": clean_header_text(notice.title, 300),
        "text": clean_header_text(notice.text, 2000),
        "facts": [(clean_header_text(k, 100), clean_header_text(v, 500)) for k, v in notice.facts],
    }
