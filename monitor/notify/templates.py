"""Email bodies from Jinja2 templates (HTML autoescaped, plain-text alternative), overridable per channel.

Snippets carry their own ellipses where they cut the text (monitor.match.score): templates print them as they are.

A channel's ``templates`` folder may hold ``alert.html``, ``alert.txt``, ``digest.html`` and ``digest.txt``;
whatever it lacks comes from the defaults below.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path

import jinja2

from monitor.models import Alert, Notice
from monitor.notify.digest import Digest
from monitor.notify.notice import notice_context
from monitor.notify.render import (
    alert_facts,
    as_utc,
    clean_header_text,
    email_subject,
    message_id,
    safe_href,
)

DEFAULTS = {
    "alert.txt": """{{ title }}
{{ alert.article_url }}

{% for label, value in facts %}{{ label }}: {{ value }}
{% endfor %}{% if summary %}
{{ summary }}
{% endif %}{% for s in snippets %}
  {{ s }}{% endfor %}
{% if feedback %}
Relevant? {{ feedback.relevant }}
Not relevant? {{ feedback.not_relevant }}
{% endif %}""",
    "alert.html": """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
<h2>{% if href %}<a href="{{ href }}">{{ title }}</a>{% else %}{{ title }}{% endif %}</h2>
{% if not href %}<p>{{ alert.article_url }}</p>{% endif %}
<table>{% for label, value in facts %}<tr><th align="left">{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
{% if summary %}<p>{{ summary }}</p>{% endif %}
{% if snippets %}<ul>{% for s in snippets %}<li>{{ s }}</li>{% endfor %}</ul>{% endif %}
{% if feedback %}<p><small>Was this relevant? <a href="{{ feedback.relevant }}">Yes</a>
 · <a href="{{ feedback.not_relevant }}">No</a></small></p>{% endif %}
{% if unsubscribe %}<p><small><a href="{{ unsubscribe }}">Unsubscribe</a></small></p>{% endif %}
</body></html>
""",
    "digest.txt": """{{ subject }}
{% for topic in topics %}
{{ topic.title }} ({{ topic.count }})
{% for a in topic.alerts %}  - {{ a.title }} — {{ a.source }}
    {{ a.url }}
{% endfor %}{% endfor %}""",
    "notice.txt": """{{ subject }}

{{ text }}

{% for label, value in facts %}{{ label }}: {{ value }}
{% endfor %}""",
    "notice.html": """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
<h2>{{ title }}</h2>
<p>{{ text }}</p>
<table>{% for label, value in facts %}<tr><th align="left">{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
{% if unsubscribe %}<p><small><a href="{{ unsubscribe }}">Unsubscribe</a></small></p>{% endif %}
</body></html>
""",
    "digest.html": """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
<h2>{{ subject }}</h2>
{% for topic in topics %}<h3>{{ topic.title }} <small>({{ topic.count }})</small></h3>
<ul>{% for a in topic.alerts %}<li>
{%- if a.href %}<a href="{{ a.href }}">{{ a.title }}</a>{% else %}{{ a.title }}{% endif %}
 <small>{{ a.source }}{% if a.score is not none %} · score {{ a.score }}{% endif %}</small></li>{% endfor %}</ul>
{% endfor %}
{% if unsubscribe %}<p><small><a href="{{ unsubscribe }}">Unsubscribe</a></small></p>{% endif %}
</body></html>
""",
}


@lru_cache(maxsize=16)
def environment(folder: str | None) -> jinja2.Environment:
    """Return the template environment for an override ``folder`` (None: the defaults only)."""
    loaders: list[jinja2.BaseLoader] = [jinja2.DictLoader(DEFAULTS)]
    if folder:
        loaders.insert(0, jinja2.FileSystemLoader(folder))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # Every .html template escapes what it prints: titles and snippets come from pages anyone can write.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _alert_context(alert: Alert) -> dict[str, object]:
    return {
        "alert": alert,
        "title": clean_header_text(alert.article_title, 1000) or alert.article_url,
        "href": safe_href(alert.article_url),
        "facts": alert_facts(alert),
        "summary": clean_header_text(alert.summary, 2000),
        "snippets": [clean_header_text(s, 500) for s in alert.snippets],
        "feedback": alert.feedback,
    }


def _digest_context(digest: Digest) -> dict[str, object]:
    topics = [
        {
            "id": topic_id,
            "title": clean_header_text(title, 200),
            "count": len(alerts),
            "alerts": [
                {
                    "title": clean_header_text(a.article_title, 300) or a.article_url,
                    "url": clean_header_text(a.article_url, 2000),
                    "href": safe_href(a.article_url),
                    "source": clean_header_text(a.source, 100),
                    "score": f"{a.score:g}",
                }
                for a in alerts
            ],
        }
        for topic_id, title, alerts in digest.by_topic()
    ]
    return {"digest": digest, "subject": digest.subject, "topics": topics}


def set_text_header(email: EmailMessage, name: str, value: str) -> None:
    """Add an unstructured header (Subject) that every client shows as written, in any script.

    Python's own folding of long non-ASCII headers loses the spaces at fold points (between Arabic words, say)
    and can leave an encoded word raw. So a non-ASCII value is encoded here as RFC 2047 base64 words split on
    character boundaries, each space inside a word, and stored as is: folded lines stay under 78 characters.
    """
    if value.isascii():
        email[name] = value
    else:
        email.set_raw(name, Header(value, "utf-8", header_name=name).encode())


# RFC 5322's recommended line length, which aiosmtplib's SMTP policy folds at.
MAX_LINE = 78


def set_address_header(email: EmailMessage, name: str, value: str) -> None:
    """Add an address header (``addr`` or ``Display Name <addr>``) whose display name shows as written."""
    display, address = parseaddr(value)
    if not display or display.isascii():
        email[name] = formataddr((display, address)) if display else address
        return
    # One encoded word when it fits on the line: between two encoded words of a name, RFC 2047 clients drop the
    # space (so the split is placed inside the words, as for subjects) but Python's address parser keeps it.
    word = "=?utf-8?b?" + base64.b64encode(display.encode("utf-8")).decode("ascii") + "?="
    if len(name) + 2 + len(word) > MAX_LINE:  # longer lines are refolded when sent, splitting it anyway
        word = Header(display, "utf-8", header_name=name).encode()
    email.set_raw(name, f"{word}\n <{address}>")


def build_email(
    message: Alert | Digest | Notice,
    *,
    sender: str,
    recipients: Sequence[str],
    list_id: str | None = None,
    unsubscribe: str | None = None,
    templates: str | Path | None = None,
) -> EmailMessage:
    """Return the multipart (text + HTML) email of an alert, a digest or a notice."""
    env = environment(str(templates) if templates else None)
    if isinstance(message, Notice):
        context = notice_context(message)
        name, subject, moment, msg_id = "notice", str(context["subject"]), message.created_at, f"<{message.id}@monitor>"
    elif isinstance(message, Digest):
        name, context, subject = "digest", _digest_context(message), message.subject
        moment, msg_id = message.created_at, f"<{message.id}@monitor>"
    else:
        name, context, subject = "alert", _alert_context(message), email_subject(message)
        moment, msg_id = message.created_at, message_id(message)
    context["unsubscribe"] = unsubscribe
    email = EmailMessage()
    set_text_header(email, "Subject", clean_header_text(subject, 300))
    set_address_header(email, "From", sender)
    email["To"] = ", ".join(recipients)
    email["Date"] = format_datetime(as_utc(moment).astimezone(UTC))
    email["Message-ID"] = msg_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders stay quiet
    if list_id:
        email["List-Id"] = clean_header_text(list_id, 200)
    if unsubscribe:
        email["List-Unsubscribe"] = f"<{clean_header_text(unsubscribe, 500)}>"
    email.set_content(env.get_template(f"{name}.txt").render(context))
    email.add_alternative(env.get_template(f"{name}.html").render(context), subtype="html")
    return email
