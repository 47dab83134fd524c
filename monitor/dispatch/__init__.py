"""Delivery orchestration: the outbox dispatcher (per-channel workers, retries, dead letters, digests)."""

from monitor.dispatch.dispatcher import Dispatcher, deliver_due
from monitor.dispatch.policy import decide, next_digest_at, quiet_until, retry_delay
from monitor.dispatch.watch import check_health, check_spikes

__all__ = [
    "Dispatcher",
    "check_health",
    "check_spikes",
    "decide",
    "deliver_due",
    "next_digest_at",
    "quiet_until",
    "retry_delay",
]
