"""Write an alert or a digest as one INFO line to the ``monitor.alerts`` logger."""

from __future__ import annotations

import logging

from monitor.models import Alert, Notice
from monitor.notify.digest import Digest, digest_log_line
from monitor.notify.notice import notice_log_line
from monitor.notify.render import log_line

ALERT_LOGGER = "monitor.alerts"
log = logging.getLogger(ALERT_LOGGER)


def send_log(message: Alert | Digest | Notice) -> None:
    """Log an alert (topic id, score, title, URL), a digest (counts per topic) or a notice on ``monitor.alerts``."""
    if isinstance(message, Notice):
        log.warning("%s", notice_log_line(message))  # about the monitor or a surge: worth a WARNING
        return
    log.info("%s", digest_log_line(message) if isinstance(message, Digest) else log_line(message))
