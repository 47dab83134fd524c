"""Signed feedback links: "relevant" / "not relevant" under an alert, answered by the daemon's HTTP server.

A link names the hit and the verdict and carries an HMAC-SHA256 of both under the store's key
(monitor.store.feedback.store_key), so only links monitor made are accepted, by any daemon of the database, and a
link cannot be turned into the opposite verdict or another hit. Opening a link shows a confirmation page whose
button posts: mail scanners that fetch every link mark nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import parse_qs, urlsplit

from monitor.models import FeedbackLinks

VERDICTS = {"yes": True, "no": False}

_PATH = re.compile(r"^/feedback/(\d{1,18})/(yes|no)$")


def feedback_signature(key: str, hit_id: int, verdict: str) -> str:
    """Return the signature of ``verdict`` (yes/no) on ``hit_id`` under ``key``."""
    message = f"feedback:{hit_id}:{verdict}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def feedback_links(base_url: str, key: str, hit_id: int) -> FeedbackLinks:
    """Return the signed yes/no links of ``hit_id`` under ``base_url`` (the daemon's HTTP server)."""
    base = base_url.rstrip("/")

    def link(verdict: str) -> str:
        return f"{base}/feedback/{hit_id}/{verdict}?sig={feedback_signature(key, hit_id, verdict)}"

    return FeedbackLinks(link("yes"), link("no"))


def read_feedback_link(target: str, key: str) -> tuple[int, bool] | None:
    """Return (hit id, relevant) from a request target such as ``/feedback/12/yes?sig=...``; None unless signed."""
    parts = urlsplit(target)
    found = _PATH.match(parts.path)
    if found is None:
        return None
    hit_id, verdict = int(found.group(1)), found.group(2)
    given = parse_qs(parts.query).get("sig", [""])[0]
    if not hmac.compare_digest(given, feedback_signature(key, hit_id, verdict)):
        return None
    return hit_id, VERDICTS[verdict]
