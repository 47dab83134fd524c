"""A digest: many alerts of one route and channel in one message, grouped by topic with counts (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.models import Alert
from monitor.notify.render import clean_header_text
from monitor.notify.render import finite_score as _score
from monitor.notify.render import iso_or_none as _iso

DIGEST_EVENT = "topic.digest"


@dataclass(frozen=True, slots=True)
class Digest:
    """Alerts gathered into one message; ``id`` is stable across retries (webhook-id, Message-ID)."""

    id: str
    alerts: tuple[Alert, ...]
    created_at: datetime
    reason: str = "digest"  # digest, quiet hours, max_per_hour

    def by_topic(self) -> list[tuple[str, str, list[Alert]]]:
        """Return (topic id, topic title, alerts) per topic, busiest topic first, alerts in arrival order."""
        groups: dict[str, list[Alert]] = {}
        for alert in self.alerts:
            groups.setdefault(alert.topic_id, []).append(alert)
        ordered = sorted(groups.values(), key=lambda alerts: (-len(alerts), alerts[0].topic_title))
        return [(alerts[0].topic_id, alerts[0].topic_title, alerts) for alerts in ordered]

    @property
    def subject(self) -> str:
        """Return the one-line summary: ``[monitor] digest: 5 alerts in 2 topics``."""
        topics = len({a.topic_id for a in self.alerts})
        alerts = len(self.alerts)
        return f"[monitor] {self.reason}: {alerts} alert{'s' * (alerts != 1)} in {topics} topic{'s' * (topics != 1)}"


def _article(alert: Alert) -> dict[str, Any]:
    return {
        "url": alert.article_url,
        "title": alert.article_title,
        "source": alert.source,
        "published": _iso(alert.published),
        "score": _score(alert.score),
        "terms": list(alert.terms),
    }


def digest_payload(digest: Digest) -> dict[str, Any]:
    """Return the Standard Webhooks event body of a digest."""
    return {
        "type": DIGEST_EVENT,
        "timestamp": _iso(digest.created_at),
        "data": {
            "reason": digest.reason,
            "count": len(digest.alerts),
            "topics": [
                {"id": topic_id, "title": title, "count": len(alerts), "articles": [_article(a) for a in alerts]}
                for topic_id, title, alerts in digest.by_topic()
            ],
        },
    }


def digest_body(digest: Digest) -> bytes:
    """Return the payload of a digest as compact UTF-8 JSON."""
    return json.dumps(digest_payload(digest), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def digest_log_line(digest: Digest) -> str:
    """Return the one log line for a digest: counts per topic."""
    counts = ", ".join(f"{clean_header_text(topic_id, 100)}={len(alerts)}" for topic_id, _, alerts in digest.by_topic())
    return f"digest reason={digest.reason!r} alerts={len(digest.alerts)} {counts}"
