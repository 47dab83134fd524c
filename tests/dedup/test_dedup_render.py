"""Alerts carry their story: data.story in the webhook payload, "Also reported by" in emails."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from monitor.models import Alert, StoryRef
from monitor.notify.render import email_subject, webhook_payload
from monitor.notify.templates import build_email


def email_text(alert: Alert) -> str:
    """Return the plain-text part of the email production sends for ``alert``."""
    part = build_email(alert, sender="m@example.org", recipients=["a@example.org"]).get_body(("plain",))
    assert part is not None
    return str(part.get_content())


ALERT = Alert(
    id="msg_1",
    topic_id="bases",
    topic_title="Russian bases",
    article_url="https://www.wire.example/a",
    article_title="Frigates leave Tartus",
    source="Wire",
    score=2.0,
    terms=("tartus",),
    snippets=(),
    created_at=datetime(2025, 2, 20, tzinfo=UTC),
)


def test_an_alert_without_a_story_has_no_story_field() -> None:
    assert "story" not in webhook_payload(ALERT)["data"]
    assert "Also reported by" not in email_text(ALERT)


def test_the_story_is_in_the_payload_and_the_email() -> None:
    story = StoryRef(id=7, size=3, outlets=("wire.example", "paper.example", "daily.example"))
    alert = replace(ALERT, story=story)
    payload = webhook_payload(alert)
    assert payload["type"] == "topic.hit"
    assert payload["data"]["story"] == {
        "id": 7,
        "size": 3,
        "outlets": ["wire.example", "paper.example", "daily.example"],
    }
    assert "Also reported by: paper.example, daily.example" in email_text(alert)


def test_a_story_update_says_so() -> None:
    story = StoryRef(id=7, size=5, outlets=("a.example", "b.example"), update=True)
    alert = replace(ALERT, story=story)
    assert webhook_payload(alert)["type"] == "story.update"
    assert "story now on 2 outlets" in email_subject(alert)
