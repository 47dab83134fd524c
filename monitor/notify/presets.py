"""Incoming-webhook payloads of chat services, so alerts reach Slack, Discord, Teams or Mattermost directly (pure)."""

from __future__ import annotations

from typing import Any

from monitor.models import Alert, Notice
from monitor.notify.digest import Digest
from monitor.notify.notice import notice_lines
from monitor.notify.render import clean_header_text, safe_href

# Chat services cap a message's length; we stay well under the smallest (Discord: 2,000 characters).
MAX_TEXT = 1800
MAX_DIGEST_LINES = 15


def _link_md(title: str, url: str) -> str:
    href = safe_href(url)
    # [ ] ( ) would break Markdown links; they are rare in titles and harmless to drop.
    title = clean_header_text(title, 200).translate(str.maketrans("", "", "[]()")) or url
    return f"[{title}]({href})" if href else title


def _link_slack(title: str, url: str) -> str:
    href = safe_href(url)
    # Slack mrkdwn: & < > must be escaped; | ends the link target.
    title = clean_header_text(title, 200).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<{href.replace('|', '%7C')}|{title}>" if href else title


def _alert_lines(alert: Alert, link: Any) -> list[str]:
    terms = ", ".join(alert.terms[:8]) or (alert.semantic.describe() if alert.semantic is not None else "")
    lines = [
        f"*{clean_header_text(alert.topic_title, 100)}*: {link(alert.article_title, alert.article_url)}",
        f"{clean_header_text(alert.source, 100)} · score {alert.score:g}" + (f" · {terms}" if terms else ""),
    ]
    if alert.feedback is not None:
        lines.append(f"Relevant? {link('yes', alert.feedback.relevant)} · {link('no', alert.feedback.not_relevant)}")
    return lines


def _digest_lines(digest: Digest, link: Any) -> list[str]:
    lines = [f"*{digest.subject}*"]
    shown = 0
    for _, title, alerts in digest.by_topic():
        lines.append(f"*{clean_header_text(title, 100)}* ({len(alerts)})")
        for alert in alerts:
            if shown >= MAX_DIGEST_LINES:
                break
            lines.append(f"• {link(alert.article_title, alert.article_url)}")
            shown += 1
    if shown < len(digest.alerts):
        lines.append(f"… and {len(digest.alerts) - shown} more")
    return lines


def chat_payload(kind: str, message: Alert | Digest | Notice) -> dict[str, Any]:
    """Return the JSON body a ``kind`` (slack, discord, teams, mattermost) incoming webhook accepts."""
    link = _link_slack if kind == "slack" else _link_md
    if isinstance(message, Notice):
        lines = notice_lines(message)
    else:
        lines = _digest_lines(message, link) if isinstance(message, Digest) else _alert_lines(message, link)
    text = "\n".join(lines)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    if kind == "discord":
        return {"content": text.replace("*", "**"), "allowed_mentions": {"parse": []}}
    if kind == "teams":
        # A MessageCard is what Teams' (and Power Automate's) incoming webhooks render without extra setup.
        return {"@type": "MessageCard", "@context": "https://schema.org/extensions", "text": text.replace("*", "**")}
    if kind == "mattermost":
        return {"text": text.replace("*", "**")}
    return {"text": text, "unfurl_links": False}
