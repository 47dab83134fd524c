"""Delivery orchestration: the outbox dispatcher (per-channel workers, retries, dead letters, digests)."""

from monitor.dispatch.dispatcher import Dispatcher, deliver_due
from monitor.dispatch.policy import decide, next_digest_at, quiet_until, retry_delay

__all__ = ["Dispatcher", "decide", "deliver_due", "next_digest_at", "quiet_until", "retry_delay"]
