"""A feed's own polling hints: RSS ``<ttl>`` and the syndication module's ``sy:updatePeriod``/``updateFrequency``.

Neither parser we use exposes both (fastfeedparser drops them), and they sit in the channel header, so a
bounded regex over the start of the body is enough and costs microseconds.
"""

from __future__ import annotations

import re

# Channel metadata precedes the items; a feed that puts <ttl> after 64 KB of items gets no hint from us.
HEAD_BYTES = 65_536
_TTL = re.compile(rb"<(?:[\w-]+:)?ttl\s*>\s*(\d{1,7})\s*<", re.IGNORECASE)
_PERIOD = re.compile(rb"<(?:[\w-]+:)?updatePeriod\s*>\s*(\w+)\s*<", re.IGNORECASE)
_FREQUENCY = re.compile(rb"<(?:[\w-]+:)?updateFrequency\s*>\s*(\d{1,6})\s*<", re.IGNORECASE)
_PERIOD_SECONDS = {b"hourly": 3600, b"daily": 86400, b"weekly": 604800, b"monthly": 2_592_000, b"yearly": 31_536_000}


def feed_min_interval(body: bytes) -> float | None:
    """Return the shortest poll interval (seconds) a feed asks for, or None when it says nothing.

    ``<ttl>`` is in minutes; ``sy:updatePeriod`` divided by ``sy:updateFrequency`` is the expected gap between
    updates. When both are present the shorter wins: we take a hint as a lower bound, not as a promise.
    """
    head = body[:HEAD_BYTES]
    found: list[float] = []
    ttl = _TTL.search(head)
    if ttl is not None and int(ttl.group(1)) > 0:
        found.append(int(ttl.group(1)) * 60.0)
    period = _PERIOD.search(head)
    if period is not None and period.group(1).lower() in _PERIOD_SECONDS:
        frequency = _FREQUENCY.search(head)
        times = int(frequency.group(1)) if frequency is not None else 1
        found.append(_PERIOD_SECONDS[period.group(1).lower()] / max(times, 1))
    return min(found) if found else None
