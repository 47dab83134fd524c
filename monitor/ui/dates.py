"""Dates as an analyst reads them: "5 Dec 2026, 14:03 UTC", with the stored ISO value kept for machines."""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2
from markupsafe import Markup, escape


def parse_time(value: str) -> datetime:
    """Return a stored ISO timestamp as an aware datetime (naive values are UTC, as the store writes them)."""
    when = datetime.fromisoformat(value)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def readable(value: str | datetime | None) -> str:
    """Return ``value`` as "5 Dec 2026, 14:03 UTC" (minutes, no microseconds); "-" when missing or unreadable."""
    if not value:
        return "-"
    try:
        when = parse_time(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)  # a publisher's odd date is still worth showing as it came
    when = when.astimezone(UTC) if when.tzinfo else when
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


def time_tag(value: str | datetime | None) -> Markup:
    """Return a ``<time>`` element: readable text, the exact stored value in ``datetime`` and as a tooltip."""
    if not value:
        return Markup("-")
    exact = value if isinstance(value, str) else value.isoformat()
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(escape(exact), readable(value))


def register_filters(env: jinja2.Environment) -> None:
    """Add the ``when`` (a ``<time>`` element) and ``readable`` (plain text) filters to ``env``."""
    env.filters["when"] = time_tag
    env.filters["readable"] = readable
