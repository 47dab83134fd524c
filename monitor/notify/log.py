"""Write an alert as one INFO line to the ``monitor.alerts`` logger."""

from __future__ import annotations

import logging

from monitor.models import Alert
from monitor.notify.render import log_line

ALERT_LOGGER = "monitor.alerts"
log = logging.getLogger(ALERT_LOGGER)


def send_log(alert: Alert) -> None:
    """Log ``alert`` at INFO on ``monitor.alerts`` (topic id, score, title, URL)."""
    log.info("%s", log_line(alert))
