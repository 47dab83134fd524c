"""Operations: health and metrics endpoint, retention, logs, the single-instance lock, the systemd unit."""

from monitor.ops.archive import database_stats
from monitor.ops.health import Health, ping_database
from monitor.ops.http import FeedbackDesk, OpsServer
from monitor.ops.lock import InstanceLock, lock_path
from monitor.ops.logs import config_secrets, configure_logging, redact, update_secrets
from monitor.ops.metrics import Metrics
from monitor.ops.retention import PruneResult, prune, prune_step, vacuum
from monitor.ops.unit import render_unit

__all__ = [
    "FeedbackDesk",
    "Health",
    "InstanceLock",
    "Metrics",
    "OpsServer",
    "PruneResult",
    "config_secrets",
    "configure_logging",
    "database_stats",
    "lock_path",
    "ping_database",
    "prune",
    "prune_step",
    "redact",
    "render_unit",
    "update_secrets",
    "vacuum",
]
